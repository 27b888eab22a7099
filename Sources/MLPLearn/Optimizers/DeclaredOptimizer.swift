// What the language needs to offer an optimizer as a builtin, declared once by
// the optimizer's own type: MLPRuntime registers every type of `Optimizers.all`.

/// An optimizer offered by name: its hyper-parameters in the builtin's order with
/// their defaults (Keras's unless the type says otherwise), the builtin's doc, and
/// how it is made from their values.
public protocol DeclaredOptimizer: Optimizer {
    /// The builtin's name, also the name in `config`.
    static var name: String { get }
    /// The builtin's hyper-parameters (its names for them, which may be the lecture's) and defaults.
    static var hyperparameters: [(name: String, value: Double)] { get }
    /// The update formula, for the builtin's doc.
    static var doc: String { get }
    /// `values[i]` for `hyperparameters[i]`.
    init(values: [Double], clipnorm: Double?)
}

extension DeclaredOptimizer {
    /// The default of the hyper-parameter the builtin calls `name` (for the Swift initializers' defaults).
    public static func defaultValue(_ name: String) -> Double {
        guard let p = hyperparameters.first(where: { $0.name == name }) else { preconditionFailure("\(Self.name) has no hyper-parameter \(name)") }
        return p.value
    }
}

public enum Optimizers {
    /// Every optimizer the language offers, in the order of the docs.
    public static var all: [any DeclaredOptimizer.Type] { [SGD.self, Momentum.self, Nesterov.self, Adagrad.self, RMSprop.self, Adadelta.self, Adam.self] }
}
