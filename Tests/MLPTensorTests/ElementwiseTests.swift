import MLPTensor
import XCTest

final class ElementwiseTests: XCTestCase {
    func testSameShapeAndScalar() throws {
        let a = T([1, 2, 3, 4], [2, 2]), b = T([10, 20, 30, 40], [2, 2])
        XCTAssertEqual(try a + b, T([11, 22, 33, 44], [2, 2]))
        XCTAssertEqual(try b - a, T([9, 18, 27, 36], [2, 2]))
        XCTAssertEqual(try a * b, T([10, 40, 90, 160], [2, 2]))
        XCTAssertEqual(try b / a, T([10, 10, 10, 10], [2, 2]))
        XCTAssertEqual(try a * 2, T([2, 4, 6, 8], [2, 2]))
        XCTAssertEqual(try 1 - a, T([0, -1, -2, -3], [2, 2]))
        XCTAssertEqual(try 12 / a, T([12, 6, 4, 3], [2, 2]))
        XCTAssertEqual(try -a, T([-1, -2, -3, -4], [2, 2]))
        XCTAssertEqual(try Tensor.binary(.pow, a, 2), T([1, 4, 9, 16], [2, 2]))
        XCTAssertEqual(try Tensor.binary(.pow, 2, a), T([2, 4, 8, 16], [2, 2]))
        XCTAssertEqual(try Tensor.binary(.add, Tensor(scalar: 1), Tensor(scalar: 2)), Tensor(scalar: 3))
    }

    /// The number fast path (`binaryScalar`, `applyScalar`) gives the bits of the general
    /// path with a 0-d tensor, for every op (+ - * / directly, the others through the
    /// general path), both orders, small and threaded sizes, and leaves shared storage alone.
    func testScalarOperandPathMatchesGeneralPath() throws {
        for n in [7, 1 << 16] {
            let a = try Tensor((0..<n).map { Double($0 % 97) * 0.37 - 11 }, shape: [n])
            for op in Tensor.BinaryOp.allCases {
                for reversed in [false, true] {
                    let s = Tensor(scalar: 2.7)
                    let general = reversed ? try Tensor.binaryIntoNew(op, s, a) : try Tensor.binaryIntoNew(op, a, s)
                    let fast = try Tensor.binaryScalar(op, a, 2.7, reversed: reversed)
                    XCTAssertEqual(fast.shape, general.shape)
                    XCTAssertTrue(zip(fast.scalars, general.scalars).allSatisfy { $0.bitPattern == $1.bitPattern }, "\(op) reversed \(reversed) n \(n)")
                    var unique = try Tensor(a.scalars, shape: a.shape)
                    try unique.applyScalar(op, 2.7, reversed: reversed)
                    XCTAssertTrue(zip(unique.scalars, general.scalars).allSatisfy { $0.bitPattern == $1.bitPattern }, "in place \(op)")
                    var shared = a
                    try shared.applyScalar(op, 2.7, reversed: reversed)
                    XCTAssertTrue(zip(shared.scalars, general.scalars).allSatisfy { $0.bitPattern == $1.bitPattern }, "shared \(op)")
                    XCTAssertEqual(a.scalars[3], 3 * 0.37 - 11, "a shared operand is not written")
                }
            }
        }
        let zeroD = try Tensor.binaryScalar(.mul, Tensor(scalar: 3), 2, reversed: false)
        XCTAssertEqual(zeroD, Tensor(scalar: 6))
    }

    func testBroadcasting() throws {
        let a = T([0, 1, 2, 3, 4, 5], [2, 3])
        XCTAssertEqual(try a + T([10, 20, 30], [3]), T([10, 21, 32, 13, 24, 35], [2, 3]))
        XCTAssertEqual(try a + T([100, 200], [2, 1]), T([100, 101, 102, 203, 204, 205], [2, 3]))
        XCTAssertEqual(try T([1, 2], [2, 1]) * T([1, 10, 100], [1, 3]), T([1, 10, 100, 2, 20, 200], [2, 3]))
        let c = try T([1, 2], [2, 1, 1]) + T([0, 1, 2, 3, 4, 5], [3, 2])
        XCTAssertEqual(c.shape, [2, 3, 2])
        XCTAssertEqual(c.scalars, [1, 2, 3, 4, 5, 6, 2, 3, 4, 5, 6, 7])
        XCTAssertEqual(try Tensor.broadcastShape([8, 1, 6, 1], [7, 1, 5]), [8, 7, 6, 5])
        XCTAssertEqual(try Tensor.broadcastShape([], [2, 3]), [2, 3])
        XCTAssertEqual(try Tensor.broadcastShape([0, 3], [1, 3]), [0, 3])
        XCTAssertEqual((try a + T([], [0, 1, 3])).shape, [0, 2, 3])
        // strided broadcast on the last axis (both operands broadcast)
        let s = try T([1, 2, 3], [3, 1]) - T([1, 2], [1, 2])
        XCTAssertEqual(s, T([0, -1, 1, 0, 2, 1], [3, 2]))
        assertThrows("shapes [2, 3] and [4] cannot be broadcast.") { try a + T([1, 2, 3, 4], [4]) }
        assertThrows("shapes [2, 3] and [3, 3] cannot be broadcast.") { try a * Tensor.ones([3, 3]) }
        XCTAssertEqual(try a.broadcast(to: [2, 2, 3]).shape, [2, 2, 3])
        assertThrows("shapes [2, 3] and [3] cannot be broadcast.") { try a.broadcast(to: [3]) }
    }

    func testModMinMaxCompare() throws {
        let a = T([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5], [2, 3])
        XCTAssertEqual(try Tensor.binary(.mod, a, T([1, -2, 3], [3])), T([0.5, -1.5, 2.5, 0.5, -0.5, 2.5], [2, 3]))
        XCTAssertEqual(try Tensor.binary(.mod, T([-7, 7], [2]), 3), T([2, 1], [2]))
        XCTAssertEqual(try Tensor.binary(.mod, T([-7, 7], [2]), -3), T([-1, -2], [2]))
        let x = T([1, 5, .nan], [3]), y = T([3, 2, 1], [3])
        let mn = try Tensor.binary(.minimum, x, y), mx = try Tensor.binary(.maximum, x, y)
        XCTAssertEqual(Array(mn.scalars.prefix(2)), [1, 2]); XCTAssertTrue(mn[flat: 2].isNaN)
        XCTAssertEqual(Array(mx.scalars.prefix(2)), [3, 5]); XCTAssertTrue(mx[flat: 2].isNaN)
        let u = T([1, 2, 3], [3]), v = T([3, 2, 1], [3])
        XCTAssertEqual(try Tensor.binary(.eq, u, v).scalars, [0, 1, 0])
        XCTAssertEqual(try Tensor.binary(.ne, u, v).scalars, [1, 0, 1])
        XCTAssertEqual(try Tensor.binary(.lt, u, v).scalars, [1, 0, 0])
        XCTAssertEqual(try Tensor.binary(.le, u, v).scalars, [1, 1, 0])
        XCTAssertEqual(try Tensor.binary(.gt, u, v).scalars, [0, 0, 1])
        XCTAssertEqual(try Tensor.binary(.ge, u, v).scalars, [0, 1, 1])
        XCTAssertEqual(try Tensor.binary(.eq, T([.nan], [1]), .nan).scalars, [0])
    }

    func testUnary() throws {
        let x = T([0, 1, -1, 2], [2, 2])
        assertClose(try x.map(.exp), T([1, 2.718281828459045, 0.36787944117144233, 7.38905609893065], [2, 2]))
        assertClose(try T([1, 2.718281828459045], [2]).map(.log), T([0, 1], [2]))
        XCTAssertEqual(try T([4, 9], [2]).map(.sqrt).scalars, [2, 3])
        assertClose(try x.map(.sin), T([0, 0.8414709848078965, -0.8414709848078965, 0.9092974268256817], [2, 2]))
        assertClose(try x.map(.cos), T([1, 0.5403023058681398, 0.5403023058681398, -0.4161468365471424], [2, 2]))
        assertClose(try x.map(.tan), T([0, 1.5574077246549023, -1.5574077246549023, -2.185039863261519], [2, 2]))
        assertClose(try x.map(.tanh), T([0, 0.7615941559557649, -0.7615941559557649, 0.9640275800758169], [2, 2]))
        assertClose(try x.map(.sigmoid), T([0.5, 0.7310585786300049, 0.2689414213699951, 0.8807970779778823], [2, 2]))
        XCTAssertEqual(try T([-1000, 1000], [2]).map(.sigmoid).scalars, [0, 1])
        XCTAssertEqual(try x.map(.abs).scalars, [0, 1, 1, 2])
        XCTAssertEqual(try T([1.5, -1.5], [2]).map(.floor).scalars, [1, -2])
        XCTAssertEqual(try T([1.5, -1.5], [2]).map(.ceil).scalars, [2, -1])
        XCTAssertEqual(try T([0.5, 1.5, 2.5, -0.5, -1.5], [5]).map(.round).scalars, [0, 2, 2, -0, -2])
        XCTAssertEqual(try x.map(.negate).scalars, [-0, -1, 1, -2])
        XCTAssertEqual(try x.map(.relu).scalars, [0, 1, 0, 2])
        XCTAssertEqual(try x.map { $0 * 10 }.scalars, [0, 10, -10, 20])
        XCTAssertEqual(try x.map(.exp).shape, [2, 2])
        // a temporary is reused; a shared operand is not touched
        let y = try Tensor.unary(.negate, try x * 1)
        XCTAssertEqual(y.scalars, [-0, -1, 1, -2])
        XCTAssertEqual(try Tensor.unary(.exp, x).shape, [2, 2])
        XCTAssertEqual(x.scalars, [0, 1, -1, 2])
        XCTAssertEqual(try Tensor.unary(.exp, try Tensor.binary(.mul, x, 0)).scalars, [1, 1, 1, 1])
    }

    func testTemporariesReusedOperandsUntouched() throws {
        let a = T([1, 2, 3], [3]), b = T([4, 5, 6], [3]), c = T([10, 20, 30], [3])
        let r = try a * b + c
        XCTAssertEqual(r.scalars, [14, 30, 48])
        let r2 = try c - (a * b)          // right temporary reused
        XCTAssertEqual(r2.scalars, [6, 10, 12])
        let r3 = try (a + 1) * T([2], [1])
        XCTAssertEqual(r3.scalars, [4, 6, 8])
        let r4 = try T([1, 2], [2, 1]) + (a * 1)   // temporary [3] does not have the result shape [2, 3]
        XCTAssertEqual(r4, T([2, 3, 4, 3, 4, 5], [2, 3]))
        XCTAssertEqual(try a + a, T([2, 4, 6], [3]))
        let s = try a * 3
        XCTAssertEqual(try s * s, T([9, 36, 81], [3]))
        XCTAssertEqual(s.scalars, [3, 6, 9])
        XCTAssertEqual(a.scalars, [1, 2, 3]); XCTAssertEqual(b.scalars, [4, 5, 6]); XCTAssertEqual(c.scalars, [10, 20, 30])
        var v = a
        let w = try v + b
        v[0] = 0
        XCTAssertEqual(w.scalars, [5, 7, 9]); XCTAssertEqual(a.scalars, [1, 2, 3])
    }

    func testWhereClip() throws {
        let c = T([1, 0, 1], [3])
        XCTAssertEqual(try Tensor.where(c, T([1, 2, 3], [3]), Tensor(scalar: -1)), T([1, -1, 3], [3]))
        XCTAssertEqual(try Tensor.where(T([1, 0], [2, 1]), T([1, 2, 3], [3]), T([7], [1])), T([1, 2, 3, 7, 7, 7], [2, 3]))
        XCTAssertEqual(try T([-2, 0.5, 3], [3]).clip(0, 1).scalars, [0, 0.5, 1])
        XCTAssertEqual(try T([-2, 0.5, 3], [3]).clip(nil, 1).scalars, [-2, 0.5, 1])
    }
}
