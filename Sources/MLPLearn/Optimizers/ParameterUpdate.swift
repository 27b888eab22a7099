// The optimizers update a model's parameters: state keyed by the parameter object.
import MLPTensor

extension Optimizer {
    public func update(_ params: [Parameter], _ grads: [Tensor]) throws {
        for (p, g) in zip(params, grads) { try update(&p.value, g, key: .object(p)) }
    }
}

/// An optimizer that updates a float32 layer's parameter in single precision:
/// its float values, a float gradient of `count` elements, float state (every builtin
/// optimizer: adam, sgd, momentum, nesterov, rmsprop, adagrad, adadelta).
public protocol SingleUpdate: AnyObject {
    func updateSingle(_ param: Parameter, _ grad: UnsafePointer<Float>, count: Int) throws
}
