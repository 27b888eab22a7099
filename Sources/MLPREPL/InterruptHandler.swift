import Glibc
import MLPLang
import Synchronization

/// SIGINTs that arrived while `Interrupt.flag` was already set, i.e. that
/// nobody has noticed yet.
private let unnoticedInterrupts = Atomic<Int>(0)

/// The thread that called `installInterruptHandler` (the interpreter's, which also
/// sits in libedit's readline). Other threads (OpenBLAS's workers, started before
/// main) may receive the process's SIGINT; they pass it on, so that a blocking
/// read in this thread is interrupted.
nonisolated(unsafe) private var interpreterThread = pthread_t()

/// Makes Ctrl-C set `Interrupt.flag` (the interpreter polls and clears it)
/// instead of killing the process. Safe to call more than once.
///
/// sigaction without SA_RESTART, so a blocking read returns EINTR and libedit's
/// `readline()` returns NULL on Ctrl-C at the prompt. If the flag stays
/// unnoticed for three more presses (stuck in code that never polls), exit
/// with 130 like an unhandled SIGINT rather than leave the user stuck (removing
/// the temporary file of a save in progress).
public func installInterruptHandler() {
    interpreterThread = pthread_self()
    var action = sigaction()
    action.__sigaction_handler.sa_handler = { _ in
        // Only lock-free atomics, pthread_kill, unlink and _exit here: async-signal-safe.
        if pthread_equal(pthread_self(), interpreterThread) == 0 {
            pthread_kill(interpreterThread, SIGINT)
            return
        }
        if Interrupt.flag.exchange(true, ordering: .relaxed) {
            if unnoticedInterrupts.add(1, ordering: .relaxed).newValue >= 3 { removePendingTemporaryFile(); _exit(130) }
        } else {
            unnoticedInterrupts.store(0, ordering: .relaxed)
        }
    }
    sigemptyset(&action.sa_mask)
    action.sa_flags = 0
    sigaction(SIGINT, &action, nil)
}
