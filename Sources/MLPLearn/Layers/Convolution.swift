// conv2d(filters, kernel, act): y = act(conv(x, K) + b) over channels-last images
// [batch, height, width, channels] (Keras's Conv2D). The convolution, the bias and
// (when the activation is relu) the activation are one op with its own backward:
// im2col and a GEMM (OpenBLAS) per cache-sized block of output pixels; the backward
// is two GEMMs and a col2im per block.
import MLPTensor
import MLPAutograd

/// Keras's padding modes: "valid" (no padding: the window stays inside the image)
/// and "same" (zeros around the image so that the output is ceil(size / stride)).
public enum Padding: String, Sendable {
    case valid, same
}

/// Where a window sweep over an image puts its windows: sizes, strides and padding.
struct WindowGeometry {
    let n, h, w, c: Int
    let kh, kw: Int
    let sh, sw: Int
    let ho, wo: Int
    let padTop, padLeft: Int

    /// The geometry of a kh x kw window at strides (sh, sw) over an n x h x w x c batch, or
    /// nil when a "valid" window does not fit in the image.
    init?(n: Int, h: Int, w: Int, c: Int, kh: Int, kw: Int, sh: Int, sw: Int, padding: Padding) {
        self.n = n; self.h = h; self.w = w; self.c = c
        self.kh = kh; self.kw = kw; self.sh = sh; self.sw = sw
        switch padding {
        case .valid:
            guard h >= kh, w >= kw else { return nil }
            ho = (h - kh) / sh + 1; wo = (w - kw) / sw + 1
            padTop = 0; padLeft = 0
        case .same:
            // TensorFlow's rule: the smaller half of the padding goes before the image
            ho = (h + sh - 1) / sh; wo = (w + sw - 1) / sw
            padTop = Swift.max((ho - 1) * sh + kh - h, 0) / 2
            padLeft = Swift.max((wo - 1) * sw + kw - w, 0) / 2
        }
    }

    /// Elements of one patch (one row of the im2col matrix).
    var patch: Int { kh &* kw &* c }
    /// Output pixels of the batch (rows of the im2col matrix).
    var rows: Int { n &* ho &* wo }

    /// The output columns ox whose window column j falls on the image: lo..<hi.
    @inline(__always)
    func validColumns(_ j: Int) -> (lo: Int, hi: Int) {
        // 0 <= ox * sw - padLeft + j < w
        let a = padLeft &- j, t = w &- 1 &+ padLeft &- j
        let lo = a <= 0 ? 0 : Swift.min(wo, (a &+ sw &- 1) / sw)
        let hi = t < 0 ? 0 : Swift.min(wo, t / sw &+ 1)
        return (lo, Swift.max(lo, hi))
    }

    /// Fills `cols` (count * wo x patch) with the patches of output rows first..<first+count
    /// (an output row: one (image, oy), wo pixels), zeros where the window is off the image.
    /// Loops run along the output row for each window tap, so a tap of a one-channel image
    /// costs a load and a store, not a call per short run.
    /// Generic in the patches' type: Double, or Float for precision="float32" (converted here, in
    /// the one pass that writes them), and in the images' (Float: a native float32 step's activations).
    @inline(__always)
    func im2col<T: RecurrentScalar, S: RecurrentScalar>(_ x: UnsafePointer<T>, _ cols: UnsafeMutablePointer<S>, rows first: Int, count: Int) {
        let c = self.c, kw = self.kw, w = self.w, h = self.h, patch = self.patch, wo = self.wo, sw = self.sw
        for r in 0..<count {
            let b = (first &+ r) / ho, oy = first &+ r &- b &* ho
            let image = x + b &* h &* w &* c
            let dst = cols + r &* wo &* patch
            for i in 0..<kh {
                let iy = oy &* sh &- padTop &+ i
                if iy < 0 || iy >= h {
                    for ox in 0..<wo {
                        let d = dst + (ox &* patch &+ i &* kw &* c)
                        for e in 0..<(kw &* c) { d[e] = 0 }
                    }
                    continue
                }
                let line = image + iy &* w &* c
                for j in 0..<kw {
                    let (lo, hi) = validColumns(j)
                    let tap = dst + (i &* kw &+ j) &* c
                    for ox in 0..<lo { let d = tap + ox &* patch; for e in 0..<c { d[e] = 0 } }
                    var ox = lo
                    if c == 1 {
                        let src = line + (lo &* sw &- padLeft &+ j)
                        while ox < hi { tap[ox &* patch] = S(src[(ox &- lo) &* sw].double); ox &+= 1 }
                    } else if T.self == S.self && c & 7 == 0 {
                        // float activations into float patches: eight values a move
                        while ox < hi {
                            let s = UnsafeRawPointer(line + (ox &* sw &- padLeft &+ j) &* c), d = UnsafeMutableRawPointer(tap + ox &* patch)
                            var e = 0
                            while e < c {
                                let at = e &* MemoryLayout<S>.stride
                                d.storeBytes(of: s.loadUnaligned(fromByteOffset: at, as: SIMD8<S>.self), toByteOffset: at, as: SIMD8<S>.self)
                                e &+= 8
                            }
                            ox &+= 1
                        }
                    } else {
                        while ox < hi {
                            let s = line + (ox &* sw &- padLeft &+ j) &* c, d = tap + ox &* patch
                            for e in 0..<c { d[e] = S(s[e].double) }
                            ox &+= 1
                        }
                    }
                    for ox in hi..<wo { let d = tap + ox &* patch; for e in 0..<c { d[e] = 0 } }
                }
            }
        }
    }

    /// Adds each patch of `cols` (the patches of output rows first..<first+count) back onto
    /// `dx` (n x h x w x c, Double or Float): the adjoint of im2col.
    @inline(__always)
    func col2im<S: RecurrentScalar, D: RecurrentScalar>(_ cols: UnsafePointer<S>, _ dx: UnsafeMutablePointer<D>, rows first: Int, count: Int) {
        let c = self.c, kw = self.kw, w = self.w, h = self.h, patch = self.patch, wo = self.wo, sw = self.sw
        for r in 0..<count {
            let b = (first &+ r) / ho, oy = first &+ r &- b &* ho
            let image = dx + b &* h &* w &* c
            let src = cols + r &* wo &* patch
            for i in 0..<kh {
                let iy = oy &* sh &- padTop &+ i
                if iy < 0 || iy >= h { continue }
                let line = image + iy &* w &* c
                for j in 0..<kw {
                    let (lo, hi) = validColumns(j)
                    let tap = src + (i &* kw &+ j) &* c
                    var ox = lo
                    if c == 1 {
                        let d = line + (lo &* sw &- padLeft &+ j)
                        while ox < hi { d[(ox &- lo) &* sw] += D(tap[ox &* patch].double); ox &+= 1 }
                    } else {
                        while ox < hi {
                            let d = line + (ox &* sw &- padLeft &+ j) &* c, s = tap + ox &* patch
                            for e in 0..<c { d[e] += D(s[e].double) }
                            ox &+= 1
                        }
                    }
                }
            }
        }
    }
}

extension Tensor {
    /// The raw storage of a tensor for a kernel. The tensor must be kept alive while the
    /// pointer is used (it is a local used again later, an input, or captured by the pullback),
    /// and freshly made (not shared) when written.
    @inline(__always) var rawPointer: UnsafeMutablePointer<Double> { storage.pointer }
}

/// Output pixels per im2col block: about 256 KiB of patches, so that a block stays in
/// the cache between im2col and the GEMM (and OpenBLAS takes its small-matrix path, with
/// no packing and no threads). A variable so that tests can force many small blocks.
nonisolated(unsafe) var convBlockElements = 32768

extension Conv2D {
    /// Output pixels per im2col block (`convBlockElements`), for a benchmark that tries others.
    public static var blockElements: Int {
        get { convBlockElements }
        set { convBlockElements = newValue }
    }
}

/// The fused convolution: x [n, h, w, c], kernel [kh, kw, c, f], bias [f] (or nil) -> [n, ho, wo, f],
/// with relu applied in the same pass when `relu` (its backward then masks the gradient).
///
/// im2col + GEMM in blocks of output pixels (Tensor.matmul, so OpenBLAS). A direct loop
/// nest measured 2-3 times slower here (the Swift code is compiled for baseline x86-64,
/// BLAS uses AVX-512), and one big im2col matrix spent more time in BLAS's packing and
/// in page faults than in the products. The backward makes each block's patches again
/// rather than keeping the whole im2col matrix (9 times the input for a 3x3 kernel).
func conv2dOp(_ x: Variable, _ kernel: Variable, _ bias: Variable?, _ geo: WindowGeometry, relu: Bool = false) throws -> Variable {
    let f = kernel.value.shape[3], patch = geo.patch
    // blocks of whole output rows (wo pixels each)
    let lines = geo.n &* geo.ho, wo = geo.wo
    let block = Swift.max(1, Swift.min(lines, convBlockElements / Swift.max(patch &* wo, 1)))
    let xv = x.value
    let kmat = try kernel.value.reshaped([patch, f])
    _ = try Tensor.checkShape([geo.n, geo.ho, geo.wo, f], "conv2d")
    let out = try Tensor(uninitializedShape: [geo.n, geo.ho, geo.wo, f], "conv2d")
    let zeroBias = bias == nil ? try Tensor.zeros([f]) : nil
    let biasValue = bias?.value ?? zeroBias!
    try withExtendedLifetime(biasValue) {
        let bp = biasValue.rawPointer
        var line = 0
        while line < lines {
            let count = Swift.min(block, lines - line), m = count &* wo, first = line &* wo
            let cols = try Tensor(uninitializedShape: [m, patch], "conv2d")
            geo.im2col(xv.rawPointer, cols.rawPointer, rows: line, count: count)
            let part = try Tensor.matmul(cols, kmat)   // shapes agree; only the size limit can refuse
            let src = part.rawPointer, dst = out.rawPointer + first &* f
            for r in 0..<m {
                let s = src + r &* f, d = dst + r &* f
                if relu {
                    for j in 0..<f { let v = s[j] + bp[j]; d[j] = v < 0 ? 0 : v }   // nan stays nan, as relu()
                } else {
                    for j in 0..<f { d[j] = s[j] + bp[j] }
                }
            }
            line += count
        }
    }
    let needX = x.requiresGrad, needK = kernel.requiresGrad, needB = bias?.requiresGrad ?? false
    let kshape = kernel.value.shape, xshape = xv.shape
    let inputs = bias.map { [x, kernel, $0] } ?? [x, kernel]
    return try Variable.make(relu ? "conv2d+relu" : "conv2d", out, inputs) { g in
        let gk = needK ? try Tensor.zeros([patch, f]) : nil
        let gx = needX ? try Tensor.zeros(xshape) : nil
        let gb = needB ? try Tensor.zeros([f]) : nil
        var line = 0
        while line < lines {
            let count = Swift.min(block, lines - line), m = count &* wo, first = line &* wo
            // this block's output gradient, through relu's mask
            let gm = try Tensor(uninitializedShape: [m, f], "conv2d")
            let gs = g.rawPointer + first &* f, gd = gm.rawPointer
            if relu {
                let os = out.rawPointer + first &* f
                // both values loaded first: a select, not a branch that mispredicts half the time
                for e in 0..<(m &* f) { let gv = gs[e], ov = os[e]; gd[e] = ov > 0 ? gv : 0 }
            } else {
                gd.update(from: gs, count: m &* f)
            }
            if let gb {
                let bp = gb.rawPointer
                for r in 0..<m { let gr = gd + r &* f; for j in 0..<f { bp[j] += gr[j] } }
            }
            if let gk {
                let cols = try Tensor(uninitializedShape: [m, patch], "conv2d")
                geo.im2col(xv.rawPointer, cols.rawPointer, rows: line, count: count)
                let part = try Tensor.matmul(cols, gm, transposeA: true, transposeB: false)
                let s = part.rawPointer, d = gk.rawPointer
                for e in 0..<(patch &* f) { d[e] += s[e] }
            }
            if let gx {
                let dcols = try Tensor.matmul(gm, kmat, transposeA: false, transposeB: true)
                withExtendedLifetime(dcols) { geo.col2im(dcols.rawPointer, gx.rawPointer, rows: line, count: count) }
            }
            line += count
        }
        let gkr = try gk?.reshaped(kshape)
        return bias == nil ? [gx, gkr] : [gx, gkr, gb]
    }
}

/// Parses a padding name, naming the layer in the error.
func parsePadding(_ name: String, _ layer: String) throws -> Padding {
    guard let p = Padding(rawValue: name) else {
        throw LearnError(layer, "padding must be \"same\" or \"valid\", got \"\(name)\".")
    }
    return p
}

/// A 2-D size as the language writes it: `3` for a square, `[3, 5]` otherwise.
func formatSize(_ a: Int, _ b: Int) -> String { a == b ? "\(a)" : "[\(a), \(b)]" }

/// Checks a layer's input is [batch, height, width, channels].
func requireImages(_ x: Variable, _ layer: String) throws {
    guard x.value.ndim == 4 else {
        throw LearnError(layer, "expected a 4-D input [batch, height, width, channels], got shape \(Tensor.formatShape(x.value.shape)).")
    }
}

/// conv2d(filters, kernel, act, padding=, stride=, precision=): Keras's Conv2D, channels last. The kernel
/// [kh, kw, in_channels, filters] (glorot_uniform) and the bias [filters] (zeros) are made at
/// the first call, when the number of input channels is known.
public final class Conv2D: LayerBase, Layer {
    public let filters: Int
    public let kernelSize: (height: Int, width: Int)
    public let activation: Activation
    public let padding: Padding
    public let stride: Int
    public let useBias: Bool
    public let kernelInitializer: Initializer
    public let biasInitializer: Initializer
    /// What the convolution computes in (float32: im2col and sgemm in Float; the weights stay float64,
    /// but in a model that trains natively in float32, SingleConvTraining.swift, where they are floats).
    public let precision: ComputeType

    public convenience init(_ filters: Int, _ kernel: Int, _ activation: Activation = .linear, padding: String = "valid",
                            stride: Int = 1, useBias: Bool = true,
                            kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
                            precision: ComputeType = .float64) throws {
        try self.init(filters, (kernel, kernel), activation, padding: padding, stride: stride, useBias: useBias,
                      kernelInitializer: kernelInitializer, biasInitializer: biasInitializer, precision: precision)
    }

    public init(_ filters: Int, _ kernel: (Int, Int), _ activation: Activation = .linear, padding: String = "valid",
                stride: Int = 1, useBias: Bool = true,
                kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
                precision: ComputeType = .float64) throws {
        guard filters > 0 else { throw LearnError("conv2d", "the number of filters must be positive, got \(filters).") }
        guard kernel.0 > 0, kernel.1 > 0 else {
            throw LearnError("conv2d", "the kernel size must be positive, got \(formatSize(kernel.0, kernel.1)).")
        }
        guard stride > 0 else { throw LearnError("conv2d", "the stride must be positive, got \(stride).") }
        self.filters = filters; self.kernelSize = (kernel.0, kernel.1); self.activation = activation
        self.padding = try parsePadding(padding, "conv2d"); self.stride = stride; self.useBias = useBias
        self.kernelInitializer = kernelInitializer; self.biasInitializer = biasInitializer
        self.precision = precision
    }

    public var kind: String { "conv2d" }
    public var description: String {
        var s = "conv2d(\(filters), \(formatSize(kernelSize.height, kernelSize.width))"
        if activation != .linear { s += ", \(activation.name)" }
        if padding != .valid { s += ", padding=\"\(padding.rawValue)\"" }
        if stride != 1 { s += ", stride=\(stride)" }
        return s + precision.argument + ")"
    }

    func build(_ channels: Int, _ random: RandomGenerator) throws {
        let (kh, kw) = kernelSize
        let field = kh * kw
        parameters = [Parameter("kernel", try kernelInitializer.make([kh, kw, channels, filters], fanIn: field * channels, fanOut: field * filters, using: random))]
        if useBias {
            parameters.append(Parameter("bias", try biasInitializer.make([filters], fanIn: field * channels, fanOut: field * filters, using: random)))
        }
    }

    /// Checks x, builds the layer at its first call, and gives the geometry of its windows on x.
    func geometry(_ x: Variable, _ pass: ForwardPass) throws -> WindowGeometry {
        try requireImages(x, description)
        let s = x.value.shape
        if parameters.isEmpty { try build(s[3], pass.random) }
        let cin = parameters[0].value.shape[2]
        guard s[3] == cin else {
            throw LearnError(nil, "\(description): expected inputs with \(cin) channels (the layer was built for that), got shape \(Tensor.formatShape(s)).")
        }
        guard let geo = WindowGeometry(n: s[0], h: s[1], w: s[2], c: s[3], kh: kernelSize.height, kw: kernelSize.width,
                                       sh: stride, sw: stride, padding: padding) else {
            throw LearnError(nil, "\(description): the input's images (\(s[1]) x \(s[2])) are smaller than the kernel (\(kernelSize.height) x \(kernelSize.width)) with padding=\"valid\"; got shape \(Tensor.formatShape(s)).")
        }
        return geo
    }

    public func forward(_ x: Variable, _ pass: ForwardPass) throws -> Variable {
        let geo = try geometry(x, pass)
        // relu is fused into the convolution's pass; other activations follow as their own op
        let fuse = activation == .relu
        let kernel = pass.variable(parameters[0]), bias = useBias ? pass.variable(parameters[1]) : nil
        let y = precision == .float32 ? try conv2dSingleOp(x, kernel, bias, geo, relu: fuse) : try conv2dOp(x, kernel, bias, geo, relu: fuse)
        return finish(fuse ? y : try activation.apply(y), pass, self, from: x)
    }

    /// This layer and `pool` after it as one op (conv2dPoolSingleOp), or nil where they do not
    /// fuse: float64, an activation other than relu and linear, an image whose patches are more
    /// than a block, or windows the pool refuses (the pool then says why, run on its own).
    func forwardPooled(_ x: Variable, _ pool: MaxPool2D, _ pass: ForwardPass) throws -> Variable? {
        guard precision == .float32, activation == .relu || activation == .linear, pass.record == nil else { return nil }
        let geo = try geometry(x, pass)
        guard let pooling = PoolGeometry(n: geo.n, h: geo.ho, w: geo.wo, c: filters, k: pool.size, padding: pool.padding) else { return nil }
        let blocks = ConvBlocks(geo, budget: convSingleBlockElements)
        guard blocks.images > 0, blocks.lines &* geo.wo &* filters < Int(Int32.max) else { return nil }
        let kernel = pass.variable(parameters[0]), bias = useBias ? pass.variable(parameters[1]) : nil
        let y = try conv2dPoolSingleOp(x, kernel, bias, geo, pooling, blocks, relu: activation == .relu)
        let convShape = [geo.n, geo.ho, geo.wo, filters]
        note(input: x.value.shape, output: convShape)
        pool.note(input: convShape, output: y.value.shape)
        return y
    }
}
