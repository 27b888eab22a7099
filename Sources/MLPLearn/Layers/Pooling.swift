// maxpool(k), avgpool(k), upsample(k): Keras's MaxPooling2D, AveragePooling2D (window
// k x k, stride k; padding "valid": a remainder row or column is dropped, or "same":
// ceil(size / k) windows, the padding left out of the max or mean) and UpSampling2D
// (nearest neighbour) over channels-last images [batch, height, width, channels].
// Each is one op with its own backward over the raw buffers.
import MLPTensor
import MLPAutograd

/// Where the k x k windows at stride k of a pooling layer fall on an image batch: "valid"
/// drops a remainder row or column; "same" pads to ceil(size / k) windows per axis, the
/// smaller half of the padding before the image (TensorFlow's rule), and the padding is
/// never pooled (a max over the image's elements only, a mean over their count: Keras's).
struct PoolGeometry {
    let n, h, w, c, k, ho, wo, padTop, padLeft: Int

    init(_ x: Variable, _ k: Int, _ padding: Padding, _ layer: String) throws {
        try requireImages(x, layer)
        let s = x.value.shape
        guard let g = PoolGeometry(n: s[0], h: s[1], w: s[2], c: s[3], k: k, padding: padding) else {
            throw LearnError(layer, "the input's images (\(s[1]) x \(s[2])) are smaller than the \(k) x \(k) window; got shape \(Tensor.formatShape(s)).")
        }
        self = g
    }

    /// The k x k windows over an n x h x w x c batch, or nil when "valid" windows do not fit.
    init?(n: Int, h: Int, w: Int, c: Int, k: Int, padding: Padding) {
        (self.n, self.h, self.w, self.c, self.k) = (n, h, w, c, k)
        switch padding {
        case .valid:
            guard h >= k, w >= k else { return nil }
            (ho, wo, padTop, padLeft) = (h / k, w / k, 0, 0)
        case .same:
            ho = (h + k - 1) / k; wo = (w + k - 1) / k
            padTop = (ho * k - h) / 2; padLeft = (wo * k - w) / 2
        }
    }

    /// The window rows (i) and columns (j) of output pixel (oy, ox) that lie on the image.
    @inline(__always)
    func window(_ oy: Int, _ ox: Int) -> (y0: Int, i: Range<Int>, x0: Int, j: Range<Int>) {
        let y0 = oy &* k &- padTop, x0 = ox &* k &- padLeft
        return (y0, Swift.max(0, -y0)..<Swift.min(k, h &- y0), x0, Swift.max(0, -x0)..<Swift.min(k, w &- x0))
    }

    /// The offset of element (b, y, x, 0).
    @inline(__always)
    func at(_ b: Int, _ y: Int, _ x: Int) -> Int { ((b &* h &+ y) &* w &+ x) &* c }
}

func checkWindow(_ k: Int, _ name: String) throws {
    guard k > 0 else { throw LearnError(name, "the window size must be positive, got \(k).") }
}

/// maxpool(k, padding=): the largest value of each k x k window, per channel. The gradient goes to
/// the (first) largest element of each window.
public final class MaxPool2D: LayerBase, Layer {
    public let size: Int
    public let padding: Padding
    public init(_ size: Int = 2, padding: String = "valid") throws {
        try checkWindow(size, "maxpool")
        self.size = size
        self.padding = try parsePadding(padding, "maxpool")
    }
    public var kind: String { "maxpool" }
    public var description: String { padding == .valid ? "maxpool(\(size))" : "maxpool(\(size), padding=\"\(padding.rawValue)\")" }

    public func forward(_ x: Variable, _ pass: ForwardPass) throws -> Variable {
        let g = try PoolGeometry(x, size, padding, description)
        let (n, ho, wo, c) = (g.n, g.ho, g.wo, g.c)
        let xv = x.value
        let out = try Tensor(uninitializedShape: [n, ho, wo, c], "maxpool")
        // where each maximum came from (an offset into x; -1 for a nan maximum, which
        // takes no gradient): the backward is then one pass, not a search of every window
        var from = [Int64](repeating: 0, count: out.count)
        from.withUnsafeMutableBufferPointer { g.maxForward(xv.rawPointer, out.rawPointer, $0.baseAddress!) }
        let y = try Variable.make("maxpool", out, [x]) { gr in
            // the windows do not overlap: where they cover the image, every element of x is
            // written once (the gradient or 0); a dropped remainder row or column starts at 0
            let d = g.coversImage ? try Tensor(uninitializedShape: xv.shape, "maxpool") : try Tensor.zeros(xv.shape)
            from.withUnsafeBufferPointer { g.maxBackward(gr.rawPointer, $0.baseAddress!, d.rawPointer) }
            return [d]
        }
        return finish(y, pass, self, from: x)
    }
}

extension PoolGeometry {
    /// Whether the windows cover every element of the image ("same", or sizes that k divides).
    var coversImage: Bool { ho &* k >= h && wo &* k >= w }

    /// The first maximum of the window (b, y0, ri, x0, rj) for eight channels from ch, where
    /// value(offset) gives the eight values at an element's offset (plus ch): the maxima and
    /// the offsets of the first of each, as masks and blends. A nan first element stays the
    /// maximum (v > m is false); a later nan is passed over.
    @inline(__always)
    func windowMax8(_ b: Int, _ y0: Int, _ ri: Range<Int>, _ x0: Int, _ rj: Range<Int>, _ ch: Int,
                    _ value: (Int) -> SIMD8<Double>) -> (max: SIMD8<Double>, at: SIMD8<Int64>) {
        let lanes = SIMD8<Int64>(0, 1, 2, 3, 4, 5, 6, 7)
        let first = at(b, y0 &+ ri.lowerBound, x0 &+ rj.lowerBound) &+ ch
        var m = value(first), idx = SIMD8<Int64>(repeating: Int64(first)) &+ lanes
        for i in ri {
            for j in rj {
                let src = at(b, y0 &+ i, x0 &+ j) &+ ch
                let v = value(src), up = v .> m
                m.replace(with: v, where: up)
                idx.replace(with: SIMD8<Int64>(repeating: Int64(src)) &+ lanes, where: up)
            }
        }
        return (m, idx)
    }

    /// windowMax8 for one channel ch.
    @inline(__always)
    func windowMax1(_ b: Int, _ y0: Int, _ ri: Range<Int>, _ x0: Int, _ rj: Range<Int>, _ ch: Int,
                    _ value: (Int) -> Double) -> (max: Double, at: Int) {
        var idx = at(b, y0 &+ ri.lowerBound, x0 &+ rj.lowerBound) &+ ch, m = value(idx)
        for i in ri {
            for j in rj {
                let src = at(b, y0 &+ i, x0 &+ j) &+ ch, v = value(src)
                if v > m { m = v; idx = src }
            }
        }
        return (m, idx)
    }

    /// out = the max of each window per channel, and from = the offset in x of its first
    /// maximum (-1 where the maximum is nan: no element equals it, and it takes no gradient).
    func maxForward(_ xp: UnsafePointer<Double>, _ op: UnsafeMutablePointer<Double>, _ from: UnsafeMutablePointer<Int64>) {
        var o = 0
        for b in 0..<n {
            for oy in 0..<ho {
                for ox in 0..<wo {
                    let (y0, ri, x0, rj) = window(oy, ox)
                    var ch = 0
                    while ch &+ 8 <= c {
                        var (m, idx) = windowMax8(b, y0, ri, x0, rj, ch) { load8(xp + $0) }
                        idx.replace(with: -1, where: m .!= m)
                        store8(op + (o &+ ch), m)
                        UnsafeMutableRawPointer(from + (o &+ ch)).storeBytes(of: idx, as: SIMD8<Int64>.self)
                        ch &+= 8
                    }
                    while ch < c {
                        let (m, idx) = windowMax1(b, y0, ri, x0, rj, ch) { xp[$0] }
                        op[o &+ ch] = m; from[o &+ ch] = m.isNaN ? -1 : Int64(idx)
                        ch &+= 1
                    }
                    o &+= c
                }
            }
        }
    }

    /// d (the shape of x) gets each output gradient at its maximum's offset: every element
    /// of each window written once (the gradient or 0), so d needs no zeroing where the
    /// windows cover the image.
    func maxBackward(_ gp: UnsafePointer<Double>, _ from: UnsafePointer<Int64>, _ dp: UnsafeMutablePointer<Double>) {
        let lanes = SIMD8<Int64>(0, 1, 2, 3, 4, 5, 6, 7), zero = SIMD8<Double>()
        var o = 0
        for b in 0..<n {
            for oy in 0..<ho {
                for ox in 0..<wo {
                    let (y0, ri, x0, rj) = window(oy, ox)
                    var ch = 0
                    while ch &+ 8 <= c {
                        let g = load8(gp + (o &+ ch))
                        let idx = UnsafeRawPointer(from + (o &+ ch)).loadUnaligned(as: SIMD8<Int64>.self)
                        for i in ri {
                            for j in rj {
                                let dst = at(b, y0 &+ i, x0 &+ j) &+ ch
                                store8(dp + dst, zero.replacing(with: g, where: idx .== SIMD8<Int64>(repeating: Int64(dst)) &+ lanes))
                            }
                        }
                        ch &+= 8
                    }
                    while ch < c {
                        for i in ri {
                            for j in rj {
                                let dst = at(b, y0 &+ i, x0 &+ j) &+ ch
                                dp[dst] = from[o &+ ch] == Int64(dst) ? gp[o &+ ch] : 0
                            }
                        }
                        ch &+= 1
                    }
                    o &+= c
                }
            }
        }
    }
}

/// avgpool(k, padding=): the mean of each k x k window, per channel (with "same", over the
/// window's elements on the image).
public final class AvgPool2D: LayerBase, Layer {
    public let size: Int
    public let padding: Padding
    public init(_ size: Int = 2, padding: String = "valid") throws {
        try checkWindow(size, "avgpool")
        self.size = size
        self.padding = try parsePadding(padding, "avgpool")
    }
    public var kind: String { "avgpool" }
    public var description: String { padding == .valid ? "avgpool(\(size))" : "avgpool(\(size), padding=\"\(padding.rawValue)\")" }

    public func forward(_ x: Variable, _ pass: ForwardPass) throws -> Variable {
        let g = try PoolGeometry(x, size, padding, description)
        let (n, ho, wo, c) = (g.n, g.ho, g.wo, g.c)
        let out = try Tensor.zeros([n, ho, wo, c])
        let xp = x.value.rawPointer, op = out.rawPointer
        var o = 0
        for b in 0..<n {
            for oy in 0..<ho {
                for ox in 0..<wo {
                    let (y0, ri, x0, rj) = g.window(oy, ox)
                    for i in ri {
                        for j in rj {
                            let src = g.at(b, y0 &+ i, x0 &+ j)
                            for ch in 0..<c { op[o &+ ch] += xp[src &+ ch] }
                        }
                    }
                    let scale = 1 / Double(ri.count * rj.count)
                    for ch in 0..<c { op[o &+ ch] *= scale }
                    o &+= c
                }
            }
        }
        let shape = x.value.shape
        let y = try Variable.make("avgpool", out, [x]) { gr in
            let d = try Tensor.zeros(shape)
            let dp = d.rawPointer, gp = gr.rawPointer
            var o = 0
            for b in 0..<n {
                for oy in 0..<ho {
                    for ox in 0..<wo {
                        let (y0, ri, x0, rj) = g.window(oy, ox)
                        let scale = 1 / Double(ri.count * rj.count)
                        for i in ri {
                            for j in rj {
                                let dst = g.at(b, y0 &+ i, x0 &+ j)
                                for ch in 0..<c { dp[dst &+ ch] += gp[o &+ ch] * scale }
                            }
                        }
                        o &+= c
                    }
                }
            }
            return [d]
        }
        return finish(y, pass, self, from: x)
    }
}

/// upsample(k): each pixel repeated k x k times (nearest neighbour), so [n, h, w, c] -> [n, k h, k w, c].
public final class UpSample2D: LayerBase, Layer {
    public let size: Int
    public init(_ size: Int = 2) throws {
        try checkWindow(size, "upsample")
        self.size = size
    }
    public var kind: String { "upsample" }
    public var description: String { "upsample(\(size))" }

    public func forward(_ x: Variable, _ pass: ForwardPass) throws -> Variable {
        try requireImages(x, description)
        let s = x.value.shape
        let (n, h, w, c) = (s[0], s[1], s[2], s[3]), k = size
        let (ho, oh) = h.multipliedReportingOverflow(by: k), (wo, ow) = w.multipliedReportingOverflow(by: k)
        guard !oh, !ow else { throw LearnError("upsample", "\(description) of an input \(h) x \(w) is too large.") }
        let out = try Tensor(uninitializedShape: [n, ho, wo, c], "upsample")
        let xp = x.value.rawPointer, op = out.rawPointer
        var o = 0
        for b in 0..<n {
            for oy in 0..<ho {
                let row = xp + (b &* h &+ oy / k) &* w &* c
                for ox in 0..<wo {
                    (op + o).update(from: row + (ox / k) &* c, count: c)
                    o &+= c
                }
            }
        }
        let y = try Variable.make("upsample", out, [x]) { g in
            let d = try Tensor.zeros(s)
            let dp = d.rawPointer, gp = g.rawPointer
            var o = 0
            for b in 0..<n {
                for oy in 0..<ho {
                    let row = dp + (b &* h &+ oy / k) &* w &* c
                    for ox in 0..<wo {
                        let dst = row + (ox / k) &* c
                        for ch in 0..<c { dst[ch] += gp[o &+ ch] }
                        o &+= c
                    }
                }
            }
            return [d]
        }
        return finish(y, pass, self, from: x)
    }
}
