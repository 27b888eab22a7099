// Array files and data sets: npy/npz (NumPy), CSV, IDX (MNIST), digits() and
// fashion_mnist(). The formats live in MLPTensor (ArrayFiles, over bytes); these
// builtins do the I/O: reads with readFileBytes, writes atomically (temp + rename).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MLPLang
import MLPTensor

enum ArrayFileLib {
    static let fashionPackage = "dataset-fashion-mnist"
    static let fashionDir = "/usr/share/datasets/fashion-mnist"

    static func register(_ r: inout Registry) {
        r.fn("load_npy", [p("path")], doc: "Reads a NumPy .npy file as a tensor (float, integer or bool data becomes numbers; complex64 and complex128 a complex tensor).",
             example: "w = load_npy(\"/tmp/w.npy\")") { a throws(MLPError) in
            let path = try a.string(0)
            switch try a.parseFile(path, { try ArrayFiles.npyDecodeArray($0) }) {
            case .real(let t): return .object(TensorValue(t))
            case .complex(let c): return .object(ComplexTensorValue(c))
            }
        }
        r.fn("save_npy", [p("path"), p("t")], doc: "Writes a tensor as a NumPy .npy file (float64, or complex128 for a complex tensor, as numpy.save; atomically).",
             example: "save_npy(\"/tmp/w.npy\", randn(3, 4))") { a throws(MLPError) in
            let path = try a.string(0)
            if let c = ComplexLib.tensorArg(a[1]) { try a.writeFile(path, ArrayFiles.npyEncode(c)); return .nil }
            let t = try a.untrackedTensor(1)
            try a.writeFile(path, ArrayFiles.npyEncode(t))
            return .nil
        }
        r.fn("load_npz", [p("path")], doc: "Reads a NumPy .npz archive (numpy.savez or savez_compressed) as a dict of name -> tensor.",
             example: "save_npz(\"/tmp/p.npz\", {w: tensor([1, 2])}); load_npz(\"/tmp/p.npz\")[\"w\"]   # tensor([1, 2])") { a throws(MLPError) in
            let path = try a.string(0)
            let entries = try a.parseFile(path) { try ArrayFiles.npzDecode($0, poll: a.interruptPoll) }
            let d = DictObj()
            for (k, t) in entries { d[k] = .object(TensorValue(t)) }
            return .dict(d)
        }
        r.fn("save_npz", [p("path"), p("arrays"), Param("compressed", .bool(false), keywordOnly: true)],
             doc: "Writes a dict of name -> tensor as a NumPy .npz archive (as numpy.savez, or savez_compressed with compressed=true; atomically).",
             example: "save_npz(\"/tmp/params.npz\", {\"w\": randn(3, 3), \"b\": zeros(3)})") { a throws(MLPError) in
            let path = try a.string(0), d = try a.dict(1), compressed = try a.bool(2)
            var entries: [(String, Tensor)] = []
            for (k, v) in zip(d.keys, d.values) {
                guard case .string(let name) = k else {
                    let shown: String
                    switch k {
                    case .number(let x): shown = formatNumber(x)
                    case .bool(let b): shown = "\(b)"
                    case .string(let t): shown = t
                    }
                    throw a.error("array names must be strings, got \(shown).", at: 1)
                }
                let t: Tensor
                switch v {
                case .object(let o as TensorValue): t = o.t
                case .list, .number:
                    do throws(MLPError) { t = try TensorValue.fromNested(v) } catch { throw a.error("'\(name)': \(error.message)", at: 1) }
                default: throw a.error("'\(name)' must be a tensor, got \(describeForError(v)).", at: 1)
                }
                entries.append((name, t))
            }
            let bytes: [UInt8]
            do { bytes = try ArrayFiles.npzEncode(entries, compressed: compressed) } catch { throw a.nativeError(error, at: 1) }
            try a.writeFile(path, bytes)
            return .nil
        }
        r.fn("load_csv", [p("path"), p("delimiter", ","), p("skip_header", 0)],
             doc: "Reads numbers from a CSV file as a 2-D tensor [rows, columns] (1-D for one column); # lines and blank lines are skipped.",
             example: "data = load_csv(\"/tmp/data.csv\", skip_header=1)") { a throws(MLPError) in
            let path = try a.string(0), delim = try a.string(1), skip = try a.int(2)
            let poll = a.interruptPoll
            return .object(TensorValue(try a.parseFile(path) { try ArrayFiles.csvDecode($0, delimiter: delim, skipHeader: skip, check: poll) }))
        }
        r.fn("save_csv", [p("path"), p("t"), p("delimiter", ",")], doc: "Writes a 1-D or 2-D tensor as CSV, one row per line, numbers in shortest round-trip form (atomically).",
             example: "save_csv(\"/tmp/data.csv\", tensor([[1, 2], [3, 4]]))") { a throws(MLPError) in
            let path = try a.string(0), t = try a.untrackedTensor(1), delim = try a.string(2)
            let bytes: [UInt8]
            do { bytes = try ArrayFiles.csvEncode(t, delimiter: delim) } catch { throw a.nativeError(error, at: 1) }
            try a.writeFile(path, bytes)
            return .nil
        }
        r.fn("load_idx", [p("path")], doc: "Reads an IDX file (the MNIST format), gzipped or not, as a tensor of its shape.",
             example: "x = load_idx(\"/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz\")") { a throws(MLPError) in
            let path = try a.string(0)
            return .object(TensorValue(try a.parseFile(path) { try ArrayFiles.idxDecode($0, poll: a.interruptPoll) }))
        }
        r.fn("digits", [], doc: "The 8x8 handwritten digits (UCI, as scikit-learn ships them): {images: [1797, 8, 8] values 0..16, labels: [1797] 0..9}.",
             example: "d = digits()   # d[\"images\"][0], d[\"labels\"][0]") { a throws(MLPError) in
            guard let dir = findData() else {
                throw a.error("the data folder with digits.csv.gz was not found (set MLP_DATA to the folder, or reinstall mlp).")
            }
            let path = dir + "/digits.csv.gz"
            let (images, labels) = try a.parseFile(path) { try ArrayFiles.digitsDecode($0, poll: a.interruptPoll) }
            return pair(images, labels)
        }
        r.fn("kjv", [], doc: "The King James Bible (public domain) as one string, one verse per line (31,331 lines, 4.1 MB): a real English text for word vectors and character models.",
             example: "lines = split(kjv(), \"\\n\")") { a throws(MLPError) in
            guard let dir = findData() else {
                throw a.error("the data folder with kjv.txt.gz was not found (set MLP_DATA to the folder, or reinstall mlp).")
            }
            let bytes = try a.parseFile(dir + "/kjv.txt.gz") { try ArrayFiles.gunzip($0, poll: a.interruptPoll) }
            guard let text = String(validating: bytes, as: UTF8.self) else { throw a.error("\(dir)/kjv.txt.gz is not UTF-8 text.") }
            return .str(text)
        }
        r.fn("fashion_mnist", [p("split", "train")],
             doc: "Fashion-MNIST from Debian's dataset-fashion-mnist package: {images: [n, 28, 28] raw pixels 0..255, labels: [n] 0..9}; split \"train\" (60000) or \"test\" (10000).",
             example: "d = fashion_mnist(\"test\")   # x = d[\"images\"] / 255") { a throws(MLPError) in
            let split = try a.string(0)
            let prefix: String
            switch split {
            case "train": prefix = "train"
            case "test": prefix = "t10k"
            default: throw a.error("split must be \"train\" or \"test\", got \"\(split)\".", at: 0)
            }
            var dir = fashionDir
            if let env = getenv("MLP_FASHION_MNIST") { dir = String(cString: env) }
            let imagesPath = "\(dir)/\(prefix)-images-idx3-ubyte.gz", labelsPath = "\(dir)/\(prefix)-labels-idx1-ubyte.gz"
            for f in [imagesPath, labelsPath] where !fileExists(f) {
                throw a.error("\(f) not found: install Debian's \(fashionPackage) package (sudo apt install \(fashionPackage)).")
            }
            let images = try a.parseFile(imagesPath) { try ArrayFiles.idxDecode($0, poll: a.interruptPoll) }
            let labels = try a.parseFile(labelsPath) { try ArrayFiles.idxDecode($0, poll: a.interruptPoll) }
            guard images.ndim == 3, labels.ndim == 1, images.shape[0] == labels.shape[0] else {
                throw a.error("unexpected shapes: images \(Tensor.formatShape(images.shape)), labels \(Tensor.formatShape(labels.shape)).")
            }
            return pair(images, labels)
        }
    }

    static func pair(_ images: Tensor, _ labels: Tensor) -> Value {
        let d = DictObj()
        d["images"] = .object(TensorValue(images))
        d["labels"] = .object(TensorValue(labels))
        return .dict(d)
    }


    /// The folder of data files (digits.csv.gz), found as the stdlib is: $MLP_DATA,
    /// ../share/mlp/data next to the binary, or `data` beside Package.swift above it.
    static func findData() -> String? { Session.findInstalled("data", env: "MLP_DATA") }
}
