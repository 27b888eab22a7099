// The optimizers update a model's parameters: state keyed by the parameter object.
import MLPTensor

extension SGD: ParameterUpdate {}
extension Momentum: ParameterUpdate {}
extension Nesterov: ParameterUpdate {}
extension Adagrad: ParameterUpdate {}
extension RMSprop: ParameterUpdate {}
extension Adadelta: ParameterUpdate {}
extension Adam: ParameterUpdate {}

extension Optimizer {
    public func update(_ params: [Parameter], _ grads: [Tensor]) throws {
        for (p, g) in zip(params, grads) { try update(&p.value, g, key: .object(p)) }
    }
}
