import XCTest
import CMalloc
@testable import MLPTensor

final class StorageTests: XCTestCase {
    /// A loop that makes a big result while the previous one is alive (`c = a @ b`
    /// over and over) must get the same blocks back. With posix_memalign glibc
    /// could not reuse them: the heap grew by every other result, and each fresh
    /// block faulted in new huge pages (1024^2 products at 55-62 instead of 93-103
    /// GFLOP/s).
    func testLargeBuffersAreReusedInALoop() throws {
        _ = mallopt(M_MMAP_THRESHOLD, 256 << 20)  // as the mlp command sets it
        let count = 1 << 20  // 8 MiB
        var previous = try TensorStorage(count: count)
        var addresses = Set<Int>()
        for _ in 0..<12 {
            let next = try TensorStorage(count: count)
            let address = Int(bitPattern: next.pointer)
            XCTAssertEqual(address % (2 << 20), 0, "large buffers are 2 MiB aligned")
            next.pointer[count - 1] = 1  // the whole buffer is ours
            addresses.insert(address)
            previous = next
        }
        withExtendedLifetime(previous) {}
        XCTAssertLessThanOrEqual(addresses.count, 2, "the loop's results should take turns in two blocks")
    }
}
