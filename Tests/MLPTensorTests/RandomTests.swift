import MLPTensor
import XCTest

final class RandomTests: XCTestCase {
    /// Integers below n are uniform: each of 6 faces within 2% of 1/6 over 60,000 draws.
    func testBelowIsUniform() {
        var g = Xoshiro256(seed: 3)
        var counts = [Int](repeating: 0, count: 6)
        for _ in 0..<60_000 { counts[Int(g.below(6))] += 1 }
        for c in counts { XCTAssertEqual(Double(c) / 60_000, 1.0 / 6, accuracy: 0.02 / 6 * 6) }
    }

    /// Normals have mean 0 and variance 1.
    func testNormalMoments() {
        var g = Xoshiro256(seed: 5)
        var s = 0.0, s2 = 0.0
        let n = 200_000
        for _ in 0..<n { let z = g.normal(); s += z; s2 += z * z }
        XCTAssertEqual(s / Double(n), 0, accuracy: 0.01)
        XCTAssertEqual(s2 / Double(n), 1, accuracy: 0.02)
    }
}
