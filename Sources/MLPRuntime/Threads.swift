// The interpreter runs on a thread with a large stack, so deep recursion ends
// in mlp's own "stack overflow" error (a depth count) instead of a crash.
#if canImport(Glibc)
import Glibc
#endif

private final class ThreadBody: @unchecked Sendable {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

/// Runs `body` on a new thread with `stackSize` bytes of stack and waits for it.
public func runOnBigStack(stackSize: Int = 1 << 30, _ body: @escaping () -> Void) {
    var attr = pthread_attr_t()
    pthread_attr_init(&attr)
    pthread_attr_setstacksize(&attr, stackSize)
    let box = Unmanaged.passRetained(ThreadBody(body))
    var tid = pthread_t()
    let rc = pthread_create(&tid, &attr, { arg in
        let b = Unmanaged<ThreadBody>.fromOpaque(arg!).takeRetainedValue()
        // This thread takes Ctrl-C, even if the parent process started us with SIGINT blocked.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        b.run()
        return nil
    }, box.toOpaque())
    pthread_attr_destroy(&attr)
    // Signals (Ctrl-C) must reach the interpreter thread, so that a blocking
    // read there (libedit at the prompt) is interrupted: the waiting thread blocks them.
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGINT)
    pthread_sigmask(SIG_BLOCK, &set, nil)
    if rc != 0 {
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        box.release()
        body()   // fall back to the current thread
        return
    }
    pthread_join(tid, nil)
}
