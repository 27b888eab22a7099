// Long native work that Ctrl-C must be able to leave: a LAPACK call cannot be
// stopped part-way, so it runs on a thread of its own while the calling thread
// polls. When the poll throws, the caller returns at once and the work finishes
// unseen, dropping its result. The work owns all it touches (arrays it made or
// was given); no tensor or interpreter object crosses to its thread.
import Dispatch
import Synchronization

/// Where a polled run leaves its result: written once by the worker, read by the
/// caller only after `done` (the semaphore orders the two).
private final class PolledResult<R: Sendable>: @unchecked Sendable {
    var value: R?
    let done = DispatchSemaphore(value: 0)
}

/// `work()` on a worker thread, calling `poll` every 20 ms on this thread until it
/// finishes; what `poll` throws is thrown at once. Without a poll (nil) the work runs
/// here, as a plain call.
public func runPolling<R: Sendable>(_ poll: (() throws -> Void)?, _ work: @escaping @Sendable () -> R) throws -> R {
    guard let poll else { return work() }
    let box = PolledResult<R>()
    DispatchQueue.global().async {
        box.value = work()
        box.done.signal()
    }
    while box.done.wait(timeout: .now() + .milliseconds(20)) == .timedOut { try poll() }
    return box.value!
}
