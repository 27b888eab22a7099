// The sinks of the kernel's session (MLPRuntime's Output.swift): print goes out as
// `stream` messages, error reports and warnings as stderr `stream`s, figures as
// `display_data` images, and the training progress bar as one `display_data` that
// is updated in place (`update_display_data`) instead of a line per redraw.
// All of them run on the session's thread.
import MLPRuntime
import MLPPlot
import MLPLang

/// The iopub channel as the session's thread sees it: messages go out with the
/// header of the request being served as their parent.
final class IOPub {
    let publisher: Publisher
    let signer: Signer
    let sessionID: String
    var parent: JSON = .object([])
    /// Streams to flush before anything else goes out, so that the order is kept.
    var streams: [StreamSink] = []

    init(publisher: Publisher, signer: Signer, sessionID: String) {
        self.publisher = publisher; self.signer = signer; self.sessionID = sessionID
    }

    func publish(_ type: String, _ content: JSON) {
        publisher.send(signer.encode(type: type, content: content, parent: parent, identities: [Array(type.utf8)], session: sessionID))
    }

    func flushStreams() { for s in streams { s.flush() } }
}

/// stdout or stderr: text collected and sent as `stream` messages, at the end of a
/// cell, before other output, and at a newline when 50 ms have passed since the last
/// message (a loop that prints shows its lines as they come, in few messages).
final class StreamSink: TextSink {
    let name: String
    let io: IOPub
    private var buffer = ""
    private var lastSent = 0.0
    let isTerminal = false
    let color = false

    init(name: String, io: IOPub) { self.name = name; self.io = io }

    func write(_ s: String) {
        if name == "stderr" { io.flushStreams() }   // what was printed before an error report comes before it
        buffer += s
        if buffer.utf8.count >= 1 << 16 || (s.utf8.last == 10 && monotonicSeconds() - lastSent > 0.05) || name == "stderr" { flush() }
    }

    func flush() {
        guard !buffer.isEmpty else { return }
        let text = buffer
        buffer = ""
        io.publish("stream", .object([("name", .string(name)), ("text", .string(text))]))
        lastSent = monotonicSeconds()
    }
}

/// Transient output and figures. It says it is a terminal, so that training draws its
/// progress bar; the bar's redraws ("\r...", ANSI erase-line) become updates of one
/// display, and its final summary line stays there.
final class DisplaySink: TextSink, FigureSink {
    let io: IOPub
    let isTerminal = true
    let color = false
    private var line = ""
    private var displayID: String?

    init(io: IOPub) { self.io = io }

    func write(_ s: String) {
        var finished = false
        for ch in s.replacingAll("\u{1B}[K", with: "") {
            switch ch {
            case "\r": line = ""
            case "\n", "\r\n": finished = true
            default: line.append(ch)
            }
        }
        if line.isEmpty && !finished {
            if displayID != nil { show(text: "") }
            displayID = nil
            return
        }
        show(text: line)
        if finished { displayID = nil; line = "" }
    }

    private func show(text: String) {
        let data: JSON = .object([("text/plain", .string(text))])
        if let id = displayID {
            io.publish("update_display_data", .object([("data", data), ("metadata", .object([])), ("transient", .object([("display_id", .string(id))]))]))
        } else {
            io.flushStreams()
            let id = newID()
            displayID = id
            io.publish("display_data", .object([("data", data), ("metadata", .object([])), ("transient", .object([("display_id", .string(id))]))]))
        }
    }

    func flush() {}

    /// A figure: PNG, SVG (unless it is over 1 MB: heat maps of many pixels) and its
    /// terminal drawing as text/plain (for `jupyter console` and text exports).
    func show(_ figure: Figure) {
        io.flushStreams()
        var data: [(String, JSON)] = [("image/png", .string(base64(figure.renderPNG())))]
        let svg = figure.renderSVG()
        if svg.utf8.count <= 1 << 20 { data.append(("image/svg+xml", .string(svg))) }
        data.append(("text/plain", .string(figure.renderText(color: false))))
        io.publish("display_data", .object([("data", .object(data)), ("metadata", .object([])), ("transient", .object([]))]))
    }
}

extension String {
    /// Every occurrence of `target` replaced (no Foundation here).
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty, contains(target) else { return self }
        var out = "", rest = self[...]
        while let r = rest.firstRange(of: target) {
            out += rest[..<r.lowerBound] + replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}
