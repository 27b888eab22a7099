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
    public init() {}
}

/// One batch's gradient estimate, in buffers reused from batch to batch.
public final class CDStep {
    public let machine: RBM
    public let options: CDOptions
    var capacity = 0
    var ph0: [Double] = [], h: [Double] = [], pv: [Double] = [], phk: [Double] = []
    /// The estimate: <v h>_data - <v h>_model ([visible, hidden]), <v> and <h> differences.
    public private(set) var gradW: [Double], gradA: [Double], gradB: [Double]

    public init(_ machine: RBM, _ options: CDOptions) {
        self.machine = machine; self.options = options
        gradW = [Double](repeating: 0, count: machine.visible * machine.hidden)
        gradA = [Double](repeating: 0, count: machine.visible)
        gradB = [Double](repeating: 0, count: machine.hidden)
    }

    func reserve(_ rows: Int) {
        guard rows > capacity else { return }
        capacity = rows
        let nv = machine.visible, nh = machine.hidden
        ph0 = [Double](repeating: 0, count: rows * nh); h = ph0; phk = ph0
        pv = [Double](repeating: 0, count: rows * nv)
    }

    /// The gradient estimate for `rows` samples at `v`; returns the squared
    /// reconstruction error summed over the batch (CD; nan for PCD, which
    /// reconstructs nothing).
    @discardableResult
    public func gradient(_ v: UnsafePointer<Double>, _ rows: Int, _ random: inout Xoshiro256) -> Double {
        let m = machine, nv = m.visible, nh = m.hidden, o = options
        let chains = o.persistent ? (o.chains ?? rows) : rows
        reserve(max(rows, chains))
        var err = Double.nan
        ph0.withUnsafeMutableBufferPointer { ph0 in
        h.withUnsafeMutableBufferPointer { h in
        pv.withUnsafeMutableBufferPointer { pv in
        phk.withUnsafeMutableBufferPointer { phk in
            let ph0 = ph0.baseAddress!, h = h.baseAddress!, pv = pv.baseAddress!, phk = phk.baseAddress!
            m.hiddenProbabilities(v, rows, ph0)
            if o.persistent {
                if !o.probabilities { sampleBinary(ph0, rows &* nh, &random) }
                if m.persistentChains.count != chains &* nh { m.persistentChains = [Double](repeating: 0, count: chains &* nh) }
                m.persistentChains.withUnsafeMutableBufferPointer { c in
                    let c = c.baseAddress!
                    for _ in 0..<o.k {
                        m.visibleMeans(c, chains, pv)
                        m.sampleVisible(pv, chains &* nv, &random)
                        m.hiddenProbabilities(pv, chains, phk)
                        sampleBinary(phk, into: c, chains &* nh, &random)
                    }
                    if !o.probabilities { phk.update(from: c, count: chains &* nh) }
                }
            } else {
                sampleBinary(ph0, into: h, rows &* nh, &random)
                if !o.probabilities { ph0.update(from: h, count: rows &* nh) }
                for step in 1...o.k {
                    m.visibleMeans(h, rows, pv)
                    if step == 1 {
                        var s = 0.0
                        for i in 0..<rows &* nv { let d = v[i] - pv[i]; s += d * d }
                        err = s
                    }
                    if !o.probabilities { m.sampleVisible(pv, rows &* nv, &random) }
                    m.hiddenProbabilities(pv, rows, phk)
                    if step < o.k || !o.probabilities { sampleBinary(phk, into: step < o.k ? h : phk, rows &* nh, &random) }
                }
            }
            // the statistics: data term over the batch, model term over the chains
            gradW.withUnsafeMutableBufferPointer { g in
                Tensor.blasProduct(transposeA: true, transposeB: false, nv, nh, rows, alpha: 1 / Double(rows), v, nv, ph0, nh, beta: 0, g.baseAddress!, nh)
                Tensor.blasProduct(transposeA: true, transposeB: false, nv, nh, chains, alpha: -1 / Double(chains), pv, nv, phk, nh, beta: 1, g.baseAddress!, nh)
            }
            columnMeanDifference(v, rows, pv, chains, nv, &gradA)
            columnMeanDifference(ph0, rows, phk, chains, nh, &gradB)
        }}}}
        return err
    }

    /// The update from the last gradient: with momentum mu, velocity = mu velocity +
    /// lr (gradient - weight_decay W) and parameters += velocity (weight decay on W only).
    public func apply() throws {
        let m = machine, o = options, lr = o.learningRate, nw = m.visible * m.hidden
        let useVelocity = o.momentum != 0
        if useVelocity && m.velocity.count != nw + m.visible + m.hidden {
            m.velocity = [Double](repeating: 0, count: nw + m.visible + m.hidden)
        }
        func update(_ t: inout Tensor, _ g: [Double], _ offset: Int, decay: Double) throws {
            try t.withUnsafeMutableBufferPointer { p in
                if useVelocity {
                    m.velocity.withUnsafeMutableBufferPointer { vel in
                        for i in 0..<g.count {
                            let d = o.momentum * vel[offset &+ i] + lr * (g[i] - decay * p[i])
                            vel[offset &+ i] = d
                            p[i] += d
                        }
                    }
                } else {
                    for i in 0..<g.count { p[i] += lr * (g[i] - decay * p[i]) }
                }
            }
        }
        try update(&m.weights, gradW, 0, decay: o.weightDecay)
        try update(&m.visibleBias, gradA, nw, decay: 0)
        try update(&m.hiddenBias, gradB, nw + m.visible, decay: 0)
    }
}

/// out[j] = mean over rows of x[:, j] - mean over rows of y[:, j].
func columnMeanDifference(_ x: UnsafePointer<Double>, _ nx: Int, _ y: UnsafePointer<Double>, _ ny: Int, _ width: Int, _ out: inout [Double]) {
    out.withUnsafeMutableBufferPointer { o in
        for j in 0..<width { o[j] = 0 }
        let sx = 1 / Double(nx), sy = 1 / Double(ny)
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
        history.stepsDone = done
        if steps != nil && options.persistent, let last = history.loss.indices.last {
            history.loss[last] = try reconstructionError(data.ndim == 1 ? data : data.get([.slice(Swift.max(0, n - b), n, nil)]))
        }
        return history
    }
}
