// Native errors become the language's in one place (ErrorRendering.swift): the
// builtin's name stands in the operation's place, once. Every builtin of the
// registry is called wrongly and no message names a function twice.
@testable import MLPRuntime
import MLPLang
import MLPTensor
import XCTest

final class ErrorRenderingTests: XCTestCase {
    /// The error messages of `calls`, each run in the session.
    func messages(_ calls: [String]) -> [String: String] {
        var out: [String: String] = [:]
        runOnBigStack {
            let session = Session(file: "t.mlp", out: Output(capturing: ()), err: Output(capturing: ()))
            for c in calls {
                session.errorSink = { out[c] = $0.message }
                session.run(c)
            }
        }
        return out
    }

    func testTheBuiltinNameReplacesTheOperationOnce() {
        let m = messages(["dot(zeros(2, 3), zeros(2, 3))", "net = conv2d(2, 3); train(net, sgd, [zeros(4, 5), zeros(4, 1)], loss=mse)",
                          "zeros(2^62, 4)", "zeros(2, 3) @ zeros(2, 3)"])
        XCTAssertEqual(m["dot(zeros(2, 3), zeros(2, 3))"], "dot: shapes [2, 3] and [2, 3] do not align (3 != 2).")
        XCTAssertEqual(m["net = conv2d(2, 3); train(net, sgd, [zeros(4, 5), zeros(4, 1)], loss=mse)"],
                       "train: expected a 4-D input [batch, height, width, channels], got shape [4, 5].")
        XCTAssertEqual(m["zeros(2^62, 4)"], "zeros: shape [4611686018427387904, 4] is too large.")
        // an operator has no builtin name: the operation's own
        XCTAssertEqual(m["zeros(2, 3) @ zeros(2, 3)"], "matmul: shapes [2, 3] and [2, 3] do not align (3 != 2).")
    }

    /// Every builtin (but those that end the process or wait for input) with wrong arguments.
    func testNoMessageNamesAFunctionTwice() {
        let skip: Set = ["exit", "input", "sleep"]
        let names = Registry.standard(argv: []).entries.compactMap { e -> String? in
            guard case .builtin = e.value, !skip.contains(e.name) else { return nil }
            return e.name
        }
        let calls = names.flatMap { n in ["\(n)()", "\(n)(-1)", "\(n)(\"s\")", "\(n)(zeros(0))", "\(n)(nan, nan)"] }
        let m = messages(calls)
        XCTAssertGreaterThan(m.count, names.count, "the calls should mostly fail")
        let doubled = try! Regex("^([a-z_0-9]+): \\1[:( ]")
        for (call, message) in m.sorted(by: { $0.key < $1.key }) where message.contains(doubled) {
            XCTFail("\(call): \(message)")
        }
    }

    func testKernelErrorsCarryTheirFacts() {
        XCTAssertThrowsError(try Tensor.zeros([1 << 62, 4])) { e in
            XCTAssertEqual((e as? TensorError)?.kind, .tooLarge(count: Int.max, limit: Tensor.maxCount))   // 2^64 overflows
        }
        XCTAssertThrowsError(try Tensor.zeros([1 << 40, 4])) { e in
            XCTAssertEqual((e as? TensorError)?.kind, .tooLarge(count: 1 << 42, limit: Tensor.maxCount))
            XCTAssertEqual((e as? TensorError)?.operation, "full")
        }
        XCTAssertThrowsError(try Tensor.matmul(try Tensor.zeros([2, 3]), try Tensor.zeros([2, 3]))) { e in
            XCTAssertEqual((e as? TensorError)?.kind, .shapes([[2, 3], [2, 3]]))
            XCTAssertEqual((e as? TensorError)?.detail, "shapes [2, 3] and [2, 3] do not align (3 != 2).")
        }
    }
}
