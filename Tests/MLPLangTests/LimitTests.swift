// The mlp command at the machine's limits: memory it cannot get is a runtime
// error naming the size, never a trap.
import XCTest

extension ProductTests {
    /// Under `ulimit -v` (2 GiB of address space: the interpreter's stack and
    /// OpenBLAS take some) tensors too big to allocate stop the script with an error.
    func testOutOfMemoryIsARuntimeError() throws {
        for (code, message) in [
            ("x = zeros(2^28)", "zeros: out of memory: needs 2.2 GB for a tensor of 268435456 elements."),
            ("x = rand(20000, 20000)", "rand: out of memory: needs 3.2 GB for a tensor of 400000000 elements."),
            ("x = ones(2^14, 1) @ ones(1, 2^14)", "out of memory: needs 2.2 GB for a tensor of 268435456 elements."),
        ] {
            let (status, out) = try run("mlp", ["-e", code], memoryKB: 2 << 20)
            XCTAssertEqual(status, 70, "\(code): \(out)")
            XCTAssertTrue(out.contains(message), "\(code): \(out)")
        }
    }
}
