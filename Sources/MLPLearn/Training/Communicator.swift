// The seam for data-parallel training over several processes (MPI ranks, in the
// roadmap): each process computes gradients on its share of a batch, and the one
// point between gradients and update averages them. Measurements (losses,
// accuracies, later Monte Carlo averages) are reduced through the same object.
// Today there is one process, and the default communicator does nothing.
import MLPTensor

public protocol Communicator: AnyObject {
    /// This process's index among `size`.
    var rank: Int { get }
    var size: Int { get }
    /// Replaces each gradient by its mean over the processes. Every process calls it
    /// at the same step with the same parameters in the same order.
    func averageGradients(_ grads: inout [Tensor]) throws
    /// Replaces each number by its mean over the processes.
    func average(_ values: inout [Double]) throws
}

/// One process: averaging over it changes nothing.
public final class SingleProcess: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    @inline(__always) public func averageGradients(_ grads: inout [Tensor]) throws {}
    @inline(__always) public func average(_ values: inout [Double]) throws {}
}
