// Complex products and the linear algebra whose answers are complex: `@` of
// complex tensors (BLAS zgemm), `eig` of a general matrix (LAPACK dgeev / zgeev)
// and `expm` (Higham's Pade approximation with scaling and squaring, as SciPy).
import CBLAS
import ComplexModule
#if canImport(Glibc)
import Glibc
#endif

extension ComplexTensor {
    /// a @ b with NumPy's semantics (1-D operands promoted, batch axes broadcast).
    public static func matmul(_ a: ComplexTensor, _ b: ComplexTensor) throws -> ComplexTensor {
        let (sa, sb, m, k, n, batch, outShape) = try Tensor.productShapes(a.shape, b.shape)
        let out = try ComplexTensor(uninitializedShape: outShape, "matmul")
        let nb = batch.reduce(1, *)
        if nb == 0 || m == 0 || n == 0 { return out }
        // 1-D operands as a row or a column, then the batch axes broadcast
        let x = try a.data.reshaped(sa + [2]).broadcast(to: batch + [m, k, 2])
        let y = try b.data.reshaped(sb + [2]).broadcast(to: batch + [k, n, 2])
        let pa = x.storage.pointer, pb = y.storage.pointer, pc = out.data.storage.pointer
        for i in 0..<nb {
            zgemm(m, n, k, pa + i &* m &* k &* 2, pb + i &* k &* n &* 2, pc + i &* m &* n &* 2)
        }
        return out
    }

    /// C (m x n) = A (m x k) B (k x n), row-major, interleaved (re, im) doubles.
    static func zgemm(_ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ c: UnsafeMutablePointer<Double>) {
        if k == 0 { c.initialize(repeating: 0, count: 2 &* m &* n); return }
        var one = (1.0, 0.0), zero = (0.0, 0.0)
        withUnsafePointer(to: &one) { alpha in
            withUnsafePointer(to: &zero) { beta in
                cblas_zgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k),
                            alpha, a, Int32(k), b, Int32(n), beta, c, Int32(n))
            }
        }
    }

    func squareMatrix(_ name: String) throws -> Int {
        guard ndim == 2, shape[0] == shape[1] else {
            throw TensorError(name, "expected a square matrix, got shape \(shapeString(shape)).")
        }
        return shape[0]
    }

    func requireFinite(_ name: String) throws {
        let p = data.storage.pointer
        for i in 0..<data.count where !p[i].isFinite { throw TensorError(name, "matrix contains nan or inf.") }
    }

    /// The matrix exponential (Higham 2005, the algorithm of SciPy's expm): the
    /// Pade approximant of degree 3, 5, 7, 9 or 13 chosen by the 1-norm, with
    /// scaling and squaring for large norms.
    public func expm() throws -> ComplexTensor {
        let n = try squareMatrix("expm")
        try requireFinite("expm")
        if n == 0 { return self }
        var a = elements
        let norm1 = (0..<n).map { j in (0..<n).reduce(0.0) { $0 + a[$1 &* n &+ j].length } }.max() ?? 0
        guard norm1.isFinite else {
            throw TensorError("expm", "the matrix's 1-norm overflows (inf): its exponential is not representable.")
        }
        let thetas: [(Int, Double)] = [(3, 1.495585217958292e-2), (5, 2.539398330063230e-1),
                                       (7, 9.504178996162932e-1), (9, 2.097847961257068)]
        let b: [Double]
        var s = 0
        if let (m, _) = thetas.first(where: { norm1 <= $0.1 }) {
            b = ComplexTensor.padeCoefficients[m]!
        } else {
            b = ComplexTensor.padeCoefficients[13]!
            let theta13 = 5.371920351148152
            if norm1 > theta13 {
                s = Swift.max(0, Int(log2(norm1 / theta13).rounded(.up)))
                // 2^-s exactly (s <= 1025 for a finite norm)
                let scale = Double(sign: .plus, exponent: -s, significand: 1)
                a = a.map { $0.multiplied(by: scale) }
            }
        }
        let m = b.count - 1
        var ident = [ComplexNumber](repeating: .zero, count: n &* n)
        for i in 0..<n { ident[i &* n &+ i] = .one }
        func mul(_ x: [ComplexNumber], _ y: [ComplexNumber]) -> [ComplexNumber] {
            var z = [ComplexNumber](repeating: .zero, count: n &* n)
            x.withUnsafeBufferPointer { px in y.withUnsafeBufferPointer { py in z.withUnsafeMutableBufferPointer { pz in
                px.baseAddress!.withMemoryRebound(to: Double.self, capacity: 2 &* n &* n) { dx in
                    py.baseAddress!.withMemoryRebound(to: Double.self, capacity: 2 &* n &* n) { dy in
                        pz.baseAddress!.withMemoryRebound(to: Double.self, capacity: 2 &* n &* n) { dz in
                            ComplexTensor.zgemm(n, n, n, dx, dy, dz)
                        }
                    }
                }
            } } }
            return z
        }
        func comb(_ terms: [(Double, [ComplexNumber])]) -> [ComplexNumber] {
            var z = [ComplexNumber](repeating: .zero, count: n &* n)
            for (c, x) in terms where c != 0 { for i in 0..<(n &* n) { z[i] = z[i] + x[i].multiplied(by: c) } }
            return z
        }
        let a2 = mul(a, a)
        let u: [ComplexNumber], v: [ComplexNumber]
        if m == 13 {
            let a4 = mul(a2, a2), a6 = mul(a4, a2)
            let u1 = mul(a6, comb([(b[13], a6), (b[11], a4), (b[9], a2)]))
            u = mul(a, comb([(1, u1), (b[7], a6), (b[5], a4), (b[3], a2), (b[1], ident)]))
            let v1 = mul(a6, comb([(b[12], a6), (b[10], a4), (b[8], a2)]))
            v = comb([(1, v1), (b[6], a6), (b[4], a4), (b[2], a2), (b[0], ident)])
        } else {
            // powers I, A^2, A^4, ... up to A^(m-1)
            var pows = [ident, a2]
            while pows.count <= (m - 1) / 2 { pows.append(mul(pows[pows.count - 1], a2)) }
            u = mul(a, comb((0...(m - 1) / 2).map { (b[2 &* $0 &+ 1], pows[$0]) }))
            v = comb((0...(m - 1) / 2).map { (b[2 &* $0], pows[$0]) })
        }
        // (V - U) X = (V + U); U and V commute (polynomials in A), so the row-major
        // system handed to column-major LAPACK (its transpose) has the same solution.
        var p = comb([(1, v), (-1, u)]), q = comb([(1, v), (1, u)])
        var ipiv = [Int32](repeating: 0, count: n)
        var nn = Int32(n), nrhs = Int32(n), lda = Int32(n), info: Int32 = 0
        zgesv_(&nn, &nrhs, &p, &lda, &ipiv, &q, &lda, &info)
        if info != 0 { throw TensorError("expm", "the Pade denominator is singular (LAPACK info \(info)).") }
        var r = q
        for _ in 0..<s { r = mul(r, r) }
        return try ComplexTensor(r, shape: [n, n])
    }

    static let padeCoefficients: [Int: [Double]] = [
        3: [120, 60, 12, 1],
        5: [30240, 15120, 3360, 420, 30, 1],
        7: [17297280, 8648640, 1995840, 277200, 25200, 1512, 56, 1],
        9: [17643225600, 8821612800, 2075673600, 302702400, 30270240, 2162160, 110880, 3960, 90, 1],
        13: [64764752532480000, 32382376266240000, 7771770303897600, 1187353796428800, 129060195264000,
             10559470521600, 670442572800, 33522128640, 1323241920, 40840800, 960960, 16380, 182, 1],
    ]

    /// Eigenvalues and right eigenvectors (columns, unit 2-norm) of a general
    /// complex matrix (LAPACK zgeev).
    public func eig() throws -> (values: ComplexTensor, vectors: ComplexTensor) {
        let n = try squareMatrix("eig")
        try requireFinite("eig")
        if n == 0 { return (try ComplexTensor(uninitializedShape: [0], "eig"), self) }
        var a = try transposed().elements       // column-major
        var w = [ComplexNumber](repeating: .zero, count: n)
        var vr = [ComplexNumber](repeating: .zero, count: n &* n)
        var vl = [ComplexNumber](repeating: .zero, count: 1)
        var rwork = [Double](repeating: 0, count: 2 &* n)
        var jobvl = CChar(UInt8(ascii: "N")), jobvr = CChar(UInt8(ascii: "V"))
        var nn = Int32(n), lda = Int32(n), ldvl: Int32 = 1, info: Int32 = 0, lwork: Int32 = -1
        var wq = [ComplexNumber](repeating: .zero, count: 1)
        zgeev_(&jobvl, &jobvr, &nn, &a, &lda, &w, &vl, &ldvl, &vr, &lda, &wq, &lwork, &rwork, &info, 1, 1)
        lwork = Int32(Swift.max(wq[0].real, Double(2 &* n)))
        var work = [ComplexNumber](repeating: .zero, count: Int(lwork))
        zgeev_(&jobvl, &jobvr, &nn, &a, &lda, &w, &vl, &ldvl, &vr, &lda, &work, &lwork, &rwork, &info, 1, 1)
        if info > 0 { throw TensorError("eig", "the QR algorithm did not converge.") }
        if info < 0 { throw TensorError("eig", "LAPACK argument \(-info) is invalid.") }
        let vectors = try ComplexTensor(vr, shape: [n, n]).transposed()
        return (try ComplexTensor(w, shape: [n]), vectors)
    }
}

extension Tensor {
    /// Eigenvalues and right eigenvectors (columns, unit 2-norm) of a general real
    /// matrix (LAPACK dgeev, as NumPy's eig). Real tensors when every eigenvalue is
    /// real, complex ones otherwise (NumPy's rule).
    public func eig() throws -> (values: Tensor?, vectors: Tensor?, complexValues: ComplexTensor?, complexVectors: ComplexTensor?) {
        let n = try squareMatrix("eig")
        try requireFinite("eig")
        if n == 0 { return (self.reshapedUnchecked([0]), self, nil, nil) }
        var a = try transposed().copyArray()
        var wr = [Double](repeating: 0, count: n), wi = [Double](repeating: 0, count: n)
        var vr = [Double](repeating: 0, count: n &* n), vl = [Double](repeating: 0, count: 1)
        var jobvl = CChar(UInt8(ascii: "N")), jobvr = CChar(UInt8(ascii: "V"))
        var nn = Int32(n), lda = Int32(n), ldvl: Int32 = 1, info: Int32 = 0, lwork: Int32 = -1
        var wq = [Double](repeating: 0, count: 1)
        dgeev_(&jobvl, &jobvr, &nn, &a, &lda, &wr, &wi, &vl, &ldvl, &vr, &lda, &wq, &lwork, &info, 1, 1)
        lwork = Int32(Swift.max(wq[0], Double(4 &* n)))
        var work = [Double](repeating: 0, count: Int(lwork))
        dgeev_(&jobvl, &jobvr, &nn, &a, &lda, &wr, &wi, &vl, &ldvl, &vr, &lda, &work, &lwork, &info, 1, 1)
        if info > 0 { throw TensorError("eig", "the QR algorithm did not converge.") }
        if info < 0 { throw TensorError("eig", "LAPACK argument \(-info) is invalid.") }
        if wi.allSatisfy({ $0 == 0 }) {
            let vectors = try Tensor(vr, shape: [n, n]).transposed()
            return (try Tensor(wr), vectors, nil, nil)
        }
        // a conjugate pair j, j+1 stores re in column j and im in column j+1
        var vals = [ComplexNumber](), vecs = [ComplexNumber](repeating: .zero, count: n &* n)
        var j = 0
        while j < n {
            vals.append(ComplexNumber(wr[j], wi[j]))
            if wi[j] != 0 && j + 1 < n {
                vals.append(ComplexNumber(wr[j + 1], wi[j + 1]))
                for i in 0..<n {
                    let re = vr[i &+ j &* n], im = vr[i &+ (j &+ 1) &* n]
                    vecs[i &* n &+ j] = ComplexNumber(re, im)
                    vecs[i &* n &+ j &+ 1] = ComplexNumber(re, -im)
                }
                j += 2
            } else {
                for i in 0..<n { vecs[i &* n &+ j] = ComplexNumber(vr[i &+ j &* n], 0) }
                j += 1
            }
        }
        return (nil, nil, try ComplexTensor(vals, shape: [n]), try ComplexTensor(vecs, shape: [n, n]))
    }

    func reshapedUnchecked(_ s: [Int]) -> Tensor { Tensor(storage: storage, shape: s) }
}
