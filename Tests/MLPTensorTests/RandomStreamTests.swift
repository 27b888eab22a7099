// The generator's streams: the jump polynomials against a published reference
// value, and split streams that repeat under a seed and never coincide.
import MLPTensor
import XCTest

final class RandomStreamTests: XCTestCase {
    /// PHP's engine test (ext/random, xoshiro256starstar_value.phpt), whose seeding is
    /// SplitMix64 as ours: seed 1234, 10000 draws, jump, long jump, then one draw. PHP
    /// prints the draw's bytes in memory (little-endian) order: 1f197e9ca7969123.
    func testJumpsMatchTheReferenceImplementation() {
        var g = Xoshiro256(seed: 1234)
        for _ in 0..<10_000 { _ = g.next() }
        g.jump()
        g.jump(long: true)
        XCTAssertEqual(g.next(), 0x2391_96a7_9c7e_191f)
    }

    func testSplitStreamsRepeatUnderASeedAndLieAJumpApart() {
        let a = RandomGenerator(seed: 7).split(4), b = RandomGenerator(seed: 7).split(4)
        for (x, y) in zip(a, b) {
            for _ in 0..<100 { XCTAssertEqual(x.state.next(), y.state.next()) }
        }
        // stream k starts where stream k - 1 started, 2^128 draws on
        let c = RandomGenerator(seed: 7).split(3)
        var first = c[0].state
        first.jump()
        XCTAssertEqual(first.next(), c[1].state.next())
    }

    func testSplitStreamsDifferFromEachOtherAndFromTheParent() {
        let parent = RandomGenerator(seed: 3)
        let kids = parent.split(3), again = parent.split(3)
        var seen = Set<UInt64>()
        for g in kids + again + [parent] {
            for _ in 0..<1000 { seen.insert(g.state.next()) }
        }
        XCTAssertEqual(seen.count, 7 * 1000, "two streams gave the same number")
    }

    func testReseedRestartsTheStreamForEveryHolder() {
        let g = RandomGenerator(seed: 5), holder = g
        let first = g.state.uniform()
        _ = g.state.normal()
        g.reseed(5)
        XCTAssertEqual(holder.state.uniform(), first)
    }
}
