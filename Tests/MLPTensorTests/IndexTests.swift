import MLPTensor
import XCTest

final class IndexTests: XCTestCase {
    let a = try! Tensor.arange(0, 24).reshaped([2, 3, 4])

    func testBasic() throws {
        XCTAssertEqual(try a.get(.at(1), .at(2), .at(3)), Tensor(scalar: 23))
        XCTAssertEqual(try a.get(.at(-1), .at(-1), .at(-4)), Tensor(scalar: 20))
        XCTAssertEqual(try a.get(.at(1)), try Tensor.arange(12, 24).reshaped([3, 4]))
        XCTAssertEqual(try a.row(0).shape, [3, 4])
        XCTAssertEqual(try a.get(.at(1), .slice(nil, nil, -2), .slice(1, 3, nil)), T([21, 22, 13, 14], [2, 2]))
        XCTAssertEqual(try a.get(.all, .at(0)), T([0, 1, 2, 3, 12, 13, 14, 15], [2, 4]))
        XCTAssertEqual(try a.get(.all, .all, .at(1)), T([1, 5, 9, 13, 17, 21], [2, 3]))
        assertThrows("index 3 is out of bounds for axis 1 with size 3.") { try self.a.get(.at(0), .at(3)) }
        assertThrows("index -3 is out of bounds for axis 0 with size 2.") { try self.a.get(.at(-3)) }
        assertThrows("too many indices for tensor: tensor is 3-dimensional, but 4 were indexed.") { try self.a.get(.at(0), .at(0), .at(0), .at(0)) }
        assertThrows("slice step cannot be zero.") { try self.a.get(.slice(nil, nil, 0)) }
    }

    func testSlicesLikePython() throws {
        let x = try Tensor.arange(0, 10)
        XCTAssertEqual(try x.get(.slice(-3, nil, nil)).scalars, [7, 8, 9])
        XCTAssertEqual(try x.get(.slice(nil, -7, -2)).scalars, [9, 7, 5])
        XCTAssertEqual(try x.get(.slice(100, nil, nil)).scalars, [])
        XCTAssertEqual(try x.get(.slice(-100, 2, nil)).scalars, [0, 1])
        XCTAssertEqual(try x.get(.slice(8, 2, -3)).scalars, [8, 5])
        XCTAssertEqual(try x.get(.slice(nil, nil, -1)).scalars, [9, 8, 7, 6, 5, 4, 3, 2, 1, 0])
        XCTAssertEqual(try x.get(.slice(nil, nil, 4)).scalars, [0, 4, 8])
        XCTAssertEqual(try x.get(.slice(5, 3, nil)).shape, [0])
        XCTAssertEqual(try x.get(.slice(1, nil, Int.max)).scalars, [1])
        XCTAssertEqual(try x.get(.slice(nil, nil, Int.min)).scalars, [9])
        XCTAssertEqual(try x.get(.slice(Int.min, Int.max, 3)).scalars, [0, 3, 6, 9])
        XCTAssertEqual(try x.get(.slice(Int.max, Int.min, -4)).scalars, [9, 5, 1])
        XCTAssertEqual(try x.get(.slice(2, 9, 3)).scalars, [2, 5, 8])
        XCTAssertEqual(try x.get(.slice(2, 8, 3)).scalars, [2, 5])
    }

    func testArrayAndMask() throws {
        XCTAssertEqual(try a.get(.all, .indices(T([2, 0], [2])), .at(-1)), T([11, 3, 23, 15], [2, 2]))
        // advanced indices separated by a slice: array dims come first (NumPy)
        XCTAssertEqual(try a.get(.at(0), .all, .indices(T([1, 3], [2]))), T([1, 5, 9, 3, 7, 11], [2, 3]))
        XCTAssertEqual(try a.get(.indices(T([-1, 0, 1], [3]))).shape, [3, 3, 4])
        XCTAssertEqual(try a.get(.indices(T([1, 0, 1, 0], [2, 2]))).shape, [2, 2, 3, 4])
        let m = try Tensor.binary(.gt, a, 20)
        XCTAssertEqual(try a.get(.mask(m)), T([21, 22, 23], [3]))
        XCTAssertEqual(try a.get(.all, .mask(T([1, 0, 1], [3]))), T([0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 20, 21, 22, 23], [2, 2, 4]))
        assertThrows("index 5 is out of bounds for axis 0 with size 2.") { try self.a.get(.indices(T([5], [1]))) }
        assertThrows("boolean index did not match indexed tensor along axis 1; size of axis is 3 but size of corresponding boolean axis is 2.") {
            try self.a.get(.all, .mask(T([1, 0], [2])))
        }
        assertThrows("index arrays must hold integers, got 0.5.") { try self.a.get(.indices(T([0.5], [1]))) }
    }

    func testAssignment() throws {
        var b = a
        try b.set([.all, .at(1)], T([7, 8, 9, 10], [4]))
        XCTAssertEqual(b.scalars, [0, 1, 2, 3, 7, 8, 9, 10, 8, 9, 10, 11, 12, 13, 14, 15, 7, 8, 9, 10, 20, 21, 22, 23])
        XCTAssertEqual(a[0, 1, 0], 4)  // copy on write
        var c = a
        try c.set([.mask(Tensor.binary(.gt, a, 20))], 0)
        XCTAssertEqual(c.scalars, Array((0...20).map(Double.init)) + [0, 0, 0])
        var d = a
        try d.set([.at(0), .indices(T([0, 2], [2])), .slice(1, 3, nil)], -1)
        XCTAssertEqual(d.scalars, [0, -1, -1, 3, 4, 5, 6, 7, 8, -1, -1, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23])
        var e = try Tensor.zeros([3, 3])
        try e.set([.slice(nil, nil, -1), .at(0)], T([1, 2, 3], [3]))
        XCTAssertEqual(e.scalars, [3, 0, 0, 2, 0, 0, 1, 0, 0])
        assertThrows("could not broadcast value of shape [2] into the indexed region of shape [3].") {
            try e.set([.all, .at(0)], T([1, 2], [2]))
        }
        var g = a
        try g.set([.at(1), .at(-1)], T([1, 2, 3, 4], [4]))
        try g.set([.at(0)], 7)
        XCTAssertEqual(g.scalars, [Double](repeating: 7, count: 12) + [12, 13, 14, 15, 16, 17, 18, 19, 1, 2, 3, 4])
        try g.set([.at(1), .at(0), .at(0)], -1)
        XCTAssertEqual(g[1, 0, 0], -1)
        XCTAssertEqual(a[1, 0, 0], 12)
        assertThrows("index 2 is out of bounds for axis 0 with size 2.") { try g.set([.at(2)], 0) }
        assertThrows("could not broadcast value of shape [3] into the indexed region of shape [4].") { try g.set([.at(0), .at(0)], T([1, 2, 3], [3])) }
        // unique: in place
        var f = try Tensor.zeros([4])
        let id = ObjectIdentifier(f.storage)
        try f.set([.slice(1, nil, 2)], 5)
        XCTAssertEqual(ObjectIdentifier(f.storage), id)
        XCTAssertEqual(f.scalars, [0, 5, 0, 5])
    }
}
