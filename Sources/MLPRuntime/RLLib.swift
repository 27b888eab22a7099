// Reinforcement learning (lectures 7-8, LECTURES.md part B): environments as
// values (MLPLearn/Reinforcement), batches of them, environments written in mlp,
// sampling and returns, REINFORCE, tabular and deep Q-learning.
import MLPLang
import MLPTensor
import MLPLearn
import MLPPlot

/// A built-in environment as a value: env.reset(), env.step(a), env.actions, ...
final class EnvValue: MLPObject {
    let env: NativeEnvironment
    let rng: RandomGenerator
    init(_ env: NativeEnvironment, _ rng: RandomGenerator) { self.env = env; self.rng = rng }
    override var typeName: String { "environment" }
    override func description(_ interp: Interpreter) -> String {
        let shape = env.stateShape.isEmpty ? "a number" : Tensor.formatShape(env.stateShape)
        return "<environment \(env.name): \(env.actionCount) actions (\(env.actionNames.joined(separator: ", "))), state \(shape)>"
    }
    override var fieldNames: [String] {
        var f = ["reset", "step", "actions", "action_names", "state_shape", "nstates", "state", "done", "steps", "render", "copy", "random_action"]
        if env is GridWorld { f += ["walls", "chests", "position", "shortest_path", "greedy"] }
        if env is WalkerTarget { f += ["position", "target"] }
        if env is RandomWalker { f += ["position"] }
        return f
    }

    override func field(_ name: String, _ interp: Interpreter) throws(MLPError) -> Value? {
        let env = self.env, rng = self.rng
        switch name {
        case "reset":
            return boundMethod("reset", []) { a throws(MLPError) in
                try a.native { try env.reset(&rng.state) }
                return RLLib.state(env)
            }
        case "step":
            return boundMethod("step", [p("action")]) { a throws(MLPError) in
                let act = try a.int(0)
                let (r, done) = try a.native(at: 0) { try env.checkedStep(act, &rng.state) }
                return .list(ListObj([RLLib.state(env), .number(r), .bool(done)]))
            }
        case "actions": return .number(Double(env.actionCount))
        case "action_names": return .list(ListObj(env.actionNames.map { .str($0) }))
        case "state_shape": return .list(ListObj(env.stateShape.map { .number(Double($0)) }))
        case "nstates": return env.stateCount.map { .number(Double($0)) } ?? .nil
        case "state": return RLLib.state(env)
        case "done": return .bool(env.done)
        case "steps": return .number(Double(env.stepsTaken))
        case "copy": return boundMethod("copy", []) { _ throws(MLPError) in .object(EnvValue(env.copy(), rng)) }
        case "random_action":
            // Gymnasium's env.action_space.sample(), from the environment's generator
            return boundMethod("random_action", []) { _ throws(MLPError) in .number(Double(rng.state.below(UInt64(env.actionCount)))) }
        case "render":
            return boundMethod("render", [opt("file")]) { a throws(MLPError) in
                if a.isNil(0) { a.writeOutput(env.render() + "\n"); return .nil }
                guard let w = env as? GridWorld else { throw a.error("only grid worlds draw to a file; \(env.name) draws as text (render() without file=).", at: 0) }
                var f = Figure()
                f.heatmap = Heatmap(rows: w.rows, cols: w.cols, values: w.picture())
                f.title = "\(w.name): walls 1, chests 0.5, walker 0.75"
                try PlotLib.save(a, f, try a.string(0), at: 0)
                return .nil
            }
        case "position":
            if let w = env as? GridWorld { return .list(ListObj([.number(Double(w.position / w.cols)), .number(Double(w.position % w.cols))])) }
            if let w = env as? WalkerTarget { return .number(Double(w.position)) }
            if let w = env as? RandomWalker { return .number(Double(w.position)) }
            return nil
        case "target": return (env as? WalkerTarget).map { .number(Double($0.target)) }
        case "walls":
            guard let w = env as? GridWorld else { return nil }
            return .object(TensorValue((try? Tensor(w.walls.map { $0 ? 1 : 0 }, shape: [w.rows, w.cols])) ?? Tensor(scalar: 0)))
        case "chests":
            guard let w = env as? GridWorld else { return nil }
            return .object(TensorValue((try? Tensor(w.remaining, shape: [w.rows, w.cols])) ?? Tensor(scalar: 0)))
        case "shortest_path":
            guard let w = env as? GridWorld else { return nil }
            return QLearning.shortestPath(w).map { .number(Double($0)) } ?? .nil
        case "greedy":
            guard let w = env as? GridWorld else { return nil }
            return boundMethod("greedy", [p("q"), Param("max_steps", DefaultValue.none, keywordOnly: true)]) { a throws(MLPError) in
                let q = try RLLib.qTable(a, 0, w)
                let cap = try a.optionalInt(1) ?? (w.maxSteps > 0 ? w.maxSteps : w.rows * w.cols)
                let (total, steps, reached) = q.withUnsafeBufferPointer { QLearning.greedyPath(w, $0.baseAddress!, maxSteps: cap) }
                return RLLib.dict(["total": .number(total), "steps": .number(Double(steps)), "reached": .bool(reached)])
            }
        default: return nil
        }
    }
}

/// `batch(env, n)`: n copies stepped together; a copy that is done stays done
/// (reward 0) until reset().
final class BatchEnvValue: MLPObject {
    let envs: [NativeEnvironment]
    let rngs: [RandomGenerator]
    init(_ envs: [NativeEnvironment], _ rngs: [RandomGenerator]) { self.envs = envs; self.rngs = rngs }
    override var typeName: String { "environment batch" }
    override func description(_ interp: Interpreter) -> String { "<\(envs.count) x environment \(envs[0].name)>" }
    override var fieldNames: [String] { ["reset", "step", "n", "actions", "state_shape", "nstates", "state", "done", "envs"] }
    override var length: Int? { envs.count }

    func states() -> Value {
        let e = envs[0], size = e.observationSize
        var out = [Double](repeating: 0, count: envs.count * size)
        out.withUnsafeMutableBufferPointer { b in for (i, x) in envs.enumerated() { x.observe(b.baseAddress! + i * size) } }
        return .object(TensorValue((try? Tensor(out, shape: [envs.count] + e.stateShape)) ?? Tensor(scalar: 0)))
    }

    override func field(_ name: String, _ interp: Interpreter) throws(MLPError) -> Value? {
        let envs = self.envs, rngs = self.rngs
        switch name {
        case "reset":
            return boundMethod("reset", []) { a throws(MLPError) in
                try a.native { for (e, g) in zip(envs, rngs) { try e.reset(&g.state) } }
                return self.states()
            }
        case "step":
            return boundMethod("step", [p("actions")]) { a throws(MLPError) in
                let acts = try a.untrackedTensor(0).scalars
                guard acts.count == envs.count else {
                    throw a.error("expected \(envs.count) actions (one per copy), got \(acts.count).", at: 0)
                }
                var rewards = [Double](repeating: 0, count: envs.count), dones = rewards
                for (i, e) in envs.enumerated() {
                    if e.done { dones[i] = 1; continue }
                    guard let k = Int(exactly: acts[i]), k >= 0, k < e.actionCount else {
                        throw a.error("action \(formatNumber(acts[i])) of copy \(i) is out of range: \(e.name) has actions 0 to \(e.actionCount - 1) (\(e.actionNames.joined(separator: ", "))).", at: 0)
                    }
                    let (r, d) = try a.native(at: 0) { try e.step(k, &rngs[i].state) }
                    rewards[i] = r; dones[i] = d ? 1 : 0
                }
                return .list(ListObj([self.states(), .object(TensorValue(try a.native { try Tensor(rewards) })),
                                      .object(TensorValue(try a.native { try Tensor(dones) }))]))
            }
        case "n": return .number(Double(envs.count))
        case "actions": return .number(Double(envs[0].actionCount))
        case "state_shape": return .list(ListObj(envs[0].stateShape.map { .number(Double($0)) }))
        case "nstates": return envs[0].stateCount.map { .number(Double($0)) } ?? .nil
        case "state": return states()
        case "done": return .bool(envs.allSatisfy { $0.done })
        case "envs": return .list(ListObj(zip(envs, rngs).map { .object(EnvValue($0, $1)) }))
        default: return nil
        }
    }
}

/// An environment written in mlp: a dict (or object) with reset(), step(action)
/// returning [state, reward, done], and actions; nstates for tabular methods.
/// Its states are checked against the shape of the first one (or state_shape).
final class UserEnvironment: Environment {
    let a: Args, resetFn: Value, stepFn: Value
    let actionCount: Int, stateCount: Int?
    private(set) var stateShape: [Int]
    var current: [Double] = [], index = 0
    let argIndex: Int

    init(_ a: Args, _ v: Value, at i: Int) throws(MLPError) {
        self.a = a; argIndex = i
        func get(_ name: String) throws(MLPError) -> Value? {
            switch v {
            case .dict(let d): return d[name]
            case .object(let o): return try o.field(name, a.interp)
            default: return nil
            }
        }
        guard let r = try get("reset"), let s = try get("step"), let n = try get("actions") else {
            throw a.error("argument '\(a.paramName(i))' must be an environment: a built-in one (maze, corridor, ...) or a dict with reset, step and actions, got \(describeForError(v)).", at: i)
        }
        resetFn = r; stepFn = s
        guard case .number(let x) = n, let k = Int(exactly: x), k >= 1 else {
            throw a.error("the environment's actions must be a count of at least 1, got \(describeForError(n)).", at: i)
        }
        actionCount = k
        if let ns = try get("nstates"), !ns.isNil {
            guard case .number(let x) = ns, let k = Int(exactly: x), k >= 1 else {
                throw a.error("the environment's nstates must be a count of at least 1, got \(describeForError(ns)).", at: i)
            }
            stateCount = k
        } else { stateCount = nil }
        stateShape = []
        if let sh = try get("state_shape"), case .list = sh { stateShape = try a.shape(sh, at: i) }
        else {
            // the shape of the first state
            let s0 = try a.call(resetFn, [])
            stateShape = try tensorOf(s0, "reset").shape
        }
    }

    private func tensorOf(_ v: Value, _ what: String) throws(MLPError) -> Tensor {
        do { return try TensorValue.fromNested(v) } catch {
            throw a.error("the environment's \(what) must return a state (a number or tensor), got \(describeForError(v)).", at: argIndex)
        }
    }

    private func take(_ v: Value, _ what: String) throws(MLPError) {
        let t = try tensorOf(v, what)
        guard t.shape == stateShape || (stateShape.isEmpty && t.count == 1) else {
            throw a.error("the environment's \(what) returned a state of shape \(Tensor.formatShape(t.shape)), expected \(Tensor.formatShape(stateShape)) (the shape of its first state).", at: argIndex)
        }
        current = t.scalars
        if let n = stateCount {
            guard t.count == 1, let k = Int(exactly: current[0]), k >= 0, k < n else {
                throw a.error("the environment's \(what) returned state \(describeForError(v)); a tabular method needs an integer state in 0 to \(n - 1) (nstates = \(n)).", at: argIndex)
            }
            index = k
        }
    }

    func reset(_ g: inout Xoshiro256) throws { try take(try a.call(resetFn, []), "reset()") }

    func step(_ action: Int, _ g: inout Xoshiro256) throws -> (reward: Double, done: Bool) {
        let v = try a.call(stepFn, [.number(Double(action))])
        guard case .list(let l) = v, l.items.count == 3, case .number(let r) = l.items[1], case .bool(let d) = l.items[2] else {
            throw a.error("the environment's step(action) must return [state, reward, done] (a state, a number and a bool), got \(describeForError(v)).", at: argIndex)
        }
        try take(l.items[0], "step(action)")
        return (r, d)
    }

    var stateIndex: Int { index }
    func observe(_ out: UnsafeMutablePointer<Double>) { for (i, x) in current.enumerated() { out[i] = x } }
}

/// A tabular softmax policy as a value: policy.logits (settable), policy.probs, policy.act(state).
final class PolicyValue: MLPObject {
    let policy: TabularPolicy
    init(_ p: TabularPolicy) { policy = p }
    override var typeName: String { "policy" }
    override func description(_ interp: Interpreter) -> String { "<tabular softmax policy: \(policy.states) states x \(policy.actions) actions>" }
    override var fieldNames: [String] { ["logits", "probs", "act"] }
    override func field(_ name: String, _ interp: Interpreter) throws(MLPError) -> Value? {
        let pol = policy
        switch name {
        case "logits": return .object(TensorValue(pol.logits))
        case "probs": return .object(TensorValue((try? pol.table()) ?? pol.logits))
        case "act":
            return boundMethod("act", [p("state"), rngParam]) { a throws(MLPError) in
                let s = try a.int(0, in: 0...(pol.states - 1)), g = try a.generator(1)
                var p = [Double](repeating: 0, count: pol.actions)
                let k = p.withUnsafeMutableBufferPointer { b in
                    pol.probs(s, b.baseAddress!)
                    return RLSampling.categorical(b.baseAddress!, pol.actions, &g.state)
                }
                return .number(Double(k))
            }
        default: return nil
        }
    }
    override func setField(_ name: String, _ value: Value, _ interp: Interpreter) throws(MLPError) -> Bool {
        guard name == "logits" else { return false }
        let t = try TensorValue.fromNested(value)
        guard t.shape == [policy.states, policy.actions] else {
            throw MLPError.runtime("policy.logits must have shape \(Tensor.formatShape([policy.states, policy.actions])), got \(Tensor.formatShape(t.shape)).")
        }
        guard let copy = try? Tensor(t.scalars, shape: t.shape) else { return false }
        policy.logits = copy   // a copy of its own: updates happen in place
        return true
    }
}

enum RLLib {
    static func state(_ env: Environment) -> Value {
        let o = env.observation()
        if env.stateShape.isEmpty { return .number(o[0]) }
        return .object(TensorValue((try? Tensor(o, shape: env.stateShape)) ?? Tensor(scalar: 0)))
    }

    static func dict(_ pairs: KeyValuePairs<String, Value>) -> Value {
        let d = DictObj()
        for (k, v) in pairs { d[k] = v }
        return .dict(d)
    }

    static func vector(_ a: Args, _ xs: [Double]) throws(MLPError) -> Value {
        .object(TensorValue(try a.native { try Tensor(xs) }))
    }

    /// Argument i as an environment for the algorithms (a user one is bound to this call).
    static func environment(_ a: Args, _ i: Int) throws(MLPError) -> Environment {
        if case .object(let o as EnvValue) = a[i] { return o.env }
        if case .object(let o as BatchEnvValue) = a[i] {
            throw a.error("pass one environment (the algorithm makes its own copies for batch=), got a batch of \(o.envs.count).", at: i)
        }
        return try UserEnvironment(a, a[i], at: i)
    }

    /// A Q table for a grid world: [states, actions].
    static func qTable(_ a: Args, _ i: Int, _ env: Environment) throws(MLPError) -> [Double] {
        let q = try a.untrackedTensor(i)
        let s = env.stateCount ?? 0
        guard q.shape == [s, env.actionCount] else {
            throw a.error("the Q table must have shape [\(s), \(env.actionCount)] (states x actions), got \(Tensor.formatShape(q.shape)).", at: i)
        }
        return q.scalars
    }

    static func tabular(_ a: Args, _ env: Environment, at i: Int, _ what: String) throws(MLPError) -> Int {
        guard let n = env.stateCount else {
            throw a.error("\(what) needs an environment with discrete states (nstates); this one has none (give a dict environment nstates= and integer states).", at: i)
        }
        // the table [nstates, actions] is allocated next: refuse one over the tensor limit first
        let (cells, overflow) = n.multipliedReportingOverflow(by: env.actionCount)
        if overflow || cells > Tensor.maxCount {
            throw a.error("a table of \(n) states x \(env.actionCount) actions is larger than the limit of \(Tensor.maxCount) entries.", at: i)
        }
        return n
    }

    static func optimizer(_ a: Args, _ i: Int, default lr: Double) throws(MLPError) -> Optimizer {
        switch a[i] {
        case .nil: return SGD(lr: lr)
        case .object(let o as OptimizerValue): return o.optimizer
        default: throw a.typeError(i, "an optimizer (sgd(0.01), adam(0.001), ...)")
        }
    }

    static func probability(_ a: Args, _ i: Int, _ name: String) throws(MLPError) -> Double {
        let x = try a.number(i)
        guard x >= 0 && x <= 1 else { throw a.error("'\(name)' must be between 0 and 1, got \(formatNumber(x)).", at: i) }
        return x
    }

    /// n copies of an environment must fit in memory (a grid world keeps 3 numbers per cell).
    static func checkCopies(_ a: Args, _ env: NativeEnvironment, _ n: Int, at i: Int) throws(MLPError) {
        let cells = (env as? GridWorld).map { $0.rows * $0.cols } ?? 1
        guard Double(n) * Double(cells + env.observationSize) <= 5e7 else {
            throw a.error("\(n) copies of \(env.name) (\(cells) cells each) would not fit in memory; use fewer.", at: i)
        }
    }

    static let obsNames = GridWorld.Observation.allCases.map(\.rawValue)

    static func gridOptions(_ a: Args, consume: Int, penalty: Int, steps: Int, actions: Int, obs: Int)
        throws(MLPError) -> (Bool, Double, Int, [(Int, Int)], [String], GridWorld.Observation) {
        let c = try a.bool(consume), pen = try a.number(penalty), st = try a.int(steps, atLeast: 0)
        let na = try a.int(actions)
        var moves = GridWorld.courseMoves, names = GridWorld.courseMoveNames
        switch na {
        case 4: break
        case 5: moves.append((0, 0)); names.append("stay")
        default: throw a.error("'actions' must be 4 (right, left, down, up) or 5 (and stay), got \(na).", at: actions)
        }
        let o = try a.string(obs)
        guard let kind = GridWorld.Observation(rawValue: o) else {
            throw a.error("'obs' must be one of \(obsNames.map { "\"\($0)\"" }.joined(separator: ", ")), got \"\(o)\".", at: obs)
        }
        return (c, pen, st, moves, names, kind)
    }

    static func register(_ r: inout Registry) {
        environments(&r)
        sampling(&r)
        algorithms(&r)
    }

    static func environments(_ r: inout Registry) {
        r.fn("walker", [p("steps", 100), rngParam],
             doc: "The random walker of the course's simplest RL example (LECTURES.md B1): no state (always 0), actions 0 = down (-1) and 1 = up (+1), each step's reward its move, so an episode's return is x(T) after steps moves.",
             example: "env = walker(100); env.reset(); s, r, done = env.step(1)") { a throws(MLPError) in
            .object(EnvValue(RandomWalker(steps: try a.int(0, in: 1...1_000_000)), try a.generator(1)))
        }
        r.fn("walker_target", [p("steps", 20), p("targets", 10), rngParam],
             doc: "The walker that must reach a target (the course's SimpleRL_WalkerTarget, B2): target uniform in [0, targets) drawn at reset, start at 0 with a uniformly random first move; actions 0 = stay, 1 = right; the state is 1 on the target, else 0; each of the steps pays 1 when the walker stands on the target (the course's protocol: optimum 14.95 on average for 20 steps and 10 targets).",
             example: "env = walker_target(); s = env.reset(); s, r, done = env.step(1)") { a throws(MLPError) in
            .object(EnvValue(WalkerTarget(steps: try a.int(0, in: 1...1_000_000), targetMax: try a.int(1, in: 1...1_000_000)), try a.generator(2)))
        }
        r.fn("maze", [p("M", 11), p("chests", 10), Param("consume", .bool(false), keywordOnly: true),
                      Param("wall_penalty", .number(0), keywordOnly: true), Param("steps", .number(80), keywordOnly: true),
                      Param("chest_reward", .number(1), keywordOnly: true), Param("zone", .number(4), keywordOnly: true),
                      Param("exact", .bool(false), keywordOnly: true), Param("actions", .number(4), keywordOnly: true),
                      Param("obs", .string("position"), keywordOnly: true), rngParam],
             doc: "The course's maze with treasure chests (B3-B5): an M x M maze from its generator (the old Wikipedia routine, numpy randint quirk kept), the walker starting at (1, 1); chests: `chests` random cells in [1, M-1)^2 tried, kept where free with row or column > zone (exact=true: draws until that many stand). A chest pays chest_reward every step spent on it, or once when consume=true; a move into a wall stays put and costs wall_penalty; the episode ends after steps. actions 4 (right, left, down, up: the course's order) or 5 (and stay). obs: \"position\" [row, col], \"index\", \"onehot\" (M*M), \"image\" [M, M, 3] (walls, chests, walker: B4).",
             example: "env = maze(11, rng=generator(1)); env.render()") { a throws(MLPError) in
            let m = try a.int(0, in: 5...201), n = try a.int(1, in: 0...100_000)
            let (consume, pen, steps, moves, names, kind) = try gridOptions(a, consume: 2, penalty: 3, steps: 4, actions: 8, obs: 9)
            guard steps >= 1 else { throw a.error("'steps' must be at least 1, got \(steps) (a maze has no goal: without a step limit its episodes would never end).", at: 4) }
            let value = try a.number(5), zone = try a.int(6, atLeast: 0), exact = try a.bool(7)
            let g = try a.generator(10)
            let (rows, cols, walls) = MazeGenerator.walls(height: m, width: m, &g.state)
            let chests = try a.native { try MazeGenerator.chests(rows: rows, cols: cols, walls: walls, count: n, zone: zone, exact: exact, value: value, &g.state) }
            let w = GridWorld(name: "maze", rows: rows, cols: cols, walls: walls, chests: chests, goals: [:], start: cols + 1, moves: moves,
                              actionNames: names, consume: consume, wallPenalty: pen, maxSteps: steps, observation: kind)
            return .object(EnvValue(w, g))
        }
        r.fn("grid", [p("map"), Param("goal", .number(1), keywordOnly: true), Param("chest", .number(1), keywordOnly: true),
                      Param("consume", .bool(true), keywordOnly: true), Param("wall_penalty", .number(0), keywordOnly: true),
                      Param("steps", .number(200), keywordOnly: true), Param("actions", .number(4), keywordOnly: true),
                      Param("obs", .string("index"), keywordOnly: true), rngParam],
             doc: "A grid world from a map, one string per row: # wall, S start, G goal (pays goal and ends the episode), $ chest (pays chest, once when consume), . free. Moves off the grid or into a wall stay put (costing wall_penalty); the episode ends after steps (0: no limit). actions and obs as for maze.",
             example: "env = grid([\"S.#\", \"..G\"]); env.render()") { a throws(MLPError) in
            let lines = try TextLib.strings(a, 0)
            let (consume, pen, steps, moves, names, kind) = try gridOptions(a, consume: 3, penalty: 4, steps: 5, actions: 6, obs: 7)
            let (goal, chest) = (try a.number(1), try a.number(2))
            let w = try a.native(at: 0) {
                try GridWorld.parse(lines, goalReward: goal, chestReward: chest, consume: consume, wallPenalty: pen, maxSteps: steps,
                                    moves: moves, actionNames: names, observation: kind)
            }
            if steps == 0 && w.goals.isEmpty {
                throw a.error("steps=0 (no limit) needs a goal G in the map: without one the episodes would never end.", at: 5)
            }
            return .object(EnvValue(w, try a.generator(8)))
        }
        r.fn("corridor", [p("n", 10), Param("steps", .number(200), keywordOnly: true), Param("obs", .string("index"), keywordOnly: true), rngParam],
             doc: "A 1D corridor of n cells (B6): start at cell 0, actions 0 = left, 1 = right (a move off the end stays put), reward 1 for entering cell n-1, which ends the episode (or after steps). obs: \"index\" (the cell, a number), \"onehot\" (n numbers) or \"position\" [0, cell]. The exact Q values are Q*(s, right) = gamma^(d-1) and Q*(s, left) = gamma^(d+1) (gamma^d at cell 0), d = n-1-s.",
             example: "env = corridor(6); env.reset(); env.step(1)") { a throws(MLPError) in
            let o = try a.string(2)
            guard let kind = GridWorld.Observation(rawValue: o), kind != .image else {
                throw a.error("'obs' must be one of \"index\", \"onehot\", \"position\", got \"\(o)\".", at: 2)
            }
            return .object(EnvValue(GridWorld.corridor(try a.int(0, in: 2...1_000_000), maxSteps: try a.int(1, atLeast: 0), observation: kind), try a.generator(3)))
        }
        r.fn("batch", [p("env"), p("n")],
             doc: "n copies of a built-in environment stepped together natively: envs.reset() gives the states as one [n, ...] tensor, envs.step(actions) takes n actions and gives [states, rewards, dones] as tensors; a copy that is done stays done (reward 0) until reset(). Each copy draws from its own stream of the environment's generator.",
             example: "envs = batch(corridor(5), 16); s = envs.reset(); s, r, d = envs.step(ones(16))") { a throws(MLPError) in
            guard case .object(let o as EnvValue) = a[0] else { throw a.typeError(0, "a built-in environment (maze, grid, corridor, walker, walker_target)") }
            let n = try a.int(1, in: 1...1_000_000)
            try checkCopies(a, o.env, n, at: 1)
            return .object(BatchEnvValue((0..<n).map { _ in o.env.copy() }, o.rng.split(n)))
        }
    }

    static func sampling(_ r: inout Registry) {
        r.fn("bernoulli", [p("p"), rngParam], rest: "shape",
             doc: "1 with probability p, else 0: for a number p a number (or a tensor of the given shape), for a tensor p one draw per element.",
             example: "coins = bernoulli(0.5, 10); masks = bernoulli(rand(3, 3))") { a throws(MLPError) in
            let g = try a.generator(1)
            if case .number(let p) = a[0] {
                guard p >= 0 && p <= 1 else { throw a.error("'p' must be between 0 and 1, got \(formatNumber(p)).", at: 0) }
                if a.rest.isEmpty { return .number(g.state.uniform() < p ? 1 : 0) }
                let shape = try a.trailingShape()
                return try a.newTensor {
                    let t = try Tensor(uninitializedShape: shape, "bernoulli")
                    let o = t.storage.pointer
                    for i in 0..<t.count { o[i] = g.state.uniform() < p ? 1 : 0 }
                    return t
                }
            }
            let t = try a.untrackedTensor(0)
            guard a.rest.isEmpty else { throw a.error("a shape goes with a number p; a tensor p gives one draw per element.", at: 0) }
            for x in t.scalars where !(x >= 0 && x <= 1) { throw a.error("probabilities must be between 0 and 1, got \(formatNumber(x)).", at: 0) }
            return try a.newTensor { try Tensor(t.scalars.map { g.state.uniform() < $0 ? 1 : 0 }, shape: t.shape) }
        }
        r.fn("binomial", [p("n"), p("p"), rngParam], rest: "shape",
             doc: "k ~ Binomial(n, p), the number of successes in n trials: a number, or a tensor of the given shape (n and p numbers: drawn by inversion of the exact distribution), or one per element when p is a tensor.",
             example: "k = binomial(100, 0.5, 64)   # 64 walkers' up-steps") { a throws(MLPError) in
            let n = try a.int(0, in: 0...100_000_000), g = try a.generator(2)
            if case .number(let p) = a[1] {
                guard p >= 0 && p <= 1 else { throw a.error("'p' must be between 0 and 1, got \(formatNumber(p)).", at: 1) }
                if a.rest.isEmpty { return .number(Double(RLSampling.binomial(n, p, &g.state))) }
                let shape = try a.trailingShape()
                return try a.newTensor {
                    let t = try Tensor(uninitializedShape: shape, "binomial")
                    let cdf = RLSampling.binomialCDF(n, p), o = t.storage.pointer
                    for i in 0..<t.count { o[i] = Double(RLSampling.binomial(cdf: cdf, &g.state)) }
                    return t
                }
            }
            let t = try a.untrackedTensor(1)
            guard a.rest.isEmpty else { throw a.error("a shape goes with a number p; a tensor p gives one draw per element.", at: 1) }
            for x in t.scalars where !(x >= 0 && x <= 1) { throw a.error("probabilities must be between 0 and 1, got \(formatNumber(x)).", at: 1) }
            return try a.newTensor { try Tensor(t.scalars.map { Double(RLSampling.binomial(n, $0, &g.state)) }, shape: t.shape) }
        }
        r.fn("returns", [p("rewards"), p("gamma", 1), Param("done", DefaultValue.none, keywordOnly: true)],
             doc: "Discounted reward-to-go G_t = sum_{t' >= t} gamma^(t'-t) r_t' of a vector of rewards, or of each row of an [episodes, T] tensor (a batch); done= (same shape) ends an episode inside a row where it is nonzero. G_0 is the discounted return of the episode.",
             example: "returns([0, 0, 1], 0.9)   # tensor([0.81, 0.9 , 1   ])") { a throws(MLPError) in
            let r = try a.untrackedTensor(0), gamma = try a.number(1)
            guard r.ndim >= 1 && r.ndim <= 2 else { throw a.error("rewards must be a vector or an [episodes, T] tensor, got shape \(Tensor.formatShape(r.shape)).", at: 0) }
            guard gamma.isFinite && gamma >= 0 else { throw a.error("'gamma' must be a non-negative number, got \(formatNumber(gamma)).", at: 1) }
            var done: [Double]?
            if !a.isNil(2) {
                let d = try a.untrackedTensor(2)
                guard d.shape == r.shape else { throw a.error("done has shape \(Tensor.formatShape(d.shape)), the rewards \(Tensor.formatShape(r.shape)).", at: 2) }
                done = d.scalars
            }
            let len = r.shape.last!, eps = r.ndim == 2 ? r.shape[0] : 1
            var out = [Double](repeating: 0, count: r.count)
            let rs = r.scalars
            rs.withUnsafeBufferPointer { rb in
                out.withUnsafeMutableBufferPointer { ob in
                    if let done {
                        done.withUnsafeBufferPointer { db in
                            RLSampling.returns(rb.baseAddress!, ob.baseAddress!, episodes: eps, length: len, gamma: gamma, done: db.baseAddress!)
                        }
                    } else if len > 0 {
                        RLSampling.returns(rb.baseAddress!, ob.baseAddress!, episodes: eps, length: len, gamma: gamma)
                    }
                }
            }
            return try a.newTensor { try Tensor(out, shape: r.shape) }
        }
        r.fn("discount", [p("rewards"), p("gamma", 1)],
             doc: "The discounted return sum_t gamma^t r_t of a vector of rewards (a number), or of each row of an [episodes, T] tensor (a vector).",
             example: "discount([1, 1, 1], 0.5)   # 1.75") { a throws(MLPError) in
            let r = try a.untrackedTensor(0), gamma = try a.number(1)
            guard r.ndim >= 1 && r.ndim <= 2 else { throw a.error("rewards must be a vector or an [episodes, T] tensor, got shape \(Tensor.formatShape(r.shape)).", at: 0) }
            let len = r.shape.last!, eps = r.ndim == 2 ? r.shape[0] : 1, rs = r.scalars
            var out = [Double](repeating: 0, count: eps)
            for e in 0..<eps {
                var acc = 0.0
                for t in stride(from: len - 1, through: 0, by: -1) { acc = rs[e * len + t] + gamma * acc }
                out[e] = acc
            }
            return r.ndim == 1 ? .number(out[0]) : try vector(a, out)
        }
    }

    static func algorithms(_ r: inout Registry) {
        r.fn("tabular_policy", [p("env")],
             doc: "A softmax policy with one row of logits per discrete state (all 0: uniform), for reinforce: policy.logits [nstates, actions] (settable), policy.probs, policy.act(state).",
             example: "pol = tabular_policy(maze(11)); print(pol.probs[12])") { a throws(MLPError) in
            let env = try environment(a, 0)
            let n = try tabular(a, env, at: 0, "tabular_policy")
            return .object(PolicyValue(try a.native { try TabularPolicy(states: n, actions: env.actionCount) }))
        }
        r.fn("reinforce", [p("policy"), p("env"), Param("episodes", .number(100), keywordOnly: true), Param("batch", .number(1), keywordOnly: true),
                           Param("baseline", .string("none"), keywordOnly: true), Param("gamma", .number(1), keywordOnly: true),
                           Param("opt", DefaultValue.none, keywordOnly: true), Param("reward_to_go", .bool(false), keywordOnly: true),
                           Param("epsilon", .number(0), keywordOnly: true), Param("max_steps", .number(1000), keywordOnly: true), rngParam],
             doc: "Trains a policy by REINFORCE: theta += lr * (1/batch) sum over episodes and steps (G - b) grad log pi(a_t|s_t), one update per batch of episodes. policy: tabular_policy(env) (the analytic softmax gradient, as LECTURES.md B3) or a model whose output is action probabilities (dense(n, softmax) last; trained through the cross-entropy with target (G - b) onehot(a), B2/B4/B5). G: the episode's discounted return, or with reward_to_go=true the reward-to-go. baseline: \"none\", \"mean\" (the running mean of earlier returns) or \"optimal\" (b_k = E[G_k^2 R]/E[G_k^2] per parameter over the batch, G_k the episode's score). opt: default sgd(0.01) (plain SGD: the update is the policy gradient). epsilon: probability per step that the whole batch acts at random (the course's creative_epsilon). Returns {returns: each episode's total reward, mean: its mean per update, baseline: the last update's baseline (one number, or one per parameter for \"optimal\"), direction: the last update's ascent direction, flattened}.",
             example: "h = reinforce(tabular_policy(env), env, episodes=300, opt=sgd(0.01))") { a throws(MLPError) in
            let env = try environment(a, 1)
            let episodes = try a.int(2, in: 1...100_000_000), batch = try a.int(3, in: 1...1_000_000)
            let bname = try a.string(4)
            guard let baseline = Baseline(rawValue: bname) else {
                throw a.error("'baseline' must be \"none\", \"mean\" or \"optimal\", got \"\(bname)\".", at: 4)
            }
            if baseline == .optimal && batch < 2 {
                throw a.error("baseline=\"optimal\" estimates b_k = E[G_k^2 R]/E[G_k^2] over the batch; it needs batch of at least 2, got \(batch).", at: 4)
            }
            let gamma = try probability(a, 5, "gamma")
            let opt = try optimizer(a, 6, default: 0.01)
            let rtg = try a.bool(7), eps = try probability(a, 8, "epsilon"), maxSteps = try a.int(9, in: 1...100_000_000)
            let g = try a.generator(10)
            let policy: Policy
            switch a[0] {
            case .object(let o as PolicyValue):
                let n = try tabular(a, env, at: 1, "a tabular policy")
                guard o.policy.states == n && o.policy.actions == env.actionCount else {
                    throw a.error("the policy has \(o.policy.states) states x \(o.policy.actions) actions, the environment \(n) x \(env.actionCount).", at: 0)
                }
                policy = o.policy
            case .object(let o as LayerValue):
                policy = NetworkPolicy(model: o.layer, stateShape: env.stateShape, actions: env.actionCount)
            default: throw a.typeError(0, "a policy (tabular_policy(env)) or a model giving action probabilities")
            }
            let learner = try a.native { try Reinforce(policy: policy, optimizer: opt, gamma: gamma, rewardToGo: rtg, baseline: baseline) }
            var totals: [Double] = [], means: [Double] = []
            if let e = env as? NativeEnvironment { try checkCopies(a, e, batch, at: 3) }
            let copies: [Environment]? = (env as? NativeEnvironment).map { e in (0..<batch).map { _ in e.copy() } }
            let interp = a.interp, loc = a.callLoc
            var done = 0
            while done < episodes {
                let n = Swift.min(batch, episodes - done)
                let eps: [Episode] = try a.native {
                    if let copies {
                        return try Rollout.run(Array(copies[0..<n]), policy, maxSteps: maxSteps, epsilon: eps, random: g) { try interp.pollInterrupt(loc) }
                    }
                    var out: [Episode] = []
                    for _ in 0..<n { out += try Rollout.run([env], policy, maxSteps: maxSteps, epsilon: eps, random: g) { try interp.pollInterrupt(loc) } }
                    return out
                }
                try a.native { try learner.update(eps, random: g) }
                let t = eps.map(\.total)
                totals += t
                means.append(t.reduce(0, +) / Double(t.count))
                done += n
            }
            return dict(["returns": try vector(a, totals), "mean": try vector(a, means),
                         "baseline": try vector(a, learner.lastBaseline), "direction": try vector(a, learner.lastDirection)])
        }
        r.fn("qlearn", [p("env"), Param("episodes", .number(1000), keywordOnly: true), Param("alpha", .number(0.1), keywordOnly: true),
                        Param("gamma", .number(0.95), keywordOnly: true), Param("epsilon", .number(0.1), keywordOnly: true),
                        Param("decay", .number(1), keywordOnly: true), Param("epsilon_min", .number(0), keywordOnly: true),
                        Param("q", DefaultValue.none, keywordOnly: true), Param("max_steps", .number(0), keywordOnly: true), rngParam],
             doc: "Tabular Q-learning: Q(s,a) += alpha [r + gamma max_a' Q(s',a') - Q(s,a)] (nothing bootstrapped from the step that ends an episode), acting epsilon-greedily (greedy ties broken at random); epsilon is multiplied by decay after each episode, down to epsilon_min. q: a starting table [nstates, actions] (default zeros). max_steps: a cap per episode (0: the environment's own end). Returns {q, returns, steps (per episode), optimal_at: for a grid world with a goal, the first episode after which the greedy path is a shortest one (nil if never)}.",
             example: "h = qlearn(corridor(8), episodes=200); print(h.q)") { a throws(MLPError) in
            let env = try environment(a, 0)
            let ns = try tabular(a, env, at: 0, "qlearn")
            let episodes = try a.int(1, in: 1...100_000_000)
            let alpha = try a.number(2), gamma = try probability(a, 3, "gamma")
            guard alpha > 0 && alpha <= 1 else { throw a.error("'alpha' must be in (0, 1], got \(formatNumber(alpha)).", at: 2) }
            var epsilon = try probability(a, 4, "epsilon")
            let decay = try probability(a, 5, "decay"), emin = try probability(a, 6, "epsilon_min")
            var q = a.isNil(7) ? [Double](repeating: 0, count: ns * env.actionCount) : try qTable(a, 7, env)
            let cap = try a.int(8, atLeast: 0), g = try a.generator(9)
            let grid = env as? GridWorld
            let shortest = grid.flatMap { QLearning.shortestPath($0) }
            var totals = [Double](), steps = [Double](), optimalAt: Int?
            let interp = a.interp, loc = a.callLoc
            try q.withUnsafeMutableBufferPointer { qb throws(MLPError) in
                for e in 0..<episodes {
                    if e % 64 == 0 { try interp.pollInterrupt(loc) }
                    let res = try a.native { try QLearning.episode(env, qb.baseAddress!, alpha: alpha, gamma: gamma, epsilon: epsilon, maxSteps: cap, &g.state) { try interp.pollInterrupt(loc) } }
                    totals.append(res.total); steps.append(Double(res.steps))
                    epsilon = Swift.max(emin, epsilon * decay)
                    if optimalAt == nil, let grid, let shortest {
                        let path = QLearning.greedyPath(grid, qb.baseAddress!, maxSteps: shortest + 1)
                        if path.reached && path.steps == shortest { optimalAt = e + 1 }
                    }
                }
            }
            let qt = try a.native { try Tensor(q, shape: [ns, env.actionCount]) }
            return dict(["q": .object(TensorValue(qt)), "returns": try vector(a, totals), "steps": try vector(a, steps),
                         "optimal_at": optimalAt.map { .number(Double($0)) } ?? .nil])
        }
        r.fn("value_iteration", [p("env"), Param("gamma", .number(0.95), keywordOnly: true), Param("horizon", DefaultValue.none, keywordOnly: true)],
             doc: "The exact optimal Q table [nstates, actions] of a grid world whose chests are not taken away, by value iteration of the Bellman optimality equation Q*(s,a) = r + gamma max_a' Q*(s',a') (a goal ends the episode); with horizon=H, the optimal H-step returns instead (gamma 1 allowed): the reference for qlearn and reinforce.",
             example: "q = value_iteration(corridor(5), gamma=0.9); print(q)") { a throws(MLPError) in
            guard case .object(let o as EnvValue) = a[0], let w = o.env as? GridWorld else {
                throw a.typeError(0, "a grid world (maze, grid or corridor)")
            }
            let gamma = try probability(a, 1, "gamma")
            let h = try a.isNil(2) ? nil : a.int(2, in: 1...10_000_000)
            if h == nil && gamma >= 1 { throw a.error("value iteration without a horizon needs gamma < 1, got \(formatNumber(gamma)); give horizon= for gamma = 1.", at: 1) }
            let interp = a.interp, loc = a.callLoc
            let q = try a.native { try QLearning.valueIteration(w, gamma: gamma, horizon: h) { try interp.pollInterrupt(loc) } }
            return try a.newTensor { try Tensor(q, shape: [w.rows * w.cols, w.actionCount]) }
        }
        r.fn("dqn", [p("net"), p("env"), Param("episodes", .number(200), keywordOnly: true), Param("gamma", .number(0.99), keywordOnly: true),
                     Param("epsilon", .number(1), keywordOnly: true), Param("decay", .number(0.98), keywordOnly: true),
                     Param("epsilon_min", .number(0.05), keywordOnly: true), Param("buffer", .number(10000), keywordOnly: true),
                     Param("batch", .number(32), keywordOnly: true), Param("target_every", .number(100), keywordOnly: true),
                     Param("opt", DefaultValue.none, keywordOnly: true), Param("huber", .bool(true), keywordOnly: true),
                     Param("max_steps", .number(1000), keywordOnly: true), rngParam],
             doc: "Deep Q-learning (Mnih et al.'s recipe at small scale): net maps states to one Q value per action (dense(actions) last); the agent acts epsilon-greedily (epsilon multiplied by decay per episode down to epsilon_min), stores transitions in a replay buffer, and after each step trains on a random batch towards r + gamma max_a' Q_target(s', a'), with the Huber loss (huber=false: squared error); the target network is a copy of the weights refreshed every target_every steps. Gradient clipping: an optimizer with clipnorm= (default adam(0.001)). Returns {returns, loss (mean per episode)}.",
             example: "h = dqn(dense(32, relu) >> dense(2), corridor(8, steps=50), episodes=100)") { a throws(MLPError) in
            let model = try a.model(0)
            let env = try environment(a, 1)
            let episodes = try a.int(2, in: 1...100_000_000)
            let gamma = try probability(a, 3, "gamma")
            var epsilon = try probability(a, 4, "epsilon")
            let decay = try probability(a, 5, "decay"), emin = try probability(a, 6, "epsilon_min")
            let cap = try a.int(7, in: 1...100_000_000), bs = try a.int(8, in: 1...1_000_000), every = try a.int(9, in: 1...100_000_000)
            let opt: Optimizer
            if case .object(let o as OptimizerValue) = a[10] { opt = o.optimizer }
            else if a.isNil(10) { opt = Adam(lr: 0.001) } else { throw a.typeError(10, "an optimizer (adam(0.001), sgd(0.01), ...)") }
            let huber = try a.bool(11), maxSteps = try a.int(12, in: 1...100_000_000), g = try a.generator(13)
            guard Double(cap) * Double(env.observationSize) <= 1e7 else { throw a.error("a buffer of \(cap) states of \(env.observationSize) numbers is too large.", at: 7) }
            let learner = DeepQ(model: model, optimizer: opt, stateShape: env.stateShape, actions: env.actionCount, gamma: gamma, huber: huber,
                                buffer: cap, batch: bs, targetEvery: every)
            var totals: [Double] = [], losses: [Double] = []
            let interp = a.interp, loc = a.callLoc
            for _ in 0..<episodes {
                try interp.pollInterrupt(loc)
                let total: Double = try a.native {
                    try env.reset(&g.state)
                    var s = env.observation(), total = 0.0, t = 0
                    while t < maxSteps {
                        let act: Int
                        if g.state.uniform() < epsilon { act = Int(g.state.below(UInt64(env.actionCount))) }
                        else {
                            let qv = try learner.q(s, rows: 1, random: g)
                            act = qv.withUnsafeBufferPointer { QLearning.greedy($0.baseAddress!, env.actionCount, &g.state) }
                        }
                        let (r, done) = try env.step(act, &g.state)
                        let s2 = env.observation()
                        try learner.observe(s, act, r, s2, done, random: g)
                        total += r; s = s2; t += 1
                        if done { break }
                    }
                    return total
                }
                totals.append(total); losses.append(learner.takeLoss())
                epsilon = Swift.max(emin, epsilon * decay)
            }
            return dict(["returns": try vector(a, totals), "loss": try vector(a, losses)])
        }
    }
}
