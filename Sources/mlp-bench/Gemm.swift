// W6 GEMM: the library's square products at n = 1024 and 256 in float64 (Tensor.matmul,
// split over BLASThreads as every product) and float32 (the sgemm path of the float32
// layers, on operands already in single precision). GFLOP/s (2 n^3 per product), best
// wall time of 5 passes; bench/nn/gemm.sh runs NumPy's products in the same run.
// Threads as `mlp` runs them: OPENBLAS_NUM_THREADS blocks of one product on mlp's
// own threads, OpenBLAS on one thread each (BLASThreads.configureDefault).
#if canImport(Glibc)
import Glibc
#endif
import MLPTensor

func benchGemm() throws {
    BLASThreads.configureDefault()
    print("== products as mlp runs them: \(BLASThreads.count) split threads, OpenBLAS single-threaded")
    let g = RandomGenerator(seed: 0)
    for n in [1024, 256] {
        let a = try Tensor.randn([n, n], using: &g.state), b = try Tensor.randn([n, n], using: &g.state)
        let reps = n >= 1024 ? 3 : 100
        var c = a
        c = try Tensor.matmul(a, b)
        let t64 = try best { for _ in 0..<reps { c = try Tensor.matmul(a, b) } } / Double(reps)
        let fa = UnsafeMutablePointer<Float>.allocate(capacity: n * n), fb = UnsafeMutablePointer<Float>.allocate(capacity: n * n)
        let fc = UnsafeMutablePointer<Float>.allocate(capacity: n * n)
        defer { fa.deallocate(); fb.deallocate(); fc.deallocate() }
        for i in 0..<(n * n) { fa[i] = Float(a.storage.pointer[i]); fb[i] = Float(b.storage.pointer[i]) }
        let product = { Tensor.blasProduct(transposeA: false, transposeB: false, n, n, n, alpha: Float(1), fa, n, fb, n, beta: 0, fc, n) }
        product()
        let t32 = best { for _ in 0..<reps { product() } } / Double(reps)
        let flops = 2.0 * Double(n * n * n)
        print(String(format: "BENCH gemm float64 %d: %.2f GFLOP/s", n, flops / t64 / 1e9), c.count)
        print(String(format: "BENCH gemm float32 %d: %.2f GFLOP/s", n, flops / t32 / 1e9), fc[0].isFinite)
    }
}

/// `mlp-bench gemm-serve`: the same products, timed on request, for bench/nn/gemm_pairs.py.
/// Each line of standard input, `PRECISION N REPS`, runs that product REPS times and
/// answers with the wall seconds of the whole batch; the operands of each n are made
/// once (the same seed as `benchGemm`). The driver alternates these batches with NumPy's,
/// pair by pair, so both see the same state of a shared host.
func benchGemmServe() throws {
    BLASThreads.configureDefault()
    print("== products as mlp runs them: \(BLASThreads.count) split threads, OpenBLAS single-threaded")
    final class Operands {
        let a: Tensor, b: Tensor
        let fa, fb, fc: UnsafeMutablePointer<Float>
        init(_ n: Int) throws {
            let g = RandomGenerator(seed: 0)
            a = try Tensor.randn([n, n], using: &g.state)
            b = try Tensor.randn([n, n], using: &g.state)
            fa = .allocate(capacity: n * n); fb = .allocate(capacity: n * n); fc = .allocate(capacity: n * n)
            for i in 0..<(n * n) { fa[i] = Float(a.storage.pointer[i]); fb[i] = Float(b.storage.pointer[i]) }
        }
        deinit { fa.deallocate(); fb.deallocate(); fc.deallocate() }
    }
    var operands: [Int: Operands] = [:]
    var sink = 0
    while let line = readLine() {
        let words = line.split(separator: " ")
        guard words.count == 3, let n = Int(words[1]), let reps = Int(words[2]), n > 0, reps > 0,
              words[0] == "float64" || words[0] == "float32" else {
            fail("mlp-bench gemm-serve: expected 'float64|float32 N REPS', got '\(line)'\n", 64)
        }
        if operands[n] == nil { operands[n] = try Operands(n) }
        let o = operands[n]!
        let t0 = Clock.wall()
        if words[0] == "float64" {
            for _ in 0..<reps { sink &+= try Tensor.matmul(o.a, o.b).count }
        } else {
            for _ in 0..<reps {
                Tensor.blasProduct(transposeA: false, transposeB: false, n, n, n, alpha: Float(1), o.fa, n, o.fb, n, beta: 0, o.fc, n)
            }
        }
        print(Clock.wall() - t0)
        fflush(nil)  // the driver waits for this line
    }
    if sink < 0 { print(sink) }
}
