import MLPTensor
import XCTest

final class ShapeOpsTests: XCTestCase {
    let a = try! Tensor.arange(0, 24).reshaped([2, 3, 4])
    let m = T([1, 2, 3, 4], [2, 2])

    func testReshapeTranspose() throws {
        XCTAssertEqual(try a.reshaped([4, -1]).shape, [4, 6])
        XCTAssertEqual(try a.reshaped([-1]).shape, [24])
        assertThrows("reshape: cannot reshape tensor of shape [2, 3, 4] into shape [5, -1].") { try self.a.reshaped([5, -1]) }
        assertThrows("reshape: can only specify one unknown dimension.") { try self.a.reshaped([-1, -1]) }
        assertThrows("reshape: cannot reshape tensor of shape [2, 3, 4] into shape [7].") { try self.a.reshaped([7]) }
        XCTAssertEqual(try T([1, 2, 3, 4, 5, 6], [2, 3]).transposed(), T([1, 4, 2, 5, 3, 6], [3, 2]))
        let p = try a.permute([2, 0, 1])
        XCTAssertEqual(p.shape, [4, 2, 3])
        XCTAssertEqual(p.scalars, [0, 4, 8, 12, 16, 20, 1, 5, 9, 13, 17, 21, 2, 6, 10, 14, 18, 22, 3, 7, 11, 15, 19, 23])
        assertThrows("permute: repeated axis in [0, 0, 1].") { try self.a.permute([0, 0, 1]) }
        XCTAssertEqual(try a.swapAxes(0, 2).shape, [4, 3, 2])
        XCTAssertEqual(try Tensor.zeros([1, 3, 1]).squeeze().shape, [3])
        XCTAssertEqual(try Tensor.zeros([1, 3, 1]).squeeze(axis: -1).shape, [1, 3])
        assertThrows("squeeze: cannot select an axis to squeeze out which has size not equal to one (axis 1 has size 3).") { try Tensor.zeros([1, 3]).squeeze(axis: 1) }
        XCTAssertEqual(try m.unsqueeze(axis: 0).shape, [1, 2, 2])
        XCTAssertEqual(try m.unsqueeze(axis: -1).shape, [2, 2, 1])
        XCTAssertEqual(a.flatten().shape, [24])
    }

    func testConcatStackSplit() throws {
        XCTAssertEqual(try Tensor.concat([m, T([5, 6], [1, 2])]), T([1, 2, 3, 4, 5, 6], [3, 2]))
        XCTAssertEqual(try Tensor.concat([m, T([5, 6], [2, 1])], axis: 1), T([1, 2, 5, 3, 4, 6], [2, 3]))
        assertThrows("concat: shapes [2, 2] and [2, 1] differ outside axis 0.") { try Tensor.concat([self.m, T([5, 6], [2, 1])]) }
        XCTAssertEqual(try Tensor.stack([T([1, 2], [2]), T([3, 4], [2])]), m)
        XCTAssertEqual(try Tensor.stack([T([1, 2], [2]), T([3, 4], [2])], axis: 1), T([1, 3, 2, 4], [2, 2]))
        let s = try Tensor.arange(0, 10).split(indices: [3, 7])
        XCTAssertEqual(s.map { $0.scalars }, [[0, 1, 2], [3, 4, 5, 6], [7, 8, 9]])
        let t = try Tensor.arange(0, 12).reshaped([2, 6]).split(sections: 3, axis: 1)
        XCTAssertEqual(t, [T([0, 1, 6, 7], [2, 2]), T([2, 3, 8, 9], [2, 2]), T([4, 5, 10, 11], [2, 2])])
        assertThrows("split: axis 0 of size 10 does not divide into 3 equal sections.") { try Tensor.arange(0, 10).split(sections: 3) }
    }

    func testTileRepeatFlipRoll() throws {
        XCTAssertEqual(try m.tile([2, 3]), try Tensor(rows: [[1, 2, 1, 2, 1, 2], [3, 4, 3, 4, 3, 4], [1, 2, 1, 2, 1, 2], [3, 4, 3, 4, 3, 4]]))
        XCTAssertEqual(try T([1, 2], [2]).tile([2]).scalars, [1, 2, 1, 2])
        XCTAssertEqual(try m.repeated(2, axis: 1), try Tensor(rows: [[1, 1, 2, 2], [3, 3, 4, 4]]))
        XCTAssertEqual(try m.repeated(2, axis: 0), try Tensor(rows: [[1, 2], [1, 2], [3, 4], [3, 4]]))
        XCTAssertEqual(try m.repeated(2).scalars, [1, 1, 2, 2, 3, 3, 4, 4])
        XCTAssertEqual(try m.flip(axis: 0), T([3, 4, 1, 2], [2, 2]))
        XCTAssertEqual(try m.flip(axis: 1), T([2, 1, 4, 3], [2, 2]))
        XCTAssertEqual(try m.flip(), T([4, 3, 2, 1], [2, 2]))
        let r = try Tensor.arange(0, 6).reshaped([2, 3])
        XCTAssertEqual(try r.roll(1, axis: 1), try Tensor(rows: [[2, 0, 1], [5, 3, 4]]))
        XCTAssertEqual(try r.roll(-1, axis: 0), try Tensor(rows: [[3, 4, 5], [0, 1, 2]]))
        XCTAssertEqual(try r.roll(2), try Tensor(rows: [[4, 5, 0], [1, 2, 3]]))
        XCTAssertEqual(try r.roll(7, axis: 1), try r.roll(1, axis: 1))
    }

    func testOnehot() throws {
        XCTAssertEqual(try Tensor.onehot(T([0, 2, 1], [3]), 3), try Tensor(rows: [[1, 0, 0], [0, 0, 1], [0, 1, 0]]))
        XCTAssertEqual(try Tensor.onehot(T([0, 1], [2, 1]), 2).shape, [2, 1, 2])
        assertThrows("onehot: label 3 is not an integer in 0..<3.") { try Tensor.onehot(T([3], [1]), 3) }
    }
}

final class ExtrasTests: XCTestCase {
    func testSumToDiagTraceAllClose() throws {
        let g = try Tensor.ones([2, 3, 4])
        XCTAssertEqual(try g.sum(to: [3, 4]), try Tensor.full([3, 4], 2))
        XCTAssertEqual(try g.sum(to: [3, 1]), try Tensor.full([3, 1], 8))
        XCTAssertEqual(try g.sum(to: [1, 4]), try Tensor.full([1, 4], 6))
        XCTAssertEqual(try g.sum(to: []), Tensor(scalar: 24))
        XCTAssertEqual(try g.sum(to: [2, 1, 1]), try Tensor.full([2, 1, 1], 12))
        assertThrows("sum_to: shape [2, 3, 4] cannot be reduced to [2, 4].") { try g.sum(to: [2, 4]) }
        XCTAssertEqual(try T([1, 2], [2]).diag(), T([1, 0, 0, 2], [2, 2]))
        XCTAssertEqual(try T([1, 2, 3, 4, 5, 6], [2, 3]).diag(), T([1, 5], [2]))
        XCTAssertEqual(try T([1, 2, 3, 4], [2, 2]).trace(), 5)
        XCTAssertTrue(T([1, 2], [2]).allClose(T([1, 2.000001], [2])))
        XCTAssertFalse(T([1, 2], [2]).allClose(T([1, 2.1], [2])))
        XCTAssertFalse(T([1, 2], [2]).allClose(T([1, 2, 3], [3])))
        XCTAssertFalse(T([.nan], [1]).allClose(T([.nan], [1])))
    }
}
