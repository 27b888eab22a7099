// Reading and writing files and finding the corpus.
import MLPLang
import MLPRuntime
import MLPTensor
#if canImport(Glibc)
import Glibc
#endif

func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
    var off = 0
    while off < bytes.count {
        let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + off, $0.count - off) }
        if n <= 0 { if errno == EINTR { continue }; return }
        off += n
    }
}

func writeFile(_ path: String, _ bytes: [UInt8]) -> Bool {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { return false }
    writeAll(fd, bytes)
    close(fd)
    return true
}

func readWholeFile(_ path: String) -> [UInt8]? { readFileBytes(path) }

func listDirectory(_ path: String) -> [String] {
    guard let d = opendir(path) else { return [] }
    defer { closedir(d) }
    var out: [String] = []
    while let e = readdir(d) {
        let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if name != "." && name != ".." { out.append(name) }
    }
    return out.sorted()
}

/// All `.mlp` files below `dir`, sorted (so the corpus, and the run, are deterministic).
func mlpFiles(under dir: String, depth: Int = 0) -> [String] {
    guard depth < 6 else { return [] }
    var out: [String] = []
    for name in listDirectory(dir) {
        let path = dir + "/" + name
        if directoryExists(path) { if !name.hasPrefix(".") { out += mlpFiles(under: path, depth: depth + 1) } }
        else if name.hasSuffix(".mlp") && fileExists(path) { out.append(path) }
    }
    return out
}

/// The package root: the current directory or a folder above the executable holding Package.swift.
func packageRoot() -> String? {
    if fileExists("Package.swift") && directoryExists("Tests") { return "." }
    var buf = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buf, buf.count - 1)
    guard n > 0 else { return nil }
    var dir = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    for _ in 0..<8 {
        guard let slash = dir.lastIndex(of: "/") else { break }
        dir = String(dir[..<slash])
        if dir.isEmpty { break }
        if fileExists(dir + "/Package.swift") && directoryExists(dir + "/Tests") { return dir }
    }
    return nil
}
