// `mlp kernel` with the real Jupyter client: Tests/kernel/run.sh installs
// jupyter_client, nbconvert, ipykernel and nbformat into .build/kernel-venv (once)
// and runs Tests/kernel/client.py, which checks the replies field by field and
// executes examples/notebooks/*.ipynb with `jupyter nbconvert --execute`.
import Foundation
import XCTest

final class KernelTests: XCTestCase {
    func testJupyterKernelWithRealClient() throws {
        _ = try ProductTests.releaseBinary("mlp")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["Tests/kernel/run.sh"]
        p.currentDirectoryURL = ProductTests.root
        let (status, out) = try ProductTests.capture(p)
        if status == 77 {
            throw XCTSkip(out.split(separator: "\n").last { $0.hasPrefix("SKIPPED") }.map(String.init) ?? out)
        }
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.contains("all kernel checks passed"), out)
        XCTAssertFalse(out.contains("\nFAIL "), out)
    }
}
