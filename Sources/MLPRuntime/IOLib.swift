// Files and the command line.
import MLPLang

enum IOLib {
    static func register(_ r: inout Registry, argv: [String]) {
        r.fn("read_text", [p("path")], doc: "The contents of a text file.", example: "text = read_text(\"data.txt\")") { a throws(MLPError) in
            let path = try a.string(0)
            if directoryExists(path) { throw a.error("'\(path)' is a directory.", at: 0) }
            guard let s = readFile(path) else { throw a.error("cannot read '\(path)' (no such file or no permission).", at: 0) }
            return .str(s)
        }
        r.fn("write_text", [p("path"), p("text")], doc: "Writes text to a file atomically (a temporary file, then rename), through a symlink to its target, keeping the file's permissions; a read-only file, a FIFO or a device is refused.",
             example: "write_text(\"log.txt\", \"done\\n\")") { a throws(MLPError) in
            let path = try a.string(0), text = try a.string(1)
            if let err = writeFileAtomically(path, Array(text.utf8)) { throw a.error("cannot write '\(path)': \(err).", at: 0) }
            return .nil
        }
        r.fn("exists", [p("path")], doc: "True when something exists at path: a file, a directory, a device, a FIFO or a socket.",
             example: "if exists(\"net.npz\") { print(\"cached\") }") { a throws(MLPError) in
            .bool(pathExists(try a.string(0)))
        }
        r.constant("argv", .list(argv.map { .str($0) }), doc: "The arguments after the script name on the command line.",
                   example: "steps = num(argv[0])")
    }
}
