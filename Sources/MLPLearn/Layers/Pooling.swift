// maxpool(k), avgpool(k), upsample(k): Keras's MaxPooling2D, AveragePooling2D (window
// k x k, stride k, "valid": a remainder row or column is dropped) and UpSampling2D
// (nearest neighbour) over channels-last images [batch, height, width, channels].
// Each is one op with its own backward over the raw buffers.
import MLPTensor
import MLPAutograd

/// The pooled shape of x for a k x k window at stride k, or an error naming the layer.
func pooledShape(_ x: Variable, _ k: Int, _ layer: String) throws -> (n: Int, h: Int, w: Int, c: Int, ho: Int, wo: Int) {
    try requireImages(x, layer)
    let s = x.value.shape
    guard s[1] >= k, s[2] >= k else {
        throw LearnError(layer, "the input's images (\(s[1]) x \(s[2])) are smaller than the \(k) x \(k) window; got shape \(Tensor.formatShape(s)).")
    }
    return (s[0], s[1], s[2], s[3], s[1] / k, s[2] / k)
}

func checkWindow(_ k: Int, _ name: String) throws {
    guard k > 0 else { throw LearnError(name, "the window size must be positive, got \(k).") }
}

/// maxpool(k): the largest value of each k x k window, per channel. The gradient goes to
/// the (first) largest element of each window.
public final class MaxPool2D: LayerBase, Layer {
    public let size: Int
    public init(_ size: Int = 2) throws {
        try checkWindow(size, "maxpool")
        self.size = size
    }
    public var kind: String { "maxpool" }
    public var description: String { "maxpool(\(size))" }

    public func forward(_ x: Variable, _ pass: ForwardPass) throws -> Variable {
        let (n, h, w, c, ho, wo) = try pooledShape(x, size, description)
        let k = size
        let xv = x.value
        let out = try Tensor(uninitializedShape: [n, ho, wo, c], "upsample")
        let xp = xv.rawPointer, op = out.rawPointer
        // a pure max in the forward (it vectorises); the backward finds each maximum again
        var o = op
        for b in 0..<n {
            for oy in 0..<ho {
                for ox in 0..<wo {
                    let base = xp + ((b &* h &+ oy &* k) &* w &+ ox &* k) &* c
                    for ch in 0..<c { o[ch] = base[ch] }
                    for i in 0..<k {
                        for j in 0..<k where i != 0 || j != 0 {
                            let src = base + (i &* w &+ j) &* c
                            for ch in 0..<c { let v = src[ch], m = o[ch]; o[ch] = v > m ? v : m }
                        }
                    }
                    o += c
                }
            }
        }
        let y = try Variable.make("maxpool", out, [x]) { g in
            let d = try Tensor.zeros(xv.shape)
            let dp = d.rawPointer, gp = g.rawPointer, op = out.rawPointer, xp = xv.rawPointer
            // per channel, 1 until the window's first maximum has taken the gradient: selects
            // rather than a search whose branches mispredict
            let pending = UnsafeMutablePointer<Double>.allocate(capacity: c)
            defer { pending.deallocate() }
            var o = 0
            for b in 0..<n {
                for oy in 0..<ho {
                    for ox in 0..<wo {
                        let base = ((b &* h &+ oy &* k) &* w &+ ox &* k) &* c
                        pending.update(repeating: 1, count: c)
                        for i in 0..<k {
                            for j in 0..<k {
                                let at = base &+ (i &* w &+ j) &* c
                                for ch in 0..<c {
                                    let p = pending[ch], gv = gp[o &+ ch]
                                    let e = xp[at &+ ch] == op[o &+ ch] ? p : 0
                                    dp[at &+ ch] += e > 0 ? gv : 0   // not e * gv: 0 * inf would be nan
                                    pending[ch] = p - e
                                }
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

/// avgpool(k): the mean of each k x k window, per channel.
public final class AvgPool2D: LayerBase, Layer {
    public let size: Int
    public init(_ size: Int = 2) throws {
        try checkWindow(size, "avgpool")
        self.size = size
    }
    public var kind: String { "avgpool" }
    public var description: String { "avgpool(\(size))" }

    public func forward(_ x: Variable, _ pass: ForwardPass) throws -> Variable {
        let (n, h, w, c, ho, wo) = try pooledShape(x, size, description)
        let k = size, scale = 1 / Double(size * size)
        let out = try Tensor.zeros([n, ho, wo, c])
        let xp = x.value.rawPointer, op = out.rawPointer
        var o = 0
        for b in 0..<n {
            for oy in 0..<ho {
                for ox in 0..<wo {
                    let base = ((b &* h &+ oy &* k) &* w &+ ox &* k) &* c
                    for i in 0..<k {
                        for j in 0..<k {
                            let src = base &+ (i &* w &+ j) &* c
                            for ch in 0..<c { op[o &+ ch] += xp[src &+ ch] }
                        }
                    }
                    for ch in 0..<c { op[o &+ ch] *= scale }
                    o &+= c
                }
            }
        }
        let shape = x.value.shape
        let y = try Variable.make("avgpool", out, [x]) { g in
            let d = try Tensor.zeros(shape)
            let dp = d.rawPointer, gp = g.rawPointer
            var o = 0
            for b in 0..<n {
                for oy in 0..<ho {
                    for ox in 0..<wo {
                        let base = ((b &* h &+ oy &* k) &* w &+ ox &* k) &* c
                        for i in 0..<k {
                            for j in 0..<k {
                                let dst = base &+ (i &* w &+ j) &* c
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
