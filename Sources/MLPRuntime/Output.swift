// The sinks a session writes to (Context.swift): buffered standard output
// (flushed at newlines on a terminal, before any error report, and at exit) and
// unbuffered standard error. A notebook kernel gives a session sinks of its own.
import MLPPlot
#if canImport(Glibc)
import Glibc
#endif

/// Where a session's text goes. Whether a person watches it at a terminal is the
/// sink's to say: builtins ask it (progress bars, colour), never `isatty`.
public protocol TextSink: AnyObject {
    func write(_ s: String)
    func flush()
    /// A terminal: progress bars are drawn, output is line buffered.
    var isTerminal: Bool { get }
    /// A terminal that takes ANSI colours (no NO_COLOR, TERM not dumb).
    var color: Bool { get }
}

/// A display sink that shows figures as images (a notebook kernel's): plot, scatter,
/// hist, imshow and imshow_grid give it their figure instead of drawing it in text.
public protocol FigureSink: AnyObject {
    func show(_ figure: Figure)
}

/// Standard output, or (capturing) a buffer the golden runner and tests read back.
public final class Output: TextSink {
    private var buffer: [UInt8] = []
    private let fd: Int32
    private let lineBuffered: Bool
    public let isTerminal: Bool
    /// Keeps everything in memory instead (the golden runner reads it back).
    private let capturing: Bool

    public let color: Bool

    public init(fd: Int32 = 1) {
        self.fd = fd
        self.lineBuffered = isatty(fd) == 1
        self.isTerminal = lineBuffered
        self.capturing = false
        self.color = useColor(fd: fd)
        buffer.reserveCapacity(1 << 16)
    }

    /// An output that only collects text; `terminal` makes it say it is one (so
    /// that a test sees what a person at a terminal would: progress bars).
    public init(capturing: Void, terminal: Bool = false) {
        fd = -1; lineBuffered = false; self.capturing = true; color = false; isTerminal = terminal
    }

    public var captured: String { String(decoding: buffer, as: UTF8.self) }

    public func write(_ s: String) {
        buffer.append(contentsOf: s.utf8)
        if !capturing && (buffer.count >= 1 << 16 || (lineBuffered && s.utf8.last == 10)) { flush() }
    }

    public func flush() {
        if capturing { return }
        var off = 0
        while off < buffer.count {
            let n = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + off, $0.count - off) }
            if n <= 0 { if errno == EINTR { continue }; break }
            off += n
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Standard error, unbuffered: error reports, warnings, progress bars.
public final class StandardError: TextSink {
    public let isTerminal = isatty(2) == 1
    public let color = useColor(fd: 2)
    public init() {}
    public func write(_ s: String) { writeStderr(s) }
    public func flush() {}
}

public func writeStderr(_ s: String) {
    var bytes = Array(s.utf8)
    var off = 0
    while off < bytes.count {
        let n = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress! + off, $0.count - off) }
        if n <= 0 { if errno == EINTR { continue }; break }
        off += n
    }
}

/// Colour: only on a terminal, never with NO_COLOR set (the sinks ask once).
func useColor(fd: Int32) -> Bool {
    isatty(fd) == 1 && getenv("NO_COLOR") == nil && String(cString: getenv("TERM") ?? strdup("dumb")!) != "dumb"
}
