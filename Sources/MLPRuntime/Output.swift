// Buffered standard output (flushed at newlines on a terminal, before any
// error report, and at exit) and unbuffered standard error.
#if canImport(Glibc)
import Glibc
#endif

public final class Output {
    private var buffer: [UInt8] = []
    private let fd: Int32
    private let lineBuffered: Bool
    /// Keeps everything in memory instead (the golden runner reads it back).
    private let capturing: Bool

    public init(fd: Int32 = 1) {
        self.fd = fd
        self.lineBuffered = isatty(fd) == 1
        self.capturing = false
        buffer.reserveCapacity(1 << 16)
    }

    /// An output that only collects text.
    public init(capturing: Void) { fd = -1; lineBuffered = false; self.capturing = true }

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

public func writeStderr(_ s: String) {
    var bytes = Array(s.utf8)
    var off = 0
    while off < bytes.count {
        let n = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress! + off, $0.count - off) }
        if n <= 0 { if errno == EINTR { continue }; break }
        off += n
    }
}

/// Colour for error reports: only on a terminal, never with NO_COLOR set.
public func useColor(fd: Int32) -> Bool {
    isatty(fd) == 1 && getenv("NO_COLOR") == nil && String(cString: getenv("TERM") ?? strdup("dumb")!) != "dumb"
}
