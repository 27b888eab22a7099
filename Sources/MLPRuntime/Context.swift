// The state one session owns, which builtins reach as `a.context`: its random
// generator, its last figure, the optimizers made for bare optimizer names, and
// the sinks its text goes to. Nothing here is global, so two sessions in one
// process (tests, a notebook kernel with several kernels) never see each other's
// seeds, figures or output.
//
// A session runs on one thread (MLPLang and MLPRuntime count references without
// atomics: docs/architecture.md); `enter()` checks that in debug builds.
import MLPLang
import MLPTensor
import MLPLearn
import MLPPlot
#if canImport(Glibc)
import Glibc
#endif

public final class Context {
    /// The default generator: `seed(n)` restarts it; rand(), weights of new layers,
    /// dropout and shuffling draw from it unless given `rng=`.
    public let random: RandomGenerator
    /// print, values echoed by the REPL, terminal plots.
    public let out: TextSink
    /// Error reports and warnings.
    public let err: TextSink
    /// Transient output for a person watching: progress bars.
    public let display: TextSink
    /// The last figure drawn (`savefig`).
    public var lastFigure: Figure?
    /// The call writing to `out` now (print, a terminal plot, ...), and whether it
    /// draws a plot: `mlp test` names the line that printed a wrong line with it.
    public var writeOrigin: (loc: SourceLoc, plot: Bool)?
    /// Averages over processes in training and measurements (one process today).
    public let communicator: Communicator = SingleProcess()
    /// The optimizers made for a bare optimizer name (`train(net, adam, ...)`), one per
    /// model and name so their moments persist across calls; an entry goes with its model.
    var defaultOptimizers: [DefaultOptimizerKey: (model: Weak<AnyObject>, optimizer: ParameterUpdate)] = [:]
    /// Warnings already given (some are given once per session).
    var warned: Set<String> = []
    /// The thread that first entered the session (debug builds check every entry).
    private var owner: pthread_t?

    public init(seed: UInt64, out: TextSink, err: TextSink, display: TextSink) {
        random = RandomGenerator(seed: seed)
        self.out = out; self.err = err; self.display = display
    }

    /// A line on the error sink: a warning that should not mix with the program's output.
    public func warn(_ s: String) {
        out.flush()
        err.write(s + "\n")
    }

    /// Records the session's thread on first entry; asserts it on every later one.
    func enter() {
        #if DEBUG
        let me = pthread_self()
        if let owner {
            assert(pthread_equal(owner, me) != 0, "mlp: a session was entered from a thread other than its own")
        } else {
            owner = me
        }
        #endif
    }
}

struct DefaultOptimizerKey: Hashable { let model: ObjectIdentifier; let name: String }

/// A reference that does not keep its object alive.
struct Weak<T: AnyObject> { weak var object: T? }

extension Args {
    /// The session this builtin runs in.
    @inline(__always) public var context: Context { unsafeDowncast(interp.context, to: Context.self) }

    /// Writes text for the user to the session's output, noting this call as its
    /// origin (`plot`: a terminal plot, which `mlp test` does not count as output lines).
    func writeOutput(_ s: String, plot: Bool = false) {
        let c = context
        c.writeOrigin = (callLoc, plot)
        interp.write(s)
        c.writeOrigin = nil
    }
}

extension Interpreter {
    /// The session's context, for native code that holds only the interpreter.
    @inline(__always) var sessionContext: Context { unsafeDowncast(context, to: Context.self) }
}
