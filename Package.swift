// swift-tools-version: 6.0
import PackageDescription

// Module layout: docs/architecture.md. Arrows point down only:
// mlp -> MLPKernel -> MLPREPL -> MLPRuntime -> MLPLang, MLPLearn -> MLPAutograd -> MLPTensor.
// Code for x86-64 with AVX2 and FMA (Haswell and later; every machine of the
// workplace, and what the tests' pinned OpenBLAS kernels need anyway): the exp,
// sigmoid and tanh loops vectorise 4 wide. Results do not change: Swift does not
// contract a * b + c into FMAs, and the golden outputs are identical.
let optimize: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked", "-target-cpu", "haswell"])]
// The interpreter and its builtins run on one thread (Ctrl-C only sets an atomic
// flag), so their reference counting need not be atomic: 25-30% faster calls.
// The rule this needs (no Value or tensor crosses threads) is docs/architecture.md's.
let interpreter: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked", "-Xfrontend", "-assume-single-threaded", "-target-cpu", "haswell"])]

let package = Package(
    name: "mlp",
    platforms: [.macOS(.v15)],
    products: [.executable(name: "mlp", targets: ["mlp"])],
    // apple/swift-numerics' ComplexModule: the complex element type (docs/complex.md)
    dependencies: [.package(url: "https://github.com/apple/swift-numerics", from: "1.1.1")],
    targets: [
        .systemLibrary(name: "CEditLine", pkgConfig: "libedit", providers: [.apt(["libedit-dev"])]),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CMLPZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CMalloc"),
        // the Jupyter kernel's sockets and message signatures (Sources/MLPKernel)
        .systemLibrary(name: "CZMQ", providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "CMLPCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // figures as PNG, SVG and PDF with Pango text (Sources/MLPPlot)
        .systemLibrary(name: "CCairo", pkgConfig: "pangocairo", providers: [.apt(["libcairo2-dev", "libpango1.0-dev"])]),
        // FFTW 3 for fft/ifft/rfft (GPL-2+: README.md says what that means for a distributed binary)
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3", providers: [.apt(["libfftw3-dev"])]),
        .target(name: "MLPTensor", dependencies: ["CBLAS", "CMLPZlib", "CFFTW", .product(name: "ComplexModule", package: "swift-numerics")], exclude: ["README.md"], swiftSettings: optimize),
        .target(name: "MLPAutograd", dependencies: ["MLPTensor"], exclude: ["README.md"], swiftSettings: optimize),
        .target(name: "MLPLearn", dependencies: ["MLPAutograd", "MLPTensor", .product(name: "ComplexModule", package: "swift-numerics")], exclude: ["README.md", "Reinforcement/README.md", "Quantum/README.md", "Numerics/README.md"], swiftSettings: optimize),
        .target(name: "MLPPlot", dependencies: ["CCairo"], exclude: ["README.md"], swiftSettings: optimize),
        .target(name: "MLPLang", exclude: ["README.md"], swiftSettings: interpreter),
        .target(name: "MLPRuntime", dependencies: ["MLPLang", "MLPTensor", "MLPAutograd", "MLPLearn", "MLPPlot", .product(name: "ComplexModule", package: "swift-numerics")], exclude: ["README.md"], swiftSettings: interpreter),
        .target(name: "MLPREPL", dependencies: ["CEditLine", "MLPLang"], exclude: ["README.md"]),
        // `mlp kernel`: the Jupyter kernel (docs/jupyter.md)
        .target(name: "MLPKernel", dependencies: ["CZMQ", "CMLPCrypto", "MLPRuntime", "MLPREPL", "MLPLang", "MLPPlot"], exclude: ["README.md"]),
        // the Swift runtime linked in: fewer shared libraries to load and relocate at start-up
        .executableTarget(name: "mlp", dependencies: ["MLPRuntime", "MLPREPL", "MLPKernel", "MLPLang", "CMalloc"], exclude: ["README.md"],
                          linkerSettings: [.unsafeFlags(["-static-stdlib"])]),
        .executableTarget(name: "mlp-fuzz", dependencies: ["MLPRuntime", "MLPLang", "MLPTensor"], exclude: ["README.md"], swiftSettings: optimize),
        // native benchmarks of the library (bench/README.md, `make bench-native`)
        .executableTarget(name: "mlp-bench", dependencies: ["MLPTensor", "MLPAutograd", "MLPLearn"], exclude: ["README.md"], swiftSettings: optimize),
        // helpers shared by the test targets (the test generator, ...)
        .target(name: "MLPTestSupport", dependencies: ["MLPTensor", "MLPAutograd", "MLPLearn"], path: "Tests/MLPTestSupport"),
        .testTarget(name: "MLPLangTests", dependencies: ["MLPLang", "MLPRuntime", "MLPTensor", "MLPTestSupport"]),
        .testTarget(name: "MLPTensorTests", dependencies: ["MLPTensor", "CMalloc", "MLPTestSupport", .product(name: "ComplexModule", package: "swift-numerics")]),
        .testTarget(name: "MLPPlotTests", dependencies: ["MLPPlot", "CMLPZlib"], exclude: ["Reference"]),
        .testTarget(name: "MLPKernelTests", dependencies: ["MLPKernel"]),
        .testTarget(name: "MLPAutogradTests", dependencies: ["MLPAutograd", "MLPTensor", "MLPTestSupport"]),
        .testTarget(name: "MLPLearnTests", dependencies: ["MLPLearn", "MLPAutograd", "MLPTensor", "MLPTestSupport"]),
    ]
)
