// Indexing and slicing of lists, strings, ranges and dicts (Python semantics:
// zero-based, negative indices from the end, `a[lo:hi:step]`).

extension Interpreter {
    public func index(_ v: Value, _ items: [IndexValue], at loc: SourceLoc) throws(MLPError) -> Value {
        if case .object(let o) = v {
            do { if let r = try o.index(items, self) { return r } } catch { throw error.located(loc) }
            throw .runtime("a \(o.typeName) cannot be indexed.", at: loc)
        }
        if case .dict(let d) = v {
            guard items.count == 1, case .value(let k) = items[0] else { throw .runtime("a dict takes one key in [].", at: loc) }
            guard let key = DictKey(k) else { throw .runtime("dict keys must be strings, numbers or bools, got \(describeForError(k)).", at: loc) }
            if let x = d[key] { return x }
            throw .runtime("key \(repr(k)) is not in the dict.", at: loc)
        }
        guard items.count == 1 else {
            throw .runtime("\(v.typeName) takes one index, got \(items.count) (only tensors take several).", at: loc)
        }
        let n: Int
        switch v {
        case .list(let l): n = l.items.count
        case .string(let s): n = s.count
        case .range(let r): n = r.count
        default: throw .runtime("\(describeForError(v)) cannot be indexed.", at: loc)
        }
        switch items[0] {
        case .value(let iv):
            let i = try position(iv, count: n, at: loc)
            switch v {
            case .list(let l): return l.items[i]
            case .string(let s): return .str(s.pick([i]))
            case .range(let r): return .number(r.at(i))
            default: break
            }
        case .slice(let a, let b, let c):
            let idx = try sliceIndices(a, b, c, count: n, at: loc)
            switch v {
            case .list(let l): return .list(idx.map { l.items[$0] })
            case .string(let s): return .str(s.pick(idx))
            case .range(let r): return .list(idx.map { .number(r.at($0)) })
            default: break
            }
        case .ellipsis: throw .runtime("'...' (ellipsis) indexes tensors; a \(v.typeName) takes a number or a slice.", at: loc)
        }
        throw .runtime("\(describeForError(v)) cannot be indexed.", at: loc)
    }

    /// Returns an updated value to store back (objects with value semantics), or nil when updated in place.
    public func setIndex(_ v: Value, _ items: [IndexValue], _ x: Value, at loc: SourceLoc) throws(MLPError) -> Value? {
        switch v {
        case .list(let l):
            guard items.count == 1 else { throw .runtime("a list takes one index, got \(items.count).", at: loc) }
            switch items[0] {
            case .value(let iv):
                l.items[try position(iv, count: l.items.count, at: loc)] = x
            case .slice(let a, let b, let c):
                guard case .list(let src) = x else { throw .runtime("a slice of a list is assigned a list, got \(describeForError(x)).", at: loc) }
                let idx = try sliceIndices(a, b, c, count: l.items.count, at: loc)
                if l.items.count - idx.count + src.items.count > maxSequence {
                    throw tooLong(l.items.count - idx.count + src.items.count, at: loc)
                }
                if c == nil || c == 1 {
                    let start = try sliceStart(a, l.items.count, loc)
                    let lo = idx.first ?? min(max(start, 0), l.items.count)
                    l.items.replaceSubrange(lo..<(lo + idx.count), with: src.items)
                } else {
                    guard idx.count == src.items.count else {
                        throw .runtime("cannot assign \(src.items.count) items to an extended slice of \(idx.count).", at: loc)
                    }
                    for (i, y) in zip(idx, src.items) { l.items[i] = y }
                }
            case .ellipsis: throw .runtime("'...' (ellipsis) indexes tensors; a list takes a number or a slice.", at: loc)
            }
            return nil
        case .dict(let d):
            guard items.count == 1, case .value(let k) = items[0] else { throw .runtime("a dict takes one key in [].", at: loc) }
            guard let key = DictKey(k) else { throw .runtime("dict keys must be strings, numbers or bools, got \(describeForError(k)).", at: loc) }
            d[key] = x
            return nil
        case .object(let o):
            do { if let r = try o.setIndex(items, x, self) { return r } } catch { throw error.located(loc) }
            throw .runtime("a \(o.typeName) does not support item assignment.", at: loc)
        case .string: throw .runtime("strings cannot be changed; build a new one (e.g. with replace or slices).", at: loc)
        default: throw .runtime("\(describeForError(v)) does not support item assignment.", at: loc)
        }
    }

    /// A checked index into a sequence of `count`.
    public func position(_ iv: Value, count: Int, at loc: SourceLoc) throws(MLPError) -> Int {
        guard case .number(let d) = iv else { throw .runtime("index must be a number, got \(describeForError(iv)).", at: loc) }
        guard let i = Int(exactly: d) else { throw .runtime("index must be an integer, got \(formatNumber(d)).", at: loc) }
        let j = i < 0 ? i + count : i
        guard j >= 0 && j < count else { throw .runtime("index \(i) is out of range for length \(count).", at: loc) }
        return j
    }

    func sliceStart(_ a: Double?, _ n: Int, _ loc: SourceLoc) throws(MLPError) -> Int {
        guard let a else { return 0 }
        guard let i = Int(exactly: a) else { throw .runtime("slice bounds must be integers, got \(formatNumber(a)).", at: loc) }
        return i < 0 ? i + n : i
    }

    /// The positions `lo:hi:step` selects, clamped as Python does.
    public func sliceIndices(_ a: Double?, _ b: Double?, _ c: Double?, count n: Int, at loc: SourceLoc) throws(MLPError) -> [Int] {
        func int(_ x: Double?) throws(MLPError) -> Int? {
            guard let x else { return nil }
            guard let i = Int(exactly: x) else { throw .runtime("slice bounds must be integers, got \(formatNumber(x)).", at: loc) }
            return i
        }
        let step = try int(c) ?? 1
        if step == 0 { throw .runtime("slice step cannot be zero.", at: loc) }
        func clamp(_ i: Int?, _ dflt: Int) -> Int {
            guard var i else { return dflt }
            if i < 0 { i += n }
            return step > 0 ? min(max(i, 0), n) : min(max(i, -1), n - 1)
        }
        let lo = clamp(try int(a), step > 0 ? 0 : n - 1)
        let hi = clamp(try int(b), step > 0 ? n : -1)
        // the length first: a slice of a huge range must not build a huge list
        let length = step > 0 ? (hi > lo ? (hi - lo - 1) / step + 1 : 0) : (lo > hi ? (lo - hi - 1) / (-step) + 1 : 0)
        if length > maxSequence { throw tooLong(length, at: loc) }
        var out: [Int] = []
        var i = lo
        // steps may be huge: stop instead of overflowing
        if step > 0 {
            while i < hi { out.append(i); let (next, o) = i.addingReportingOverflow(step); if o { break }; i = next }
        } else {
            while i > hi { out.append(i); let (next, o) = i.addingReportingOverflow(step); if o { break }; i = next }
        }
        return out
    }
}
