// The course's two walkers (LECTURES.md B1, B2).
import MLPTensor

/// B1, "the simplest RL example": no state; each step goes up (action 1, +1) or
/// down (action 0, -1); the reward of a step is its move, so the return is x(T).
public final class RandomWalker: NativeEnvironment {
    public let steps: Int
    public private(set) var position = 0
    public private(set) var stepsTaken = 0
    public init(steps: Int) { self.steps = steps }
    public var name: String { "walker" }
    public var actionNames: [String] { ["down", "up"] }
    public var actionCount: Int { 2 }
    public var stateShape: [Int] { [] }
    public var stateCount: Int? { 1 }
    public var stateIndex: Int { 0 }
    public var done: Bool { stepsTaken >= steps }
    public func reset(_ g: inout Xoshiro256) { position = 0; stepsTaken = 0 }
    public func step(_ action: Int, _ g: inout Xoshiro256) -> (reward: Double, done: Bool) {
        let move = action == 1 ? 1 : -1
        position += move; stepsTaken += 1
        return (Double(move), done)
    }
    public func observe(_ out: UnsafeMutablePointer<Double>) { out[0] = 0 }
    public func copy() -> NativeEnvironment {
        let c = RandomWalker(steps: steps); c.position = position; c.stepsTaken = stepsTaken; return c
    }
    public func render() -> String { "walker at x = \(position) after \(stepsTaken) of \(steps) steps" }
}

/// B2, the walker that must reach a target (SimpleRL_WalkerTarget, the course's
/// exact protocol): a lattice from 0, the target uniform in [0, targetMax) drawn at
/// reset; actions 0 = stay, 1 = move right; the observation is 1 on the target,
/// else 0. The course applies a uniformly random first action before the policy is
/// asked, then for each of `steps` steps: apply the previous action, observe, earn 1
/// when on the target, ask the policy. Here reset() applies the random first action,
/// and step(a) pays for the position the policy saw, then applies a; the returns
/// are the course's (optimum 14.95 for 20 steps and targets in [0, 10)).
public final class WalkerTarget: NativeEnvironment {
    public let steps: Int, targetMax: Int
    public private(set) var position = 0, target = 0
    public private(set) var stepsTaken = 0
    public init(steps: Int, targetMax: Int) { self.steps = steps; self.targetMax = targetMax }
    public var name: String { "walker_target" }
    public var actionNames: [String] { ["stay", "right"] }
    public var actionCount: Int { 2 }
    public var stateShape: [Int] { [] }
    public var stateCount: Int? { 2 }
    public var stateIndex: Int { position == target ? 1 : 0 }
    public var done: Bool { stepsTaken >= steps }
    public func reset(_ g: inout Xoshiro256) {
        target = Int(g.below(UInt64(targetMax)))
        position = Int(g.below(2))   // the random first action
        stepsTaken = 0
    }
    public func step(_ action: Int, _ g: inout Xoshiro256) -> (reward: Double, done: Bool) {
        let r: Double = position == target ? 1 : 0
        position += action
        stepsTaken += 1
        return (r, done)
    }
    public func observe(_ out: UnsafeMutablePointer<Double>) { out[0] = Double(stateIndex) }
    public func copy() -> NativeEnvironment {
        let c = WalkerTarget(steps: steps, targetMax: targetMax)
        c.position = position; c.target = target; c.stepsTaken = stepsTaken
        return c
    }
    public func render() -> String {
        let width = Swift.max(targetMax, position + 1)
        var s = ""
        for i in 0..<width { s += i == position ? (i == target ? "*" : "@") : (i == target ? "T" : ".") }
        return s + "   (step \(stepsTaken) of \(steps))"
    }
}
