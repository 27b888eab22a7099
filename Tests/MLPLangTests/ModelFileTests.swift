// save and load of models: every layer builtin of the registry comes back through the
// call that made it (the same predictions, the same arguments), files saved by the
// release of d5ad4e1 still load, and a model file can call nothing but layer builtins.
import Foundation
import MLPLang
import MLPRuntime
import MLPTensor
import XCTest

final class ModelFileTests: XCTestCase {
    /// A call of each layer builtin with its arguments away from their defaults, and an input.
    static let cases: [String: (layer: String, input: String)] = [
        "dense": ("dense(3, relu, init=\"he_normal\", bias=false, precision=\"float32\")", "randn(2, 4)"),
        "conv2d": ("conv2d(2, [3, 2], elu, padding=\"same\", stride=2, init=\"he_uniform\")", "randn(2, 5, 5, 2)"),
        "maxpool": ("maxpool(3)", "randn(2, 6, 6, 1)"),
        "avgpool": ("avgpool(3)", "randn(2, 6, 6, 1)"),
        "upsample": ("upsample(3)", "randn(2, 2, 2, 1)"),
        "dropout": ("dropout(0.3)", "randn(2, 3)"),
        "gaussian_dropout": ("gaussian_dropout(0.3)", "randn(2, 3)"),
        "batchnorm": ("batchnorm(momentum=0.5, epsilon=0.01)", "randn(3, 2)"),
        "embedding": ("embedding(5, 2)", "tensor([[0, 4], [1, 2]])"),
        "simple_rnn": ("simple_rnn(3, \"relu\", return_sequences=false, stateful=true, precision=\"float32\")", "randn(2, 3, 2)"),
        "lstm": ("lstm(3, return_sequences=false, stateful=true, precision=\"float32\")", "randn(2, 3, 2)"),
        "gru": ("gru(3, stateful=true, precision=\"float32\")", "randn(2, 3, 2)"),
        "reshape": ("reshape([3, 2])", "randn(2, 6)"),
        "flatten": ("flatten()", "randn(2, 3, 2)"),
    ]

    let dir = NSTemporaryDirectory() + "mlp-model-files-\(getpid())"
    override func setUp() { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// What `source` prints, then its error if any.
    func run(_ source: String) -> String {
        let out = Output(capturing: ())
        let session = Session(file: "t.mlp", out: out)
        var error = ""
        session.errorSink = { error = $0.message }
        _ = session.runScript(source: source, name: "t.mlp")
        return out.captured + error
    }

    func testEveryLayerBuiltinRoundTrips() {
        let layers = Registry.standard(argv: []).entries.filter(\.makesLayers).map(\.name)
        XCTAssertTrue(layers.contains("dense") && layers.contains("flatten"), "\(layers)")
        for name in layers {
            guard let c = Self.cases[name] else { XCTFail("add a case for the layer builtin \(name) to ModelFileTests.cases"); continue }
            // a dense layer after it, so that layers without weights are saved with some
            let out = run("""
                seed(3)
                net = \(c.layer) >> dense(2)
                x = \(c.input)
                y = net(x)
                save(net, "\(dir)/a.npz")
                back = load("\(dir)/a.npz")
                save(back, "\(dir)/b.npz")
                a = load_npz("\(dir)/a.npz")
                b = load_npz("\(dir)/b.npz")
                print(str(back) == str(net), max(abs(back(x) - y)), str(a["__model__"]) == str(b["__model__"]), keys(a) == keys(b))
                """)
            XCTAssertEqual(out, "true 0 true true\n", "\(name): \(c.layer)")
        }
    }

    /// dense(2, bias=false) came back from a description with a bias, its file unloadable.
    func testArgumentsTheDescriptionDoesNotShowAreKept() throws {
        XCTAssertEqual(run("""
            net = dense(2, bias=false, init="ones") >> relu
            y = net(ones(1, 3))
            save(net, "\(dir)/n.npz")
            back = load("\(dir)/n.npz")
            print(len(params(back)), max(abs(back(ones(1, 3)) - y)))
            """), "1 0\n")
        let entries = try ArrayFiles.npzDecode(Array(try Data(contentsOf: URL(fileURLWithPath: "\(dir)/n.npz"))))
        let model = try XCTUnwrap(entries.first { $0.0 == "__model__" }?.1)
        XCTAssertEqual(String(decoding: model.scalars.map { UInt8($0) }, as: UTF8.self), "dense(2, init=\"ones\", bias=false) >> relu")
    }

    func testFilesOfAnEarlierReleaseLoadWithTheirPredictions() throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("fixtures/models").path
        for name in ["dense", "conv", "recurrent", "embedding"] {
            // float32 layers may round differently on another BLAS kernel
            XCTAssertEqual(run("""
                net = load("\(fixtures)/\(name).npz")
                io = load_npz("\(fixtures)/\(name)_io.npz")
                print(max(abs(net(io["x"]) - io["y"])) < 1e-6)
                """), "true\n", name)
        }
    }

    /// Writes a model file whose `__model__` is `text` on 3 inputs, and loads it: output and error.
    func load(_ text: String) throws -> String {
        let bytes = text.utf8.map { "\($0)" }.joined(separator: ", ")
        return run("""
            save_npz("\(dir)/h.npz", {"__model__": tensor([\(bytes)]), "__input_shape__": tensor([3])})
            load("\(dir)/h.npz")
            """)
    }

    func testAFileCallsNothingButLayerBuiltinsWithData() throws {
        let path = "\(dir)/h.npz"
        XCTAssertEqual(try load("print(1)"), "load: \(path): cannot read the layer 'print(1)': 'print' is not a layer.")
        XCTAssertEqual(try load("dense(1, print)"), "load: \(path): cannot read the layer 'dense(1, print)': 'print' is not an activation.")
        XCTAssertEqual(try load("dense(len([1]))"),
                       "load: \(path): cannot read the layer 'dense(len([1]))': expected a number, string, list or activation as an argument.")
        XCTAssertEqual(try load("dense(1, \"{print(7)}\")"),
                       "load: \(path): cannot read the layer 'dense(1, \"{print(7)}\")': expected a number, string, list or activation as an argument.")
        XCTAssertEqual(try load("dense(1)\nprint(7)"), "load: \(path): cannot read the layer 'dense(1)\\nprint(7)': expected the end after the call, got 'print'.")
        XCTAssertEqual(try load("dense(1e9)"), "load: \(path): cannot read the layer 'dense(1e9)': the number 1000000000 is out of range.")
        XCTAssertEqual(try load("dense(" + String(repeating: "[", count: 300)),
                       "load: \(path): cannot read the layer 'dense(\(String(repeating: "[", count: 300))': code nested too deeply (more than 200 levels of brackets and blocks).")
    }
}
