// Runs the release binary over the golden tests and the examples, the fuzzer,
// and the terminal REPL test, so `swift test` checks the product as users run it.
import Foundation
import XCTest

final class ProductTests: XCTestCase {
    /// The package root (this file is Tests/MLPLangTests/GoldenTests.swift).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The newest source file of each executable: every folder under Sources/ but
    /// the other executables' (mlp-fuzz does not link the REPL or the kernel).
    static func newestSource(of executable: String) -> (path: String, time: Date) {
        let skip = executable == "mlp" ? ["mlp-fuzz", "mlp-bench"] : ["mlp", "mlp-bench", "MLPREPL", "CEditLine", "MLPKernel", "CZMQ", "CMLPCrypto"]
        var newest = ("", Date.distantPast)
        let sources = root.appendingPathComponent("Sources")
        let folders = (try? FileManager.default.contentsOfDirectory(atPath: sources.path)) ?? []
        for folder in folders where !skip.contains(folder) {
            let dir = sources.appendingPathComponent(folder)
            for case let url as URL in FileManager.default.enumerator(at: dir, includingPropertiesForKeys: [.contentModificationDateKey]) ?? .init()
                where ["swift", "h", "c", "modulemap"].contains(url.pathExtension) {   // a README edit relinks nothing
                if let t = try? url.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate, t > newest.1 {
                    newest = (url.path, t)
                }
            }
        }
        return newest
    }

    /// The release binary these tests run, which must exist and be newer than every
    /// source file it is built from: a stale binary would test old code (make test
    /// builds it first).
    static func releaseBinary(_ name: String) throws -> URL {
        let exe = root.appendingPathComponent(".build/release/\(name)")
        guard let built = try? exe.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate else {
            throw ProductError("\(exe.path) is missing: run `swift build -c release` first (make test does)")
        }
        let newest = newestSource(of: name)
        guard built >= newest.time else {
            throw ProductError("\(exe.path) is older than \(newest.path): run `swift build -c release` first (make test does)")
        }
        return exe
    }

    struct ProductError: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    /// `pinned`: the kernels and the one product thread the recorded outputs were made
    /// with; else the settings users have (two product threads, the CPU's own kernels).
    /// `memoryKB`: run under `ulimit -v` (address space in KiB).
    func run(_ executable: String, _ args: [String], pinned: Bool = true, memoryKB: Int? = nil) throws -> (Int32, String) {
        try ProductTests.execute(executable, args, pinned: pinned, memoryKB: memoryKB)
    }

    /// `run` for other test classes (HostileFileMemoryTests).
    static func execute(_ executable: String, _ args: [String], pinned: Bool = true, memoryKB: Int? = nil) throws -> (Int32, String) {
        try capture(process(executable, args, pinned: pinned, memoryKB: memoryKB))
    }

    /// The release binary `executable` with `args`, set up as `run` describes, not started.
    static func process(_ executable: String, _ args: [String], pinned: Bool = true, memoryKB: Int? = nil) throws -> Process {
        let exe = try ProductTests.releaseBinary(executable)
        let p = Process()
        if let memoryKB {
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", "ulimit -v \(memoryKB) && exec \"$0\" \"$@\"", exe.path] + args
        } else {
            p.executableURL = exe
            p.arguments = args
        }
        p.currentDirectoryURL = ProductTests.root
        // OpenBLAS picks its kernels by CPU, and their rounding differs; training runs
        // amplify that. Recorded outputs are made with these kernels and one thread, so
        // they repeat on any x86-64 machine with AVX2 (see docs/testing.md).
        var env = ProcessInfo.processInfo.environment
        if pinned {
            env["OPENBLAS_CORETYPE"] = "Haswell"
            env["OPENBLAS_NUM_THREADS"] = "1"
        } else {
            env["OPENBLAS_NUM_THREADS"] = "2"
            env["OMP_NUM_THREADS"] = "2"
        }
        p.environment = env
        return p
    }

    /// `mlp test ARGS` as one run split over the machine's cores: `--shard K/N` for
    /// K = 1...N at once (N = the CPU count, 2 to 4), each shard's status and output.
    /// The pinned runs use one product thread, so on 2 cores this halves them.
    func runShards(_ args: [String], pinned: Bool = true) throws -> [(Int32, String)] {
        let n = min(4, max(2, ProcessInfo.processInfo.activeProcessorCount))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mlp-shards-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var shards: [(Process, FileHandle, URL)] = []
        for k in 1...n {
            let p = try ProductTests.process("mlp", ["test", "--shard", "\(k)/\(n)"] + args, pinned: pinned)
            let log = dir.appendingPathComponent("shard-\(k).log")
            FileManager.default.createFile(atPath: log.path, contents: nil)
            let handle = try FileHandle(forWritingTo: log)
            p.standardOutput = handle
            p.standardError = handle
            try p.run()
            shards.append((p, handle, log))
        }
        return try shards.map { p, handle, log in
            p.waitUntilExit()
            try handle.close()
            return (p.terminationStatus, try String(contentsOf: log, encoding: .utf8))
        }
    }

    /// Runs `p` to its end; its exit status and its output, stdout and stderr together.
    static func capture(_ p: Process) throws -> (Int32, String) {
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func testGoldenFiles() throws {
        for (status, out) in try runShards(["Tests/golden"]) {
            XCTAssertEqual(status, 0, out)
            XCTAssertTrue(out.contains(" passed, 0 failed"), out)
            XCTAssertFalse(out.contains("skipped"), "every golden file must carry expectations:\n\(out)")
        }
    }

    /// Runs the release binary on a script and returns its exit status and its own
    /// resource usage (through wait4).
    func usage(_ script: String) throws -> (Int32, rusage) {
        let exe = try ProductTests.releaseBinary("mlp").path
        var pid: pid_t = 0
        let argv = [exe, ProductTests.root.appendingPathComponent(script).path]
        var cargs = argv.map { strdup($0) } + [nil]
        defer { for p in cargs { free(p) } }
        guard posix_spawn(&pid, exe, nil, nil, &cargs, environ) == 0 else { XCTFail("cannot start \(exe)"); return (-1, rusage()) }
        var status: Int32 = 0, usage = rusage()
        _ = wait4(pid, &status, 0, &usage)
        return ((status >> 8) & 0xff, usage)
    }

    /// A million calls of a function whose local helper calls itself (a reference
    /// cycle per call, 8 GB before the cycle collector) stay within 50 MB. The script
    /// reports its own peak (VmHWM): a spawned child's rusage keeps the test process's
    /// high-water mark from before the exec (66-145 MB seen here).
    func testReferenceCyclesAreCollected() throws {
        let script = try String(contentsOf: ProductTests.root.appendingPathComponent("Tests/golden/memory/recursive_helper_calls_stay_small.mlp"), encoding: .utf8)
        let peak = "for line in split(read_text(\"/proc/self/status\"), \"\\n\") { if startswith(line, \"VmHWM:\") { print(line) } }"
        let (status, out) = try run("mlp", ["-e", script + "\n" + peak])
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.hasPrefix("499999500000\n"), out)
        let fields = out.split(separator: "\n").last { $0.hasPrefix("VmHWM:") }?.split(separator: " ")
        guard let fields, fields.count >= 2, let kB = Int(fields[1]) else { return XCTFail("no VmHWM line in: \(out)") }
        XCTAssertLessThan(kB, 50 * 1024, "peak resident memory \(kB) kB")
    }

    /// 50,000 layers added by `net = net >> relu` in a loop: each `>>` copied the model
    /// (11 s of CPU time); appending in place keeps it well under a second.
    func testAModelBuiltInALoopTakesLinearTime() throws {
        let (status, use) = try usage("Tests/golden/layers/model_chain_built_in_a_loop.mlp")
        XCTAssertEqual(status, 0)
        let seconds = Double(use.ru_utime.tv_sec) + Double(use.ru_utime.tv_usec) * 1e-6
        XCTAssertLessThan(seconds, 2, "user CPU time \(seconds) s")
    }

    func testExamples() throws {
        for (status, out) in try runShards(["examples"]) {
            XCTAssertEqual(status, 0, out)
            XCTAssertTrue(out.contains(" passed, 0 failed"), out)
        }
    }

    /// The sibling of the two runs above at the settings users have: two product
    /// threads and the CPU's own BLAS kernels, numbers compared within a relative
    /// tolerance (a wrong product on two threads shipped when every test ran on one).
    func testGoldenFilesAndExamplesOnTwoThreads() throws {
        for (status, out) in try runShards(["--tolerance", "1e-6", "Tests/golden", "examples"], pinned: false) {
            XCTAssertEqual(status, 0, out)
            XCTAssertTrue(out.contains(" passed, 0 failed"), out)
        }
    }

    /// docs/builtins.md is generated from the table; a stale copy fails here.
    func testBuiltinDocsAreCurrent() throws {
        let (status, out) = try run("mlp", ["doc", "builtins"])
        XCTAssertEqual(status, 0)
        let file = try String(contentsOf: ProductTests.root.appendingPathComponent("docs/builtins.md"), encoding: .utf8)
        XCTAssertEqual(out, file, "docs/builtins.md is stale: run `.build/release/mlp doc builtins > docs/builtins.md`")
    }

    /// Every input the fuzzer once crashed or hung on now ends normally (`--run` applies
    /// the fuzzer's own hang limit).
    func testFuzzerReproducers() throws {
        let dir = ProductTests.root.appendingPathComponent("Tests/fuzz-crashes")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".mlp") }.sorted()
        XCTAssertFalse(files.isEmpty)
        for f in files {
            let (status, out) = try run("mlp-fuzz", ["--run", "Tests/fuzz-crashes/\(f)"])
            XCTAssertEqual(status, 0, "\(f): \(out)")
        }
    }

    func testFuzzer() throws {
        let (status, out) = try run("mlp-fuzz", ["--count", "100000", "--seed", "1"])
        XCTAssertEqual(status, 0, out)
    }

    func testREPLInTerminal() throws {
        guard FileManager.default.fileExists(atPath: "/usr/bin/tmux") else { throw XCTSkip("tmux is not installed") }
        _ = try ProductTests.releaseBinary("mlp")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["Tests/repl/run.sh"]
        p.currentDirectoryURL = ProductTests.root
        // OpenBLAS picks its kernels by CPU, and their rounding differs; training runs
        // amplify that. Recorded outputs are made with these kernels and one thread, so
        // they repeat on any x86-64 machine with AVX2 (see docs/testing.md).
        var env = ProcessInfo.processInfo.environment
        env["OPENBLAS_CORETYPE"] = "Haswell"
        env["OPENBLAS_NUM_THREADS"] = "1"
        p.environment = env
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let out = String(decoding: data, as: UTF8.self)
        XCTAssertEqual(p.terminationStatus, 0, out)
    }
}
