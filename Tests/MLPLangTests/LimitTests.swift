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
        for (code, message) in [
            ("x = zeros(2^28)", "zeros: out of memory: needs 2.2 GB for a tensor of 268435456 elements."),
            ("x = rand(20000, 20000)", "rand: out of memory: needs 3.2 GB for a tensor of 400000000 elements."),
            ("x = ones(2^14, 1) @ ones(1, 2^14)", "out of memory: needs 2.2 GB for a tensor of 268435456 elements."),
            ("x = zeros(2^27)\ny = exp(x)", "2:8: error: " + big),
            ("x = zeros(2^27)\ny = x * 2", "2:7: error: " + big),
            ("x = zeros(2^27)\ny = -x", "2:5: error: " + big),
            ("x = zeros(2^14, 2^13)\ny = x.T", "2:7: error: " + big),
        ] {
            let (status, out) = try run("mlp", ["-e", code], memoryKB: 3 << 20)
            XCTAssertEqual(status, 70, "\(code): \(out)")
            XCTAssertTrue(out.contains(message), "\(code): \(out)")
        }
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
