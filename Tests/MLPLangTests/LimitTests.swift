// The mlp command at the machine's limits: memory it cannot get is a runtime
// error naming the size, never a trap.
import XCTest

extension ProductTests {
    /// Under `ulimit -v` (3 GiB of address space, about 1.1 GiB of which the
    /// interpreter's stack and OpenBLAS take) a tensor too big to allocate stops
    /// the script with an error: made by a builtin, or the result of an operation
    /// on a tensor that took the memory left (a map, arithmetic, a transpose).
    func testOutOfMemoryIsARuntimeError() throws {
        let big = "out of memory: needs 1.1 GB for a tensor of 134217728 elements."
        try assertRuntimeErrors([
            ("x = zeros(2^28)", "zeros: out of memory: needs 2.2 GB for a tensor of 268435456 elements."),
            ("x = rand(20000, 20000)", "rand: out of memory: needs 3.2 GB for a tensor of 400000000 elements."),
            ("x = ones(2^14, 1) @ ones(1, 2^14)", "out of memory: needs 2.2 GB for a tensor of 268435456 elements."),
            ("x = zeros(2^27)\ny = exp(x)", "2:8: error: " + big),
            ("x = zeros(2^27)\ny = x * 2", "2:7: error: " + big),
            ("x = zeros(2^27)\ny = -x", "2:5: error: " + big),
            ("x = zeros(2^14, 2^13)\ny = x.T", "2:7: error: " + big),
        ])
    }

    /// Runs each script under 3 GiB of address space: a runtime error (status 70,
    /// not a signal) whose output holds the message.
    func assertRuntimeErrors(_ cases: [(code: String, message: String)]) throws {
        for (code, message) in cases {
            let (status, out) = try run("mlp", ["-e", code], memoryKB: 3 << 20)
            XCTAssertEqual(status, 70, "\(code): \(out)")
            XCTAssertTrue(out.contains(message), "\(code): \(out)")
        }
    }

    /// The same limit where the allocation is not a builtin's result but a buffer
    /// sized from one (these stopped the process with a signal): the copy that an
    /// assignment into a shared tensor makes, a cross-entropy's softmax, a recurrent
    /// layer's buffers, the state Adam keeps for a 0.5 GB weight, word2vec's vectors.
    func testOutOfMemoryInsideOperationsIsARuntimeError() throws {
        let big = "out of memory: needs 1.1 GB for a tensor of 134217728 elements."
        try assertRuntimeErrors([
            ("a = zeros(2^27)\nb = a\nb[0] = 1", "3:6: error: " + big),
            ("z = zeros(2^17, 2^10)\nl = crossentropy(z, zeros(2^17), from_logits=true)", "2:17: error: crossentropy: " + big),
            ("x = zeros(1, 2^20, 1)\ny = simple_rnn(128)(x)", "2:20: error: out of memory: needs 1.1 GB for a layer's buffer."),
            ("net = dense(2^13)\nx = zeros(1, 2^13)\ntrain(net, adam, [x, zeros(1, 2^13)], loss=mse, epochs=1)",
             "3:6: error: train: out of memory: needs 0.6 GB for a tensor of 67108864 elements."),
            ("wv = word2vec([[\"a\", \"b\"]], dim=2^28, min_count=1)", "1:14: error: word2vec: out of memory: needs 2.2 GB for its buffers."),
        ])
    }
}

extension ProductTests {
    /// Every builtin of the registry (but those touching files, the clock or stdin)
    /// with extreme arguments in each place, and what it returns called with each:
    /// the fuzzer's --sweep, whose forked child runs the calls, so that a trap is
    /// reported (and the sweep goes on) instead of ending the test.
    func testRegistrySweepWithExtremeArguments() throws {
        let (status, out) = try run("mlp-fuzz", ["--sweep"])
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.contains(" 0 crashes"), out)
    }
}
