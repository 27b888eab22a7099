import MLPTensor
import XCTest
import MLPTestSupport

/// Generated hostile files: zip bombs, overlapping or disagreeing zip entries, IDX
/// headers that declare more than the file holds. Each gives a clear error before
/// memory is spent on what the file only claims (docs/networks.md, Saving).
final class HostileArrayFileTests: XCTestCase {
    /// Little-endian field of `n` bytes at `at`, rewritten.
    func put(_ b: inout [UInt8], _ at: Int, _ v: Int, _ n: Int) {
        for k in 0..<n { b[at + k] = UInt8(truncatingIfNeeded: v >> (8 * k)) }
    }

    /// Offset of the first central directory entry (signature PK\1\2).
    func central(_ b: [UInt8]) -> Int {
        (0..<(b.count - 4)).first { b[$0] == 0x50 && b[$0 + 1] == 0x4b && b[$0 + 2] == 1 && b[$0 + 3] == 2 }!
    }

    func testNpzMemberStopsAtItsDeclaredSize() throws {
        // 8 MB of zeros deflate to about 8 KB; the directory says the member is 128 bytes
        var b = try ArrayFiles.npzEncode([("w", try Tensor.zeros([1_000_000]))], compressed: true)
        put(&b, central(b) + 24, 128, 4)
        assertThrows("member 'w.npy': inflates to more than its declared 128 bytes.") { try ArrayFiles.npzDecode(b) }
    }

    func testNpzDeclaredSizeBeyondWhatDeflateCanProduce() throws {
        var b = try ArrayFiles.npzEncode([("w", T([1, 2, 3], [3]))], compressed: true)
        let c = central(b), csize = Int(b[c + 20]) | Int(b[c + 21]) << 8
        put(&b, c + 24, 0xFFFF_FFF0, 4)
        assertThrows("member 'w.npy': declares 4294967280 bytes uncompressed from \(csize) compressed, more than deflate can produce.") {
            try ArrayFiles.npzDecode(b)
        }
    }

    func testZipLocalAndCentralNamesMustAgree() throws {
        var b = try ArrayFiles.npzEncode([("a", T([1, 2], [2]))])
        b[30] = UInt8(ascii: "b")   // the local header's name: b.npy
        assertThrows("bad .npz file: member 'a.npy' is named 'b.npy' in its local header (the zip directory and the member disagree).") {
            try ArrayFiles.npzDecode(b)
        }
    }

    func testZipEntriesSharingOneMemberAreRejected() throws {
        // the directory lists the one member twice: both entries point at offset 0
        let b = try ArrayFiles.npzEncode([("a", T([1, 2], [2]))])
        let c = central(b), entry = Array(b[c..<(b.count - 22)])
        var twice = Array(b[0..<c]) + entry + entry + Array(b[(b.count - 22)...])
        let end = twice.count - 22
        put(&twice, end + 8, 2, 2); put(&twice, end + 10, 2, 2); put(&twice, end + 12, 2 * entry.count, 4)
        assertThrows("bad .npz file: member 'a.npy' overlaps member 'a.npy'.") { try ArrayFiles.npzDecode(twice) }
    }

    func testZipMemberRunningIntoTheNextIsRejected() throws {
        var b = try ArrayFiles.npzEncode([("a", T([1, 2], [2])), ("b", T([3], [1]))])
        let c = central(b)
        put(&b, c + 20, Int(b[c + 20]) + 30, 4)   // a's data now takes b's local header
        assertThrows("bad .npz file: member 'a.npy' overlaps member 'b.npy'.") { try ArrayFiles.npzDecode(b) }
    }

    func testGzippedIdxHeaderIsCheckedBeforeInflating() throws {
        // the header declares 2e9 bytes; the file is some hundred bytes
        let gz = try gzip([0, 0, 8, 1, 0x77, 0x35, 0x94, 0x00] + [UInt8](repeating: 7, count: 100))
        assertThrows("bad IDX header: shape [2000000000] needs 2000000008 bytes, more than \(gz.count) gzipped bytes can hold.") {
            try ArrayFiles.idxDecode(gz)
        }
    }

    func testGzippedIdxInflatesOnlyWhatItsHeaderDeclares() throws {
        // a 10-byte IDX followed by 8 MB of zeros in the same gzip stream
        let gz = try gzip([0, 0, 8, 1, 0, 0, 0, 10] + [UInt8](repeating: 0, count: 8 << 20))
        assertThrows("IDX file has bytes after the data (its header declares 10 bytes of data).") { try ArrayFiles.idxDecode(gz) }
        XCTAssertEqual(try ArrayFiles.idxDecode(try gzip([0, 0, 8, 1, 0, 0, 0, 2, 5, 6])).scalars, [5, 6])
    }

    func testGunzipStopsAtItsLimit() throws {
        let gz = try gzip([UInt8](repeating: 0, count: 1 << 20))
        assertThrows("gzip data inflates to more than 1000 bytes.") { try ArrayFiles.gunzip(gz, limit: 1000) }
        XCTAssertEqual(try ArrayFiles.gunzip(gz).count, 1 << 20)
    }

    /// Inflating polls before each 256 KB of output (Ctrl-C), and stops with what the poll throws.
    func testInflationPolls() throws {
        let gz = try gzip([UInt8](repeating: 0, count: 1 << 20))
        var polls = 0
        XCTAssertEqual(try ArrayFiles.gunzip(gz) { polls += 1 }.count, 1 << 20)
        XCTAssertGreaterThanOrEqual(polls, 4)
        struct Stop: Error {}
        XCTAssertThrowsError(try ArrayFiles.gunzip(gz) { throw Stop() }) { XCTAssertTrue($0 is Stop) }
    }
}
