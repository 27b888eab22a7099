// The sinks of the kernel's session (MLPRuntime's Output.swift): print goes out as
// `stream` messages, error reports and warnings as stderr `stream`s, figures as
// `display_data` images, and the training progress bar as one `display_data` that
// is updated in place (`update_display_data`) instead of a line per redraw.
// The sinks run on the session's thread; the text of print waits in a StreamQueue
// (bytes behind a lock), which the flusher thread also empties, so that a line
// printed before a long computation shows without waiting for the cell's end.
// The flusher thread also ends an orphaned kernel.
import MLPRuntime
import MLPPlot
import MLPLang
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The iopub channel as the session's thread sees it: messages go out with the
/// header of the request being served as their parent.
final class IOPub {
    let publisher: Publisher
    let signer: Signer
    let sessionID: String
    var parent: JSON = .object([])
    /// stdout and stderr, flushed before anything else goes out, so that the order is kept.
    let streams: [StreamQueue]

    init(publisher: Publisher, signer: Signer, sessionID: String) {
        self.publisher = publisher; self.signer = signer; self.sessionID = sessionID
        streams = ["stdout", "stderr"].map { StreamQueue(name: $0, publisher: publisher, signer: signer, sessionID: sessionID) }
    }

    func publish(_ type: String, _ content: JSON) {
        publisher.send(signer.encode(type: type, content: content, parent: parent, identities: [Array(type.utf8)], session: sessionID))
    }

    func flushStreams() { for s in streams { s.flush() } }
}

/// Text of one stream waiting to go out, with the request it belongs to. Written by
/// the session's thread; sent by it (end of a request, before other output) or by
/// the flusher thread once it is 50 ms old. Sent under the lock, so a flush that
/// returns has put everything before it on the wire.
final class StreamQueue: Sendable {
    private struct Pending {
        var bytes: [UInt8] = []
        var parent: JSON = .object([])
        var since = 0.0
    }
    let name: String
    private let publisher: Publisher
    private let signer: Signer
    private let sessionID: String
    private let pending = Mutex(Pending())

    init(name: String, publisher: Publisher, signer: Signer, sessionID: String) {
        self.name = name; self.publisher = publisher; self.signer = signer; self.sessionID = sessionID
    }

    /// Adds text; true when 64 KB are waiting (then the writer flushes at once).
    func append(_ text: String, parent: JSON) -> Bool {
        let bytes = Array(text.utf8)
        return pending.withLock { p in
            if p.bytes.isEmpty { p.since = monotonicSeconds(); p.parent = parent }
            p.bytes += bytes
            return p.bytes.count >= 1 << 16
        }
    }

    /// Sends what waits (only when it has waited `age` seconds).
    func flush(olderThan age: Double = 0) {
        pending.withLock { p in
            guard !p.bytes.isEmpty, age == 0 || monotonicSeconds() - p.since >= age else { return }
            let content: JSON = .object([("name", .string(name)), ("text", .string(String(decoding: p.bytes, as: UTF8.self)))])
            publisher.send(signer.encode(type: "stream", content: content, parent: p.parent, identities: [Array("stream".utf8)], session: sessionID))
            p.bytes.removeAll(keepingCapacity: true)
        }
    }
}

/// Empties the stream queues every 50 ms until the kernel closes. It also watches the
/// process that started the kernel (the notebook server): when that is gone (killed
/// without a shutdown request), the kernel ends too instead of running on, orphaned.
func flushPeriodically(_ streams: [StreamQueue], flags: KernelFlags, parent: pid_t) {
    while !flags.finished.load(ordering: .sequentiallyConsistent) {
        usleep(50_000)
        for s in streams { s.flush(olderThan: 0.05) }
        if parent > 1 && getppid() != parent {
            kernelLog("the process that started the kernel (\(parent)) is gone; exiting")
            _exit(0)
        }
    }
}

/// stdout or stderr of the session. Error reports (stderr) go out at once, after
/// what was printed before them.
final class StreamSink: TextSink {
    let io: IOPub
    let queue: StreamQueue
    let isTerminal = false
    let color = false

    init(_ queue: StreamQueue, io: IOPub) { self.queue = queue; self.io = io }

    func write(_ s: String) {
        let stderr = queue.name == "stderr"
        if stderr { io.flushStreams() }
        if queue.append(s, parent: io.parent) || stderr { queue.flush() }
    }

    func flush() { queue.flush() }
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
