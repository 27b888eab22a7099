// mlp-bench: native benchmarks of the library (no interpreter), one workload per file.
// Built with the library's optimisation settings (Package.swift); `make bench-native`
// runs it (bench/README.md). Each workload first prints the date, the CPU and the
// thread settings, then its figures.
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import MLPTensor

let workloads: [(name: String, about: String, run: () throws -> Void)] = [
    ("tensor", "tensor kernels: matmul 1024, exp, a*b+c, a*b, a*2, sum on 1e7 elements (best wall time of 5); "
        + "small products, Swift loops against BLAS", benchTensorKernels),
    ("gemm", "W6: square products n = 1024 and 256, float64 and float32 (sgemm on float operands), GFLOP/s, "
        + "best of 5; bench/nn/gemm.sh compares NumPy in the same run", benchGemm),
    ("gemm-serve", "W6's products on request: each stdin line 'float64|float32 N REPS' answers the batch's wall "
        + "seconds (bench/nn/gemm_pairs.py alternates it with NumPy's)", benchGemmServe),
    ("conv", "the W5 conv net, batch 64: ms/step of training, forward only, each conv's forward and backward "
        + "(CPU time of this thread: run with OPENBLAS_NUM_THREADS=1); MLP_CONV_BLOCK=n sets the im2col block", benchConvNet),
    ("rnn", "the recurrent workloads W3, W2 and W4: training steps/s (CPU time of this thread: run with "
        + "OPENBLAS_NUM_THREADS=1); bench/nn compares them with PyTorch through the interpreter", benchRecurrent),
    ("ising", "P3: checkerboard Metropolis spin-flip attempts/s, L=64, T=2.269 and 1.5, and Wolff clusters/s "
        + "(CPU time of this thread; bench/physics/run.sh compares C and NumPy)", benchIsing),
    ("word2vec", "word2vec skip-gram over MLP_W2V_CORPUS: words/s and words per CPU second "
        + "(MLP_W2V_THREADS, _SEED, _MODE, _LR, _INIT, _EPOCHS, _OUT; bench/word2vec/run.sh)", benchWord2Vec),
]

var usage = "usage: mlp-bench WORKLOAD...\n\nworkloads:\n"
for w in workloads { usage += "  \(w.name.padding(toLength: 10, withPad: " ", startingAt: 0))\(w.about)\n" }

func fail(_ message: String, _ status: Int32) -> Never {
    FileHandle.standardError.write(Data(message.utf8))
    exit(status)
}

BLASKernels.selectBestKernels()
let names = Array(CommandLine.arguments.dropFirst())
if names.isEmpty || names.contains("--help") || names.contains("-h") {
    print(usage, terminator: "")
    exit(names.isEmpty ? 64 : 0)
}
for name in names where !workloads.contains(where: { $0.name == name }) {
    fail("mlp-bench: unknown workload '\(name)'\n\n" + usage, 64)
}
for name in names {
    let w = workloads.first { $0.name == name }!
    printHeader(w.name)
    do { try w.run() } catch { fail("mlp-bench \(name): \(error)\n", 1) }
}
