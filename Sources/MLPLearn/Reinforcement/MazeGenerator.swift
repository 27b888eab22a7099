// The course's maze generator (LECTURES.md B3): the old Wikipedia "maze
// generation" routine, with numpy's randint as the course calls it - seeds drawn
// with randint(0, n // 2) and the neighbour with randint(0, len - 1), which never
// picks the last neighbour (the quirk is kept: mazes look as the course's do).
import MLPTensor

public enum MazeGenerator {
    /// A height x width maze (each made odd), true for a wall; complexity and density
    /// as the routine's (0.75 each in the course).
    public static func walls(height: Int, width: Int, complexity: Double = 0.75, density: Double = 0.75,
                             _ g: inout Xoshiro256) -> (rows: Int, cols: Int, walls: [Bool]) {
        let rows = (height / 2) * 2 + 1, cols = (width / 2) * 2 + 1
        let cplx = Int(complexity * Double(5 * (rows + cols)))
        let dens = Int(density * Double((rows / 2) * (cols / 2)))
        var z = Array(repeating: false, count: rows * cols)
        for c in 0..<cols { z[c] = true; z[(rows - 1) * cols + c] = true }
        for r in 0..<rows { z[r * cols] = true; z[r * cols + cols - 1] = true }
        func randint(_ lo: Int, _ hi: Int) -> Int { hi > lo ? lo + Int(g.below(UInt64(hi - lo))) : lo }
        for _ in 0..<dens {
            var x = randint(0, cols / 2) * 2, y = randint(0, rows / 2) * 2
            z[y * cols + x] = true
            // the neighbours in the routine's order, in a fixed buffer (no allocation per step)
            var nb: ((Int, Int), (Int, Int), (Int, Int), (Int, Int)) = ((0, 0), (0, 0), (0, 0), (0, 0))
            for _ in 0..<cplx {
                var count = 0
                func add(_ p: (Int, Int)) {
                    switch count { case 0: nb.0 = p; case 1: nb.1 = p; case 2: nb.2 = p; default: nb.3 = p }
                    count += 1
                }
                if x > 1 { add((y, x - 2)) }
                if x < cols - 2 { add((y, x + 2)) }
                if y > 1 { add((y - 2, x)) }
                if y < rows - 2 { add((y + 2, x)) }
                guard count > 0 else { continue }
                let k = randint(0, count - 1)
                let (y2, x2) = k == 0 ? nb.0 : k == 1 ? nb.1 : k == 2 ? nb.2 : nb.3
                if !z[y2 * cols + x2] {
                    z[y2 * cols + x2] = true
                    z[(y2 + (y - y2) / 2) * cols + x2 + (x - x2) / 2] = true
                    x = x2; y = y2
                }
            }
        }
        return (rows, cols, z)
    }

    /// Chests as the course places them: `attempts` random cells in [1, M-1)^2, each
    /// kept when free and outside the start corner (row or column > zone); with
    /// `exact`, cells are drawn until `count` distinct chests stand (B5: 10 chests).
    public static func chests(rows: Int, cols: Int, walls: [Bool], count: Int, zone: Int, exact: Bool, value: Double,
                              _ g: inout Xoshiro256) throws -> [Double] {
        var map = Array(repeating: 0.0, count: rows * cols)
        let allowed = (0..<rows * cols).filter { i in !walls[i] && (i / cols > zone || i % cols > zone) }
        if exact && allowed.count < count {
            throw RLError(nil, "only \(allowed.count) free cells lie outside the start corner, \(count) chests asked.")
        }
        var placed = 0, tries = 0
        while exact ? placed < count : tries < count {
            tries += 1
            let r = 1 + Int(g.below(UInt64(Swift.max(1, rows - 2)))), c = 1 + Int(g.below(UInt64(Swift.max(1, cols - 2))))
            let i = r * cols + c
            if !walls[i] && (r > zone || c > zone) && map[i] == 0 { map[i] = value; placed += 1 }
            if exact && tries > 1000 * count {   // a pathological map: take the allowed cells in order
                for j in allowed where placed < count && map[j] == 0 { map[j] = value; placed += 1 }
            }
        }
        return map
    }
}
