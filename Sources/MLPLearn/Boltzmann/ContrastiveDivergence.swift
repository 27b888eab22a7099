// Contrastive divergence (Hinton 2002) and persistent CD (Tieleman 2008): the
// gradient of the log-likelihood <v h>_data - <v h>_model with the model's term
// from k Gibbs steps started at the data (CD-k) or continued from the last batch's
// chains (PCD-k). Products through BLAS on buffers kept for the whole run.
import MLPTensor

public struct CDOptions: Sendable {
    public var k = 1
    public var learningRate = 0.1
    public var persistent = false
    public var momentum = 0.0
    public var weightDecay = 0.0
    /// Hinton's guide, section 3: the hidden units driven by the data are sampled to
    /// drive the reconstruction but enter the statistics as probabilities, the
    /// reconstructed visible units are probabilities (PCD's chains stay sampled),
    /// and the last hidden update is a probability. false: every unit is sampled
    /// and the statistics are of samples (the course's basic run).
    public var probabilities = true
    /// Persistent chains (PCD); nil: as many as the batch has samples.
    public var chains: Int? = nil
    /// Products in single precision (sgemm) on Float copies of the parameters,
    /// refreshed after each update; the parameters and their updates stay Double.
    public var float32 = false
    public init() {}
}

/// One batch's gradient estimate, in buffers reused from batch to batch.
public final class CDStep {
    public let machine: RBM
    public let options: CDOptions
    let double: CDWork<Double>?
    let single: CDWork<Float>?

    public init(_ machine: RBM, _ options: CDOptions) {
        self.machine = machine; self.options = options
        if options.float32 { single = CDWork(machine, options); double = nil } else { double = CDWork(machine, options); single = nil }
    }

    /// The last estimate: <v h>_data - <v h>_model ([visible, hidden]), and the
    /// differences of <v> and <h>.
    public var gradW: [Double] { double?.gW ?? single!.gW.map(Double.init) }
    public var gradA: [Double] { double?.gA ?? single!.gA.map(Double.init) }
    public var gradB: [Double] { double?.gB ?? single!.gB.map(Double.init) }

    /// The gradient estimate for `rows` samples at `v`; returns the squared
    /// reconstruction error summed over the batch (CD; nan for PCD, which
    /// reconstructs nothing).
    @discardableResult
    public func gradient(_ v: UnsafePointer<Double>, _ rows: Int, _ random: inout Xoshiro256) -> Double {
        if let d = double { return machine.withConditionals { d.gradient(v, rows, $0, &random) } }
        let s = single!
        s.load(v, rows)
        return s.withConditionals { c in s.batch.withUnsafeBufferPointer { s.gradient($0.baseAddress!, rows, c, &random) } }
    }

    /// The update from the last gradient: with momentum mu, velocity = mu velocity +
    /// lr (gradient - weight_decay W) and parameters += velocity (weight decay on W only).
    /// float32: the Float copies of the parameters are written in the same pass.
    public func apply() throws {
        if let d = double { try apply(d) } else { try apply(single!) }
    }

    func apply<T: RBMScalar>(_ work: CDWork<T>) throws {
        let m = machine, o = options, lr = o.learningRate, nw = m.visible * m.hidden
        let useVelocity = o.momentum != 0, copying = T.self != Double.self
        if useVelocity && m.velocity.count != nw + m.visible + m.hidden {
            m.velocity = [Double](repeating: 0, count: nw + m.visible + m.hidden)
        }
        func update(_ t: inout Tensor, _ g: [T], _ offset: Int, decay: Double, _ copy: inout [T]) throws {
            if copying && copy.count != g.count { copy = [T](repeating: 0, count: g.count) }
            try t.withUnsafeMutableBufferPointer { p in copy.withUnsafeMutableBufferPointer { c in
                if useVelocity {
                    m.velocity.withUnsafeMutableBufferPointer { vel in
                        for i in 0..<g.count {
                            let d = o.momentum * vel[offset &+ i] + lr * (Double(g[i]) - decay * p[i])
                            vel[offset &+ i] = d
                            p[i] += d
                        }
                    }
                    if copying { for i in 0..<g.count { c[i] = T(p[i]) } }
                } else if copying {
                    for i in 0..<g.count { let x = p[i] + lr * (Double(g[i]) - decay * p[i]); p[i] = x; c[i] = T(x) }
                } else {
                    for i in 0..<g.count { p[i] += lr * (Double(g[i]) - decay * p[i]) }
                }
            }}
        }
        try update(&m.weights, work.gW, 0, decay: o.weightDecay, &work.w)
        try update(&m.visibleBias, work.gA, nw, decay: 0, &work.a)
        try update(&m.hiddenBias, work.gB, nw + m.visible, decay: 0, &work.b)
    }

    /// Keeps the persistent chains in the machine for the next call of train.
    func finish() {
        let kept = double?.chains ?? single!.chains.map(Double.init)
        if !kept.isEmpty { machine.persistentChains = kept }
    }
}

/// The buffers and the chain of a CD step in number type T.
final class CDWork<T: RBMScalar> {
    let machine: RBM
    let options: CDOptions
    var capacity = 0
    var ph0: [T] = [], h: [T] = [], pv: [T] = [], phk: [T] = []
    var gW: [T], gA: [T], gB: [T]
    /// PCD's chains: hidden samples [chains, hidden].
    var chains: [T]
    /// Float only: the parameters and the batch converted.
    var w: [T] = [], a: [T] = [], b: [T] = [], batch: [T] = []

    init(_ machine: RBM, _ options: CDOptions) {
        self.machine = machine; self.options = options
        gW = [T](repeating: 0, count: machine.visible * machine.hidden)
        gA = [T](repeating: 0, count: machine.visible)
        gB = [T](repeating: 0, count: machine.hidden)
        chains = options.persistent ? machine.persistentChains.map { T($0) } : []
        if T.self != Double.self { refresh() }
    }

    /// The parameters again from the machine (after an update).
    func refresh() {
        let m = machine
        func convert(_ t: Tensor, _ out: inout [T]) {
            if out.count != t.count { out = [T](repeating: 0, count: t.count) }
            t.withUnsafeBufferPointer { src in out.withUnsafeMutableBufferPointer { dst in for i in 0..<src.count { dst[i] = T(src[i]) } } }
        }
        convert(m.weights, &w); convert(m.visibleBias, &a); convert(m.hiddenBias, &b)
    }

    func load(_ v: UnsafePointer<Double>, _ rows: Int) {
        let n = rows * machine.visible
        if batch.count < n { batch = [T](repeating: 0, count: n) }
        batch.withUnsafeMutableBufferPointer { dst in for i in 0..<n { dst[i] = T(v[i]) } }
    }

    func withConditionals<R>(_ body: (Conditionals<T>) -> R) -> R {
        w.withUnsafeBufferPointer { w in a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in
            body(Conditionals(visible: machine.visible, hidden: machine.hidden, gaussian: machine.units == .gaussian,
                              w: w.baseAddress!, a: a.baseAddress!, b: b.baseAddress!))
        }}}
    }

    func reserve(_ rows: Int) {
        guard rows > capacity else { return }
        capacity = rows
        let nv = machine.visible, nh = machine.hidden
        ph0 = [T](repeating: 0, count: rows * nh); h = ph0; phk = ph0
        pv = [T](repeating: 0, count: rows * nv)
    }

    /// The indexes of the ones of the data batch, of the hidden states driving the
    /// reconstruction, and of the negative phase's visible states; W transposed.
    var onesV = BinaryIndex(), onesH = BinaryIndex(), onesNeg = BinaryIndex()
    var wt: [T] = []
    var wtFresh = false
    /// Double: every 0/1 operand is multiplied by adding rows (up to a density of 1;
    /// no faster than BLAS at high density, but the same bits on every CPU, so that a
    /// sampled run does not drift apart with the BLAS kernel). Float: sgemm throughout
    /// (faster than adding rows at these sizes).
    let sparseUpTo: Double = T.self == Double.self ? 1 : 0

    /// E[v | h] for binary hidden states h: by rows of W^T when sparse enough.
    func visibleFromSamples(_ c: Conditionals<T>, _ h: UnsafePointer<T>, _ rows: Int, _ out: UnsafeMutablePointer<T>) {
        guard onesH.build(h, rows, c.hidden, maxDensity: sparseUpTo, columns: false) else { c.visibleMeans(h, rows, out); return }
        if !wtFresh {
            if wt.count != c.visible &* c.hidden { wt = [T](repeating: 0, count: c.visible &* c.hidden) }
            wt.withUnsafeMutableBufferPointer { transpose(c.w, c.visible, c.hidden, $0.baseAddress!) }
            wtFresh = true
        }
        wt.withUnsafeBufferPointer { c.visibleMeans(h, rows, out, ones: onesH, wt: $0.baseAddress!) }
    }

    func gradient(_ v: UnsafePointer<T>, _ rows: Int, _ c: Conditionals<T>, _ random: inout Xoshiro256) -> Double {
        let nv = c.visible, nh = c.hidden, o = options, binaryUnits = !c.gaussian
        let chainCount = o.persistent ? (o.chains ?? rows) : rows
        reserve(max(rows, chainCount))
        wtFresh = false
        if o.persistent && chains.count != chainCount &* nh { chains = [T](repeating: 0, count: chainCount &* nh) }
        var err = Double.nan
        let dataBinary = binaryUnits && onesV.build(v, rows, nv, maxDensity: sparseUpTo)
        var negativeBinary = false
        ph0.withUnsafeMutableBufferPointer { ph0 in
        h.withUnsafeMutableBufferPointer { h in
        pv.withUnsafeMutableBufferPointer { pv in
        phk.withUnsafeMutableBufferPointer { phk in
        chains.withUnsafeMutableBufferPointer { chain in
            let ph0 = ph0.baseAddress!, h = h.baseAddress!, pv = pv.baseAddress!, phk = phk.baseAddress!
            c.hiddenProbabilities(v, rows, ph0, ones: dataBinary ? onesV : nil)
            if o.persistent {
                let chain = chain.baseAddress!
                if !o.probabilities { sampleBinary(ph0, rows &* nh, &random) }
                for _ in 0..<o.k {
                    visibleFromSamples(c, chain, chainCount, pv)
                    c.sampleVisible(pv, chainCount &* nv, &random)
                    negativeBinary = binaryUnits && onesNeg.build(pv, chainCount, nv, maxDensity: sparseUpTo)
                    c.hiddenProbabilities(pv, chainCount, phk, ones: negativeBinary ? onesNeg : nil)
                    sampleBinary(phk, into: chain, chainCount &* nh, &random)
                }
                if !o.probabilities { phk.update(from: chain, count: chainCount &* nh) }
            } else {
                sampleBinary(ph0, into: h, rows &* nh, &random)
                if !o.probabilities { ph0.update(from: h, count: rows &* nh) }
                for step in 1...o.k {
                    visibleFromSamples(c, h, rows, pv)
                    if step == 1 {
                        var s = 0.0
                        for i in 0..<rows &* nv { let d = Double(v[i]) - Double(pv[i]); s += d * d }
                        err = s
                    }
                    negativeBinary = false
                    if !o.probabilities {
                        c.sampleVisible(pv, rows &* nv, &random)
                        negativeBinary = binaryUnits && onesNeg.build(pv, rows, nv, maxDensity: sparseUpTo)
                    }
                    c.hiddenProbabilities(pv, rows, phk, ones: negativeBinary ? onesNeg : nil)
                    if step < o.k || !o.probabilities { sampleBinary(phk, into: step < o.k ? h : phk, rows &* nh, &random) }
                }
            }
            // the statistics: data term over the batch, model term over the chains
            gW.withUnsafeMutableBufferPointer { g in
                let g = g.baseAddress!
                if dataBinary && negativeBinary {
                    // both terms row by row of g: each row of g written once, not three times
                    BinaryIndex.transposeTimesDifference(onesV, ph0, alpha: 1 / T(rows), onesNeg, phk, beta: -1 / T(chainCount), nh, g)
                    return
                }
                if dataBinary {
                    g.update(repeating: 0, count: nv &* nh)
                    onesV.transposeTimes(ph0, nh, alpha: 1 / T(rows), g)
                } else {
                    T.product(transposeA: true, transposeB: false, nv, nh, rows, alpha: 1 / T(rows), v, nv, ph0, nh, beta: 0, g, nh)
                }
                if negativeBinary {
                    onesNeg.transposeTimes(phk, nh, alpha: -1 / T(chainCount), g)
                } else {
                    T.product(transposeA: true, transposeB: false, nv, nh, chainCount, alpha: -1 / T(chainCount), pv, nv, phk, nh, beta: 1, g, nh)
                }
            }
            columnMeanDifference(v, rows, pv, chainCount, nv, &gA)
            columnMeanDifference(ph0, rows, phk, chainCount, nh, &gB)
        }}}}}
        return err
    }
}

/// out[j] = mean over rows of x[:, j] - mean over rows of y[:, j].
func columnMeanDifference<T: RBMScalar>(_ x: UnsafePointer<T>, _ nx: Int, _ y: UnsafePointer<T>, _ ny: Int, _ width: Int, _ out: inout [T]) {
    out.withUnsafeMutableBufferPointer { o in
        for j in 0..<width { o[j] = 0 }
        let sx = 1 / T(nx), sy = 1 / T(ny)
        for r in 0..<nx { let row = x + r &* width; for j in 0..<width { o[j] += sx * row[j] } }
        for r in 0..<ny { let row = y + r &* width; for j in 0..<width { o[j] -= sy * row[j] } }
    }
}

extension RBM {
    /// Trains with CD-k or PCD-k on data [n, visible]: `epochs` passes in batches
    /// (shuffled when `shuffle`), or `steps` batches. The history's loss is the mean
    /// squared reconstruction error per unit over each epoch's batches (per step with
    /// `steps`); PCD measures it on the epoch's last batch.
    public func train(_ data: Tensor, _ options: CDOptions, epochs: Int, batch: Int, steps: Int?, shuffle: Bool,
                      random: inout Xoshiro256, report: (Progress) -> Void = { _ in },
                      shouldStop: () throws -> Bool = { false }) throws -> History {
        guard options.k >= 1 else { throw OperationError("cd", "k must be at least 1, got \(options.k).") }
        let n = try checkData(data, nil)
        guard n >= 1 else { throw OperationError(nil, "there is no data to train on (0 samples).") }
        let nv = visible, b = Swift.min(batch, n)
        let step = CDStep(self, options)
        var history = History()
        let perEpoch = (n + b - 1) / b
        let total = steps ?? epochs * perEpoch
        if steps != nil { history.per = "step" }
        var order = Array(0..<n)
        var buffer = [Double](repeating: 0, count: shuffle ? b * nv : 0)
        var done = 0, epoch = 0
        try data.withUnsafeBufferPointer { x in
            let x = x.baseAddress!
            outer: while done < total {
                if shuffle { random.shuffle(&order) }
                var sum = 0.0, count = 0
                var start = 0
                while start < n && done < total {
                    if try shouldStop() { history.stopped = "interrupted by Ctrl-C after \(done) steps"; break outer }
                    let rows = Swift.min(b, n - start)
                    let err: Double
                    if shuffle {
                        err = buffer.withUnsafeMutableBufferPointer { buf in
                            for r in 0..<rows { (buf.baseAddress! + r * nv).update(from: x + order[start + r] * nv, count: nv) }
                            return step.gradient(buf.baseAddress!, rows, &random)
                        }
                    } else {
                        err = step.gradient(x + start * nv, rows, &random)
                    }
                    try step.apply()
                    if !options.persistent { sum += err; count += rows }
                    done += 1
                    if steps != nil { history.loss.append(options.persistent ? Double.nan : err / Double(rows * nv)) }
                    start += rows
                    report(Progress(step: done, totalSteps: total, epoch: epoch + 1, epochs: steps == nil ? epochs : 1,
                                    loss: count > 0 ? sum / Double(count * nv) : .nan))
                }
                epoch += 1
                if steps == nil {
                    if options.persistent {
                        let last = Swift.max(0, start - b)
                        let slice = try data.ndim == 1 ? data : data.get([.slice(last, start, nil)])
                        history.loss.append(try reconstructionError(slice))
                    } else {
                        history.loss.append(sum / Double(Swift.max(count, 1) * nv))
                    }
                }
            }
        }
        step.finish()
        history.stepsDone = done
        if steps != nil && options.persistent, let last = history.loss.indices.last {
            history.loss[last] = try reconstructionError(data.ndim == 1 ? data : data.get([.slice(Swift.max(0, n - b), n, nil)]))
        }
        return history
    }
}
