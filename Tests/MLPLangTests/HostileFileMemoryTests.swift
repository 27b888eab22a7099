// Hostile files loaded by the release binary under a 1 GB address-space limit
// (ulimit -v): each gives its error within a small multiple of its own size,
// where the old loaders tried to allocate gigabytes and died.
import Foundation
import MLPTensor
import XCTest
import MLPTestSupport

final class HostileFileMemoryTests: XCTestCase {
    var dir = ""

    override func setUp() {
        dir = NSTemporaryDirectory() + "mlp-hostile-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// Runs `script` in the release binary with at most 1 GB of address space: (status, output).
    func load(_ script: String) throws -> (Int32, String) {
        try ProductTests.execute("mlp", ["-e", script], memoryKB: 1_000_000)
    }

    func testGzippedIdxBombStopsAtItsHeader() throws {
        // a 10-byte IDX, then 128 gzip members of 8 MB of zeros each: 1 GB from 1 MB
        let zeros = try gzip([UInt8](repeating: 0, count: 8 << 20))
        var file = try gzip([0, 0, 8, 1, 0, 0, 0, 10] + [UInt8](repeating: 1, count: 10))
        for _ in 0..<128 { file += zeros }
        let path = "\(dir)/bomb-idx.gz"
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(file)))
        let (status, out) = try load("load_idx(\"\(path)\")")
        XCTAssertEqual(status, 70, out)
        XCTAssertTrue(out.contains("\(path): IDX file has bytes after the data (its header declares 10 bytes of data)."), out)
    }

    func testModelDescriptionCannotAllocateBeyondTheFile() throws {
        // 100 layers of dense(2000) on 2000 inputs and no weights: 3.2 GB of kernels before any was checked
        let text = Array(repeating: "dense(2000)", count: 100).joined(separator: " >> ")
        let path = "\(dir)/layers.npz"
        let bytes = try ArrayFiles.npzEncode([("__model__", try Tensor(text.utf8.map(Double.init), shape: [text.utf8.count])),
                                              ("__input_shape__", try Tensor([2000], shape: [1]))])
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        let (status, out) = try load("load(\"\(path)\")")
        XCTAssertEqual(status, 70, out)
        XCTAssertTrue(out.contains("\(path): the weight 0.dense.kernel is missing."), out)
    }
}
