// einsum: Einstein summation over named axes. Each operand's repeated letters
// become its diagonal, letters in one operand only are summed away, and the
// operands are contracted pairwise, left to right, each pair as one batched
// matrix product (BLAS): [batch, kept of a, summed] @ [batch, summed, kept of b].
import MLPTensor
import MLPAutograd

/// A parsed einsum specification: one list of letters per operand and the output's.
public struct EinsumSpec {
    public let inputs: [[Character]]
    public let output: [Character]
    /// The size of every letter.
    public let sizes: [Character: Int]

    init(inputs: [[Character]], output: [Character], sizes: [Character: Int]) {
        self.inputs = inputs; self.output = output; self.sizes = sizes
    }

    /// Parses "ij,jk->ik" (or "ij,jk": the output is then the letters that occur once,
    /// in alphabetical order, as NumPy) against the operands' shapes. '...' in a term
    /// stands for the axes its letters leave; those broadcast across operands as NumPy's
    /// (right-aligned, size 1 against any size) and lead an implicit output.
    public init(_ spec: String, shapes: [[Int]]) throws {
        let s = spec.filter { !$0.isWhitespace }
        let sides = s.split(separator: "->", omittingEmptySubsequences: false).map(String.init)
        guard sides.count <= 2 else { throw OperationError("einsum", "\"\(spec)\" has '->' more than once; one arrow separates the operands' subscripts from the output's.") }
        let lhs = sides[0], rhs: String? = sides.count == 2 ? sides[1] : nil
        let parsed = try lhs.split(separator: ",", omittingEmptySubsequences: false).enumerated().map { k, t in
            try EinsumSpec.term(t, "operand \(k)", spec)
        }
        let out = try rhs.map { try EinsumSpec.term($0[...], "the output", spec) }
        guard parsed.count == shapes.count else {
            throw OperationError("einsum", "\"\(spec)\" names \(parsed.count) operand\(parsed.count == 1 ? "" : "s"), got \(shapes.count).")
        }
        // the axes each '...' stands for, and their broadcast sizes (right-aligned)
        var dots: [Int] = []
        for (k, (t, shape)) in zip(parsed, shapes).enumerated() {
            let named = t.head.count + t.tail.count
            guard t.ellipsis ? shape.count >= named : shape.count == named else {
                throw OperationError("einsum", "operand \(k) has \(shape.count) ax\(shape.count == 1 ? "is" : "es") (shape \(Tensor.formatShape(shape))), its subscripts \"\(t.text)\" name \(named)\(t.ellipsis ? " besides '...'" : "").")
            }
            dots.append(t.ellipsis ? shape.count - named : 0)
        }
        let nd = dots.max() ?? 0
        guard nd <= 64, nd == 0 || shapes.count <= 2000 else {
            throw OperationError("einsum", "'...' is supported for at most 64 axes and 2000 operands, got \(nd) axes and \(shapes.count) operands.")
        }
        var broadcast = [Int](repeating: 1, count: nd)
        for (k, shape) in shapes.enumerated() where dots[k] > 0 {
            let start = parsed[k].head.count
            for i in 0..<dots[k] {
                let n = shape[start + i], j = nd - dots[k] + i
                if n == broadcast[j] || n == 1 { continue }
                guard broadcast[j] == 1 else {
                    throw OperationError("einsum", "the axes '...' stands for do not broadcast: operand \(k) has \(Tensor.formatShape(Array(shape[start..<(start + dots[k])]))) there, against size \(broadcast[j]) in another operand.")
                }
                broadcast[j] = n
            }
        }
        // '...' axes become private characters: shared ones per position, and a lone one
        // (summed away) for a size-1 axis that broadcasts against a larger size
        let shared = (0..<nd).map { EinsumSpec.hidden(0xF0000 + $0) }
        var terms: [[Character]] = []
        for (k, t) in parsed.enumerated() {
            let mid = (0..<dots[k]).map { i -> Character in
                let j = nd - dots[k] + i
                return shapes[k][t.head.count + i] == 1 && broadcast[j] > 1 ? EinsumSpec.hidden(0xF0000 + 64 * (k + 1) + j) : shared[j]
            }
            terms.append(t.head + mid + t.tail)
        }
        var sizes: [Character: Int] = [:]
        for (k, (t, shape)) in zip(terms, shapes).enumerated() {
            for (c, n) in zip(t, shape) {
                if let m = sizes[c], m != n {
                    throw OperationError("einsum", "index '\(c)' has size \(m) in one place and \(n) in operand \(k).")
                }
                sizes[c] = n
            }
        }
        var output: [Character]
        if let out {
            if !out.ellipsis && nd > 0 {
                throw OperationError("einsum", "'...' stands for \(nd) ax\(nd == 1 ? "is" : "es") in the operands; the output \"\(out.text)\" must place them with '...' too.")
            }
            output = out.head + (out.ellipsis ? shared : []) + out.tail
            for c in out.head + out.tail where sizes[c] == nil { throw OperationError("einsum", "output index '\(c)' is not in any operand.") }
            if Set(output).count != output.count { throw OperationError("einsum", "output subscripts \"\(out.text)\" repeat an index.") }
        } else {
            var count: [Character: Int] = [:]
            for t in parsed { for c in t.head + t.tail { count[c, default: 0] += 1 } }
            output = shared + count.filter { $0.value == 1 }.keys.sorted()
        }
        self.init(inputs: terms, output: output, sizes: sizes)
    }

    /// One term's letters before and after its '...' (if any), checked.
    static func term(_ t: Substring, _ place: String, _ spec: String) throws -> (head: [Character], ellipsis: Bool, tail: [Character], text: String) {
        let parts = t.split(separator: "...", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { throw OperationError("einsum", "'...' appears more than once in \(place) of \"\(spec)\".") }
        for c in parts.joined() where !(c.isASCII && c.isLetter) {
            if c == "." { throw OperationError("einsum", "\(place) of \"\(spec)\" has a '.' that is not part of '...' (three dots).") }
            if c == "-" || c == ">" { throw OperationError("einsum", "\"\(spec)\" has a stray '\(c)'; the output is given after '->'.") }
            throw OperationError("einsum", "subscripts are letters (and '...'), got '\(c)' in \"\(spec)\".")
        }
        return (Array(parts[0]), parts.count == 2, parts.count == 2 ? Array(parts[1]) : [], String(t))
    }

    /// A character no subscript can spell (Unicode's private use plane), for an axis of '...'.
    static func hidden(_ code: Int) -> Character { Character(Unicode.Scalar(UInt32(code))!) }

    /// Subscripts for messages: the hidden axes shown as '...'.
    static func display(_ s: [Character]) -> String {
        var r = "", dotted = false
        for c in s {
            if c.unicodeScalars.first!.value >= 0xF0000 { if !dotted { r += "..."; dotted = true } } else { r.append(c) }
        }
        return r
    }
}

extension Tensor {
    /// einsum of `operands` by `spec` ("ij,jk->ik").
    public static func einsum(_ spec: String, _ operands: [Tensor]) throws -> Tensor {
        try einsum(try EinsumSpec(spec, shapes: operands.map(\.shape)), operands)
    }

    public static func einsum(_ sp: EinsumSpec, _ operands: [Tensor]) throws -> Tensor {
        var terms: [(t: Tensor, s: [Character])] = []
        for (t, s) in zip(operands, sp.inputs) { terms.append(try diagonal(t, s)) }
        // letters in one term only (and not in the output) are summed first
        for k in terms.indices {
            let others = Set(sp.output + terms.enumerated().filter { $0.offset != k }.flatMap { $0.element.s })
            terms[k] = try sumOut(terms[k].t, terms[k].s, keeping: others)
        }
        while terms.count > 1 {
            let a = terms.removeFirst(), b = terms.removeFirst()
            let keep = Set(sp.output + terms.flatMap { $0.s })
            terms.insert(try contract(a.t, a.s, b.t, b.s, keep: keep, sizes: sp.sizes), at: 0)
        }
        let (t, s) = try sumOut(terms[0].t, terms[0].s, keeping: Set(sp.output))
        if s == sp.output { return t }
        return try t.permute(sp.output.map { s.firstIndex(of: $0)! })
    }

    /// The term with repeated letters reduced to one axis (the diagonal), letters in first-seen order.
    static func diagonal(_ t: Tensor, _ s: [Character]) throws -> (t: Tensor, s: [Character]) {
        var unique: [Character] = []
        for c in s where !unique.contains(c) { unique.append(c) }
        if unique.count == s.count { return (t, s) }
        let st = Tensor.strides(for: t.shape)
        let shape = unique.map { c in t.shape[s.firstIndex(of: c)!] }
        let strides = unique.map { c in s.indices.filter { s[$0] == c }.reduce(0) { $0 + st[$1] } }
        let out = try Tensor(uninitializedShape: shape, "einsum")
        let n = out.count
        if n == 0 { return (out, unique) }
        t.withUnsafeBufferPointer { src in
            let r = out.storage.pointer
            var idx = [Int](repeating: 0, count: shape.count), off = 0
            for o in 0..<n {
                r[o] = src[off]
                var d = shape.count - 1
                while d >= 0 {
                    idx[d] += 1; off += strides[d]
                    if idx[d] < shape[d] { break }
                    off -= idx[d] * strides[d]; idx[d] = 0; d -= 1
                }
            }
        }
        return (out, unique)
    }

    /// The term with the letters not in `keeping` summed away.
    static func sumOut(_ t: Tensor, _ s: [Character], keeping: Set<Character>) throws -> (t: Tensor, s: [Character]) {
        var t = t, s = s
        for axis in s.indices.reversed() where !keeping.contains(s[axis]) {
            t = try t.sum(axis: axis)
            s.remove(at: axis)
        }
        return (t, s)
    }

    /// Two terms contracted over their shared letters that are not kept; shared kept letters are a batch.
    static func contract(_ a: Tensor, _ sa: [Character], _ b: Tensor, _ sb: [Character],
                         keep: Set<Character>, sizes: [Character: Int]) throws -> (t: Tensor, s: [Character]) {
        let batch = sa.filter { sb.contains($0) && keep.contains($0) }
        let summed = sa.filter { sb.contains($0) && !keep.contains($0) }
        let aOnly = sa.filter { !sb.contains($0) }, bOnly = sb.filter { !sa.contains($0) }
        func size(_ cs: [Character]) throws -> Int {
            var p = 1
            for c in cs {
                let (r, over) = p.multipliedReportingOverflow(by: sizes[c]!)
                if over { throw OperationError("einsum", "an intermediate product would have more elements than memory holds.") }
                p = r
            }
            return p
        }
        func arranged(_ t: Tensor, _ s: [Character], _ order: [Character], _ shape: [Int]) throws -> Tensor {
            let axes = order.map { s.firstIndex(of: $0)! }
            let p = axes == Array(0..<axes.count) ? t : try t.permute(axes)
            return try p.reshaped(shape)
        }
        let nb = try size(batch), m = try size(aOnly), k = try size(summed), n = try size(bOnly)
        try Tensor.checkShape([nb, m, n], "einsum")
        let x = try arranged(a, sa, batch + aOnly + summed, nb == 1 ? [m, k] : [nb, m, k])
        let y = try arranged(b, sb, batch + summed + bOnly, nb == 1 ? [k, n] : [nb, k, n])
        let r = try Tensor.matmul(x, y)
        let s = batch + aOnly + bOnly
        return (try r.reshaped(s.map { sizes[$0]! }), s)
    }
}

extension Variable {
    /// einsum with gradients: operand i's is the einsum of the output gradient with
    /// the other operands onto i's letters (broadcast over the letters summed in i alone).
    public static func einsum(_ spec: String, _ xs: [Variable]) throws -> Variable {
        let values = xs.map(\.value)
        let sp = try EinsumSpec(spec, shapes: values.map(\.shape))
        let out = try Tensor.einsum(sp, values)
        guard xs.contains(where: \.requiresGrad) else { return Variable(constant: out) }
        for (k, s) in sp.inputs.enumerated() where xs[k].requiresGrad && Set(s).count != s.count {
            throw AutogradError("einsum", "no gradient through a letter repeated within one operand (\"\(EinsumSpec.display(s))\", a diagonal); use diag or trace for that operand.")
        }
        return try make("einsum", out, xs) { g in
            try xs.indices.map { i -> Tensor? in
                guard xs[i].requiresGrad else { return nil }
                let others = xs.indices.filter { $0 != i }
                let mine = sp.inputs[i]
                let present = mine.filter { c in sp.output.contains(c) || others.contains { sp.inputs[$0].contains(c) } }
                let gspec = EinsumSpec(inputs: [sp.output] + others.map { sp.inputs[$0] }, output: present, sizes: sp.sizes)
                let gi = try Tensor.einsum(gspec, [g] + others.map { values[$0] })
                if present.count == mine.count { return gi }
                return try gi.reshaped(mine.map { present.contains($0) ? sp.sizes[$0]! : 1 }).broadcast(to: values[i].shape)
            }
        }
    }
}
