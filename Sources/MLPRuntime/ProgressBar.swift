// The training progress bar: on the session's display sink, only when that is a
// terminal, redrawn at most ten times a second so it never slows a fast loop.
import MLPLang
import MLPLearn
#if canImport(Glibc)
import Glibc
#endif

final class ProgressBar {
    let enabled: Bool
    let sink: TextSink
    let start = monotonicSeconds()
    var lastDraw = 0.0
    var drawn = false

    init(enabled: Bool, sink: TextSink) { self.enabled = enabled && sink.isTerminal; self.sink = sink }

    func show(_ p: Progress) {
        guard enabled else { return }
        let now = monotonicSeconds()
        if now - lastDraw < 0.1 && p.step != p.totalSteps { return }
        lastDraw = now
        let elapsed = now - start
        let frac = Double(p.step) / Double(max(p.totalSteps, 1))
        let width = 24, filled = Int(frac * Double(width))
        let bar = String(repeating: "=", count: filled) + (filled < width ? ">" + String(repeating: " ", count: width - filled - 1) : "")
        let eta = frac > 0 ? elapsed / frac - elapsed : 0
        let epoch = p.epochs > 1 ? "epoch \(p.epoch)/\(p.epochs) " : ""
        let figures = p.figures.map { " \($0.0) \(cFormat("%.4g", $0.1))" }.joined()
        write("\r\(epoch)step \(p.step)/\(p.totalSteps) [\(bar)] loss \(cFormat("%.4g", p.loss))\(figures)  ETA \(ProgressBar.time(eta))\u{1B}[K")
        drawn = true
    }

    /// A bar for other long native work (Monte Carlo sweeps): `what done/total [===>  ] ETA`.
    func show(_ what: String, _ done: Int, _ total: Int) {
        guard enabled else { return }
        let now = monotonicSeconds()
        if now - lastDraw < 0.1 && done != total { return }
        lastDraw = now
        let elapsed = now - start, frac = Double(done) / Double(max(total, 1))
        let width = 24, filled = Int(frac * Double(width))
        let bar = String(repeating: "=", count: filled) + (filled < width ? ">" + String(repeating: " ", count: width - filled - 1) : "")
        let eta = frac > 0 ? elapsed / frac - elapsed : 0
        write("\r\(what) \(done)/\(total) [\(bar)] ETA \(ProgressBar.time(eta))\u{1B}[K")
        drawn = true
    }

    /// Clears a bar drawn by show(_:_:_:).
    func clear() {
        guard enabled, drawn else { return }
        write("\r\u{1B}[K")
    }

    /// Replaces the bar by a one-line summary (or clears it after an error).
    func finish(_ h: History?) {
        guard enabled, drawn else { return }
        guard let h else { write("\r\u{1B}[K"); return }
        let loss = h.keys.compactMap { k in h.curve(k)?.last.map { " \(k) \(cFormat("%.4g", $0))" } }.joined()
        write("\r\(h.stepsDone) steps in \(ProgressBar.time(monotonicSeconds() - start)),\(loss)\u{1B}[K\n")
    }

    static func time(_ s: Double) -> String {
        if s < 60 { return cFormat("%.1fs", s) }
        let m = Int(s) / 60, r = Int(s) % 60
        return "\(m)m\(r < 10 ? "0" : "")\(r)s"
    }

    func write(_ s: String) { sink.write(s) }
}
