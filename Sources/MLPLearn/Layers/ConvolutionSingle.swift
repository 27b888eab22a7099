// conv2d(..., precision="float32"): the convolution computed in single precision, as
// PyTorch and Keras compute by default. In the graph the input, the output and the
// weights stay float64 tensors (a CNN of float32 layers trains natively instead,
// SingleConvTraining.swift, with these blocks and kernels on float activations); the conversions ride on passes the op makes anyway (im2col reads
// Double and writes Float patches, the bias + relu pass writes the Double output, the
// relu mask pass writes the Float output gradient, col2im adds Float into Double).
// Half the bytes of the float64 path and sgemm's twice wider lanes.
//
// The work is split into blocks of output lines fixed by the geometry alone (whole
// images when an image's patches fit the block budget, else runs of lines of one
// image), and the blocks over the product threads (BLASThreads) by whole images, so
// that col2im of two threads never meets on an image. Each block's kernel-gradient
// product has its own buffer, and the blocks' parts are added in block order: the
// results are the same bits whatever the number of threads.
import MLPTensor
import MLPAutograd
import CBLAS

/// The blocks of a blocked convolution over n images of ho output lines (wo pixels each).
struct ConvBlocks {
    /// Lines per block; images per block (0 when a block is part of one image).
    let lines, images: Int
    /// Blocks per image (when images == 0), blocks in all, units handed to threads
    /// (whole-image blocks, or images), blocks per unit.
    let perImage, count, units, unitBlocks: Int
    let ho: Int

    /// The blocks of `n` images (the geometry's batch, or a part of it from its first image on).
    init(_ geo: WindowGeometry, budget: Int, images n: Int? = nil) {
        let n = n ?? geo.n
        let imageElements = Swift.max(geo.ho &* geo.wo &* geo.patch, 1)
        ho = geo.ho
        if imageElements <= budget || geo.ho <= 1 {
            images = Swift.max(1, Swift.min(n, budget / imageElements))
            lines = images &* geo.ho
            perImage = 0
            count = (n &+ images &- 1) / images
            units = count; unitBlocks = 1
        } else {
            images = 0
            lines = Swift.max(1, Swift.min(geo.ho, budget / Swift.max(geo.wo &* geo.patch, 1)))
            perImage = (geo.ho &+ lines &- 1) / lines
            count = n &* perImage
            units = n; unitBlocks = perImage
        }
        totalLines = n &* geo.ho
    }
    let totalLines: Int

    /// Block b's first output line and its number of lines.
    @inline(__always)
    func block(_ b: Int) -> (first: Int, count: Int) {
        if images > 0 {
            let first = b &* lines
            return (first, Swift.min(lines, totalLines &- first))
        }
        let image = b / perImage, j = b &- image &* perImage
        return (image &* ho &+ j &* lines, Swift.min(lines, ho &- j &* lines))
    }

    /// Runs body(firstBlock, endBlock) on up to `threads` threads, on whole units.
    func onThreads(_ threads: Int, _ body: (Int, Int) -> Void) {
        let parts = Swift.max(1, Swift.min(threads, units))
        MLPTensor.onThreads(parts) { p in
            body(units &* p / parts &* unitBlocks, units &* (p &+ 1) / parts &* unitBlocks)
        }
    }
}

/// Patch elements per float32 block: 128 KiB of patches (the L2 cache holds a block's
/// patches, its products and the kernel). A variable so that tests can force small blocks.
nonisolated(unsafe) var convSingleBlockElements = 32768

/// Blocks of fewer multiply-adds than this stay on the calling thread.
let convSingleThreadWork = 1 << 18

/// What a float32 convolution op computes with, kept from its forward for its backward:
/// the blocks, the kernel as a Float [patch, f] matrix (its layout [kh, kw, c, f] is that
/// matrix), the bias, and the threads.
struct SingleConv {
    let geo: WindowGeometry
    let blocks: ConvBlocks
    let f: Int
    let threads: Int
    let kernel: [Float]
    let bias: [Double]

    init(_ geo: WindowGeometry, _ blocks: ConvBlocks, kernel: Tensor, bias: Tensor?) {
        self.geo = geo; self.blocks = blocks
        f = kernel.shape[3]
        self.kernel = kernel.scalars.map { Float($0) }
        self.bias = bias?.scalars ?? [Double](repeating: 0, count: f)
        threads = geo.rows &* geo.patch &* f >= convSingleThreadWork &* 2 ? BLASThreads.count : 1
    }

    /// Each block's product im2col(x) @ kernel, handed to `use(line, count, part, bias)` on the
    /// block's thread (`use` must touch raw pointers and values only).
    func forward(_ x: Tensor, _ use: (_ line: Int, _ count: Int, _ part: UnsafePointer<Float>, _ bias: UnsafePointer<Double>) -> Void) {
        let (geo, blocks, f) = (self.geo, self.blocks, self.f)
        let patch = geo.patch, maxRows = blocks.lines &* geo.wo
        kernel.withUnsafeBufferPointer { kb in
            bias.withUnsafeBufferPointer { bb in
                let kp = kb.baseAddress!, bp = bb.baseAddress!, xp = UnsafePointer(x.rawPointer)
                blocks.onThreads(threads) { b0, b1 in
                    let cols = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(maxRows &* patch, 1))
                    let part = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(maxRows &* f, 1))
                    defer { cols.deallocate(); part.deallocate() }
                    for b in b0..<b1 {
                        let (line, count) = blocks.block(b)
                        geo.im2col(xp, cols, rows: line, count: count)
                        Float.blas(false, false, count &* geo.wo, f, patch, cols, patch, kp, f, part, f, accumulate: false)
                        use(line, count, part, bp)
                    }
                }
            }
        }
        withExtendedLifetime(x) {}
    }

    /// The pullback's result for inputs [x, kernel(, bias)]: `fill(b, line, count, gm, biasGrad)`
    /// writes block b's gradient of its product (Float, rows x f) and adds its bias gradient
    /// (when asked), on the block's thread (raw pointers and values only); the block's kernel
    /// gradient (its own part, the parts added in block order) and input gradient follow.
    func backward(_ x: Tensor, needX: Bool, needK: Bool, needB: Bool, hasBias: Bool,
                  _ fill: (_ b: Int, _ line: Int, _ count: Int, _ gm: UnsafeMutablePointer<Float>,
                           _ biasGrad: UnsafeMutablePointer<Double>?) -> Void) throws -> [Tensor?] {
        let (geo, blocks, f) = (self.geo, self.blocks, self.f)
        let patch = geo.patch, maxRows = blocks.lines &* geo.wo
        let gx = needX ? try Tensor.zeros(x.shape) : nil
        var gkParts = [Float](repeating: 0, count: needK ? blocks.count &* patch &* f : 0)
        var gbParts = [Double](repeating: 0, count: needB ? blocks.count &* f : 0)
        let gxp = gx?.rawPointer
        kernel.withUnsafeBufferPointer { kb in
            gkParts.withUnsafeMutableBufferPointer { gkb in
                gbParts.withUnsafeMutableBufferPointer { gbb in
                    // (an empty array's buffer may have an address: the flags decide)
                    let kp = kb.baseAddress!, gkp = needK ? gkb.baseAddress : nil, gbp = needB ? gbb.baseAddress : nil
                    let xp = UnsafePointer(x.rawPointer)
                    blocks.onThreads(threads) { b0, b1 in
                        let gm = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(maxRows &* f, 1))
                        let cols = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(maxRows &* patch, 1))
                        defer { gm.deallocate(); cols.deallocate() }
                        for b in b0..<b1 {
                            let (line, count) = blocks.block(b)
                            let m = count &* geo.wo
                            fill(b, line, count, gm, gbp.map { $0 + b &* f })
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
        withExtendedLifetime(x) {}
        var gk: Tensor? = nil, gb: Tensor? = nil
        if needK {
            let t = try Tensor.zeros([patch, f]), d = t.rawPointer, size = patch &* f
            for b in 0..<blocks.count { let s = b &* size; for e in 0..<size { d[e] += Double(gkParts[s &+ e]) } }
            gk = t
        }
        if needB {
            let t = try Tensor.zeros([f]), d = t.rawPointer
            for b in 0..<blocks.count { for j in 0..<f { d[j] += gbParts[b &* f &+ j] } }
            gb = t
        }
        return hasBias ? [gx, gk, gb] : [gx, gk]
    }
}

/// The float32 convolution: as conv2dOp (x [n, h, w, c], kernel [kh, kw, c, f], bias [f] or nil,
/// relu fused when `relu`), computed in Float.
func conv2dSingleOp(_ x: Variable, _ kernel: Variable, _ bias: Variable?, _ geo: WindowGeometry, relu: Bool) throws -> Variable {
    let f = kernel.value.shape[3], wo = geo.wo
    _ = try Tensor.checkShape([geo.n, geo.ho, geo.wo, f], "conv2d")
    let out = try Tensor(uninitializedShape: [geo.n, geo.ho, geo.wo, f], "conv2d")
    let conv = SingleConv(geo, ConvBlocks(geo, budget: convSingleBlockElements), kernel: kernel.value, bias: bias?.value)
    let op = out.rawPointer
    conv.forward(x.value) { line, count, part, bias in
        singleBiasActivation(part, op + line &* wo &* f, rows: count &* wo, cols: f, bias: bias, relu: relu)
    }
    let needX = x.requiresGrad, needK = kernel.requiresGrad, needB = bias?.requiresGrad ?? false
    let xv = x.value, kshape = kernel.value.shape
    let inputs = bias.map { [x, kernel, $0] } ?? [x, kernel]
    return try Variable.make(relu ? "conv2d+relu" : "conv2d", out, inputs) { g in
        let gp = UnsafePointer(g.rawPointer), op = UnsafePointer(out.rawPointer)
        var grads = try conv.backward(xv, needX: needX, needK: needK, needB: needB, hasBias: bias != nil) { _, line, count, gm, gb in
            let at = line &* wo &* f
            singleGradientMask(gp + at, relu ? op + at : nil, gm, rows: count &* wo, cols: f, biasGrad: gb)
        }
        withExtendedLifetime((g, out)) {}
        grads[1] = try grads[1]?.reshaped(kshape)
        return grads
    }
}

/// out (Double, or Float in a native float32 step; rows x cols) = part + bias (added in
/// Double), through relu when asked (nan stays nan, as relu()).
@inline(__always)
func singleBiasActivation<O: RecurrentScalar>(_ part: UnsafePointer<Float>, _ out: UnsafeMutablePointer<O>, rows: Int, cols: Int,
                                              bias: UnsafePointer<Double>, relu: Bool) {
    for r in 0..<rows {
        let s = part + r &* cols, d = out + r &* cols
        if relu {
            for j in 0..<cols { let v = Double(s[j]) + bias[j]; d[j] = O(v < 0 ? 0 : v) }
        } else {
            for j in 0..<cols { d[j] = O(Double(s[j]) + bias[j]) }
        }
    }
}

/// gm (Float) = g where the output is positive (relu; every element without `out`), and
/// biasGrad[j] += the sum of column j (of g's values: Double, or Float in a native float32
/// step). Eight columns at a time, their sums in registers.
@inline(__always)
func singleGradientMask<O: RecurrentScalar>(_ g: UnsafePointer<O>, _ out: UnsafePointer<O>?, _ gm: UnsafeMutablePointer<Float>,
                                            rows: Int, cols: Int, biasGrad: UnsafeMutablePointer<Double>?) {
    let zero = SIMD8<Double>()
    var j = 0
    while j &+ 8 <= cols {
        var acc = SIMD8<Double>()
        for r in 0..<rows {
            let e = r &* cols &+ j
            var v = O.load8Double(g + e)
            // ov > 0 keeps the gradient: a nan output takes none, as in relu's backward
            if let out { v = zero.replacing(with: v, where: O.load8Double(out + e) .> 0) }
            acc += v
            UnsafeMutableRawPointer(gm + e).storeBytes(of: SIMD8<Float>(v), as: SIMD8<Float>.self)
        }
        if let biasGrad { store8(biasGrad + j, load8(biasGrad + j) + acc) }
        j &+= 8
    }
    while j < cols {
        var acc: O = 0
        for r in 0..<rows {
            let e = r &* cols &+ j
            let gv = g[e], ov = out?[e] ?? 1, v = ov > 0 ? gv : 0
            acc += v
            gm[e] = Float(v.double)
        }
        biasGrad?[j] += acc.double
        j &+= 1
    }
}

extension Conv2D {
    /// Patch elements per float32 block (`convSingleBlockElements`), for a benchmark that tries others.
    public static var singleBlockElements: Int {
        get { convSingleBlockElements }
        set { convSingleBlockElements = Swift.max(1, newValue) }
    }
}
