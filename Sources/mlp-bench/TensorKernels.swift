// Tensor kernels, native (no interpreter): a 1024 product, exp, a * b + c, a * b, a * 2
// and sum on 10^7 elements (best wall time of 5), and small products as Swift loops
// against BLAS (best of 3 rounds of 20,000).
import MLPTensor

func benchTensorKernels() throws {
    let g = RandomGenerator(seed: 0)
    let n = 1024
    let a = try Tensor.randn([n, n], using: &g.state), b = try Tensor.randn([n, n], using: &g.state)
    var c = a
    let tm = try best { c = try Tensor.matmul(a, b) }
    print(String(format: "BENCH matmul 1024: %.2f GFLOP/s (%.4f s)", 2.0 * Double(n * n * n) / tm / 1e9, tm), c.count)
    let x = try Tensor.randn([10_000_000], using: &g.state), y = try Tensor.randn([10_000_000], using: &g.state)
    let z = try Tensor.randn([10_000_000], using: &g.state)
    var r = x
    let te = try best { r = try x.map(.exp) }
    print(String(format: "BENCH exp 1e7: %.4f s", te), r.count)
    let tf = try best { r = try x * y + z }
    print(String(format: "BENCH a*b+c 1e7: %.4f s", tf), r.count)
    let tm1 = try best { r = try x * y }
    print(String(format: "BENCH a*b 1e7: %.4f s", tm1), r.count)
    let tc = try best { r = try x * 2.0 }
    print(String(format: "BENCH a*2 1e7: %.4f s", tc), r.count)
    var s = 0.0
    let ts = try best { s = try x.sum().item() }
    print(String(format: "BENCH sum 1e7: %.4f s", ts), s)
    // small matmul: Swift loop vs BLAS
    let limit = Tensor.smallGemmLimit
    defer { Tensor.smallGemmLimit = limit }
    for m in [2, 4, 8, 12, 16, 24, 32] {
        let p = try Tensor.randn([m, m], using: &g.state), q = try Tensor.randn([m, m], using: &g.state)
        let iters = 20000
        Tensor.smallGemmLimit = 1 << 40
        let tl = try best(3) { for _ in 0..<iters { c = try Tensor.matmul(p, q) } }
        Tensor.smallGemmLimit = 0
        let tb = try best(3) { for _ in 0..<iters { c = try Tensor.matmul(p, q) } }
        Tensor.smallGemmLimit = limit
        print(String(format: "BENCH small matmul %d: loop %.3f us, blas %.3f us", m, tl / Double(iters) * 1e6, tb / Double(iters) * 1e6))
    }
}
