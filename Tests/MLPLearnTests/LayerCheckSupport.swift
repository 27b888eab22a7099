// Helpers for the layer tests: seeded inputs and a finite-difference check of a
// layer's gradient with respect to its input and its trainable parameters.
import XCTest
import MLPTensor
import MLPAutograd
@testable import MLPLearn
import MLPTestSupport

enum LayerCheck {
    /// Seeded uniform values in [lo, hi).
    static func input(_ shape: [Int], _ seed: UInt64, lo: Double = -1, hi: Double = 1) -> Tensor {
        var g = Xoshiro256(seed: seed)
        let t = try! Tensor.rand(shape, using: &g)
        return try! Tensor.binary(.add, Tensor.binary(.mul, t, hi - lo), lo)
    }

    /// The layer's output on x (building it when needed), reseeding the global generator first when asked.
    static func run(_ layer: Layer, _ x: Tensor, training: Bool, seed: UInt64?) throws -> Tensor {
        if let seed { TestRandom.seed(seed) }
        return try layer.forward(Variable(constant: x), ForwardPass(training: training)).value
    }

    /// Relative error between the tape gradient and central differences of sum(w * layer(x)),
    /// w a fixed random weighting, with respect to x and every trainable parameter.
    /// `seed` reseeds the global generator before each pass (for the noise of dropout).
    static func gradientError(_ layer: Layer, _ x: Tensor, training: Bool = false, seed: UInt64? = nil) throws -> (error: Double, grads: [Tensor]) {
        let probe = try run(layer, x, training: training, seed: seed)
        let w = input(probe.shape, 99)
        let params = layer.parameters.filter(\.trainable)
        let saved = params.map(\.value)
        defer { for (p, v) in zip(params, saved) { p.value = v } }

        // the tape: x and the parameters are leaves
        if let seed { TestRandom.seed(seed) }
        let tape = Tape()
        let xv = Variable(leaf: x, tape: tape)
        let pass = ForwardPass(tape: tape, training: training)
        let y = try layer.forward(xv, pass)
        let s = try (y * Variable(constant: w)).reduce(.sum)
        try s.backward()
        var grads = [try xv.grad ?? Tensor.zeros(x.shape)]
        for p in params {
            let leaf = pass.used.first { $0.0 === p }?.1
            grads.append(try leaf?.grad ?? Tensor.zeros(p.value.shape))
        }

        let numeric = try Autograd.numericalGrad([x] + saved) { ts in
            for (p, t) in zip(params, ts.dropFirst()) { p.value = t }
            let out = try run(layer, ts[0], training: training, seed: seed)
            return try (out * w).sumAll()
        }
        return (try Autograd.relativeError(grads, numeric), grads)
    }

    /// Asserts the gradient check passes and the gradients are not all zero.
    static func check(_ layer: Layer, _ x: Tensor, training: Bool = false, seed: UInt64? = nil, tol: Double = 1e-6,
                      file: StaticString = #filePath, line: UInt = #line) {
        do {
            let (err, grads) = try gradientError(layer, x, training: training, seed: seed)
            XCTAssertLessThan(err, tol, "\(layer.description): relative error of the gradient", file: file, line: line)
            for (i, g) in grads.enumerated() {
                XCTAssertGreaterThan(try g.map(.abs).sumAll(), 0, "\(layer.description): gradient \(i) is all zero", file: file, line: line)
            }
        } catch {
            XCTFail("\(layer.description): \(error)", file: file, line: line)
        }
    }

    /// Asserts that `body` throws a LearnError whose message contains every fragment.
    static func expectError(_ fragments: [String], file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
        do {
            try body()
            XCTFail("expected an error containing \(fragments)", file: file, line: line)
        } catch let e as LearnError {
            for f in fragments {
                XCTAssertTrue(e.message.contains(f), "\"\(e.message)\" does not contain \"\(f)\"", file: file, line: line)
            }
        } catch {
            XCTFail("expected a LearnError, got \(error)", file: file, line: line)
        }
    }

    static func assertClose(_ a: Tensor, _ b: Tensor, tol: Double = 1e-12, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.shape, b.shape, "shapes", file: file, line: line)
        guard a.shape == b.shape else { return }
        let d = zip(a.scalars, b.scalars).map { Swift.abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(d, tol, "max difference; got \(a.scalars), expected \(b.scalars)", file: file, line: line)
    }

    /// The parameters' float64 values after native float32 training: each exactly its
    /// float32 value, and all stored in float32.
    static func readSingles(_ params: [Parameter], file: StaticString = #filePath, line: UInt = #line) throws -> [Tensor] {
        XCTAssertTrue(params.allSatisfy(\.isSingle), "stored in float32", file: file, line: line)
        let read = params.map(\.value)
        for (p, v) in zip(params, read) {
            let f = try p.singleValues()
            for i in 0..<v.count { XCTAssertEqual(v.scalars[i], Double(f[i]), file: file, line: line) }
        }
        return read
    }
}
