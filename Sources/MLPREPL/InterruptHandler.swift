import Glibc
import MLPLang
import Synchronization

/// SIGINTs that arrived while `Interrupt.flag` was already set, i.e. that
/// nobody has noticed yet.
private let unnoticedInterrupts = Atomic<Int>(0)

/// Makes Ctrl-C set `Interrupt.flag` (the interpreter polls and clears it)
/// instead of killing the process. Safe to call more than once.
///
/// sigaction without SA_RESTART, so a blocking read returns EINTR and libedit's
/// `readline()` returns NULL on Ctrl-C at the prompt. If the flag stays
/// unnoticed for three more presses (stuck in code that never polls), exit
/// with 130 like an unhandled SIGINT rather than leave the user stuck.
public func installInterruptHandler() {
    var action = sigaction()
    action.__sigaction_handler.sa_handler = { _ in
        // Only lock-free atomics and _exit here: async-signal-safe.
        if Interrupt.flag.exchange(true, ordering: .relaxed) {
            if unnoticedInterrupts.add(1, ordering: .relaxed).newValue >= 3 { _exit(130) }
        } else {
            unnoticedInterrupts.store(0, ordering: .relaxed)
        }
    }
    sigemptyset(&action.sa_mask)
    action.sa_flags = 0
    sigaction(SIGINT, &action, nil)
}
