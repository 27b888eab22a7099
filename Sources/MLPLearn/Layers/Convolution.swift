// conv2d(filters, kernel, act): y = act(conv(x, K) + b) over channels-last images
// [batch, height, width, channels] (Keras's Conv2D). The convolution and the bias
// are one op with its own backward: im2col, then one GEMM (OpenBLAS) over all
// output pixels of the batch; the backward is two GEMMs and a col2im.
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
    /// Whether the im2col matrix is the input itself (1x1 window, stride 1, no padding).
    var isIdentity: Bool { kh == 1 && kw == 1 && sh == 1 && sw == 1 }

    /// Fills `cols` (rows x patch) with the patches of `x` (n x h x w x c), zeros where the window is off the image.
    func im2col(_ x: UnsafePointer<Double>, _ cols: UnsafeMutablePointer<Double>) {
        let c = self.c, kw = self.kw, w = self.w, h = self.h, patch = self.patch
        var row = cols
        for b in 0..<n {
            let image = x + b &* h &* w &* c
            for oy in 0..<ho {
                let y0 = oy &* sh &- padTop
                for ox in 0..<wo {
                    let x0 = ox &* sw &- padLeft
                    // the columns of the window that are on the image: j in jlo..<jhi
                    let jlo = Swift.max(0, -x0), jhi = Swift.min(kw, w &- x0)
                    var q = row
                    for i in 0..<kh {
                        let iy = y0 &+ i
                        if iy < 0 || iy >= h || jlo >= jhi {
                            q.update(repeating: 0, count: kw &* c)
                        } else {
                            if jlo > 0 { q.update(repeating: 0, count: jlo &* c) }
                            q.advanced(by: jlo &* c).update(from: image + (iy &* w &+ x0 &+ jlo) &* c, count: (jhi &- jlo) &* c)
                            if jhi < kw { q.advanced(by: jhi &* c).update(repeating: 0, count: (kw &- jhi) &* c) }
                        }
                        q += kw &* c
                    }
                    row += patch
                }
            }
        }
    }

    /// Adds each patch of `cols` back onto `dx` (n x h x w x c), which must start at zero: the adjoint of im2col.
    func col2im(_ cols: UnsafePointer<Double>, _ dx: UnsafeMutablePointer<Double>) {
        let c = self.c, kw = self.kw, w = self.w, h = self.h, patch = self.patch
        var row = cols
        for b in 0..<n {
            let image = dx + b &* h &* w &* c
            for oy in 0..<ho {
                let y0 = oy &* sh &- padTop
                for ox in 0..<wo {
                    let x0 = ox &* sw &- padLeft
                    let jlo = Swift.max(0, -x0), jhi = Swift.min(kw, w &- x0)
                    if jlo < jhi {
                        let len = (jhi &- jlo) &* c
                        for i in 0..<kh {
                            let iy = y0 &+ i
                            if iy < 0 || iy >= h { continue }
                            let src = row + (i &* kw &+ jlo) &* c
                            let dst = image + (iy &* w &+ x0 &+ jlo) &* c
                            var e = 0
                            while e < len { dst[e] += src[e]; e &+= 1 }
                        }
                    }
                    row += patch
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

/// The fused convolution: x [n, h, w, c], kernel [kh, kw, c, f], bias [f] (or nil) -> [n, ho, wo, f].
func conv2dOp(_ x: Variable, _ kernel: Variable, _ bias: Variable?, _ geo: WindowGeometry) throws -> Variable {
    let f = kernel.value.shape[3], patch = geo.patch, rows = geo.rows
    let xv = x.value
    let cols: Tensor
    if geo.isIdentity {
        cols = try xv.reshaped([rows, patch])
    } else {
        let t = Tensor(uninitializedShape: [rows, patch])
        geo.im2col(xv.rawPointer, t.rawPointer)
        cols = t
    }
    let kmat = try kernel.value.reshaped([patch, f])
    let out = try Tensor.matmul(cols, kmat)
    if let bias {
        let bp = bias.value.rawPointer, op = out.rawPointer
        for r in 0..<rows {
            let o = op + r &* f
            for j in 0..<f { o[j] += bp[j] }
        }
    }
    let y = try out.reshaped([geo.n, geo.ho, geo.wo, f])
    let needX = x.requiresGrad, needK = kernel.requiresGrad, needB = bias?.requiresGrad ?? false
    let kshape = kernel.value.shape, xshape = xv.shape
    let inputs = bias.map { [x, kernel, $0] } ?? [x, kernel]
    return try Variable.make("conv2d", y, inputs) { g in
        let gm = try g.reshaped([rows, f])
        var gx: Tensor? = nil, gk: Tensor? = nil, gb: Tensor? = nil
        if needK {
            gk = try Tensor.matmul(cols, gm, transposeA: true, transposeB: false).reshaped(kshape)
        }
        if needB {
            let s = try Tensor.zeros([f])
            let sp = s.rawPointer, gp = gm.rawPointer
            for r in 0..<rows {
                let gr = gp + r &* f
                for j in 0..<f { sp[j] += gr[j] }
            }
            gb = s
        }
        if needX {
            let dcols = try Tensor.matmul(gm, kmat, transposeA: false, transposeB: true)
            if geo.isIdentity {
                gx = try dcols.reshaped(xshape)
            } else {
                let d = try Tensor.zeros(xshape)
                withExtendedLifetime(dcols) { geo.col2im(dcols.rawPointer, d.rawPointer) }
                gx = d
            }
        }
        return bias == nil ? [gx, gk] : [gx, gk, gb]
    }
}

/// Parses a padding name, naming the layer in the error.
func parsePadding(_ name: String, _ layer: String) throws -> Padding {
    guard let p = Padding(rawValue: name) else {
        throw LearnError("\(layer): padding must be \"same\" or \"valid\", got \"\(name)\".")
    }
    return p
}

/// A 2-D size as the language writes it: `3` for a square, `[3, 5]` otherwise.
func formatSize(_ a: Int, _ b: Int) -> String { a == b ? "\(a)" : "[\(a), \(b)]" }

/// Checks a layer's input is [batch, height, width, channels].
func requireImages(_ x: Variable, _ layer: String) throws {
    guard x.value.ndim == 4 else {
        throw LearnError("\(layer): expected a 4-D input [batch, height, width, channels], got shape \(Tensor.formatShape(x.value.shape)).")
    }
}

/// conv2d(filters, kernel, act, padding=, stride=): Keras's Conv2D, channels last. The kernel
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

    public convenience init(_ filters: Int, _ kernel: Int, _ activation: Activation = .linear, padding: String = "valid",
                            stride: Int = 1, useBias: Bool = true,
                            kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros) throws {
        try self.init(filters, (kernel, kernel), activation, padding: padding, stride: stride, useBias: useBias,
                      kernelInitializer: kernelInitializer, biasInitializer: biasInitializer)
    }

    public init(_ filters: Int, _ kernel: (Int, Int), _ activation: Activation = .linear, padding: String = "valid",
                stride: Int = 1, useBias: Bool = true,
                kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros) throws {
        guard filters > 0 else { throw LearnError("conv2d: the number of filters must be positive, got \(filters).") }
        guard kernel.0 > 0, kernel.1 > 0 else {
            throw LearnError("conv2d: the kernel size must be positive, got \(formatSize(kernel.0, kernel.1)).")
        }
        guard stride > 0 else { throw LearnError("conv2d: the stride must be positive, got \(stride).") }
        self.filters = filters; self.kernelSize = (kernel.0, kernel.1); self.activation = activation
        self.padding = try parsePadding(padding, "conv2d"); self.stride = stride; self.useBias = useBias
        self.kernelInitializer = kernelInitializer; self.biasInitializer = biasInitializer
    }

    public var kind: String { "conv2d" }
    public var description: String {
        var s = "conv2d(\(filters), \(formatSize(kernelSize.height, kernelSize.width))"
        if activation != .linear { s += ", \(activation.name)" }
        if padding != .valid { s += ", padding=\"\(padding.rawValue)\"" }
        if stride != 1 { s += ", stride=\(stride)" }
        return s + ")"
    }

    func build(_ channels: Int) throws {
        let (kh, kw) = kernelSize
        let field = kh * kw
        parameters = [Parameter("kernel", try kernelInitializer.make([kh, kw, channels, filters],
                                                                     fanIn: field * channels, fanOut: field * filters))]
        if useBias {
            parameters.append(Parameter("bias", try biasInitializer.make([filters], fanIn: field * channels, fanOut: field * filters)))
        }
    }

    public func forward(_ x: Variable, _ pass: ForwardPass) throws -> Variable {
        try requireImages(x, description)
        let s = x.value.shape
        if parameters.isEmpty { try build(s[3]) }
        let cin = parameters[0].value.shape[2]
        guard s[3] == cin else {
            throw LearnError("\(description): expected inputs with \(cin) channels (the layer was built for that), got shape \(Tensor.formatShape(s)).")
        }
        guard let geo = WindowGeometry(n: s[0], h: s[1], w: s[2], c: s[3], kh: kernelSize.height, kw: kernelSize.width,
                                       sh: stride, sw: stride, padding: padding) else {
            throw LearnError("\(description): the input's images (\(s[1]) x \(s[2])) are smaller than the kernel (\(kernelSize.height) x \(kernelSize.width)) with padding=\"valid\"; got shape \(Tensor.formatShape(s)).")
        }
        let y = try conv2dOp(x, pass.variable(parameters[0]), useBias ? pass.variable(parameters[1]) : nil, geo)
        return finish(try activation.apply(y), pass, self)
    }
}
