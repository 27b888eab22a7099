import MLPTensor
import XCTest

/// npy, npz, CSV and IDX readers and writers (ArrayFiles), including malformed input.
final class ArrayFileTests: XCTestCase {
    func hex(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var i = s.startIndex
        while i < s.endIndex {
            let j = s.index(i, offsetBy: 2)
            out.append(UInt8(s[i..<j], radix: 16)!)
            i = j
        }
        return out
    }

    func assertThrows(_ body: @autoclosure () throws -> Any, contains text: String, file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try body()
            XCTFail("expected an error containing '\(text)'", file: file, line: line)
        } catch let e as TensorError {
            XCTAssertTrue(e.message.contains(text), "'\(e.message)' does not contain '\(text)'", file: file, line: line)
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
    }

    /// A .npy file with the given descr, shape text and raw data.
    func npy(_ descr: String, _ shape: String, _ data: [UInt8], fortran: Bool = false) -> [UInt8] {
        var h = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shape), }"
        while (10 + h.utf8.count + 1) % 64 != 0 { h += " " }
        h += "\n"
        return [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(h.utf8.count & 255), UInt8(h.utf8.count >> 8)] + Array(h.utf8) + data
    }

    // MARK: npy

    func testNpyHeaderMatchesNumPy() {
        let b = ArrayFiles.npyEncode(T([1, 2, 3, 4, 5, 6], [2, 3]))
        // numpy.save(np.zeros((2, 3))): header length 0x76, data at 128
        XCTAssertEqual(Array(b[0..<10]), [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, 0x76, 0])
        let header = String(decoding: b[10..<128], as: UTF8.self)
        XCTAssertTrue(header.hasPrefix("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }   "))
        XCTAssertTrue(header.hasSuffix(" \n"))
        XCTAssertEqual(b.count, 128 + 48)
        XCTAssertEqual(String(decoding: ArrayFiles.npyEncode(T([1], [1]))[10..<128], as: UTF8.self).prefix(59),
                       "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }  ")
        XCTAssertEqual(String(decoding: ArrayFiles.npyEncode(Tensor(scalar: 2))[10..<70], as: UTF8.self).prefix(56),
                       "{'descr': '<f8', 'fortran_order': False, 'shape': (), } ")
    }

    func testNpyRoundTrip() throws {
        for t in [T([1, -2.5, .infinity, 1e-300, 0.1, -0.0], [2, 3]), T([7], [1]), Tensor(scalar: 3.25),
                  T([], [0]), T([], [2, 0, 3]), T((0..<24).map(Double.init), [2, 3, 4])] {
            let back = try ArrayFiles.npyDecode(ArrayFiles.npyEncode(t))
            XCTAssertEqual(back.shape, t.shape)
            XCTAssertEqual(back.scalars.map(\.bitPattern), t.scalars.map(\.bitPattern))
            XCTAssertEqual(ArrayFiles.npyEncode(t).count % 64, (8 * t.count) % 64)
        }
        let nan = try ArrayFiles.npyDecode(ArrayFiles.npyEncode(T([.nan], [1])))
        XCTAssertTrue(nan.scalars[0].isNaN)
    }

    func testNpyReadsOtherTypes() throws {
        func le<I: FixedWidthInteger>(_ xs: [I]) -> [UInt8] { xs.flatMap { x in (0..<I.bitWidth / 8).map { UInt8(truncatingIfNeeded: x >> (8 * $0)) } } }
        assertClose(try ArrayFiles.npyDecode(npy("<f4", "(3,)", le([Float(1.5).bitPattern, Float(-2).bitPattern, Float(0.25).bitPattern]))), T([1.5, -2, 0.25], [3]))
        assertClose(try ArrayFiles.npyDecode(npy("<i8", "(2, 1)", le([Int64(-5), Int64(1) << 40]))), T([-5, 1099511627776], [2, 1]))
        assertClose(try ArrayFiles.npyDecode(npy("<i4", "(2,)", le([Int32(-7), Int32(9)]))), T([-7, 9], [2]))
        assertClose(try ArrayFiles.npyDecode(npy("<i2", "(2,)", le([Int16(-300), Int16(300)]))), T([-300, 300], [2]))
        assertClose(try ArrayFiles.npyDecode(npy("<u2", "(1,)", le([UInt16(65535)]))), T([65535], [1]))
        assertClose(try ArrayFiles.npyDecode(npy("|u1", "(3,)", [0, 128, 255])), T([0, 128, 255], [3]))
        assertClose(try ArrayFiles.npyDecode(npy("|i1", "(3,)", [0, 128, 255])), T([0, -128, -1], [3]))
        assertClose(try ArrayFiles.npyDecode(npy("|b1", "(2, 2)", [1, 0, 0, 1])), T([1, 0, 0, 1], [2, 2]))
        assertClose(try ArrayFiles.npyDecode(npy(">f8", "(1,)", [0x3F, 0xF8, 0, 0, 0, 0, 0, 0])), T([1.5], [1]))
        assertClose(try ArrayFiles.npyDecode(npy("<f2", "(1,)", [0x00, 0x3E])), T([1.5], [1]))
        // Fortran order: the data is column-major
        assertClose(try ArrayFiles.npyDecode(npy("|u1", "(2, 3)", [1, 4, 2, 5, 3, 6], fortran: true)), T([1, 2, 3, 4, 5, 6], [2, 3]))
    }

    func testNpyRejectsMalformed() {
        assertThrows(try ArrayFiles.npyDecode(Array("x,y\n1,2\n".utf8)), contains: "not a .npy file")
        assertThrows(try ArrayFiles.npyDecode([]), contains: "not a .npy file")
        assertThrows(try ArrayFiles.npyDecode([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1]), contains: "truncated .npy file")
        let good = ArrayFiles.npyEncode(T([1, 2, 3, 4, 5, 6], [2, 3]))
        assertThrows(try ArrayFiles.npyDecode(Array(good[0..<100])), contains: "truncated .npy file: the header says 118 bytes")
        assertThrows(try ArrayFiles.npyDecode(Array(good.dropLast(8))), contains: "truncated .npy file: expected 48 bytes of data, found 40")
        assertThrows(try ArrayFiles.npyDecode(good + [0]), contains: "1 bytes after the data")
        var v9 = good; v9[6] = 9
        assertThrows(try ArrayFiles.npyDecode(v9), contains: "unsupported .npy format version 9.0")
        assertThrows(try ArrayFiles.npyDecode(npy("|O", "(1,)", [0, 0, 0, 0, 0, 0, 0, 0])), contains: "object arrays")
        assertThrows(try ArrayFiles.npyDecode(npy("<c16", "(1,)", [UInt8](repeating: 0, count: 16))), contains: "complex")
        assertThrows(try ArrayFiles.npyDecode(npy("<U3", "(1,)", [UInt8](repeating: 0, count: 12))), contains: "strings")
        assertThrows(try ArrayFiles.npyDecode(npy("<f8", "(a,)", [])), contains: "shape entry 'a'")
    }

    // MARK: npz

    func testNpzRoundTrip() throws {
        let w = T([1, 2, 3, 4], [2, 2]), b = T([0.5], [1])
        let bytes = try ArrayFiles.npzEncode([("w", w), ("b", b)])
        XCTAssertEqual(Array(bytes[0..<4]), [0x50, 0x4B, 3, 4])
        let back = try ArrayFiles.npzDecode(bytes)
        XCTAssertEqual(back.map(\.0), ["w", "b"])
        assertClose(back[0].1, w)
        assertClose(back[1].1, b)
        XCTAssertEqual(try ArrayFiles.npzDecode(try ArrayFiles.npzEncode([])).count, 0)
        assertThrows(try ArrayFiles.npzEncode([("a", w), ("a", b)]), contains: "appears twice")
    }

    /// Bytes of numpy.savez_compressed(x=np.arange(6, dtype=int16).reshape(2, 3), y=np.array([1.5, -2], dtype=float32)):
    /// deflated members with ZIP64 extra fields in the local headers.
    static let numpyCompressed = "504b03042d0000000800000021001a4e987effffffffffffffff05001400782e6e7079010010008c0000000000000052000000000000009bec17ea1b10c9c850c650ad9e925a9c5ca46ea5a06e9369a4aea3a09e965f54529498179f5f94920a12774bcc294e058a17672416a402f91a463a0ac69a3a0ab50a64032e06064606260666061606560600504b03042d000000080000002100d6434b05ffffffffffffffff05001400792e6e70790100100088000000000000004b000000000000009bec17ea1b10c9c850c650ad9e925a9c5ca46ea5a06e9366a2aea3a09e965f54529498179f5f94920a12774bcc294e058a17672416a402f91a463a9a3a0ab50a14002e068603f60c400200504b01022d032d0000000800000021001a4e987e520000008c000000050000000000000000000000800100000000782e6e7079504b01022d032d000000080000002100d6434b054b00000088000000050000000000000000000000800189000000792e6e7079504b05060000000002000200660000000b0100000000"

    func testNpzReadsNumPyCompressed() throws {
        let d = try ArrayFiles.npzDecode(hex(Self.numpyCompressed))
        XCTAssertEqual(d.map(\.0), ["x", "y"])
        assertClose(d[0].1, T([0, 1, 2, 3, 4, 5], [2, 3]))
        assertClose(d[1].1, T([1.5, -2], [2]))
    }

    func testNpzRejectsMalformed() throws {
        let good = hex(Self.numpyCompressed)
        assertThrows(try ArrayFiles.npzDecode(Array(good[0..<200])), contains: "truncated .npz file")
        assertThrows(try ArrayFiles.npzDecode(Array(good[0..<10])), contains: "truncated .npz file")
        assertThrows(try ArrayFiles.npzDecode(Array("1,2,3\n4,5,6\n7,8,9\n10,11,12\n".utf8)), contains: "not a .npz file")
        assertThrows(try ArrayFiles.npzDecode(ArrayFiles.npyEncode(T([1, 2], [2]))), contains: "this is a .npy file")
        var corrupt = good; corrupt[80] ^= 0xFF
        assertThrows(try ArrayFiles.npzDecode(corrupt), contains: "member 'x.npy'")
        var stored = try ArrayFiles.npzEncode([("a", T([1, 2], [2]))])
        stored[stored.count - 120] ^= 1   // a byte of the array data
        assertThrows(try ArrayFiles.npzDecode(stored), contains: "CRC-32 mismatch")
    }

    // MARK: CSV

    func testCsvReads() throws {
        assertClose(try ArrayFiles.csvDecode(Array("1,2,3\n4,5,6\n".utf8)), T([1, 2, 3, 4, 5, 6], [2, 3]))
        assertClose(try ArrayFiles.csvDecode(Array("a,b\r\n 1 , 2.5e3 \r\n\r\n# comment\n\"3\",-inf\n".utf8), skipHeader: 1),
                    T([1, 2500, 3, -.infinity], [2, 2]))
        assertClose(try ArrayFiles.csvDecode(Array("1\n2\n3".utf8)), T([1, 2, 3], [3]))
        assertClose(try ArrayFiles.csvDecode(Array("1\t 2\n3  4\n".utf8), delimiter: " "), T([1, 2, 3, 4], [2, 2]))
        assertClose(try ArrayFiles.csvDecode(Array("1;2\n".utf8), delimiter: ";"), T([1, 2], [1, 2]))
    }

    func testCsvErrors() {
        assertThrows(try ArrayFiles.csvDecode(Array("x,y\n1,2\n".utf8)), contains: "line 1, column 1: cannot read \"x\" as a number. (A header line? Use skip_header=1.)")
        assertThrows(try ArrayFiles.csvDecode(Array("1,2\n3,oops\n".utf8)), contains: "line 2, column 2: cannot read \"oops\"")
        assertThrows(try ArrayFiles.csvDecode(Array("1,2\n3,\n".utf8)), contains: "line 2, column 2: cannot read an empty field")
        assertThrows(try ArrayFiles.csvDecode(Array("1,2\n3\n".utf8)), contains: "line 2 has 1 columns, line 1 has 2")
        assertThrows(try ArrayFiles.csvDecode(Array("1,5;2\n".utf8), delimiter: ";"), contains: "Decimal commas")
        assertThrows(try ArrayFiles.csvDecode(Array("\n# only a comment\n".utf8)), contains: "no numbers found")
        assertThrows(try ArrayFiles.csvDecode([0x93, 0x4E, 0, 1]), contains: "not a text file")
        assertThrows(try ArrayFiles.csvDecode(Array("1\n".utf8), delimiter: ",,"), contains: "one character")
    }

    func testCsvRoundTrip() throws {
        let t = T([1, 0.1, -3e-20, .nan, .infinity, 123456789012], [3, 2])
        let text = String(decoding: try ArrayFiles.csvEncode(t), as: UTF8.self)
        XCTAssertEqual(text, "1,0.1\n-3e-20,nan\ninf,123456789012\n")
        let back = try ArrayFiles.csvDecode(Array(text.utf8))
        XCTAssertEqual(back.shape, [3, 2])
        XCTAssertEqual(back.scalars.filter { !$0.isNaN }, t.scalars.filter { !$0.isNaN })
        XCTAssertEqual(String(decoding: try ArrayFiles.csvEncode(T([1, 2], [2]), delimiter: "\t"), as: UTF8.self), "1\n2\n")
        assertThrows(try ArrayFiles.csvEncode(Tensor(scalar: 1)), contains: "1-D or 2-D")
    }

    // MARK: IDX and gzip

    func idx(_ type: UInt8, _ dims: [Int], _ data: [UInt8]) -> [UInt8] {
        var b: [UInt8] = [0, 0, type, UInt8(dims.count)]
        for d in dims { b += [UInt8(d >> 24 & 255), UInt8(d >> 16 & 255), UInt8(d >> 8 & 255), UInt8(d & 255)] }
        return b + data
    }

    func testIdxReads() throws {
        assertClose(try ArrayFiles.idxDecode(idx(0x08, [2, 3], [0, 1, 2, 253, 254, 255])), T([0, 1, 2, 253, 254, 255], [2, 3]))
        assertClose(try ArrayFiles.idxDecode(idx(0x09, [2], [1, 255])), T([1, -1], [2]))
        assertClose(try ArrayFiles.idxDecode(idx(0x0B, [2], [0xFF, 0xFE, 0x01, 0x00])), T([-2, 256], [2]))
        assertClose(try ArrayFiles.idxDecode(idx(0x0C, [1], [0x00, 0x01, 0x00, 0x00])), T([65536], [1]))
        assertClose(try ArrayFiles.idxDecode(idx(0x0D, [1], [0x3F, 0xC0, 0, 0])), T([1.5], [1]))
        assertClose(try ArrayFiles.idxDecode(idx(0x0E, [1, 1], [0xC0, 0, 0, 0, 0, 0, 0, 0])), T([-2], [1, 1]))
        // gzip.compress(the ubyte file above, mtime=0), as Python writes it
        let gz = hex("1f8b08000000000002036360e0606260600061660646a6bffffe0300c960425812000000")
        assertClose(try ArrayFiles.idxDecode(gz), T([0, 1, 2, 253, 254, 255], [2, 3]))
        // two gzip members concatenated read as one stream (as gunzip does)
        XCTAssertEqual(try ArrayFiles.gunzip(gz + gz).count, 36)
    }

    func testIdxRejectsMalformed() {
        assertThrows(try ArrayFiles.idxDecode(Array("hello world".utf8)), contains: "not an IDX file (it does not start with the magic bytes 00 00)")
        assertThrows(try ArrayFiles.idxDecode(idx(0x07, [1], [0])), contains: "unknown data type 0x7")
        assertThrows(try ArrayFiles.idxDecode(Array(idx(0x08, [2, 3], [])[0..<8])), contains: "truncated IDX file: the header needs 12 bytes, found 8")
        assertThrows(try ArrayFiles.idxDecode(idx(0x08, [2, 3], [1, 2, 3])), contains: "truncated IDX file: expected 6 bytes of data, found 3")
        assertThrows(try ArrayFiles.idxDecode(idx(0x0C, [1], [0, 0, 0, 0, 9])), contains: "1 bytes after the data")
        let gz = hex("1f8b08000000000002036360e0606260600061660646a6bffffe0300c960425812000000")
        assertThrows(try ArrayFiles.idxDecode(Array(gz[0..<20])), contains: "truncated gzip data")
        var bad = gz; bad[12] ^= 0xFF; bad[13] ^= 0xFF
        assertThrows(try ArrayFiles.idxDecode(bad), contains: "gzip data")
    }

    // MARK: digits

    func testDigitsFile() throws {
        // data/digits.csv.gz at the repository root
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let bytes = try [UInt8](Data(contentsOf: root.appendingPathComponent("data/digits.csv.gz")))
        let (images, labels) = try ArrayFiles.digitsDecode(bytes)
        XCTAssertEqual(images.shape, [1797, 8, 8])
        XCTAssertEqual(labels.shape, [1797])
        XCTAssertEqual(Array(images.scalars[0..<16]), [0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0])
        XCTAssertEqual(Array(labels.scalars[0..<10]), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
        XCTAssertEqual(images.scalars.max(), 16)
        XCTAssertEqual(labels.scalars.reduce(0, +), 8070)
        assertThrows(try ArrayFiles.digitsDecode(Array("1,2\n".utf8)), contains: "65 columns")
    }
}

final class ArrayFileCompressedTests: XCTestCase {
    func testCompressedNpzRoundTrip() throws {
        let w = try Tensor.arange(0, 1000, 1).reshaped([10, 100]), e = T([], [0])
        let stored = try ArrayFiles.npzEncode([("w", w), ("e", e)])
        let packed = try ArrayFiles.npzEncode([("w", w), ("e", e)], compressed: true)
        XCTAssertLessThan(packed.count, stored.count)
        let back = try ArrayFiles.npzDecode(packed)
        XCTAssertEqual(back.map(\.0), ["w", "e"])
        assertClose(back[0].1, w, tol: 0)
        XCTAssertEqual(back[1].1.shape, [0])
        XCTAssertEqual(try ArrayFiles.inflateRaw(try ArrayFiles.deflateRaw([]), expectedSize: 0), [])
    }

    func testCsvByteOrderMark() throws {
        assertClose(try ArrayFiles.csvDecode([0xEF, 0xBB, 0xBF] + Array("1,2\n".utf8)), T([1, 2], [1, 2]))
    }
}
