import MLPTensor
import XCTest

/// Every prefix and many single-byte corruptions of valid files must give a tensor or a
/// TensorError, never a trap (out-of-range index, overflow, huge allocation).
final class ArrayFileRobustnessTests: XCTestCase {
    func survive(_ name: String, _ good: [UInt8], _ parse: ([UInt8]) throws -> Any) {
        var errors = 0
        func attempt(_ b: [UInt8]) {
            do { _ = try parse(b) } catch is TensorError { errors += 1 } catch { XCTFail("\(name): unexpected error \(error)") }
        }
        for n in 0..<good.count { attempt(Array(good[0..<n])) }
        for i in 0..<good.count {
            for flip: UInt8 in [0xFF, 0x80, 0x01] {
                var b = good; b[i] ^= flip
                attempt(b)
            }
            // a field set to all ones (0xFFFFFFFF sizes, ZIP64 markers)
            var b = good
            for k in i..<Swift.min(i + 8, good.count) { b[k] = 0xFF }
            attempt(b)
        }
        XCTAssertGreaterThanOrEqual(errors, good.count, name)   // every proper prefix fails
    }

    func testNpy() {
        survive("npy", ArrayFiles.npyEncode(T([1, 2, 3, 4, 5, 6], [2, 3]))) { try ArrayFiles.npyDecode($0) }
    }

    func testNpz() throws {
        survive("npz", try ArrayFiles.npzEncode([("w", T([1, 2], [2])), ("b", T([3], [1]))])) { try ArrayFiles.npzDecode($0) }
    }

    func testNpzCompressed() {
        let hex = ArrayFileTests.numpyCompressed
        var b: [UInt8] = []
        var i = hex.startIndex
        while i < hex.endIndex { let j = hex.index(i, offsetBy: 2); b.append(UInt8(hex[i..<j], radix: 16)!); i = j }
        survive("npz deflated", b) { try ArrayFiles.npzDecode($0) }
    }

    func testIdxAndGzip() {
        let raw: [UInt8] = [0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 0, 1, 2, 253, 254, 255]
        survive("idx", raw) { try ArrayFiles.idxDecode($0) }
        let gz: [UInt8] = [0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x63, 0x60, 0xe0, 0x60, 0x62, 0x60, 0x60, 0x00,
                           0x61, 0x66, 0x06, 0x46, 0xa6, 0xbf, 0xff, 0xfe, 0x03, 0x00, 0xc9, 0x60, 0x42, 0x58, 0x12, 0x00, 0x00, 0x00]
        survive("idx.gz", gz) { try ArrayFiles.idxDecode($0) }
    }

    func testCsv() {
        survive("csv", Array("a,b\n1,2.5\n\"3\",-inf\n# c\n".utf8)) { try ArrayFiles.csvDecode($0, skipHeader: 1) }
    }
}
