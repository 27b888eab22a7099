import MLPTensor
import XCTest
import MLPTestSupport

/// Randomised checks of the general kernels against index-by-index references.
final class PropertyTests: XCTestCase {
    func unravel(_ i: Int, _ shape: [Int]) -> [Int] {
        var r = [Int](repeating: 0, count: shape.count), i = i
        for d in stride(from: shape.count - 1, through: 0, by: -1) { r[d] = i % shape[d]; i /= shape[d] }
        return r
    }

    func element(_ t: Tensor, broadcastFrom idx: [Int]) -> Double {
        let off = idx.count - t.ndim
        var o = 0
        for d in 0..<t.ndim { o = o * t.shape[d] + (t.shape[d] == 1 ? 0 : idx[d + off]) }
        return t[flat: o]
    }

    func testBroadcastingAgainstReference() throws {
        var g = Xoshiro256(seed: 77)
        TestRandom.seed(77)
        for _ in 0..<300 {
            let nd = 1 + Int(g.below(4))
            let full = (0..<nd).map { _ in 1 + Int(g.below(4)) }
            func sub() -> [Int] {
                let k = Int(g.below(UInt64(nd + 1)))
                return full.suffix(k).map { g.below(3) == 0 ? 1 : $0 }
            }
            let sa = sub(), sb = sub()
            let a = try Tensor.randn(sa), b = try Tensor.randn(sb)
            for op in [Tensor.BinaryOp.add, .sub, .mul, .div, .maximum, .lt] {
                let r = try Tensor.binary(op, a, b)
                let shape = try Tensor.broadcastShape(sa, sb)
                XCTAssertEqual(r.shape, shape)
                for i in 0..<r.count {
                    let idx = unravel(i, shape)
                    let x = element(a, broadcastFrom: idx), y = element(b, broadcastFrom: idx)
                    let e: Double
                    switch op {
                    case .add: e = x + y
                    case .sub: e = x - y
                    case .mul: e = x * y
                    case .div: e = x / y
                    case .maximum: e = Swift.max(x, y)
                    default: e = x < y ? 1 : 0
                    }
                    XCTAssertEqual(r[flat: i], e)
                }
            }
        }
    }

    func testPermuteAndIndexAgainstReference() throws {
        var g = Xoshiro256(seed: 78)
        for _ in 0..<100 {
            let shape = (0..<(1 + Int(g.below(4)))).map { _ in 1 + Int(g.below(5)) }
            let t = try Tensor.arange(0, Double(shape.reduce(1, *))).reshaped(shape)
            var perm = Array(0..<shape.count); perm.shuffle(using: &g)
            let p = try t.permute(perm)
            for i in 0..<p.count {
                let idx = unravel(i, p.shape)
                var src = [Int](repeating: 0, count: shape.count)
                for (k, a) in perm.enumerated() { src[a] = idx[k] }
                var o = 0
                for d in 0..<shape.count { o = o * shape[d] + src[d] }
                XCTAssertEqual(p[flat: i], Double(o))
            }
            // random slices on every axis
            var index: [TensorIndex] = []
            var picks: [[Int]] = []
            for n in shape {
                let start = Int(g.below(UInt64(2 * n + 1))) - n, stop = Int(g.below(UInt64(2 * n + 1))) - n
                var step = Int(g.below(5)) - 2; if step == 0 { step = 1 }
                index.append(.slice(start, stop, step))
                let py = try Tensor.sliceIndices(start, stop, step, size: n)
                picks.append((0..<py.count).map { py.start + $0 * py.step })
            }
            let s = try t.get(index)
            XCTAssertEqual(s.shape, picks.map { $0.count })
            for i in 0..<s.count {
                let idx = unravel(i, s.shape)
                var o = 0
                for d in 0..<shape.count { o = o * shape[d] + picks[d][idx[d]] }
                XCTAssertEqual(s[flat: i], Double(o))
            }
        }
    }
}

