// A small parallel-for for the large kernels (element-wise maps, sums).
//
// Workers only ever see raw pointers and plain values: no Swift object is
// retained or released on a worker thread (the interpreter's modules use
// non-atomic reference counting). Results never depend on the number of
// threads: element-wise kernels compute each element the same way whatever the
// split, and `sumContiguous` adds fixed-size chunks combined in a fixed order.
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Threads for the large kernels: MLP_NUM_THREADS, else OMP_NUM_THREADS, else
/// the number of online CPUs (at most 16).
nonisolated(unsafe) var kernelThreads: Int = {
    for name in ["MLP_NUM_THREADS", "OMP_NUM_THREADS"] {
        if let s = getenv(name), let v = Int(String(cString: s)), v > 0 { return Swift.min(v, 16) }
    }
    return Swift.max(1, Swift.min(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), 16))
}()

/// Element-wise kernels of fewer elements than this run on the calling thread
/// (starting a worker costs a few microseconds).
let parallelMinElements = 1 << 15

/// Piece size for element-wise kernels over n doubles. Buffers of 4 MiB and
/// more are 2 MiB aligned huge pages (`TensorStorage`); pieces of one huge page
/// each make every page fault in a fresh result belong to one thread (with
/// smaller pieces both threads fault on the same huge page and one waits while
/// the kernel zeroes it).
@inline(__always)
func elementGrain(_ n: Int) -> Int { n &* 8 >= TensorStorage.hugeBytes ? 1 << 18 : 1 << 13 }

extension Tensor {
    /// Threads used by large element-wise kernels and sums (1 = no worker threads).
    public static var kernelThreads: Int {
        get { MLPTensor.kernelThreads }
        set { MLPTensor.kernelThreads = Swift.max(1, Swift.min(newValue, 64)) }
    }
}

/// Calls `body(lo, hi)` on disjoint ranges covering 0..<n: on the calling
/// thread alone below `minPerThread` items per thread, else on up to
/// `kernelThreads` threads that take pieces of `grain` items (rounded up to a
/// multiple of 8: whole cache lines of doubles) in turn from a shared counter,
/// so that a thread the system delays holds up no more than one piece.
@inline(__always)
func parallelFor(_ n: Int, minPerThread: Int = parallelMinElements, grain: Int = 1 << 14,
                 _ body: (Int, Int) -> Void) {
    let threads = Swift.min(kernelThreads, n / Swift.max(minPerThread, 1))
    if threads <= 1 { body(0, n); return }
    let g = (Swift.max(grain, 8) &+ 7) & ~7
    let pieces = (n &+ g &- 1) / g
    let next = Atomic<Int>(0)
    WorkerPool.shared.run(Swift.min(threads, pieces)) { _ in
        while true {
            let c = next.add(1, ordering: .relaxed).oldValue
            if c >= pieces { break }
            let lo = c &* g
            body(lo, Swift.min(n, lo &+ g))
        }
    }
}

/// A value handed to worker threads as it is (the caller guarantees it is safe there).
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// Runs body(p) for p in 0..<parts on up to `parts` threads (the calling thread and
/// the kernel threads of WorkerPool.swift; each part once, a thread taking parts in
/// turn when there are more parts than threads or one thread is late). The body
/// must touch raw pointers and values only, and no part may wait for another.
public func onThreads(_ parts: Int, _ body: (Int) -> Void) {
    WorkerPool.shared.run(parts, body)
}

/// A product of at least this many multiply-adds per thread is split over threads.
nonisolated(unsafe) public var splitProductWork = 1 << 20

/// C (m x n) = op(A) op(B), row-major with leading dimensions, as BLAS blocks on
/// up to `threads` threads: rows of C when m >= n, else columns, each block at
/// least `splitProductWork` multiply-adds. `call` gets each block as a complete
/// cblas_?gemm argument list without the scalars (rows, columns, A, lda, B, ldb,
/// C, ldc): a block is narrower than C, so its width is never a leading dimension
/// (a closure that read the block's n as ldc wrote every entry wrong on 2 threads).
@inline(__always)
public func splitProduct<T>(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int,
                           _ a: UnsafePointer<T>, _ lda: Int, _ b: UnsafePointer<T>, _ ldb: Int,
                           _ c: UnsafeMutablePointer<T>, _ ldc: Int, threads: Int,
                           _ call: (_ m: Int, _ n: Int, _ a: UnsafePointer<T>, _ lda: Int, _ b: UnsafePointer<T>, _ ldb: Int,
                                    _ c: UnsafeMutablePointer<T>, _ ldc: Int) -> Void) {
    let parts = Swift.min(threads, m &* n &* k / Swift.max(splitProductWork, 1), Swift.max(m, n) / 8)
    if parts <= 1 { call(m, n, a, lda, b, ldb, c, ldc); return }
    let byRows = m >= n
    onThreads(parts) { p in
        if byRows {
            let r0 = m &* p / parts, r1 = m &* (p &+ 1) / parts
            call(r1 &- r0, n, transA ? a + r0 : a + r0 &* lda, lda, b, ldb, c + r0 &* ldc, ldc)
        } else {
            let c0 = n &* p / parts, c1 = n &* (p &+ 1) / parts
            call(m, c1 &- c0, a, lda, transB ? b + c0 &* ldb : b + c0, ldb, c + c0, ldc)
        }
    }
}
