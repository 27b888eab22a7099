// Products with a 0/1 matrix: binarised data and sampled units. A product x M with
// x binary is a sum of M's rows, one per 1 in x's row: with the data 31% ones
// (Fashion-MNIST > 127) and hidden samples about half ones, adding rows does a
// third to a half of a dense product's work, and no multiplications.
import MLPTensor

/// The positions of the ones of a 0/1 matrix [rows, cols], by row (CSR) and by
/// column (CSC), in buffers kept from batch to batch.
struct BinaryIndex {
    var rowStart: [Int32] = [], cols: [Int32] = []
    var colStart: [Int32] = [], rowsOf: [Int32] = []
    var rows = 0, width = 0

    /// Indexes x; false (and nothing to use) when an entry is neither 0 nor 1, or
    /// when more than `maxDensity` of the entries are ones (a dense product is then faster).
    /// `columns: false` builds the rows only (enough for `times`, not for `transposeTimes`).
    mutating func build<T: RBMScalar>(_ x: UnsafePointer<T>, _ rows: Int, _ width: Int, maxDensity: Double, columns: Bool = true) -> Bool {
        if maxDensity <= 0 { return false }
        self.rows = rows; self.width = width
        let n = rows &* width
        if cols.count < n { cols = [Int32](repeating: 0, count: n); rowsOf = cols }
        if rowStart.count < rows &+ 1 { rowStart = [Int32](repeating: 0, count: rows &+ 1) }
        if colStart.count < width &+ 1 { colStart = [Int32](repeating: 0, count: width &+ 1) }
        var ok = true
        var count = 0
        rowStart.withUnsafeMutableBufferPointer { rs in cols.withUnsafeMutableBufferPointer { cs in
            for r in 0..<rows {
                rs[r] = Int32(count)
                let row = x + r &* width
                var bad = false
                for j in 0..<width {
                    let v = row[j]
                    cs[count] = Int32(j)           // written always, kept when v is 1: no branch
                    count &+= v == 1 ? 1 : 0
                    bad = bad || (v != 0 && v != 1)
                }
                if bad { ok = false; break }
            }
            rs[rows] = Int32(count)
        }}
        if !ok || Double(count) > maxDensity * Double(Swift.max(n, 1)) { return false }
        if !columns { return true }
        // by column: counts, starts, then the rows in order
        colStart.withUnsafeMutableBufferPointer { st in
            for j in 0...width { st[j] = 0 }
            cols.withUnsafeBufferPointer { cs in for k in 0..<count { st[Int(cs[k]) &+ 1] &+= 1 } }
            for j in 0..<width { st[j &+ 1] &+= st[j] }
            var next = Array(st[0..<width])
            rowStart.withUnsafeBufferPointer { rs in cols.withUnsafeBufferPointer { cs in rowsOf.withUnsafeMutableBufferPointer { ro in
                for r in 0..<rows {
                    for k in Int(rs[r])..<Int(rs[r &+ 1]) {
                        let j = Int(cs[k])
                        ro[Int(next[j])] = Int32(r)
                        next[j] &+= 1
                    }
                }
            }}}
        }
        return true
    }
}

/// out[r, :] += alpha * sum of m[idx[k], :] for k in start[r]..<start[r + 1], for r
/// in 0..<count (m row-major, `width` wide): four rows of m per pass over out's row.
func addRows<T: RBMScalar>(_ start: UnsafePointer<Int32>, _ idx: UnsafePointer<Int32>, _ count: Int,
                           _ m: UnsafePointer<T>, _ width: Int, alpha: T, _ out: UnsafeMutablePointer<T>) {
    for r in 0..<count {
        let o = out + r &* width
        var k = Int(start[r])
        let end = Int(start[r &+ 1])
        while k &+ 4 <= end {
            let a = m + Int(idx[k]) &* width, b = m + Int(idx[k &+ 1]) &* width
            let c = m + Int(idx[k &+ 2]) &* width, d = m + Int(idx[k &+ 3]) &* width
            if alpha == 1 {
                for j in 0..<width { o[j] += (a[j] + b[j]) + (c[j] + d[j]) }
            } else {
                for j in 0..<width { o[j] += alpha * ((a[j] + b[j]) + (c[j] + d[j])) }
            }
            k &+= 4
        }
        while k < end {
            let a = m + Int(idx[k]) &* width
            for j in 0..<width { o[j] += alpha * a[j] }
            k &+= 1
        }
    }
}

extension BinaryIndex {
    /// out [rows, n] += alpha * x M for M [width, n].
    func times<T: RBMScalar>(_ m: UnsafePointer<T>, _ n: Int, alpha: T, _ out: UnsafeMutablePointer<T>) {
        rowStart.withUnsafeBufferPointer { rs in cols.withUnsafeBufferPointer { cs in
            addRows(rs.baseAddress!, cs.baseAddress!, rows, m, n, alpha: alpha, out)
        }}
    }

    /// out [width, n] += alpha * x^T P for P [rows, n].
    func transposeTimes<T: RBMScalar>(_ p: UnsafePointer<T>, _ n: Int, alpha: T, _ out: UnsafeMutablePointer<T>) {
        colStart.withUnsafeBufferPointer { st in rowsOf.withUnsafeBufferPointer { ro in
            addRows(st.baseAddress!, ro.baseAddress!, width, p, n, alpha: alpha, out)
        }}
    }
}

extension BinaryIndex {
    /// out [width, n] = alpha x^T P + beta y^T Q for x [rows, width] and y [rows', width]
    /// (x and y of the same width): row i of out summed in one pass (zeroed, x's
    /// column i, then y's), the same sums in the same order as zeroing out and calling
    /// x.transposeTimes then y.transposeTimes.
    static func transposeTimesDifference<T: RBMScalar>(_ x: BinaryIndex, _ p: UnsafePointer<T>, alpha: T,
                                                       _ y: BinaryIndex, _ q: UnsafePointer<T>, beta: T,
                                                       _ n: Int, _ out: UnsafeMutablePointer<T>) {
        x.colStart.withUnsafeBufferPointer { xs in x.rowsOf.withUnsafeBufferPointer { xr in
        y.colStart.withUnsafeBufferPointer { ys in y.rowsOf.withUnsafeBufferPointer { yr in
            for i in 0..<x.width {
                let o = out + i &* n
                o.update(repeating: 0, count: n)
                addRows(xs.baseAddress! + i, xr.baseAddress!, 1, p, n, alpha: alpha, o)
                addRows(ys.baseAddress! + i, yr.baseAddress!, 1, q, n, alpha: beta, o)
            }
        }}}}
    }
}

/// dst [cols, rows] = src [rows, cols] transposed, in 32 x 32 blocks.
func transpose<T>(_ src: UnsafePointer<T>, _ rows: Int, _ cols: Int, _ dst: UnsafeMutablePointer<T>) {
    var i0 = 0
    while i0 < rows {
        let i1 = Swift.min(i0 &+ 32, rows)
        var j0 = 0
        while j0 < cols {
            let j1 = Swift.min(j0 &+ 32, cols)
            for i in i0..<i1 { for j in j0..<j1 { dst[j &* rows &+ i] = src[i &* cols &+ j] } }
            j0 = j1
        }
        i0 = i1
    }
}
