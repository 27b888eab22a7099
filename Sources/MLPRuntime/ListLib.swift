// List, dict and sequence builtins. Lists are changed in place by push, pop,
// insert, remove and shuffle; sort, reverse, map, filter return new lists.
import MLPLang

enum ListLib {
    static func register(_ r: inout Registry) {
        r.fn("push", [p("xs"), p("x")], doc: "Appends x to the end of list xs (in place).", example: "push(losses, loss)") { a throws(MLPError) in
            try a.list(0).items.append(a[1]); return .nil
        }
        r.fn("pop", [p("xs"), p("i", -1)], doc: "Removes and returns item i (the last by default) of list xs.",
             example: "stack = [1, 2, 3]; pop(stack)   # 3") { a throws(MLPError) in
            let l = try a.list(0)
            if l.items.isEmpty { throw a.error("cannot pop from an empty list.", at: 0) }
            let i = try a.interp.position(a[1], count: l.items.count, at: a.callLoc)
            return l.items.remove(at: i)
        }
        r.fn("insert", [p("xs"), p("i"), p("x")], doc: "Inserts x before position i of list xs (in place).",
             example: "insert(xs, 0, first)") { a throws(MLPError) in
            let l = try a.list(0)
            var i = try a.int(1)
            if i < 0 { i += l.items.count }
            l.items.insert(a[2], at: min(max(i, 0), l.items.count))
            return .nil
        }
        r.fn("remove", [p("xs"), p("x")], doc: "Removes the first item equal to x from list xs (an error if absent).",
             example: "remove(todo, \"done\")") { a throws(MLPError) in
            let l = try a.list(0)
            guard let i = l.items.firstIndex(where: { a.interp.equal($0, a[1]) }) else {
                throw a.error("\(a.interp.repr(a[1])) is not in the list.", at: 1)
            }
            l.items.remove(at: i)
            return .nil
        }
        r.fn("sort", [p("xs"), opt("key"), p("reverse", false), Param("axis", .number(-1), keywordOnly: true)],
             doc: "A new list with the items in ascending order (by key(x) when given); stable. A tensor is sorted along axis (the last by default).",
             example: "sort(words, key=w -> len(w))") { a throws(MLPError) in
            if TensorValue.isTensor(a[0]) { return try TensorLib.sortTensor(a) }
            let items = try a.sequence(0)
            var keys = items
            if !a.isNil(1) {
                let f = try a.callable(1)
                keys = []
                for x in items { keys.append(try a.call(f, [x])) }
            }
            let order = try sortedOrder(keys, a, descending: try a.bool(2))
            return .list(order.map { items[$0] })
        }
        r.fn("reverse", [p("xs")], doc: "A new list (or string) with the items in reverse order.",
             example: "reverse([1, 2, 3])   # [3, 2, 1]") { a throws(MLPError) in
            if case .string(let s) = a[0] { return .str(String(s.s.reversed())) }
            return .list(try a.sequence(0).reversed())
        }
        r.fn("map", [p("f"), p("xs")], doc: "A new list of f(x) for each item x.", example: "map(x -> x^2, [1, 2, 3])   # [1, 4, 9]") { a throws(MLPError) in
            let f = try a.callable(0)
            var out: [Value] = []
            for x in try a.sequence(1) { out.append(try a.call(f, [x])) }
            return .list(out)
        }
        r.fn("filter", [p("f"), p("xs")], doc: "A new list of the items x for which f(x) is true.",
             example: "filter(x -> x > 0, [-1, 2, 3])   # [2, 3]") { a throws(MLPError) in
            let f = try a.callable(0)
            var out: [Value] = []
            for x in try a.sequence(1) {
                let keep = try a.call(f, [x])
                guard case .bool(let b) = keep else { throw a.error("f must return a bool, got \(describeForError(keep)).", at: 0) }
                if b { out.append(x) }
            }
            return .list(out)
        }
        r.fn("reduce", [p("f"), p("xs"), opt("init")], doc: "Folds the items with f(acc, x), starting from init (or the first item).",
             example: "reduce((a, b) -> a * b, [1, 2, 3, 4])   # 24") { a throws(MLPError) in
            let f = try a.callable(0)
            var items = try a.sequence(1)[...]
            var acc: Value
            if a.isNil(2) {
                guard let first = items.popFirst() else { throw a.error("cannot reduce an empty sequence without 'init'.", at: 1) }
                acc = first
            } else { acc = a[2] }
            for x in items { acc = try a.call(f, [acc, x]) }
            return acc
        }
        r.fn("zip", [p("xs")], rest: "more", doc: "Lists of corresponding items [a_i, b_i, ...], as long as the shortest input.",
             example: "zip([1, 2], [\"a\", \"b\"])   # [[1, \"a\"], [2, \"b\"]]") { a throws(MLPError) in
            var seqs = [try a.sequence(0)]
            for v in a.rest {
                guard let items = try a.sequence(v, at: a.fn.params.count) else { throw a.error("arguments must be sequences, got \(describeForError(v)).") }
                seqs.append(items)
            }
            let n = seqs.map(\.count).min() ?? 0
            return .list((0..<n).map { i in .list(seqs.map { $0[i] }) })
        }
        r.fn("enumerate", [p("xs")], doc: "Pairs [i, x] of position and item.",
             example: "for i, x in enumerate([\"a\", \"b\"]) { print(i, x) }") { a throws(MLPError) in
            .list(try a.sequence(0).enumerated().map { .list([.number(Double($0.offset)), $0.element]) })
        }
        r.fn("any", [p("xs")], doc: "True when some item is true (items must be bools).", example: "any([false, true])   # true") { a throws(MLPError) in
            .bool(try bools(a).contains(true))
        }
        r.fn("all", [p("xs")], doc: "True when every item is true (items must be bools).", example: "all([true, true])   # true") { a throws(MLPError) in
            .bool(!(try bools(a).contains(false)))
        }
        r.fn("keys", [p("d")], doc: "The keys of a dict, in insertion order; of a training history, the curves it holds (Keras's h.history.keys()).", example: "keys({a: 1, b: 2})   # [\"a\", \"b\"]") { a throws(MLPError) in
            if case .object(let h as HistoryValue) = a[0] { return .list(h.keys.map { .str($0) }) }
            return .list(try a.dict(0).keys.map(\.value))
        }
        r.fn("values", [p("d")], doc: "The values of a dict, in insertion order.", example: "values({a: 1, b: 2})   # [1, 2]") { a throws(MLPError) in
            .list(try a.dict(0).values)
        }
        r.fn("has", [p("container"), p("x")], doc: "True when a dict has key x, a list has an item equal to x, or a string contains x.",
             example: "has({lr: 0.1}, \"lr\")   # true") { a throws(MLPError) in
            switch a[0] {
            case .dict(let d):
                guard let k = DictKey(a[1]) else { return .bool(false) }
                return .bool(d[k] != nil)
            case .list(let l): return .bool(l.items.contains { a.interp.equal($0, a[1]) })
            case .string(let s): return .bool(s.s.contains(try a.string(1)))
            case .range(let rg):
                guard case .number(let x) = a[1] else { return .bool(false) }
                let k = (x - rg.start) / rg.step
                return .bool(k >= 0 && k == k.rounded() && k < Double(rg.count))
            default: throw a.typeError(0, "a dict, list, string or range")
            }
        }
    }

    static func bools(_ a: Args) throws(MLPError) -> [Bool] {
        var out: [Bool] = []
        for v in try a.sequence(0) {
            guard case .bool(let b) = v else { throw a.error("items must be bools, got \(describeForError(v)).", at: 0) }
            out.append(b)
        }
        return out
    }

    /// A stable ascending order of numbers or of strings; mixed kinds are an error.
    /// Stable in both directions: equal keys keep their order (as Python's reverse=True).
    static func sortedOrder(_ keys: [Value], _ a: Args, descending: Bool) throws(MLPError) -> [Int] {
        let poll = a.interruptPoll
        func order<K: Comparable>(_ k: [K]) throws(MLPError) -> [Int] {
            // Ctrl-C is polled every 2^16 comparisons (a list of 10^7 numbers sorts for seconds)
            var compared = 0
            do {
                return try Array(keys.indices).sorted { i, j in
                    compared &+= 1
                    if compared & 0xFFFF == 0 { try poll() }
                    if k[i] == k[j] { return i < j }
                    return descending ? k[j] < k[i] : k[i] < k[j]
                }
            } catch let e as MLPError { throw e } catch { throw a.error("\(error)") }
        }
        if keys.allSatisfy({ if case .number = $0 { return true }; return false }) {
            return try order(keys.map { v -> Double in if case .number(let d) = v { return d }; return 0 })
        }
        if keys.allSatisfy({ if case .string = $0 { return true }; return false }) {
            return try order(keys.map { v -> String in if case .string(let s) = v { return s.s }; return "" })
        }
        throw a.error("can only sort numbers or strings (all of one kind); use key= to sort other items.")
    }
}
