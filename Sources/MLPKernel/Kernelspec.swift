// `mlp kernel install [--user | --prefix P]`: the kernelspec that makes Jupyter
// offer mlp (kernels/mlp/kernel.json, its logos). The kernel is this binary.
import MLPLang
import MLPPlot
#if canImport(Glibc)
import Glibc
#endif

/// Where the kernelspec goes: `--user` Jupyter's per-user data folder, `--prefix P`
/// P/share/jupyter, else the system-wide /usr/local/share/jupyter.
func kernelspecFolder(user: Bool, prefix: String?) -> String {
    if let prefix { return prefix + "/share/jupyter/kernels/mlp" }
    if user {
        if let d = getenv("JUPYTER_DATA_DIR") { return String(cString: d) + "/kernels/mlp" }
        let home = getenv("HOME").map { String(cString: $0) } ?? "."
        let data = getenv("XDG_DATA_HOME").map { String(cString: $0) } ?? home + "/.local/share"
        return data + "/jupyter/kernels/mlp"
    }
    return "/usr/local/share/jupyter/kernels/mlp"
}

/// The path of the running binary (what kernel.json starts).
func executablePath() -> String {
    var buf = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buf, buf.count - 1)
    guard n > 0 else { return CommandLine.arguments[0] }
    return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

func kernelJSON(executable: String, version: String) -> JSON {
    .object([
        ("argv", .array([.string(executable), .string("kernel"), .string("{connection_file}")])),
        ("display_name", .string("mlp")),
        ("language", .string("mlp")),
        ("interrupt_mode", .string("signal")),
        ("metadata", .object([("language_info", languageInfo(version: version))])),
    ])
}

/// Writes the kernelspec; the folder written, or an error message.
public func installKernelspec(arguments: [String], version: String) -> Result<String, KernelspecError> {
    var user = false, prefix: String?
    var args = arguments[...]
    while let a = args.popFirst() {
        switch a {
        case "--user": user = true
        case "--prefix":
            guard let p = args.popFirst(), !p.isEmpty else { return .failure(KernelspecError("--prefix needs a folder")) }
            prefix = p
        default: return .failure(KernelspecError("unknown option '\(a)' (usage: mlp kernel install [--user | --prefix P])"))
        }
    }
    if user && prefix != nil { return .failure(KernelspecError("give --user or --prefix, not both")) }
    let folder = kernelspecFolder(user: user, prefix: prefix)
    guard makeFolders(folder) else { return .failure(KernelspecError("cannot make the folder '\(folder)': \(String(cString: strerror(errno)))")) }
    let number = version.split(separator: " ").last.map(String.init) ?? version
    let files: [(String, [UInt8])] = [
        ("kernel.json", Array((kernelJSON(executable: executablePath(), version: number).serialized + "\n").utf8)),
        ("logo-32x32.png", logoPNG(size: 32)),
        ("logo-64x64.png", logoPNG(size: 64)),
        ("logo-svg.svg", Array(logoSVG.utf8)),
    ]
    for (name, bytes) in files {
        if let e = writeFileAtomically(folder + "/" + name, bytes) { return .failure(KernelspecError("cannot write '\(folder)/\(name)': \(e)")) }
    }
    return .success(folder)
}

public struct KernelspecError: Error, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = d }
}

/// mkdir -p.
private func makeFolders(_ path: String) -> Bool {
    var sofar = path.hasPrefix("/") ? "" : "."
    for part in path.split(separator: "/") {
        sofar += "/" + part
        if mkdir(sofar, 0o755) != 0 && errno != EEXIST { return false }
    }
    return directoryExists(path)
}

/// The logo: a white sine wave through three nodes on the course's dark blue.
let logoSVG = """
<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">
<rect x="0" y="0" width="64" height="64" rx="12" fill="#1f3b73"/>
<path d="M6 32 C 16 6, 22 6, 32 32 S 48 58, 58 32" fill="none" stroke="#ffffff" stroke-width="5" stroke-linecap="round"/>
<circle cx="6" cy="32" r="5" fill="#f2a900"/><circle cx="32" cy="32" r="5" fill="#f2a900"/><circle cx="58" cy="32" r="5" fill="#f2a900"/>
</svg>

"""

/// The same drawing as pixels (the PNG logos the notebook's launcher shows).
func logoPNG(size: Int) -> [UInt8] {
    let s = Double(size) / 64
    var rgb = [UInt8](repeating: 255, count: size * size * 3)
    func put(_ x: Int, _ y: Int, _ c: (UInt8, UInt8, UInt8)) {
        guard x >= 0, y >= 0, x < size, y < size else { return }
        let i = (y * size + x) * 3
        rgb[i] = c.0; rgb[i + 1] = c.1; rgb[i + 2] = c.2
    }
    for y in 0..<size { for x in 0..<size { put(x, y, (0x1f, 0x3b, 0x73)) } }
    func disc(_ cx: Double, _ cy: Double, _ r: Double, _ c: (UInt8, UInt8, UInt8)) {
        for y in Int(cy - r)...Int(cy + r) { for x in Int(cx - r)...Int(cx + r) {
            let dx = Double(x) + 0.5 - cx, dy = Double(y) + 0.5 - cy
            if dx * dx + dy * dy <= r * r { put(x, y, c) }
        } }
    }
    for k in 0...400 {   // the wave, one period from x = 6 to 58
        let x = 6 + 52 * Double(k) / 400
        disc(x * s, (32 - 22 * sin(2 * Double.pi * (x - 6) / 52)) * s, 2.5 * s, (255, 255, 255))
    }
    for cx in [6.0, 32, 58] { disc(cx * s, 32 * s, 5 * s, (0xf2, 0xa9, 0x00)) }
    return encodePNG(width: size, height: size, rgb: rgb)
}
