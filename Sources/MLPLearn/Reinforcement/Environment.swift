// The one interface every reinforcement-learning algorithm runs against: reset,
// step, the observation and (for tables) a discrete state index. Built-in
// environments conform natively; an environment written in mlp conforms through
// the runtime (its methods may throw the language's errors).
import MLPTensor

public typealias RLError = OperationError

public protocol Environment: AnyObject {
    /// Number of actions: actions are 0..<actionCount.
    var actionCount: Int { get }
    /// The observation's shape ([] for a number).
    var stateShape: [Int] { get }
    /// Number of discrete states for tabular methods (nil: only networks can use it).
    var stateCount: Int? { get }
    /// Starts an episode.
    func reset(_ g: inout Xoshiro256) throws
    /// Applies an action in 0..<actionCount to an episode not yet done.
    func step(_ action: Int, _ g: inout Xoshiro256) throws -> (reward: Double, done: Bool)
    /// The current discrete state (valid when stateCount is not nil).
    var stateIndex: Int { get }
    /// Writes the observation (stateShape's element count) to `out`.
    func observe(_ out: UnsafeMutablePointer<Double>)
}

extension Environment {
    /// Elements of one observation.
    public var observationSize: Int { stateShape.reduce(1, *) }

    /// The observation as an array.
    public func observation() -> [Double] {
        [Double](unsafeUninitializedCapacity: observationSize) { buf, n in
            observe(buf.baseAddress!); n = observationSize
        }
    }
}

/// A built-in environment: copies itself (batches, value iteration), draws itself,
/// names its actions, and is done or not.
public protocol NativeEnvironment: Environment {
    var name: String { get }
    var actionNames: [String] { get }
    var done: Bool { get }
    var stepsTaken: Int { get }
    func copy() -> NativeEnvironment
    /// The state as text (one line per row of a grid).
    func render() -> String
}

extension NativeEnvironment {
    /// Checks an action and the episode's state before a step: the errors every
    /// caller of a built-in environment reports.
    public func checkedStep(_ action: Int, _ g: inout Xoshiro256) throws -> (reward: Double, done: Bool) {
        guard action >= 0 && action < actionCount else {
            throw RLError(nil, "action \(action) is out of range: \(name) has actions 0 to \(actionCount - 1) (\(actionNames.joined(separator: ", "))).")
        }
        guard !done else {
            throw RLError(nil, "the episode is done (after \(stepsTaken) steps); call reset() before stepping again.")
        }
        return try step(action, &g)
    }
}
