// What native code throws (MLPTensor, MLPAutograd, MLPLearn): the operation at fault,
// what was wrong, and for the errors a program may want to tell apart, their facts
// (the shapes that do not fit, the limit passed, the memory asked for). The operation
// is kept apart from the detail so that the builtin that called the kernel can put its
// own name in its place: MLPRuntime renders these in one place (ErrorRendering.swift),
// without parsing any text.

public struct OperationError: Error, CustomStringConvertible, Equatable {
    public enum Kind: Equatable, Sendable {
        /// An argument or data the operation cannot take.
        case invalid
        /// Operands whose shapes do not fit together.
        case shapes([[Int]])
        /// A result of `count` elements, over the limit of `limit`.
        case tooLarge(count: Int, limit: Int)
        /// Memory the machine could not give.
        case outOfMemory(bytes: Int)
    }

    /// The operation at fault (`matmul`); nil when the detail names what it is about
    /// (a file's format, a layer's description).
    public let operation: String?
    /// What was wrong, without the operation's name.
    public let detail: String
    public let kind: Kind

    public init(_ operation: String?, _ detail: String, kind: Kind = .invalid) {
        self.operation = operation; self.detail = detail; self.kind = kind
    }

    /// `operation: detail`, as a message that stands alone.
    public var message: String { operation.map { "\($0): \(detail)" } ?? detail }
    public var description: String { message }
}

/// The tensor library's errors.
public typealias TensorError = OperationError
