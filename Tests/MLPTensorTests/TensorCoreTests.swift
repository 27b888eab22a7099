import MLPTensor
import XCTest
#if canImport(Glibc)
import Glibc
import MLPTestSupport
#endif

final class TensorCoreTests: XCTestCase {
    func testInitAndShape() throws {
        let t = try Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        XCTAssertEqual(t.shape, [2, 3])
        XCTAssertEqual(t.count, 6)
        XCTAssertEqual(t.ndim, 2)
        XCTAssertEqual(t.strides, [3, 1])
        XCTAssertEqual(t[1, 2], 6)
        XCTAssertEqual(t.scalars, [1, 2, 3, 4, 5, 6])
        assertThrows("cannot make a tensor of shape [2, 2] from 3 values.") { try Tensor([1, 2, 3], shape: [2, 2]) }
        assertThrows("negative dimension in shape [-1, 2].") { try Tensor([1, 2], shape: [-1, 2]) }
        let s = Tensor(scalar: 7)
        XCTAssertEqual(s.shape, [])
        XCTAssertEqual(s.count, 1)
        XCTAssertEqual(try s.item(), 7)
        assertThrows("only a tensor with one element can be converted to a number (shape [2, 3]).") { try t.item() }
        let e = try Tensor([], shape: [0, 3])
        XCTAssertEqual(e.count, 0)
        XCTAssertEqual(try Tensor(rows: [[1, 2], [3, 4]]), T([1, 2, 3, 4], [2, 2]))
    }

    func testFactories() throws {
        XCTAssertEqual(try Tensor.zeros([2, 2]).scalars, [0, 0, 0, 0])
        XCTAssertEqual(try Tensor.ones([3]).scalars, [1, 1, 1])
        XCTAssertEqual(try Tensor.full([2], 2.5).scalars, [2.5, 2.5])
        XCTAssertEqual(try Tensor.eye(3), T([1, 0, 0, 0, 1, 0, 0, 0, 1], [3, 3]))
        XCTAssertEqual(try Tensor.eye(2, 3), T([1, 0, 0, 0, 1, 0], [2, 3]))
        XCTAssertEqual(try Tensor.arange(0, 5).scalars, [0, 1, 2, 3, 4])
        XCTAssertEqual(try Tensor.arange(1, 2, 0.25).scalars, [1, 1.25, 1.5, 1.75])
        XCTAssertEqual(try Tensor.arange(5, 0, -2).scalars, [5, 3, 1])
        XCTAssertEqual(try Tensor.arange(3, 0).count, 0)
        XCTAssertEqual(try Tensor.linspace(0, 1, 5).scalars, [0, 0.25, 0.5, 0.75, 1])
        XCTAssertEqual(try Tensor.linspace(2, 3, 1).scalars, [2])
        assertThrows("full: negative dimension in shape [2, -3].") { try Tensor.zeros([2, -3]) }
    }

    func testRandomReproducible() throws {
        TestRandom.seed(42)
        let a = try Tensor.rand([3, 4])
        let b = try Tensor.randn([5])
        let c = try Tensor.randint(-2, 3, [100])
        TestRandom.seed(42)
        var g = Xoshiro256(seed: 42)
        for i in 0..<12 { XCTAssertEqual(a[flat: i], g.uniform()) }
        for i in 0..<5 { XCTAssertEqual(b[flat: i], g.normal()) }
        XCTAssertEqual(try Tensor.rand([3, 4]), a)
        XCTAssertEqual(try Tensor.randn([5]), b)
        XCTAssertEqual(try Tensor.randint(-2, 3, [100]), c)
        XCTAssertTrue(c.scalars.allSatisfy { $0 >= -2 && $0 < 3 && $0 == $0.rounded() })
        XCTAssertEqual(Set(c.scalars).count, 5)
        XCTAssertTrue(a.scalars.allSatisfy { $0 >= 0 && $0 < 1 })
        assertThrows("randint: low (3) must be below high (3).") { try Tensor.randint(3, 3, [2]) }
        var own = Xoshiro256(seed: 42)
        XCTAssertEqual(try Tensor.rand([3, 4], using: &own), a)
        XCTAssertEqual(try Tensor.randn([5], using: &own), b)
        XCTAssertEqual(try Tensor.randint(-2, 3, [100], using: &own), c)
    }

    func testCopyOnWrite() throws {
        let a = T([1, 2, 3], [3])
        var b = a
        XCTAssertTrue(a.storage === b.storage)
        b[0] = 10
        XCTAssertEqual(a.scalars, [1, 2, 3])
        XCTAssertEqual(b.scalars, [10, 2, 3])
        XCTAssertFalse(a.storage === b.storage)
        // uniquely referenced: mutates in place
        var c = T([1, 2, 3], [3])
        let id = ObjectIdentifier(c.storage)
        c[1] = 5
        c[flat: 2] = 6
        XCTAssertEqual(ObjectIdentifier(c.storage), id)
        try c.apply(.add, Tensor(scalar: 1))
        try c.apply(.mul, T([1, 2, 3], [3]))
        XCTAssertEqual(ObjectIdentifier(c.storage), id)
        XCTAssertEqual(c.scalars, [2, 12, 21])
        // shared: apply copies
        let d = c
        try c.apply(.sub, Tensor(scalar: 1))
        XCTAssertEqual(d.scalars, [2, 12, 21])
        XCTAssertEqual(c.scalars, [1, 11, 20])
        // reshape shares storage but mutation through one doesn't affect the other
        var r = try d.reshaped([3, 1])
        XCTAssertTrue(r.storage === d.storage)
        r[0, 0] = -1
        XCTAssertEqual(d.scalars, [2, 12, 21])
        var m = d
        try m.withUnsafeMutableBufferPointer { $0[0] = 99 }
        XCTAssertEqual(d[flat: 0], 2)
        XCTAssertEqual(m[flat: 0], 99)
    }

    func testNumberFormat() {
        XCTAssertEqual(Tensor.formatNumber(3), "3")
        XCTAssertEqual(Tensor.formatNumber(-12), "-12")
        XCTAssertEqual(Tensor.formatNumber(0.1), "0.1")
        XCTAssertEqual(Tensor.formatNumber(1e-5), "1e-05")
        XCTAssertEqual(Tensor.formatNumber(2.5e20), "2.5e+20")
        XCTAssertEqual(Tensor.formatNumber(1e15), "1000000000000000.0")
        XCTAssertEqual(Tensor.formatNumber(1e16), "1e+16")
        XCTAssertEqual(Tensor.formatNumber(-0.0), "0")
        XCTAssertEqual(Tensor.formatNumber(999999999999999), "999999999999999")
        XCTAssertEqual(Tensor.formatNumber(.nan), "nan")
        XCTAssertEqual(Tensor.formatNumber(.infinity), "inf")
        XCTAssertEqual(Tensor.formatNumber(-.infinity), "-inf")
    }
}

final class TensorLimitsTests: XCTestCase {
    func testHugeShapesAreErrorsNotCrashes() throws {
        assertThrows("full: shape [4294967296, 4294967296] is too large.") { try Tensor.zeros([1 << 32, 1 << 32]) }
        assertThrows("full: shape [8589934592] is too large.") { try Tensor.ones([1 << 33]) }
        assertThrows("rand: shape [9223372036854775807, 2] is too large.") { try Tensor.rand([Int.max, 2]) }
        assertThrows("eye: shape [4294967296, 4294967296] is too large.") { try Tensor.eye(1 << 32) }
        assertThrows("broadcast: shape [1048576, 8192] is too large.") { try Tensor.zeros([1 << 20, 1]) + Tensor.zeros([1, 1 << 13]) }
        assertThrows("matmul: shape [1048576, 8192] is too large.") {
            try Tensor.matmul(Tensor.zeros([1 << 20, 1, 1, 1]), Tensor.zeros([8192, 1, 1]))
        }
        // as NumPy: the dimensions other than 0 must fit too (see the test below)
        assertThrows("full: shape [0, 1099511627776] is too large.") { try Tensor.zeros([0, 1 << 40]) }
        XCTAssertEqual(try Tensor.zeros([0, 1 << 20]).count, 0)
        assertThrows("arange: too many elements.") { try Tensor.arange(0, 1e300) }
        let r = try Tensor.randint(Int.min, Int.max, [3])
        XCTAssertEqual(r.count, 3)
        assertThrows("tile: shape [4294967296, 2] is too large.") { try Tensor.ones([2]).tile([1 << 32]) }
        assertThrows("reshape: cannot reshape tensor of shape [2] into shape [4294967296, 4294967296, 2].") { try Tensor.ones([2]).reshaped([1 << 32, 1 << 32, 2]) }
    }

    /// A zero-size tensor with huge other dimensions is refused when made: a
    /// reduction, concat or tile of it would otherwise make a shape whose size
    /// overflows (zeros(2^62, 4, 0) then sum(axis=2) trapped, or allocated nothing
    /// for 2^64 elements).
    func testZeroSizeTensorsCannotHaveHugeDimensions() throws {
        assertThrows("full: shape [4611686018427387904, 4, 0] is too large.") { try Tensor.zeros([1 << 62, 4, 0]) }
        assertThrows("rand: shape [0, 4611686018427387904] is too large.") { try Tensor.rand([0, 1 << 62]) }
        assertThrows("reshape: shape [0, 4611686018427387904] is too large.") { try Tensor.zeros([0]).reshaped([0, 1 << 62]) }
        let wide = try Tensor.zeros([0, 1 << 30])
        assertThrows("concat: shape [0, 2147483648] is too large.") { try Tensor.concat([wide, wide], axis: 1) }
        assertThrows("tile: shape [4611686018427387904, 1, 1, 0] is too large.") { try Tensor.zeros([0]).tile([1 << 62, 1]) }
        assertThrows("repeat: shape [0, 4294967296, 1073741824] is too large.") { try wide.repeated(1 << 32, axis: 0) }
        assertThrows("broadcast: shape [1073741824, 1073741824, 0] is too large.") {
            try Tensor.zeros([1 << 30, 1, 0]) + Tensor.zeros([1, 1 << 30, 0])
        }
        assertThrows("matmul: shape [1073741824, 1073741824] is too large.") {
            try Tensor.matmul(Tensor.zeros([1 << 30, 0]), Tensor.zeros([0, 1 << 30]))
        }
        // a .npy header of shape (0, 2^62, 4) (no data) is refused as well
        var header = "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 4611686018427387904, 4), }"
        header += String(repeating: " ", count: 63 - (10 + header.utf8.count) % 64) + "\n"
        let file = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 255), UInt8(header.utf8.count >> 8)] + Array(header.utf8)
        assertThrows("bad .npy header: shape [0, 4611686018427387904, 4] is too large.") { try ArrayFiles.npyDecode(file) }
        // zero-size tensors within the limit keep working
        let z = try Tensor.zeros([0, 1 << 20, 4])
        XCTAssertEqual(try z.sum(axis: 0).shape, [1 << 20, 4])
        XCTAssertEqual(try z.flip().shape, [0, 1 << 20, 4])
    }

    /// An allocation the machine cannot give is an error, not a trap (the message
    /// names the size); the mlp command's own test runs under `ulimit -v`.
    func testOutOfMemoryIsAnError() throws {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_AS.rawValue), &limit)
        defer { setrlimit(Int32(RLIMIT_AS.rawValue), &limit) }
        var small = limit
        small.rlim_cur = 16 << 30   // 16 GiB of address space: 2^31 doubles cannot fit
        guard setrlimit(Int32(RLIMIT_AS.rawValue), &small) == 0 else { throw XCTSkip("cannot lower the address-space limit") }
        assertThrows("out of memory: needs 17.2 GB for a tensor of 2147483647 elements.") { try Tensor.zeros([Int(Int32.max)]) }
    }
}
