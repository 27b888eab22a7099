// Long builtins hand this to native code that polls Ctrl-C (and the step budget and
// deadline) between pieces of its work: what it throws is the interpreter's own
// interrupt error, located at the call.
import MLPLang

extension Args {
    var interruptPoll: () throws -> Void {
        let interp = interp, loc = callLoc
        return { try interp.pollInterrupt(loc) }
    }
}
