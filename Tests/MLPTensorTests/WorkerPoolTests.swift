// The kernel threads (WorkerPool.swift): every part of a fork runs exactly once, with
// workers spinning or asleep between forks, more parts than threads, a part that forks
// again (it runs on Dispatch), and forks from two threads at once.
import Dispatch
import XCTest
@testable import MLPTensor

final class WorkerPoolTests: XCTestCase {
    /// `forks` forks of 1...maxParts parts each: every part ran once per fork.
    func checkForks(_ forks: Int, maxParts: Int, file: StaticString = #filePath, line: UInt = #line) {
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: maxParts)
        defer { counts.deallocate() }
        for f in 0..<forks {
            let parts = 1 + f % maxParts
            counts.initialize(repeating: 0, count: maxParts)
            onThreads(parts) { p in counts[p] += 1 }
            for p in 0..<maxParts where counts[p] != (p < parts ? 1 : 0) {
                XCTFail("fork \(f) of \(parts) parts: part \(p) ran \(counts[p]) times", file: file, line: line)
                return
            }
        }
    }

    func testEveryPartRunsOnceWhetherWorkersSpinOrSleep() {
        let saved = Tensor.workerSpin
        defer { Tensor.workerSpin = saved }
        for spin in [100, 0, 5] {
            Tensor.workerSpin = spin
            checkForks(3000, maxParts: 7)
        }
        // forks apart by more than the spin: the workers are asleep at each one
        Tensor.workerSpin = 20
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: 2)
        defer { counts.deallocate() }
        for _ in 0..<50 {
            usleep(100)
            counts.initialize(repeating: 0, count: 2)
            onThreads(2) { p in counts[p] += 1 }
            XCTAssertEqual([counts[0], counts[1]], [1, 1])
        }
    }

    func testNestedAndConcurrentForks() {
        // a part that forks: the inner fork runs on Dispatch while the pool is busy
        let cells = UnsafeMutablePointer<Int>.allocate(capacity: 12)
        defer { cells.deallocate() }
        for _ in 0..<200 {
            cells.initialize(repeating: 0, count: 12)
            onThreads(3) { p in onThreads(4) { q in cells[p * 4 + q] += 1 } }
            XCTAssertEqual((0..<12).map { cells[$0] }, [Int](repeating: 1, count: 12))
        }
        // two threads forking at once: one has the pool, the other Dispatch; both complete
        let sums = UnsafeMutablePointer<Int>.allocate(capacity: 2 * 8)
        defer { sums.deallocate() }
        sums.initialize(repeating: 0, count: 16)
        let box = UncheckedSendable(sums)
        DispatchQueue.concurrentPerform(iterations: 2) { t in
            for _ in 0..<500 { onThreads(8) { p in box.value[t * 8 + p] += 1 } }
        }
        XCTAssertEqual((0..<16).map { sums[$0] }, [Int](repeating: 500, count: 16))
    }

    /// parallelFor covers its range once, in pieces, on the pool.
    func testParallelForCoversItsRange() {
        let saved = Tensor.kernelThreads
        defer { Tensor.kernelThreads = saved }
        for threads in [1, 2, 3] {
            Tensor.kernelThreads = threads
            let n = 100_003
            let hits = UnsafeMutablePointer<UInt8>.allocate(capacity: n)
            defer { hits.deallocate() }
            hits.initialize(repeating: 0, count: n)
            parallelFor(n, minPerThread: 1000, grain: 1000) { lo, hi in for i in lo..<hi { hits[i] &+= 1 } }
            XCTAssertTrue((0..<n).allSatisfy { hits[$0] == 1 }, "\(threads) threads")
        }
    }
}
