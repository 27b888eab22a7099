// conv2d(..., relu, precision="float32") >> maxpool(k) as one op (the chain fuses the
// pair: Sequential.forward): each block's convolution is pooled while it is in the
// cache, so the full-size convolution output and its gradient are never written (the
// W5 net's first one is 3 MB of doubles, written, read by the pool, its gradient
// written by the pool's backward and read by the convolution's). The backward puts
// each pooled gradient at its window's maximum in the block's Float gradient and
// runs the block's two products from there. The values are those of the two layers
// run apart (relu first, then the first maximum of each window; a nan maximum takes
// no gradient), the bias gradient up to the order of its sum (ConvSingleTests).
import MLPTensor
import MLPAutograd

/// The fused float32 convolution (relu when `relu`) and max pooling `pool` (over the
/// convolution's output). The blocks must hold whole images (`blocks.images > 0`).
func conv2dPoolSingleOp(_ x: Variable, _ kernel: Variable, _ bias: Variable?, _ geo: WindowGeometry,
                        _ pool: PoolGeometry, _ blocks: ConvBlocks, relu: Bool) throws -> Variable {
    let f = kernel.value.shape[3], ho = geo.ho
    let pooledPerImage = pool.ho &* pool.wo &* f
    let out = try Tensor(uninitializedShape: [geo.n, pool.ho, pool.wo, f], "conv2d")
    let conv = SingleConv(geo, blocks, kernel: kernel.value, bias: bias?.value)
    // each pooled value's maximum: its offset in the block's [rows, f] product
    var from = [Int32](repeating: 0, count: out.count)
    from.withUnsafeMutableBufferPointer { fb in
        let fp = fb.baseAddress!, op = out.rawPointer
        conv.forward(x.value) { line, count, part, bias in
            let at = line / ho &* pooledPerImage
            pool.maxOfProduct(part, bias: bias, relu: relu, images: count / ho, op + at, fp + at)
        }
    }
    let needX = x.requiresGrad, needK = kernel.requiresGrad, needB = bias?.requiresGrad ?? false
    let xv = x.value, kshape = kernel.value.shape
    let inputs = bias.map { [x, kernel, $0] } ?? [x, kernel]
    return try Variable.make(relu ? "conv2d+relu+maxpool" : "conv2d+maxpool", out, inputs) { g in
        let gp = UnsafePointer(g.rawPointer), op = UnsafePointer(out.rawPointer)
        var grads = try from.withUnsafeBufferPointer { fb in
            let fp = fb.baseAddress!
            return try conv.backward(xv, needX: needX, needK: needK, needB: needB, hasBias: bias != nil) { _, line, count, gm, gb in
                let at = line / ho &* pooledPerImage
                gm.update(repeating: 0, count: count &* geo.wo &* f)
                PoolGeometry.scatterMaxima(gp + at, op + at, fp + at, pixels: count / ho &* pool.ho &* pool.wo,
                                           channels: f, relu: relu, gm, biasGrad: gb)
            }
        }
        withExtendedLifetime((g, out)) {}
        grads[1] = try grads[1]?.reshaped(kshape)
        return grads
    }
}

extension PoolGeometry {
    /// Max pooling of `images` images of a block's product part ([images * h * w, c] Float,
    /// row-major: this geometry's h, w, c) after the bias and relu (as the layers apart
    /// compute them: Double(part) + bias, then relu, then the first maximum of each window);
    /// out gets the pooled values, from their maxima's offsets in part (for a nan maximum,
    /// which takes no gradient, the window's first). Eight channels at a time as masks and blends.
    /// out: Double, or Float in a native float32 step (the values computed in Double, then rounded).
    func maxOfProduct<O: RecurrentScalar>(_ part: UnsafePointer<Float>, bias: UnsafePointer<Double>, relu: Bool, images: Int,
                                          _ out: UnsafeMutablePointer<O>, _ from: UnsafeMutablePointer<Int32>) {
        let zero = SIMD8<Double>()
        @inline(__always) func value(_ src: Int, _ b8: SIMD8<Double>) -> SIMD8<Double> {
            let v = SIMD8<Double>(UnsafeRawPointer(part + src).loadUnaligned(as: SIMD8<Float>.self)) + b8
            return relu ? v.replacing(with: zero, where: v .< 0) : v   // nan stays nan, as relu()
        }
        var o = 0
        for b in 0..<images {
            for oy in 0..<ho {
                for ox in 0..<wo {
                    let (y0, ri, x0, rj) = window(oy, ox)
                    var ch = 0
                    while ch &+ 8 <= c {
                        let b8 = load8(bias + ch)
                        let (m, idx) = windowMax8(b, y0, ri, x0, rj, ch) { value($0, b8) }
                        O.store8Double(out + (o &+ ch), m)
                        UnsafeMutableRawPointer(from + (o &+ ch)).storeBytes(of: SIMD8<Int32>(truncatingIfNeeded: idx), as: SIMD8<Int32>.self)
                        ch &+= 8
                    }
                    while ch < c {
                        let bc = bias[ch]
                        let (m, idx) = windowMax1(b, y0, ri, x0, rj, ch) { src in
                            let v = Double(part[src]) + bc
                            return relu && v < 0 ? 0 : v
                        }
                        out[o &+ ch] = O(m); from[o &+ ch] = Int32(truncatingIfNeeded: idx)
                        ch &+= 1
                    }
                    o &+= c
                }
            }
        }
    }

    /// The backward of maxOfProduct for `pixels` pooled pixels: gm (zeroed, the block's [rows, c]
    /// product gradient) gets each pooled gradient g at its maximum where the pooled value passed
    /// (positive after relu, else not nan), and biasGrad the sum of what passed per channel.
    /// Every lane is stored (a lane that does not pass stores 0 where its window's maximum or
    /// first element is: no other window's), so there is no branch on the data. g and out:
    /// Double, or Float in a native float32 step.
    static func scatterMaxima<O: RecurrentScalar>(_ g: UnsafePointer<O>, _ out: UnsafePointer<O>, _ from: UnsafePointer<Int32>,
                                                  pixels: Int, channels c: Int, relu: Bool,
                                                  _ gm: UnsafeMutablePointer<Float>, biasGrad: UnsafeMutablePointer<Double>?) {
        let zero = SIMD8<Double>()
        var ch = 0
        while ch &+ 8 <= c {
            var acc = SIMD8<Double>()
            for p in 0..<pixels {
                let e = p &* c &+ ch
                let ov = O.load8Double(out + e)
                let pass = relu ? ov .> 0 : ov .== ov
                let v = zero.replacing(with: O.load8Double(g + e), where: pass)
                acc += v
                let idx = UnsafeRawPointer(from + e).loadUnaligned(as: SIMD8<Int32>.self), f = SIMD8<Float>(v)
                for l in 0..<8 { gm[Int(idx[l])] = f[l] }
            }
            if let biasGrad { store8(biasGrad + ch, load8(biasGrad + ch) + acc) }
            ch &+= 8
        }
        while ch < c {
            var acc: O = 0
            for p in 0..<pixels {
                let e = p &* c &+ ch, ov = out[e]
                let v = (relu ? ov > 0 : ov == ov) ? g[e] : 0
                acc += v
                gm[Int(from[e])] = Float(v.double)
            }
            biasGrad?[ch] += acc.double
            ch &+= 1
        }
    }
}
