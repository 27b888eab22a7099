// Optimizers as language values (MLPLearn/Optimizers); a bare name (`adam`) means the defaults.
import MLPLang
import MLPTensor
import MLPLearn

final class OptimizerValue: MLPObject {
    let optimizer: ParameterUpdate
    let text: String
    init(_ optimizer: ParameterUpdate, _ text: String) { self.optimizer = optimizer; self.text = text }
    override var typeName: String { "optimizer" }
    override func description(_ interp: Interpreter) -> String { text }
}

enum OptimLib {
    static let names = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam"]

    static func register(_ r: inout Registry) {
    }
}
