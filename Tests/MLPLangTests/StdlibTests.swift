// The stdlib is built into the binary (Sources/MLPRuntime/Stdlib.generated.swift,
// written by tools/embed-stdlib.sh): the generated file must match stdlib/, and
// the binary must import from it with no files beside it.
import Foundation
import MLPRuntime
import XCTest

final class StdlibTests: XCTestCase {
    /// Fails after an edit of stdlib/ until `make stdlib` regenerates the Swift file.
    func testEmbeddedStdlibMatchesTheFiles() throws {
        let dir = ProductTests.root.appendingPathComponent("stdlib")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".mlp") }
        XCTAssertFalse(names.isEmpty)
        var files: [String: String] = [:]
        for name in names {
            files[String(name.dropLast(4))] = try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
        }
        let embedded = Session().interp.stdlibModules
        XCTAssertEqual(Set(embedded.keys), Set(files.keys), "stdlib/ changed: run `make stdlib`")
        for (name, text) in files {
            XCTAssertTrue(embedded[name] == text, "stdlib/\(name).mlp changed: run `make stdlib`")
        }
    }

    /// The release binary copied alone to an empty folder imports a stdlib module;
    /// a module in $MLP_STDLIB comes before the embedded one of the same name.
    func testBinaryAloneImportsTheStdlib() throws {
        let exe = try ProductTests.releaseBinary("mlp")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mlp-alone-\(getpid())")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let alone = dir.appendingPathComponent("mlp")
        try FileManager.default.copyItem(at: exe, to: alone)
        try "import sequences\nx, y = sequences.recall_batch(3)\nprint(shape(x), type(sequences.countdown_batch))\n"
            .write(to: dir.appendingPathComponent("main.mlp"), atomically: true, encoding: .utf8)

        func run(_ env: [String: String]) throws -> (Int32, String) {
            let p = Process()
            p.executableURL = alone
            p.arguments = ["main.mlp"]
            p.currentDirectoryURL = dir
            var environment = ProcessInfo.processInfo.environment
            environment["MLP_STDLIB"] = nil
            p.environment = environment.merging(env) { $1 }
            return try ProductTests.capture(p)
        }

        let (status, out) = try run([:])
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.hasSuffix("function\n"), out)

        let override = dir.appendingPathComponent("lib")
        try FileManager.default.createDirectory(at: override, withIntermediateDirectories: true)
        try "fn recall_batch(batch) { [zeros(7), 0] }\ncountdown_batch = 1\n"
            .write(to: override.appendingPathComponent("sequences.mlp"), atomically: true, encoding: .utf8)
        let (status2, out2) = try run(["MLP_STDLIB": override.path])
        XCTAssertEqual(status2, 0, out2)
        XCTAssertEqual(out2, "[7] number\n")
    }
}
