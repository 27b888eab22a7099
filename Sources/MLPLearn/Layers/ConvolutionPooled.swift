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
    let f = kernel.value.shape[3], patch = geo.patch, wo = geo.wo
    let xv = x.value
    let pooledPerImage = pool.ho &* pool.wo &* f
    let out = try Tensor(uninitializedShape: [geo.n, pool.ho, pool.wo, f], "conv2d")
    let maxRows = blocks.lines &* wo
    let kf = kernel.value.scalars.map { Float($0) }
    let biasValues = bias?.value.scalars ?? [Double](repeating: 0, count: f)
    let threads = geo.rows &* patch &* f >= convSingleThreadWork &* 2 ? BLASThreads.count : 1
    // each pooled value's maximum: its offset in the block's [rows, f] product
    var from = [Int32](repeating: 0, count: out.count)
    kf.withUnsafeBufferPointer { kb in
        biasValues.withUnsafeBufferPointer { bb in
            from.withUnsafeMutableBufferPointer { fb in
                let kp = kb.baseAddress!, bp = bb.baseAddress!, fp = fb.baseAddress!
                let xp = UnsafePointer(xv.rawPointer), op = out.rawPointer
                blocks.onThreads(threads) { b0, b1 in
                    let cols = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(maxRows &* patch, 1))
                    let part = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(maxRows &* f, 1))
                    defer { cols.deallocate(); part.deallocate() }
                    for b in b0..<b1 {
                        let (line, count) = blocks.block(b)
                        geo.im2col(xp, cols, rows: line, count: count)
                        Float.blas(false, false, count &* wo, f, patch, cols, patch, kp, f, part, f, accumulate: false)
                        let first = line / geo.ho, images = count / geo.ho
                        pool.maxOfProduct(part, bias: bp, relu: relu, images: images,
                                          op + first &* pooledPerImage, fp + first &* pooledPerImage)
                    }
                }
            }
        }
    }
    withExtendedLifetime(xv) {}
    let needX = x.requiresGrad, needK = kernel.requiresGrad, needB = bias?.requiresGrad ?? false
    let kshape = kernel.value.shape, xshape = xv.shape
    let inputs = bias.map { [x, kernel, $0] } ?? [x, kernel]
    return try Variable.make(relu ? "conv2d+relu+maxpool" : "conv2d+maxpool", out, inputs) { g in
        let gx = needX ? try Tensor.zeros(xshape) : nil
        var gkParts = [Float](repeating: 0, count: needK ? blocks.count &* patch &* f : 0)
        var gbParts = [Double](repeating: 0, count: needB ? blocks.count &* f : 0)
        let gxp = gx?.rawPointer
        kf.withUnsafeBufferPointer { kb in
            gkParts.withUnsafeMutableBufferPointer { gkb in
                gbParts.withUnsafeMutableBufferPointer { gbb in
                    from.withUnsafeBufferPointer { fb in
                        // (an empty array's buffer may have an address: the flags decide)
                        let kp = kb.baseAddress!, gkp = needK ? gkb.baseAddress : nil, gbp = needB ? gbb.baseAddress : nil
                        let fp = fb.baseAddress!, xp = UnsafePointer(xv.rawPointer)
                        let gp = UnsafePointer(g.rawPointer), op = UnsafePointer(out.rawPointer)
                        blocks.onThreads(threads) { b0, b1 in
                            let gm = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(maxRows &* f, 1))
                            let cols = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(maxRows &* patch, 1))
                            defer { gm.deallocate(); cols.deallocate() }
                            for b in b0..<b1 {
                                let (line, count) = blocks.block(b)
                                let m = count &* wo, first = line / geo.ho, at = first &* pooledPerImage
                                gm.update(repeating: 0, count: m &* f)
                                PoolGeometry.scatterMaxima(gp + at, op + at, fp + at, pixels: (count / geo.ho) &* pool.ho &* pool.wo,
                                                           channels: f, relu: relu, gm, biasGrad: gbp.map { $0 + b &* f })
                                if let gkp {
                                    geo.im2col(xp, cols, rows: line, count: count)
                                    Float.blas(true, false, patch, f, m, cols, patch, gm, f, gkp + b &* patch &* f, f, accumulate: false)
                                }
                                if let gxp {
                                    Float.blas(false, true, m, patch, f, gm, f, kp, f, cols, patch, accumulate: false)
                                    geo.col2im(UnsafePointer(cols), gxp, rows: line, count: count)
                                }
                            }
                        }
                    }
                }
            }
        }
        withExtendedLifetime((xv, g, out)) {}
        return try convGradients(gx, gkParts, gbParts, blocks: blocks.count, kshape, f, needK: needK, needB: needB, hasBias: bias != nil)
    }
}

extension PoolGeometry {
    /// Max pooling of `images` images of a block's product part ([images * h * w, c] Float,
    /// row-major: this geometry's h, w, c) after the bias and relu (as the layers apart
    /// compute them: Double(part) + bias, then relu, then the first maximum of each window);
    /// out gets the pooled values, from their maxima's offsets in part (for a nan maximum,
    /// which takes no gradient, the window's first). Eight channels at a time as masks and blends.
    func maxOfProduct(_ part: UnsafePointer<Float>, bias: UnsafePointer<Double>, relu: Bool, images: Int,
                      _ out: UnsafeMutablePointer<Double>, _ from: UnsafeMutablePointer<Int32>) {
        let lanes = SIMD8<Int64>(0, 1, 2, 3, 4, 5, 6, 7), zero = SIMD8<Double>()
        @inline(__always) func value(_ src: Int, _ b8: SIMD8<Double>) -> SIMD8<Double> {
            let v = SIMD8<Double>(UnsafeRawPointer(part + src).loadUnaligned(as: SIMD8<Float>.self)) + b8
            return relu ? v.replacing(with: zero, where: v .< 0) : v   // nan stays nan, as relu()
        }
        @inline(__always) func scalar(_ src: Int, _ ch: Int) -> Double {
            let v = Double(part[src]) + bias[ch]
            return relu && v < 0 ? 0 : v
        }
        var o = 0
        for b in 0..<images {
            for oy in 0..<ho {
                for ox in 0..<wo {
                    let (y0, ri, x0, rj) = window(oy, ox)
                    let first = at(b, y0 &+ ri.lowerBound, x0 &+ rj.lowerBound)
                    var ch = 0
                    while ch &+ 8 <= c {
                        let b8 = load8(bias + ch)
                        var m = value(first &+ ch, b8)
                        var idx = SIMD8<Int64>(repeating: Int64(first &+ ch)) &+ lanes
                        for i in ri {
                            for j in rj {
                                let src = at(b, y0 &+ i, x0 &+ j) &+ ch
                                let v = value(src, b8), up = v .> m
                                m.replace(with: v, where: up)
                                idx.replace(with: SIMD8<Int64>(repeating: Int64(src)) &+ lanes, where: up)
                            }
                        }
                        store8(out + (o &+ ch), m)
                        UnsafeMutableRawPointer(from + (o &+ ch)).storeBytes(of: SIMD8<Int32>(truncatingIfNeeded: idx), as: SIMD8<Int32>.self)
                        ch &+= 8
                    }
                    while ch < c {
                        var m = scalar(first &+ ch, ch), idx = first &+ ch
                        for i in ri {
                            for j in rj {
                                let src = at(b, y0 &+ i, x0 &+ j) &+ ch, v = scalar(src, ch)
                                if v > m { m = v; idx = src }
                            }
                        }
                        out[o &+ ch] = m; from[o &+ ch] = Int32(truncatingIfNeeded: idx)
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
    /// first element is: no other window's), so there is no branch on the data.
    static func scatterMaxima(_ g: UnsafePointer<Double>, _ out: UnsafePointer<Double>, _ from: UnsafePointer<Int32>,
                              pixels: Int, channels c: Int, relu: Bool,
                              _ gm: UnsafeMutablePointer<Float>, biasGrad: UnsafeMutablePointer<Double>?) {
        let zero = SIMD8<Double>()
        var ch = 0
        while ch &+ 8 <= c {
            var acc = SIMD8<Double>()
            for p in 0..<pixels {
                let e = p &* c &+ ch
                let ov = load8(out + e)
                let pass = relu ? ov .> 0 : ov .== ov
                let v = zero.replacing(with: load8(g + e), where: pass)
                acc += v
                let idx = UnsafeRawPointer(from + e).loadUnaligned(as: SIMD8<Int32>.self), f = SIMD8<Float>(v)
                for l in 0..<8 { gm[Int(idx[l])] = f[l] }
            }
            if let biasGrad { store8(biasGrad + ch, load8(biasGrad + ch) + acc) }
            ch &+= 8
        }
        while ch < c {
            var acc = 0.0
            for p in 0..<pixels {
                let e = p &* c &+ ch, ov = out[e]
                let v = (relu ? ov > 0 : ov == ov) ? g[e] : 0
                acc += v
                gm[Int(from[e])] = Float(v)
            }
            biasGrad?[ch] += acc
            ch &+= 1
        }
    }
}

/// The kernel and bias gradients from their per-block parts (added in block order), with gx:
/// the pullback's result for inputs [x, kernel(, bias)].
func convGradients(_ gx: Tensor?, _ gkParts: [Float], _ gbParts: [Double], blocks: Int, _ kshape: [Int], _ f: Int,
                   needK: Bool, needB: Bool, hasBias: Bool) throws -> [Tensor?] {
    var gk: Tensor? = nil, gb: Tensor? = nil
    if needK {
        let t = try Tensor.zeros(kshape), d = t.rawPointer, size = t.count
        for b in 0..<blocks { let s = b &* size; for e in 0..<size { d[e] += Double(gkParts[s &+ e]) } }
        gk = t
    }
    if needB {
        let t = try Tensor.zeros([f]), d = t.rawPointer
        for b in 0..<blocks { for j in 0..<f { d[j] += gbParts[b &* f &+ j] } }
        gb = t
    }
    return hasBias ? [gx, gk, gb] : [gx, gk]
}
