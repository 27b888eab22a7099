// The loop of the float32 optimizer updates (a float32 layer trained natively): eight
// lanes at a time over a parameter's values, the last lanes padded, and a large
// parameter split over the kernel threads in pieces of whole lanes, as adam's float64
// update. Every element gets the same operations in the same order whatever the split,
// so the numbers do not depend on the thread count.
import MLPTensor

/// p[0..<count] (count <= 8) in the first lanes, the rest zero.
@inline(__always) func lanes8(_ p: UnsafePointer<Float>, _ count: Int) -> SIMD8<Float> {
    if count == 8 { return UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }
    var v = SIMD8<Float>()
    for i in 0..<count { v[i] = p[i] }
    return v
}

@inline(__always) func lanes8(_ p: UnsafeMutablePointer<Float>, _ count: Int) -> SIMD8<Float> {
    lanes8(UnsafePointer(p), count)
}

/// Writes the first `count` lanes of v to p.
@inline(__always) func setLanes8(_ p: UnsafeMutablePointer<Float>, _ v: SIMD8<Float>, _ count: Int) {
    if count == 8 { UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self); return }
    for i in 0..<count { p[i] = v[i] }
}

/// Calls body(lo, hi) on pieces covering 0..<n, each of whole lanes of eight but the
/// last: one piece, or one a kernel thread for a parameter of at least 2 adamSplitElements
/// values. (The pieces' loops go through `eachLane8` in the body: a loop inside this
/// function called the body through a closure on the worker threads, lane by lane,
/// and adam's W1 step ran 15% slower on two threads.)
@inline(__always) func forEachPiece(_ n: Int, _ body: (_ lo: Int, _ hi: Int) -> Void) {
    let parts = Swift.min(Tensor.kernelThreads, n / adamSplitElements)
    if parts <= 1 { body(0, n); return }
    onThreads(parts) { q in body((n &* q / parts) & ~7, q == parts &- 1 ? n : (n &* (q &+ 1) / parts) & ~7) }
}

/// Calls body(j, lanes) for j = lo, lo + 8, ... below hi: lanes is 8 (a constant, so the
/// loads and stores take no branch) but for the tail.
@inline(__always) func eachLane8(_ lo: Int, _ hi: Int, _ body: (_ j: Int, _ lanes: Int) -> Void) {
    var j = lo
    while j &+ 8 <= hi { body(j, 8); j &+= 8 }
    if j < hi { body(j, hi &- j) }
}
