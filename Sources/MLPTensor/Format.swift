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
        let summarize = count > 1000
        let edge = 3
        func items(_ n: Int) -> [Int?] {
            if summarize && n > 2 * edge { return Array(0..<edge) + [nil] + Array((n - edge)..<n) }
            return Array(0..<n)
        }
        // format the displayed elements and find the column layout
        let st = strides
        var texts: [Int: String] = [:]
        func collect(_ axis: Int, _ off: Int) {
            if axis == ndim { texts[off] = Tensor.formatElement(p[off], scientific: scientific); return }
            for i in items(shape[axis]) { if let i { collect(axis + 1, off + i * st[axis]) } }
        }
        var scientific = false
        func scan(_ axis: Int, _ off: Int) {
            if axis == ndim {
                let x = p[off], a = Swift.abs(x)
                if x.isFinite && x != x.rounded() && (a < 1e-4 || a >= 1e8) { scientific = true }
                return
            }
            for i in items(shape[axis]) { if let i { scan(axis + 1, off + i * st[axis]) } }
        }
        scan(0, 0)
        collect(0, 0)
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
        func pad(_ t: String) -> String {
            if decimal && nonFinite(t) { return String(repeating: " ", count: leftW + rightW - t.count) + t }
            if decimal {
                let dot = t.firstIndex(of: ".")
                let l = dot.map { t.distance(from: t.startIndex, to: $0) } ?? t.count
                return String(repeating: " ", count: leftW - l) + t + String(repeating: " ", count: rightW - (t.count - l))
            }
            return String(repeating: " ", count: width - t.count) + t
        }
        let base = prefix.count
        func rec(_ axis: Int, _ off: Int) -> String {
            let indent = String(repeating: " ", count: base + axis + 1)
            let its = items(shape[axis])
            if axis == ndim - 1 {
                var out = "["
                var col = base + axis + 1
                for (k, i) in its.enumerated() {
                    let w = i.map { pad(texts[off + $0 * st[axis]]!) } ?? "..."
                    let isLast = k == its.count - 1
                    let piece = w + (isLast ? "" : ",")
                    // closing brackets count against the width on the last item
                    let extra = isLast ? axis + 2 : 0
                    if k > 0 {
                        if col + 1 + piece.count + extra > lineWidth {
                            out += "\n" + indent; col = indent.count
                        } else { out += " "; col += 1 }
                    }
                    out += piece; col += piece.count
                }
                return out + "]"
            }
            let sep = "," + String(repeating: "\n", count: ndim - axis - 1) + indent
            return "[" + its.map { i in i.map { rec(axis + 1, off + $0 * st[axis]) } ?? "..." }.joined(separator: sep) + "]"
        }
        var s = prefix + rec(0, 0) + ")"
        if summarize { s += "\nshape \(shapeString(shape))" }
        return s
    }
}
