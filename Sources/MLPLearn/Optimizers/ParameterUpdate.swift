// The optimizers update a model's parameters: state keyed by the parameter object.
import MLPTensor

extension Optimizer {
    public func update(_ params: [Parameter], _ grads: [Tensor]) throws {
        for (p, g) in zip(params, grads) { try update(&p.value, g, key: .object(p)) }
    }
}
