#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Tensor {
    /// The mlp number format: integral values below 1e15 in magnitude print
    /// without a decimal point; other values as Python's repr (shortest round trip).
    public static func formatNumber(_ x: Double) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x < 0 ? "-inf" : "inf" }
        if x == x.rounded() {
            let a = Swift.abs(x)
            if a < 1e15 { return String(Int64(x)) }
            if a < 1e16 { return String(Int64(x)) + ".0" }
        }
        return x.description
    }

    /// An element inside a printed tensor: as `formatNumber`, but at most 8 digits
    /// after the point (NumPy's default precision), or 8 in the mantissa in
    /// scientific notation, which the whole tensor uses when a non-integral element
    /// is below 1e-4 or at least 1e8 in magnitude (as NumPy does).
    static func formatElement(_ x: Double, scientific: Bool) -> String {
        if !x.isFinite || (x == x.rounded() && Swift.abs(x) < 1e15) { return formatNumber(x) }
        if scientific {
            var t = cFormat8("%.8e", x)
            // 1.50000000e-05 -> 1.5e-05
            if let e = t.firstIndex(of: "e") {
                var mantissa = String(t[..<e])
                while mantissa.hasSuffix("0") { mantissa.removeLast() }
                if mantissa.hasSuffix(".") { mantissa.removeLast() }
                t = mantissa + t[e...]
            }
            return t
        }
        var t = cFormat8("%.8f", x)
        while t.hasSuffix("0") { t.removeLast() }
        if t.hasSuffix(".") { t.removeLast() }
        return t == "-0" ? "0" : t
    }

    static func cFormat8(_ format: String, _ x: Double) -> String {
        var buf = [CChar](repeating: 0, count: 64)
        _ = withVaList([x]) { vsnprintf(&buf, buf.count, format, $0) }
        return buf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String { description(prefix: "tensor(") }

    /// NumPy-style text: `tensor([[1, 2],\n        [3, 4]])`. Tensors with more than
    /// 1000 elements show 3 items at each edge of every axis and a `shape` line.
    public func description(prefix: String = "tensor(", lineWidth: Int = 75) -> String {
        let p = storage.pointer
        if ndim == 0 {
            let a = Swift.abs(p[0])
            return prefix + Tensor.formatElement(p[0], scientific: a != 0 && (a < 1e-4 || a >= 1e8)) + ")"
        }
        if count == 0 {
            return prefix + "[]" + ")" + (ndim > 1 ? "\nshape \(shapeString(shape))" : "")
        }
        return Tensor.arrayText(shape: shape, prefix: prefix, lineWidth: lineWidth) { offsets in
            // format the displayed elements and find the column layout
            var scientific = false
            for at in offsets {
                let x = p[at], a = Swift.abs(x)
                if x.isFinite && x != x.rounded() && (a < 1e-4 || a >= 1e8) { scientific = true }
            }
            var texts: [Int: String] = [:]
            for at in offsets { texts[at] = Tensor.formatElement(p[at], scientific: scientific) }
            let decimal = texts.values.contains { $0.contains(".") } && !texts.values.contains { $0.contains("e") }
            func nonFinite(_ t: String) -> Bool { t == "nan" || t == "inf" || t == "-inf" }
            var leftW = 0, rightW = 0, width = 0, special = 0
            for t in texts.values {
                width = Swift.max(width, t.count)
                if decimal {
                    if nonFinite(t) { special = Swift.max(special, t.count); continue }
                    let dot = t.firstIndex(of: ".")
                    let l = dot.map { t.distance(from: t.startIndex, to: $0) } ?? t.count
                    leftW = Swift.max(leftW, l); rightW = Swift.max(rightW, t.count - l)
                }
            }
            if decimal { leftW += Swift.max(0, special - leftW - rightW) }
            return { at in
                let t = texts[at]!
                if decimal && nonFinite(t) { return String(repeating: " ", count: leftW + rightW - t.count) + t }
                if decimal {
                    let dot = t.firstIndex(of: ".")
                    let l = dot.map { t.distance(from: t.startIndex, to: $0) } ?? t.count
                    return String(repeating: " ", count: leftW - l) + t + String(repeating: " ", count: rightW - (t.count - l))
                }
                return String(repeating: " ", count: width - t.count) + t
            }
        }
    }

    /// The bracketed text of an array of `shape` (count > 0, ndim > 0) as NumPy
    /// lays it out: `format` gets the row-major positions of the elements shown and
    /// returns each one's padded text. Tensors with more than 1000 elements show 3
    /// items at each edge of every axis and a `shape` line.
    static func arrayText(shape: [Int], prefix: String, lineWidth: Int, format: ([Int]) -> (Int) -> String) -> String {
        let ndim = shape.count, count = shape.reduce(1, *)
        let summarize = count > 1000
        let edge = 3
        // The items shown of an axis of length n: all, or `edge` at each end around a "..." (nil).
        func cut(_ n: Int) -> Bool { summarize && n > 2 * edge }
        func shownCount(_ n: Int) -> Int { cut(n) ? 2 * edge + 1 : n }
        func shown(_ n: Int, _ k: Int) -> Int? { !cut(n) || k < edge ? k : k == edge ? nil : n - 2 * edge - 1 + k }
        let st = Tensor.strides(for: shape)
        // Visits the shown items in order without recursion (a tensor may have millions of
        // axes): `enter(axis)` opens an axis, `item(axis, k, index, offset)` comes before its
        // k-th item (index nil for "..."; offset is the element's on the last axis), `leave(axis)`
        // closes it.
        func walk(enter: (Int) -> Void = { _ in }, item: (Int, Int, Int?, Int) -> Void, leave: (Int) -> Void = { _ in }) {
            var k = [Int](repeating: 0, count: ndim), off = [Int](repeating: 0, count: ndim)
            var axis = 0
            enter(0)
            while axis >= 0 {
                if k[axis] == shownCount(shape[axis]) {
                    leave(axis)
                    axis -= 1
                    if axis >= 0 { k[axis] += 1 }
                    continue
                }
                let i = shown(shape[axis], k[axis]), at = off[axis] + (i ?? 0) * st[axis]
                item(axis, k[axis], i, at)
                if i != nil && axis < ndim - 1 {
                    axis += 1; k[axis] = 0; off[axis] = at
                    enter(axis)
                } else { k[axis] += 1 }
            }
        }
        var offsets: [Int] = []
        walk(item: { axis, _, i, at in if i != nil && axis == ndim - 1 { offsets.append(at) } })
        let pad = format(offsets)
        // One string appended to, a separator or indent made only where one is printed:
        // linear in the text, however many axes.
        let base = prefix.count, last = ndim - 1
        var s = prefix, col = 0
        walk(enter: { axis in
            s += "["
            col = base + axis + 1
        }, item: { axis, k, i, at in
            let indent = base + axis + 1
            if axis < last {
                if k > 0 { s += "," + String(repeating: "\n", count: last - axis) + String(repeating: " ", count: indent) }
                if i == nil { s += "..." }
                return
            }
            let n = shownCount(shape[axis]), isLast = k == n - 1
            let piece = (i == nil ? "..." : pad(at)) + (isLast ? "" : ",")
            // closing brackets count against the width on the last item
            let extra = isLast ? axis + 2 : 0
            if k > 0 {
                if col + 1 + piece.count + extra > lineWidth {
                    s += "\n" + String(repeating: " ", count: indent); col = indent
                } else { s += " "; col += 1 }
            }
            s += piece; col += piece.count
        }, leave: { _ in s += "]" })
        s += ")"
        if summarize { s += "\nshape \(shapeString(shape))" }
        return s
    }
}
