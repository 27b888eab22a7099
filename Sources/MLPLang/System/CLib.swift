// The few C library calls the language core needs (no Foundation: it costs start-up time).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@inline(__always) func cPow(_ x: Double, _ y: Double) -> Double { pow(x, y) }

/// Anything at path: a file, a directory, a device, a FIFO, a socket (links followed).
public func pathExists(_ path: String) -> Bool {
    var st = stat()
    return stat(path, &st) == 0
}

public func fileExists(_ path: String) -> Bool {
    var st = stat()
    return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
}

public func directoryExists(_ path: String) -> Bool {
    var st = stat()
    return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
}

/// The whole file as UTF-8 text (invalid bytes replaced), nil when unreadable.
public func readFile(_ path: String) -> String? {
    guard let bytes = readFileBytes(path) else { return nil }
    return String(decoding: bytes, as: UTF8.self)
}

/// The whole file, nil when unreadable or when Ctrl-C was pressed while it was read
/// (a caller that may read a large file polls the interrupt when it gets nil).
public func readFileBytes(_ path: String) -> [UInt8]? {
    guard directoryExists(path) == false, let fp = fopen(path, "rb") else { return nil }
    defer { fclose(fp) }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        if Interrupt.flag.load(ordering: .relaxed) { return nil }
        let n = fread(&buf, 1, buf.count, fp)
        if n > 0 { out.append(contentsOf: buf[0..<n]) }
        if n < buf.count { break }
    }
    return ferror(fp) == 0 ? out : nil
}

/// printf-style formatting of one double, e.g. cFormat("%.4f", x).
public func cFormat(_ format: String, _ x: Double) -> String {
    var buf = [CChar](repeating: 0, count: 512)
    let n = withVaList([x]) { vsnprintf(&buf, buf.count, format, $0) }
    if n >= buf.count {
        buf = [CChar](repeating: 0, count: Int(n) + 1)
        _ = withVaList([x]) { vsnprintf(&buf, buf.count, format, $0) }
    }
    return buf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}

/// Seconds on the monotonic clock.
public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}
