// The builtin call that made a layer, kept as data: `save` writes it and `load`
// calls the same builtin again, so every argument comes back (a description
// written by hand per layer dropped some: dense(2, bias=false) came back with a bias).

/// An argument of a layer call: plain data, or an activation by its name.
public indirect enum LayerArgument: Equatable {
    case number(Double), string(String), bool(Bool), none, activation(String), list([LayerArgument])
}

public struct LayerCall {
    /// The builtin's name, e.g. `dense`.
    public let name: String
    public let args: [LayerArgument]
    public let kwargs: [(name: String, value: LayerArgument)]
    public init(_ name: String, _ args: [LayerArgument], _ kwargs: [(name: String, value: LayerArgument)]) {
        self.name = name; self.args = args; self.kwargs = kwargs
    }
}
