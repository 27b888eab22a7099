// Child nodes read out of an array or an optional are retained before their
// eval/exec runs and released after it (two calls of the runtime each: the
// compiler cannot see that the parent keeps them alive). Hot nodes therefore also
// hold their children as unretained references, beside the array that owns them,
// and run them through these (callgrind: about 40 instructions less per child run).

/// Unretained references to `nodes` (the array passed in must be kept by the caller).
@inline(__always) func unretained<T: AnyObject>(_ nodes: [T]) -> [Unmanaged<T>] {
    nodes.map { .passUnretained($0) }
}

extension Unmanaged where Instance == Expr {
    /// `eval` of the node, borrowed: no reference counting of the node.
    @inline(__always) func eval(_ f: Frame) throws(MLPError) -> Value {
        do {
            return try _withUnsafeGuaranteedRef { try $0.eval(f) }
        } catch let e as MLPError {
            throw e
        } catch {
            fatalError("eval threw a \(type(of: error))")   // eval throws only MLPError
        }
    }
}

extension Unmanaged where Instance: Stmt {
    /// `exec` of the statement, borrowed: no reference counting of the node (called
    /// directly where `Instance` is a final class, as `ReturnStmt`).
    @inline(__always) func exec(_ f: Frame) throws(MLPError) -> Flow {
        do {
            return try _withUnsafeGuaranteedRef { try $0.exec(f) }
        } catch let e as MLPError {
            throw e
        } catch {
            fatalError("exec threw a \(type(of: error))")   // exec throws only MLPError
        }
    }
}

/// Runs a block's statements (unretained, as `unretained(body)` made them).
@inline(__always) func execBlock(_ body: [Unmanaged<Stmt>], _ f: Frame) throws(MLPError) -> Flow {
    var i = 0
    let n = body.count
    while i < n {
        let flow = try body[i].exec(f)
        if case .normal = flow { i += 1; continue }
        return flow
    }
    return .normal
}
