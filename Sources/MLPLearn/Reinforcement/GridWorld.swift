// Grid worlds: the course's maze with treasure chests (B3-B5), the 1D corridor
// (B6), and any map written as text (the 6x6 maze of workload P6). Cells are
// (row, column); a move into a wall or off the grid stays put.
import MLPTensor

public final class GridWorld: NativeEnvironment {
    public enum Observation: String, CaseIterable { case position, index, onehot, image }

    public let name: String
    public let rows: Int, cols: Int
    /// 1 for a wall.
    public let walls: [Bool]
    /// The reward for entering each cell at the start of an episode (the chests).
    public let chests: [Double]
    /// Cells that end the episode when entered, with their reward.
    public let goals: [Int: Double]
    public let start: Int
    public let moves: [(Int, Int)]
    public let actionNames: [String]
    /// Chests pay once per episode (taken away) or every step spent on them.
    public let consume: Bool
    public let wallPenalty: Double
    /// Steps per episode (the episode is done after them); 0 for no limit.
    public let maxSteps: Int
    public let observationKind: Observation

    public private(set) var position: Int
    public private(set) var remaining: [Double]
    public private(set) var stepsTaken = 0
    public private(set) var done = false

    public init(name: String, rows: Int, cols: Int, walls: [Bool], chests: [Double], goals: [Int: Double], start: Int,
                moves: [(Int, Int)], actionNames: [String], consume: Bool, wallPenalty: Double, maxSteps: Int,
                observation: Observation) {
        self.name = name; self.rows = rows; self.cols = cols; self.walls = walls; self.chests = chests
        self.goals = goals; self.start = start; self.moves = moves; self.actionNames = actionNames
        self.consume = consume; self.wallPenalty = wallPenalty; self.maxSteps = maxSteps
        self.observationKind = observation
        position = start; remaining = chests
    }

    /// The course's four moves in its order: (0,1), (0,-1), (1,0), (-1,0) of (row, column).
    public static let courseMoves = [(0, 1), (0, -1), (1, 0), (-1, 0)]
    public static let courseMoveNames = ["right", "left", "down", "up"]

    public var actionCount: Int { moves.count }
    public var stateCount: Int? { rows * cols }
    public var stateIndex: Int { position }
    public var stateShape: [Int] {
        switch observationKind {
        case .position: return [2]
        case .index: return []
        case .onehot: return [rows * cols]
        case .image: return [rows, cols, 3]
        }
    }

    public func reset(_ g: inout Xoshiro256) {
        position = start; stepsTaken = 0; done = false
        if consume { remaining = chests }
    }

    /// Where an action leads from a cell, and whether it hit a wall or the border.
    public func target(_ cell: Int, _ action: Int) -> (cell: Int, blocked: Bool) {
        let (dr, dc) = moves[action]
        let r = cell / cols + dr, c = cell % cols + dc
        guard r >= 0, r < rows, c >= 0, c < cols, !walls[r * cols + c] else { return (cell, true) }
        return (r * cols + c, false)
    }

    public func step(_ action: Int, _ g: inout Xoshiro256) -> (reward: Double, done: Bool) {
        let (next, blocked) = target(position, action)
        position = next
        stepsTaken += 1
        var r = blocked ? -wallPenalty : 0
        r += remaining[next]
        if consume { remaining[next] = 0 }
        if let gr = goals[next] { r += gr; done = true }
        if maxSteps > 0 && stepsTaken >= maxSteps { done = true }
        return (r, done)
    }

    public func observe(_ out: UnsafeMutablePointer<Double>) {
        switch observationKind {
        case .position: out[0] = Double(position / cols); out[1] = Double(position % cols)
        case .index: out[0] = Double(position)
        case .onehot:
            for i in 0..<rows * cols { out[i] = 0 }
            out[position] = 1
        case .image:
            for i in 0..<rows * cols {
                out[3 * i] = walls[i] ? 1 : 0
                out[3 * i + 1] = remaining[i] != 0 ? remaining[i] : (goals[i] ?? 0)
                out[3 * i + 2] = i == position ? 1 : 0
            }
        }
    }

    public func copy() -> NativeEnvironment {
        let c = GridWorld(name: name, rows: rows, cols: cols, walls: walls, chests: chests, goals: goals, start: start, moves: moves,
                          actionNames: actionNames, consume: consume, wallPenalty: wallPenalty, maxSteps: maxSteps,
                          observation: observationKind)
        c.position = position; c.remaining = remaining; c.stepsTaken = stepsTaken; c.done = done
        return c
    }

    /// The same world observed another way.
    public func observed(as kind: Observation) -> GridWorld {
        GridWorld(name: name, rows: rows, cols: cols, walls: walls, chests: chests, goals: goals, start: start, moves: moves,
                  actionNames: actionNames, consume: consume, wallPenalty: wallPenalty, maxSteps: maxSteps, observation: kind)
    }

    /// `#` wall, `$` chest, `G` goal, `@` the walker, `.` free.
    public func render() -> String {
        var lines: [String] = []
        for r in 0..<rows {
            var s = ""
            for c in 0..<cols {
                let i = r * cols + c
                s += i == position ? "@" : walls[i] ? "#" : goals[i] != nil ? "G" : remaining[i] != 0 ? "$" : "."
            }
            lines.append(s)
        }
        return lines.joined(separator: "\n")
    }

    /// The cells as numbers for a picture: 1 wall, 0.5 chest or goal, 0.75 the walker, 0 free.
    public func picture() -> [Double] {
        (0..<rows * cols).map { i in i == position ? 0.75 : walls[i] ? 1 : (goals[i] != nil || remaining[i] != 0) ? 0.5 : 0 }
    }

    // MARK: makers

    /// A map as text, one string per row: `#` wall, `S` start, `G` goal (reward
    /// `goalReward`, ends the episode), `$` chest (reward `chestReward`), `.` free.
    public static func parse(_ lines: [String], goalReward: Double, chestReward: Double, consume: Bool, wallPenalty: Double,
                             maxSteps: Int, moves: [(Int, Int)], actionNames: [String], observation: Observation,
                             name: String = "grid") throws -> GridWorld {
        let grid = lines.map { Array($0) }
        guard let cols = grid.first?.count, cols > 0 else { throw RLError(nil, "the map has no cells.") }
        var walls: [Bool] = [], chests: [Double] = [], goals: [Int: Double] = [:], start: Int?
        for (r, row) in grid.enumerated() {
            guard row.count == cols else { throw RLError(nil, "row \(r) of the map has \(row.count) cells, row 0 has \(cols).") }
            for (c, ch) in row.enumerated() {
                let i = r * cols + c
                walls.append(ch == "#"); chests.append(ch == "$" ? chestReward : 0)
                switch ch {
                case "#", ".", "$": break
                case "G": goals[i] = goalReward
                case "S":
                    guard start == nil else { throw RLError(nil, "the map has more than one start S.") }
                    start = i
                default: throw RLError(nil, "unknown cell '\(ch)' in row \(r) of the map (use # wall, . free, S start, G goal, $ chest).")
                }
            }
        }
        guard let start else { throw RLError(nil, "the map has no start S.") }
        return GridWorld(name: name, rows: grid.count, cols: cols, walls: walls, chests: chests, goals: goals, start: start,
                         moves: moves, actionNames: actionNames, consume: consume, wallPenalty: wallPenalty, maxSteps: maxSteps,
                         observation: observation)
    }

    /// The 1D corridor of n cells: start at the left end, reward 1 for entering the
    /// right end (which ends the episode); actions 0 = left, 1 = right.
    public static func corridor(_ n: Int, maxSteps: Int, observation: Observation = .index) -> GridWorld {
        var goals: [Int: Double] = [:]
        goals[n - 1] = 1
        return GridWorld(name: "corridor", rows: 1, cols: n, walls: Array(repeating: false, count: n),
                         chests: Array(repeating: 0, count: n), goals: goals, start: 0, moves: [(0, -1), (0, 1)],
                         actionNames: ["left", "right"], consume: false, wallPenalty: 0, maxSteps: maxSteps, observation: observation)
    }
}
