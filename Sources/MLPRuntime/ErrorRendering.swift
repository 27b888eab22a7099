// The one place where what native code throws becomes the language's error. An
// OperationError keeps its operation apart from its detail, so a builtin puts its
// own name in the operation's place ("conv2d: ..." from inside `train` reads
// "train: ..."), and nothing parses message text.
import MLPLang
import MLPTensor
import MLPLearn

/// A native error as a message that stands alone (an operator has no builtin name
/// to give it): `matmul: shapes [2, 3] and [2, 3] do not align (3 != 2).`
func message(of error: any Error) -> String {
    switch error {
    case let e as MLPError: return e.message
    case let e as OperationError: return e.message
    default: return "\(error)"
    }
}

extension Args {
    /// What native code called by this builtin threw, in this builtin's words, at
    /// argument `i` (or the call): language errors pass as they are, a Ctrl-C that
    /// stopped a loss or batch function is an interrupt.
    public func nativeError(_ error: any Error, at i: Int? = nil) -> MLPError {
        switch error {
        case let e as MLPError: return e
        case is TrainingInterrupted: return MLPError(.interrupt, "stopped by Ctrl-C.", at: callLoc)
        case let e as OperationError: return self.error(e.detail, at: i)
        default: return self.error("\(error)", at: i)
        }
    }

    /// Runs native work for this builtin, its errors in this builtin's words. A layer
    /// written in mlp that the work calls back (a forward pass in train) reports its
    /// errors at this call.
    public func native<T>(at i: Int? = nil, _ body: () throws -> T) throws(MLPError) -> T {
        interp.nativeLoc = callLoc
        do { return try body() } catch { throw nativeError(error, at: i) }
    }
}
