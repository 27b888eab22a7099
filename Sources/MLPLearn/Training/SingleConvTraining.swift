// float32 end to end for convolutional nets: a training step of
// `conv2d(..., precision="float32") [>> maxpool(k)] >> ... >> flatten() >> dense(..., precision="float32") >> ...`
// run natively in single precision, as SingleDenseTrainer runs a chain of dense layers.
// The convolutions' kernels and biases, their gradients and the optimizer's state are
// floats kept from step to step (Parameter.singleValues; the float64 weights are made
// from them only when something reads them); the activations between the layers are
// floats; every buffer is the trainer's, allocated at the first step of a batch shape
// and reused after.
//
// The batch is cut into chunks of whole images fixed by its size alone (not by the
// threads), and the chunks go to the product threads (BLASThreads) in runs. A chunk
// runs the convolutions forward (im2col + sgemm per block of whole images, relu and the
// max pooling fused on the block's product: ConvolutionSingle.swift,
// ConvolutionPooled.swift), the dense layers forward and backward on its rows (the
// dense trainer's StepPlan, a part per chunk), then the convolutions backward. Each
// chunk's kernel and bias gradients have their own buffers, added in chunk order: the
// results are the same bits on any number of threads.
import MLPTensor

public final class SingleConvTrainer {
    /// The convolutions, each with the max pooling after it (if any).
    let stages: [(conv: Conv2D, pool: MaxPool2D?)]
    let flatten: Flatten
    /// The dense layers after flatten(), trained by the dense trainer's step plan.
    let tail: SingleDenseTrainer
    private var ownAllocations = 0
    /// How many buffers the trainer has allocated (tests: none per step once warm).
    public var allocations: Int { ownAllocations + tail.allocations }
    /// The threads the last step ran its chunks on.
    public private(set) var threads = 0

    /// The batch shape and threads the buffers are for.
    private var reservedShape: [Int] = []
    private var reservedThreads = 0
    private var notedShape: [Int] = []
    /// The stages' geometries on a batch of shape geosShape.
    private var geos: [(WindowGeometry, PoolGeometry?)] = [], geosShape: [Int] = []
    /// Per stage: its output (the last stage's is the dense layers' input), the gradient
    /// with respect to it, where each pooled maximum came from, each chunk's kernel and
    /// bias gradients, the step's kernel and bias gradients, and the bias in float64.
    private var outs: [AlignedBuffer<Float>] = [], outGrads: [AlignedBuffer<Float>] = [], froms: [AlignedBuffer<Int32>?] = []
    private var chunkKernelGrads: [AlignedBuffer<Float>] = [], chunkBiasGrads: [AlignedBuffer<Double>] = []
    private var kernelGrads: [AlignedBuffer<Float>] = [], biasGrads: [AlignedBuffer<Float>] = [], biases: [AlignedBuffer<Double>] = []
    /// Each thread's patches and product (or its gradient).
    private var cols = AlignedBuffer<Float>(), products = AlignedBuffer<Float>()
    private var colsStride = 0, productsStride = 0
    private let plans: UnsafeMutableBufferPointer<StagePlan>

    init(_ stages: [(conv: Conv2D, pool: MaxPool2D?)], _ flatten: Flatten, _ dense: [Dense]) {
        self.stages = stages; self.flatten = flatten
        tail = SingleDenseTrainer(dense)
        plans = .allocate(capacity: stages.count)
    }
    deinit { plans.deallocate() }

    /// The trainer of a model of float32 convolutions (relu or linear), each followed by a
    /// max pooling or not, then flatten() and float32 dense layers; nil for any other model.
    static func make(_ layers: [Layer]) -> SingleConvTrainer? {
        var stages: [(conv: Conv2D, pool: MaxPool2D?)] = []
        var i = 0
        while i < layers.count, let conv = layers[i] as? Conv2D {
            guard conv.precision == .float32, conv.activation == .relu || conv.activation == .linear else { return nil }
            let pool = i + 1 < layers.count ? layers[i + 1] as? MaxPool2D : nil
            stages.append((conv, pool))
            i += pool == nil ? 1 : 2
        }
        guard !stages.isEmpty, i < layers.count, let flatten = layers[i] as? Flatten else { return nil }
        let dense = layers[(i + 1)...].compactMap { $0 as? Dense }
        guard !dense.isEmpty, dense.count == layers.count - i - 1, dense.allSatisfy(SingleDenseTrainer.eligible) else { return nil }
        return SingleConvTrainer(stages, flatten, dense)
    }

    /// Chunks of a batch of n images: at most `maxChunks`, of at least `minChunkImages` images.
    static func chunks(_ n: Int) -> Int { Swift.max(1, Swift.min(maxChunks, n / minChunkImages)) }
    static let maxChunks = 8, minChunkImages = 4

    /// The geometries of the stages on a batch of this shape, or nil where a stage does not
    /// train natively (a shape the layers refuse: the graph then says why).
    private func geometries(_ shape: [Int]) -> [(WindowGeometry, PoolGeometry?)]? {
        guard shape.count == 4 else { return nil }
        let n = shape[0]
        var (h, w, c) = (shape[1], shape[2], shape[3])
        var out: [(WindowGeometry, PoolGeometry?)] = []
        for (conv, pool) in stages {
            guard let k = conv.parameters.first, k.shape.count == 4, k.shape[2] == c,
                  let geo = WindowGeometry(n: n, h: h, w: w, c: c, kh: conv.kernelSize.height, kw: conv.kernelSize.width,
                                           sh: conv.stride, sw: conv.stride, padding: conv.padding) else { return nil }
            let f = conv.filters
            var pooling: PoolGeometry? = nil
            if let pool {
                guard let p = PoolGeometry(n: n, h: geo.ho, w: geo.wo, c: f, k: pool.size, padding: pool.padding) else { return nil }
                let blocks = ConvBlocks(geo, budget: convSingleBlockElements)
                guard blocks.images > 0, blocks.lines &* geo.wo &* f < Int(Int32.max) else { return nil }
                pooling = p
                (h, w) = (p.ho, p.wo)
            } else {
                (h, w) = (geo.ho, geo.wo)
            }
            c = f
            out.append((geo, pooling))
        }
        return out
    }

    /// One training step as `Training.step` does it, or nil when this model, batch, loss or
    /// optimizer does not train natively (nothing has changed then).
    public func step(_ opt: ParameterUpdate, _ x: Tensor, _ y: Tensor, _ loss: Loss) throws -> (loss: Double, prediction: Tensor, fault: String?)? {
        for (conv, pool) in stages {
            guard conv.trainable, conv.parameters.count == (conv.useBias ? 2 : 1), pool?.trainable ?? true else { return nil }
            for p in conv.parameters where !p.trainable || p.frozen { return nil }
        }
        guard flatten.trainable, tail.layers.allSatisfy({ !$0.parameters.isEmpty }) else { return nil }
        if x.shape != geosShape {
            guard let g = geometries(x.shape) else { return nil }
            geos = g; geosShape = x.shape
        }
        // the kernels as the geometries were made for (a value set since may have another shape)
        for (s, (conv, _)) in stages.enumerated() {
            let k = conv.parameters[0].shape, geo = geos[s].0
            guard k.count == 4, k[0] == geo.kh, k[1] == geo.kw, k[2] == geo.c, k[3] == conv.filters,
                  !conv.useBias || (conv.parameters[1].shape.count == 1 && conv.parameters[1].shape[0] == conv.filters) else { return nil }
        }
        let n = x.shape[0], lastGeo = geos[geos.count - 1].0, lastPool = geos[geos.count - 1].1
        let features = (lastPool.map { $0.ho &* $0.wo } ?? lastGeo.ho &* lastGeo.wo) &* stages[stages.count - 1].conv.filters
        guard n > 0, features == tail.layers[0].parameters[0].shape[0] else { return nil }
        let chunks = Self.chunks(n)
        var work = 0
        for (s, (geo, _)) in geos.enumerated() { work &+= geo.rows &* geo.patch &* stages[s].conv.filters &* 3 }
        let threads = work >= convSingleThreadWork &* 2 ? Swift.min(BLASThreads.count, chunks) : 1
        self.threads = threads
        try reserve(x.shape, geos, chunks: chunks, threads: threads)
        guard let prepared = try tail.prepare(opt, rows: n, y, loss, parts: chunks, x: nil,
                                              inputDelta: outGrads[stages.count - 1].pointer) else { return nil }
        // the stages' pointers for the threads
        for (s, (conv, _)) in stages.enumerated() {
            let (geo, pool) = geos[s]
            let f = conv.filters, bias = biases[s].pointer
            if conv.useBias {
                let b = try conv.parameters[1].singleValues()
                for j in 0..<f { bias[j] = Double(b[j]) }
            } else {
                bias.update(repeating: 0, count: f)
            }
            plans[s] = StagePlan(geo: geo, pool: pool, f: f, relu: conv.activation == .relu,
                                 kernel: try conv.parameters[0].singleValues(), bias: UnsafePointer(bias),
                                 inImage: geo.h &* geo.w &* geo.c,
                                 outImage: pool.map { $0.ho &* $0.wo &* f } ?? geo.ho &* geo.wo &* f,
                                 out: s == stages.count - 1 ? tail.input : outs[s].pointer, outGrad: outGrads[s].pointer,
                                 from: froms[s]?.pointer,
                                 inGrad: s > 0 ? outGrads[s - 1].pointer : nil,
                                 chunkKernelGrad: chunkKernelGrads[s].pointer, chunkBiasGrad: chunkBiasGrads[s].pointer)
        }
        let plan = ConvStepPlan(stages: UnsafePointer(plans.baseAddress!), count: stages.count, images: n, chunks: chunks,
                                x: UnsafePointer(x.storage.pointer), tail: prepared.plan,
                                cols: cols.pointer, colsStride: colsStride, products: products.pointer, productsStride: productsStride)
        onThreads(threads) { t in
            for p in chunks &* t / threads..<chunks &* (t &+ 1) / threads { plan.chunk(p, thread: t) }
        }
        let tailPlan = prepared.plan
        onThreads(threads) { t in
            for p in chunks &* t / threads..<chunks &* (t &+ 1) / threads { tailPlan.kernelGradients(p) }
        }
        withExtendedLifetime(x) {}
        // the chunks' convolution gradients, added in chunk order
        for (s, (conv, _)) in stages.enumerated() {
            let size = kernelGrads[s].count, f = conv.filters
            let gk = kernelGrads[s].pointer, parts = chunkKernelGrads[s].pointer
            gk.update(from: parts, count: size)
            for p in 1..<chunks { let part = parts + p &* size; for e in 0..<size { gk[e] += part[e] } }
            let gb = biasGrads[s].pointer, bparts = chunkBiasGrads[s].pointer
            for j in 0..<f {
                var sum = 0.0
                for p in 0..<chunks { sum += bparts[p &* f &+ j] }
                gb[j] = Float(sum)
            }
        }
        let (value, fault) = tail.conclude(tailPlan)
        if let fault { return (value, prepared.prediction, fault) }
        for s in stages.indices {
            if let fault = nonFiniteFault(kernelGrads[s], "kernel") ?? nonFiniteFault(biasGrads[s], "bias") { return (value, prepared.prediction, fault) }
        }
        // the update in the order the graph uses the parameters
        for (s, (conv, _)) in stages.enumerated() {
            try prepared.update.updateSingle(conv.parameters[0], kernelGrads[s].pointer, count: kernelGrads[s].count)
            if conv.useBias { try prepared.update.updateSingle(conv.parameters[1], biasGrads[s].pointer, count: biasGrads[s].count) }
        }
        try tail.update(prepared.update, rows: n)
        if x.shape != notedShape { note(x.shape, geos, features) }
        return (value, prepared.prediction, nil)
    }

    /// The layers' shapes for summaries, as the graph notes them (when the batch shape changes).
    private func note(_ shape: [Int], _ geos: [(WindowGeometry, PoolGeometry?)], _ features: Int) {
        notedShape = shape
        var input = shape
        for (s, (conv, pool)) in stages.enumerated() {
            let (geo, pooling) = geos[s]
            let convShape = [geo.n, geo.ho, geo.wo, conv.filters]
            conv.note(input: input, output: convShape)
            input = convShape
            if let pool, let p = pooling {
                let pooled = [geo.n, p.ho, p.wo, conv.filters]
                pool.note(input: convShape, output: pooled)
                input = pooled
            }
        }
        flatten.note(input: input, output: [shape[0], features])
    }

    /// The step's buffers for a batch of this shape on `threads` threads: allocated when the
    /// images change, the batch grows, or the threads or a chunk's blocks need more (a smaller
    /// batch, an epoch's last, uses the buffers of the larger one).
    private func reserve(_ shape: [Int], _ geos: [(WindowGeometry, PoolGeometry?)], chunks: Int, threads: Int) throws {
        let n = shape[0], most = (n &+ chunks &- 1) / chunks
        var needCols = 0, needProducts = 0
        for (s, (conv, _)) in stages.enumerated() {
            let geo = geos[s].0, lines = ConvBlocks(geo, budget: convSingleBlockElements, images: most).lines
            needCols = Swift.max(needCols, (lines &* geo.wo &* geo.patch + 15) & ~15)
            needProducts = Swift.max(needProducts, (lines &* geo.wo &* conv.filters + 15) & ~15)
        }
        let fits = shape.count == reservedShape.count && shape.dropFirst().elementsEqual(reservedShape.dropFirst())
            && n <= reservedShape[0]
        if fits && threads <= reservedThreads && needCols <= colsStride && needProducts <= productsStride { return }
        if !fits {
            outs = []; outGrads = []; froms = []; chunkKernelGrads = []; chunkBiasGrads = []
            kernelGrads = []; biasGrads = []; biases = []
            for (s, (conv, _)) in stages.enumerated() {
                let (geo, pool) = geos[s], f = conv.filters, patch = geo.patch
                let outImage = pool.map { $0.ho &* $0.wo &* f } ?? geo.ho &* geo.wo &* f
                let (size, overflow) = n.multipliedReportingOverflow(by: outImage)
                guard !overflow else { throw LearnError(nil, TensorStorage.outOfMemory(bytes: .infinity, "for float32 values")) }
                outs.append(try AlignedBuffer(count: s == stages.count - 1 ? 0 : size))
                outGrads.append(try AlignedBuffer(count: size))
                froms.append(pool == nil ? nil : try AlignedBuffer(count: size))
                // (chunks(n) grows with n: a smaller batch has no more chunks)
                chunkKernelGrads.append(try AlignedBuffer(count: chunks &* patch &* f)); chunkBiasGrads.append(try AlignedBuffer(count: chunks &* f))
                kernelGrads.append(try AlignedBuffer(count: patch &* f)); biasGrads.append(try AlignedBuffer(count: f)); biases.append(try AlignedBuffer(count: f))
            }
            ownAllocations += 8 * stages.count
            reservedShape = shape
        }
        reservedThreads = Swift.max(threads, reservedThreads)
        colsStride = Swift.max(colsStride, needCols); productsStride = Swift.max(productsStride, needProducts)
        cols = try AlignedBuffer(count: reservedThreads &* colsStride); products = try AlignedBuffer(count: reservedThreads &* productsStride)
        ownAllocations += 2
    }
}

/// A convolution stage as the step's threads see it: its geometry on the whole batch,
/// raw pointers and values only.
struct StagePlan {
    var geo: WindowGeometry
    var pool: PoolGeometry?
    var f: Int
    var relu: Bool
    /// The kernel as a [patch, f] matrix, the bias in float64.
    var kernel: UnsafeMutablePointer<Float>, bias: UnsafePointer<Double>
    /// Elements of one image of the input and of the output (pooled when pooled).
    var inImage: Int, outImage: Int
    var out: UnsafeMutablePointer<Float>, outGrad: UnsafeMutablePointer<Float>
    var from: UnsafeMutablePointer<Int32>?
    /// Where the gradient with respect to the input goes (the stage before's outGrad), if any.
    var inGrad: UnsafeMutablePointer<Float>?
    /// Each chunk's kernel gradient (patch x f) and bias gradient (f).
    var chunkKernelGrad: UnsafeMutablePointer<Float>, chunkBiasGrad: UnsafeMutablePointer<Double>
}

/// One training step's work on the batch's chunks (SingleConvTrainer.step).
struct ConvStepPlan {
    let stages: UnsafePointer<StagePlan>
    let count: Int, images: Int, chunks: Int
    /// The batch (float64 images): the first stage's input.
    let x: UnsafePointer<Double>
    let tail: StepPlan
    let cols: UnsafeMutablePointer<Float>, colsStride: Int
    let products: UnsafeMutablePointer<Float>, productsStride: Int

    /// Chunk p on thread t: the convolutions forward, the dense layers forward and backward
    /// on the chunk's rows, the convolutions backward.
    func chunk(_ p: Int, thread t: Int) {
        let i0 = images &* p / chunks, nc = images &* (p &+ 1) / chunks &- i0
        let cols = self.cols + t &* colsStride, product = products + t &* productsStride
        for s in 0..<count { forward(stages[s], s, i0, nc, cols, product) }
        tail.forwardBackward(p)
        for s in stride(from: count &- 1, through: 0, by: -1) { backward(stages[s], s, p, i0, nc, cols, product) }
    }

    /// The patches of the lines of block (line, count) of the chunk from image i0 of stage s's input.
    @inline(__always)
    func patches(_ st: StagePlan, _ s: Int, _ i0: Int, _ line: Int, _ count: Int, _ cols: UnsafeMutablePointer<Float>) {
        if s == 0 {
            st.geo.im2col(x + i0 &* st.inImage, cols, rows: line, count: count)
        } else {
            st.geo.im2col(UnsafePointer(stages[s &- 1].out + i0 &* st.inImage), cols, rows: line, count: count)
        }
    }

    func forward(_ st: StagePlan, _ s: Int, _ i0: Int, _ nc: Int, _ cols: UnsafeMutablePointer<Float>, _ part: UnsafeMutablePointer<Float>) {
        let geo = st.geo, f = st.f, wo = geo.wo, patch = geo.patch
        let blocks = ConvBlocks(geo, budget: convSingleBlockElements, images: nc)
        let out = st.out + i0 &* st.outImage
        for b in 0..<blocks.count {
            let (line, count) = blocks.block(b)
            patches(st, s, i0, line, count, cols)
            Float.blas(false, false, count &* wo, f, patch, cols, patch, st.kernel, f, part, f, accumulate: false)
            if let pool = st.pool, let from = st.from {
                let at = line / geo.ho &* st.outImage
                pool.maxOfProduct(part, bias: st.bias, relu: st.relu, images: count / geo.ho, out + at, from + (i0 &* st.outImage &+ at))
            } else {
                singleBiasActivation(part, out + line &* wo &* f, rows: count &* wo, cols: f, bias: st.bias, relu: st.relu)
            }
        }
    }

    func backward(_ st: StagePlan, _ s: Int, _ p: Int, _ i0: Int, _ nc: Int,
                  _ cols: UnsafeMutablePointer<Float>, _ gm: UnsafeMutablePointer<Float>) {
        let geo = st.geo, f = st.f, wo = geo.wo, patch = geo.patch
        let blocks = ConvBlocks(geo, budget: convSingleBlockElements, images: nc)
        let out = UnsafePointer(st.out + i0 &* st.outImage), g = UnsafePointer(st.outGrad + i0 &* st.outImage)
        let gk = st.chunkKernelGrad + p &* patch &* f, gb = st.chunkBiasGrad + p &* f
        gb.update(repeating: 0, count: f)
        let dx = st.inGrad.map { $0 + i0 &* st.inImage }
        dx?.update(repeating: 0, count: nc &* st.inImage)
        for b in 0..<blocks.count {
            let (line, count) = blocks.block(b), m = count &* wo
            if let pool = st.pool, let from = st.from {
                let at = line / geo.ho &* st.outImage
                gm.update(repeating: 0, count: m &* f)
                PoolGeometry.scatterMaxima(g + at, out + at, UnsafePointer(from + (i0 &* st.outImage &+ at)),
                                           pixels: count / geo.ho &* pool.ho &* pool.wo, channels: f, relu: st.relu, gm, biasGrad: gb)
            } else {
                let at = line &* wo &* f
                singleGradientMask(g + at, st.relu ? out + at : nil, gm, rows: m, cols: f, biasGrad: gb)
            }
            patches(st, s, i0, line, count, cols)
            Float.blas(true, false, patch, f, m, cols, patch, gm, f, gk, f, accumulate: b > 0)
            if let dx {
                Float.blas(false, true, m, patch, f, gm, f, st.kernel, f, cols, patch, accumulate: false)
                geo.col2im(UnsafePointer(cols), dx, rows: line, count: count)
            }
        }
    }
}
