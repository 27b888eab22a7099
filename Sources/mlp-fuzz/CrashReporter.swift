// In the child: a signal handler that writes the crashing frames; in the parent:
// the trap message read back and symbolized.
import MLPLang
import MLPRuntime
import MLPTensor
#if canImport(Glibc)
import Glibc
#endif

/// Buffers the signal handler uses (no allocation once a signal comes).
nonisolated(unsafe) let crashFrames = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: 64)
nonisolated(unsafe) let crashText = UnsafeMutablePointer<UInt8>.allocate(capacity: 4096)
nonisolated(unsafe) var executableBase: UnsafeMutableRawPointer? = nil

/// execinfo's backtrace and dlfcn's dladdr (not in the Glibc module).
struct DlInfo {
    var fname: UnsafePointer<CChar>? = nil
    var fbase: UnsafeMutableRawPointer? = nil
    var sname: UnsafePointer<CChar>? = nil
    var saddr: UnsafeMutableRawPointer? = nil
}
@_silgen_name("backtrace") func c_backtrace(_ buffer: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ size: Int32) -> Int32
@_silgen_name("dladdr") func c_dladdr(_ addr: UnsafeRawPointer?, _ info: UnsafeMutablePointer<DlInfo>) -> Int32

/// On a fatal signal: writes the signal and the return addresses as offsets into
/// the executable (`exe+0x...`, for addr2line) to stderr, then dies of the signal.
nonisolated(unsafe) let crashHandler: @convention(c) (Int32, UnsafeMutablePointer<siginfo_t>?, UnsafeMutableRawPointer?) -> Void = { sig, _, _ in
    var n = 0
    func put(_ s: StaticString) {
        s.withUTF8Buffer { b in for c in b where n < 4000 { crashText[n] = c; n += 1 } }
    }
    func putHex(_ x: UInt) {
        put("0x")
        var started = false
        for k in stride(from: 60, through: 0, by: -4) {
            let d = Int((x >> UInt(k)) & 0xF)
            if d != 0 || started || k == 0 {
                started = true
                if n < 4000 { crashText[n] = d < 10 ? UInt8(48 + d) : UInt8(87 + d); n += 1 }
            }
        }
    }
    put("fuzz-crash: signal ")
    putHex(UInt(sig))
    put(" frames:")
    let count = Int(c_backtrace(crashFrames, 64))
    // skip this handler's own frames: up to the signal trampoline (the first frame outside the executable)
    var first = 0
    while first < count {
        var info = DlInfo()
        if let pc = crashFrames[first], c_dladdr(pc, &info) != 0, info.fbase == executableBase { first += 1 } else { break }
    }
    for i in first..<count {
        guard let pc = crashFrames[i] else { continue }
        var info = DlInfo()
        if c_dladdr(pc, &info) != 0, let base = info.fbase, base == executableBase {
            put(" exe+")
            putHex(UInt(bitPattern: pc - UnsafeMutableRawPointer(base)))
        } else {
            put(" -")
        }
    }
    put("\n")
    _ = Glibc.write(2, crashText, n)
}

/// Installs the crash reporter on the calling thread (the alternate stack is per thread).
func installCrashReporter() {
    var info = DlInfo()
    if c_dladdr(unsafeBitCast(crashHandler, to: UnsafeRawPointer.self), &info) != 0 { executableBase = info.fbase }
    let size = 1 << 17
    var ss = stack_t()
    ss.ss_sp = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
    ss.ss_size = size
    ss.ss_flags = 0
    sigaltstack(&ss, nil)
    _ = c_backtrace(crashFrames, 4)   // loads the unwinder now rather than in the handler
    crashText[0] = 0   // allocates the buffer now: a global outside main.swift is made on first use
    var sa = sigaction()
    sa.sa_flags = Int32(SA_SIGINFO | SA_ONSTACK | Int32(bitPattern: UInt32(SA_RESETHAND)))
    sa.__sigaction_handler.sa_sigaction = crashHandler
    for sig in [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGABRT] { sigaction(sig, &sa, nil) }
}

/// The trap message a dead child left on its stderr ("Fatal error: ..." and the
/// like) and the innermost frame in the executable, which tells silent traps apart.
func trapMessage(_ path: String) -> String {
    guard let bytes = readWholeFile(path) else { return "" }
    let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
    var message = ""
    if let l = lines.last(where: { $0.contains("Fatal error") || $0.contains("fatal error") || $0.contains("Could not allocate")
        || $0.contains("Precondition failed") || $0.contains("Assertion failed") || $0.contains("allocat") }) {
        message = l.trimmingWhitespaceFuzz()
    }
    if let c = lines.last(where: { $0.hasPrefix("fuzz-crash:") }) {
        let words = c.split(separator: " ")
        let signal = words.count > 2 ? Int(words[2].dropFirst(2), radix: 16) : nil
        let sig = signal.map { "signal \($0)" } ?? ""
        let frames = words.filter { $0.hasPrefix("exe+") || $0 == "-" }
        var frame = words.first { $0.hasPrefix("exe+") }.map { " at \($0)" } ?? ""
        if signal == Int(SIGSEGV) && frames.count >= 60 {
            // a stack overflow: name it by the recursion (the lowest frame seen more than once), not the innermost call
            var seen: [Substring: Int] = [:]
            for f in frames where f != "-" { seen[f, default: 0] += 1 }
            if let rec = seen.filter({ $0.value > 1 }).keys.min(by: { (Int($0.dropFirst(6), radix: 16) ?? 0) < (Int($1.dropFirst(6), radix: 16) ?? 0) }) {
                frame = " stack overflow, recursion through \(rec)"
            }
        }
        message += (message.isEmpty ? "" : " ") + "[\(sig)\(frame)]"
    }
    return message
}

extension String {
    func trimmingWhitespaceFuzz() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\r" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s.removeLast() }
        return String(s)
    }
}

/// "Swift runtime failure: ... in Function (File.swift:line)" for an `exe+0x...` frame,
/// when llvm-symbolizer is installed (the release build keeps line tables).
func symbolize(_ message: String) -> String? {
    guard let word = message.split(separator: " ").first(where: { $0.hasPrefix("exe+0x") }) else { return nil }
    let hex = word.dropFirst(6).prefix { $0.isHexDigit }
    guard !hex.isEmpty else { return nil }
    var buf = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buf, buf.count - 1)
    guard n > 0 else { return nil }
    let exe = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    let cmd = "command -v llvm-symbolizer >/dev/null 2>&1 || exit 0; out=$(llvm-symbolizer --obj='\(exe)' --inlining 0x\(hex) 2>/dev/null); " +
        "if command -v swift-demangle >/dev/null 2>&1; then printf '%s\\n' \"$out\" | swift-demangle --simplified; else printf '%s\\n' \"$out\"; fi"
    guard let fp = popen(cmd, "r") else { return nil }
    var text: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let k = fread(&chunk, 1, chunk.count, fp)
        if k > 0 { text += chunk[0..<k] }
        if k < chunk.count { break }
    }
    pclose(fp)
    let lines = String(decoding: text, as: UTF8.self).split(separator: "\n").map(String.init)
    var reason: String? = nil, site: String? = nil
    var i = 0
    while i + 1 < lines.count {
        let fn = lines[i], file = lines[i + 1]
        if fn.hasPrefix("Swift runtime failure: ") { reason = String(fn.dropFirst("Swift runtime failure: ".count)) }
        else if site == nil, file.contains("/Sources/"), fn != "??" {
            let short = file.split(separator: "/").suffix(2).joined(separator: "/")
            site = "\(fn) (\(short.split(separator: ":").prefix(2).joined(separator: ":")))"
        }
        i += 2
    }
    guard reason != nil || site != nil else { return nil }
    return [reason, site.map { "in " + $0 }].compactMap { $0 }.joined(separator: " ")
}
