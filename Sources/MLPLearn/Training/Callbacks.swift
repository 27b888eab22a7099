// Keras's training callbacks, natively: early stopping on a monitored curve of the
// history (with the best weights kept and restored), the "is this the best so far"
// rule a checkpoint uses, and learning-rate schedules as functions of the epoch.
import MLPTensor

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which way a monitored value improves: "min" (a loss, an error), "max" (an accuracy);
/// "auto" takes max for names containing "acc", min otherwise (Keras's rule).
public enum MonitorMode: String {
    case auto, min, max

    public static func parse(_ s: String, _ who: String) throws -> MonitorMode {
        guard let m = MonitorMode(rawValue: s) else {
            throw LearnError(who, "mode must be \"auto\", \"min\" or \"max\", got \"\(s)\".")
        }
        return m
    }

    /// true when larger values are better for `monitor`.
    public func maximizes(_ monitor: String) -> Bool {
        switch self {
        case .min: return false
        case .max: return true
        case .auto: return monitor.contains("acc")
        }
    }
}

/// The best value of a monitored curve so far, and whether a new one beats it by minDelta.
public struct BestTracker {
    public let monitor: String
    public let maximize: Bool
    public let minDelta: Double
    public private(set) var best: Double
    public private(set) var bestEntry = -1

    public init(monitor: String, mode: MonitorMode, minDelta: Double = 0) {
        self.monitor = monitor
        maximize = mode.maximizes(monitor)
        self.minDelta = Swift.abs(minDelta)
        best = maximize ? -.infinity : .infinity
    }

    /// The monitored value of the history's last entry, or an error naming the curves there are.
    public func current(_ h: History, _ who: String) throws -> Double {
        guard let c = h.curve(monitor), let v = c.last else {
            let hint = monitor.hasPrefix("val_") ? " (val_ curves need validation= or validation_split=)" : ""
            throw LearnError(nil, "\(who) monitors '\(monitor)', which the history does not have\(hint); it has \(h.keys.map { "'\($0)'" }.joined(separator: ", ")).")
        }
        return v
    }

    /// Records `value` of entry `entry`; true when it is an improvement (a new best).
    public mutating func improves(_ value: Double, entry: Int) -> Bool {
        guard value.isFinite else { return false }
        let better = maximize ? value - minDelta > best : value + minDelta < best
        if better { best = value; bestEntry = entry }
        return better
    }
}

/// Keras's EarlyStopping: stops when the monitored value has not improved (by more than
/// minDelta) for `patience` entries in a row; with restoreBest, the weights of the best
/// entry are put back when training ends (stopped or not), as Keras 3 does.
public final class EarlyStopping {
    public private(set) var tracker: BestTracker
    public let patience: Int
    public let restoreBest: Bool
    private var wait = 0
    private var bestWeights: [Tensor]? = nil
    /// The entry (from 0) training stopped after, or nil.
    public private(set) var stoppedEntry: Int? = nil

    public init(monitor: String = "val_loss", patience: Int = 0, minDelta: Double = 0, mode: MonitorMode = .auto, restoreBest: Bool = false) throws {
        guard patience >= 0 else { throw LearnError("early_stopping", "patience must be a non-negative integer, got \(patience).") }
        tracker = BestTracker(monitor: monitor, mode: mode, minDelta: minDelta)
        self.patience = patience
        self.restoreBest = restoreBest
    }

    /// Forgets what a previous train call saw (each train call starts afresh, as Keras's on_train_begin).
    public func begin() {
        tracker = BestTracker(monitor: tracker.monitor, mode: tracker.maximize ? .max : .min, minDelta: tracker.minDelta)
        wait = 0; bestWeights = nil; stoppedEntry = nil
    }

    /// After entry `entry` of the history: a reason to stop, or nil to go on.
    public func entryEnd(_ model: Layer, _ entry: Int, _ h: History) throws -> String? {
        let value = try tracker.current(h, "early_stopping")
        if tracker.improves(value, entry: entry) {
            wait = 0
            if restoreBest { bestWeights = model.parameters.map(\.value) }
            return nil
        }
        wait += 1
        // Keras's rule: wait >= patience after an entry without improvement, never at the first
        guard wait >= Swift.max(patience, 1), entry > 0 else { return nil }
        stoppedEntry = entry
        let best = tracker.bestEntry >= 0 ? "; best \(tracker.monitor) \(Tensor.formatNumber(tracker.best)) at \(h.per) \(tracker.bestEntry + 1)" : ""
        return "early stopping after \(h.per) \(entry + 1): \(tracker.monitor) did not improve for \(wait) \(h.per)\(wait == 1 ? "" : "s")\(best)"
    }

    /// At the end of training: the best weights back (when asked and there was a best).
    /// Returns the entry restored, or nil.
    @discardableResult
    public func end(_ model: Layer) -> Int? {
        guard restoreBest, let w = bestWeights else { return nil }
        let params = model.parameters
        guard params.count == w.count else { return nil }
        for (p, t) in zip(params, w) where p.value.shape == t.shape { p.value = t }
        return tracker.bestEntry
    }
}

/// A learning rate as a function of the epoch (from 0) and the rate the training started with.
public enum LearningRateSchedule {
    /// lr0 · factor^floor(epoch / every) (Keras's step decay, staircase=True).
    case step(every: Int, factor: Double)
    /// lr0 · rate^epoch (Keras's ExponentialDecay with decay_steps 1).
    case exponential(rate: Double)
    /// minLR + (lr0 − minLR) · (1 + cos(π · min(epoch, epochs) / epochs)) / 2 (Keras's CosineDecay, alpha = minLR / lr0).
    case cosine(epochs: Int, minLR: Double)

    public func rate(epoch: Int, initial lr0: Double) -> Double {
        switch self {
        case .step(let every, let factor):
            return lr0 * pow(factor, Double(epoch / every))
        case .exponential(let r):
            return lr0 * pow(r, Double(epoch))
        case .cosine(let epochs, let minLR):
            let e = Double(Swift.min(epoch, epochs))
            return minLR + (lr0 - minLR) * (1 + cos(Double.pi * e / Double(epochs))) / 2
        }
    }
}
