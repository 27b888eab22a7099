// Contours of z on a grid: each cell split into two triangles on which z is linear,
// so a level line is one segment a triangle and a band (lo <= z <= hi) one convex
// polygon a triangle (the triangle clipped by both half-planes).

/// A vertex (x, y) with its value z.
typealias Vertex = (Double, Double, Double)

func triangles(_ c: ContourSet) -> [[Vertex]] {
    let nx = c.x.count, ny = c.y.count
    guard nx >= 2, ny >= 2, c.z.count == nx * ny else { return [] }
    var out: [[Vertex]] = []
    out.reserveCapacity(2 * (nx - 1) * (ny - 1))
    for i in 0..<(ny - 1) {
        for j in 0..<(nx - 1) {
            let a = (c.x[j], c.y[i], c.z[i * nx + j]), b = (c.x[j + 1], c.y[i], c.z[i * nx + j + 1])
            let d = (c.x[j], c.y[i + 1], c.z[(i + 1) * nx + j]), e = (c.x[j + 1], c.y[i + 1], c.z[(i + 1) * nx + j + 1])
            for t in [[a, b, e], [a, e, d]] where t.allSatisfy({ $0.2.isFinite && $0.0.isFinite && $0.1.isFinite }) { out.append(t) }
        }
    }
    return out
}

/// The part of a convex polygon where `sign * (z - level) >= 0`.
func clip(_ poly: [Vertex], _ level: Double, _ sign: Double) -> [Vertex] {
    var out: [Vertex] = []
    for k in poly.indices {
        let p = poly[k], q = poly[(k + 1) % poly.count]
        let fp = sign * (p.2 - level), fq = sign * (q.2 - level)
        if fp >= 0 { out.append(p) }
        if (fp >= 0) != (fq >= 0) {
            let t = fp / (fp - fq)
            out.append((p.0 + (q.0 - p.0) * t, p.1 + (q.1 - p.1) * t, level))
        }
    }
    return out
}

/// Polygons (x, y) of the band lo <= z <= hi, all wound the same way (their union fills without seams inside a path).
func bandPolygons(_ tris: [[Vertex]], _ lo: Double, _ hi: Double) -> [[(Double, Double)]] {
    var out: [[(Double, Double)]] = []
    for t in tris {
        let zmin = min(t[0].2, t[1].2, t[2].2), zmax = max(t[0].2, t[1].2, t[2].2)
        if zmax < lo || zmin > hi { continue }
        var p = t
        if zmin < lo { p = clip(p, lo, 1) }
        if zmax > hi && p.count >= 3 { p = clip(p, hi, -1) }
        guard p.count >= 3 else { continue }
        var xy = p.map { ($0.0, $0.1) }
        var area = 0.0
        for k in xy.indices { let a = xy[k], b = xy[(k + 1) % xy.count]; area += a.0 * b.1 - b.0 * a.1 }
        if area < 0 { xy.reverse() }
        out.append(xy)
    }
    return out
}

/// Segments where z = level.
func levelSegments(_ tris: [[Vertex]], _ level: Double) -> [[(Double, Double)]] {
    var out: [[(Double, Double)]] = []
    for t in tris {
        var pts: [(Double, Double)] = []
        for k in 0..<3 {
            let p = t[k], q = t[(k + 1) % 3]
            if (p.2 >= level) != (q.2 >= level) {
                let s = (level - p.2) / (q.2 - p.2)
                pts.append((p.0 + (q.0 - p.0) * s, p.1 + (q.1 - p.1) * s))
            }
        }
        if pts.count == 2 { out.append(pts) }
    }
    return out
}

/// Round contour levels over zmin...zmax (matplotlib's MaxNLocator(n + 1)); filled contours
/// get levels that enclose the whole range.
public func contourLevels(_ z: [Double], count n: Int, filled: Bool) -> [Double] {
    var lo = Double.infinity, hi = -Double.infinity
    for v in z where v.isFinite { lo = min(lo, v); hi = max(hi, v) }
    guard lo < hi else { return lo.isFinite ? [lo] : [0] }
    var t = niceTicks(lo, hi, maxCount: n + 1)
    guard t.count >= 2 else { return [lo, hi] }
    let step = t[1] - t[0]
    if filled {
        while let f = t.first, f > lo { t.insert(f - step, at: 0) }
        while let l = t.last, l < hi { t.append(l + step) }
    }
    return t
}
