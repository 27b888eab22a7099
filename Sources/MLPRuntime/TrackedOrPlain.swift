// The one branch of builtins that work on tensors tracked by grad and on plain
// ones: the operation on the graph node when grad differentiates through an
// argument (its gradient flows back), else on the tensor, without building a node.
import MLPLang
import MLPTensor
import MLPAutograd

extension TensorLib {
    /// Builtin `a` on argument 0: `node` on its variable when tracked, else `tensor`; errors
    /// under the builtin's name, located at argument `i`.
    static func trackedOrPlain(_ a: Args, at i: Int? = nil, _ node: (Variable) throws -> Variable,
                               tensor: (Tensor) throws -> Value) throws(MLPError) -> Value {
        if let v = tracked(a, 0) { return try track(a, at: i) { try node(v) } }
        let t = try a.untrackedTensor(0)
        do { return try tensor(t) } catch { throw a.nativeError(error, at: i) }
    }

    /// As above for arguments `i` and `j`: tracked when either is (the other a constant);
    /// without `node` the operation has no gradient and always runs on the tensors.
    static func trackedOrPlain(_ a: Args, _ i: Int, _ j: Int, _ node: ((Variable, Variable) throws -> Variable)?,
                               tensors: (Tensor, Tensor) throws -> Value) throws(MLPError) -> Value {
        if let node, tracked(a, i) != nil || tracked(a, j) != nil {
            let x = try a.variable(i), y = try a.variable(j)
            return try track(a) { try node(x, y) }
        }
        let x = try a.untrackedTensor(i), y = try a.untrackedTensor(j)
        do { return try tensors(x, y) } catch { throw a.nativeError(error) }
    }
}
