// `mlp test` as a teacher runs it over students' scripts (issue 15, item 6): its
// help, -v, --timeout through native work, the line that printed a wrong line,
// plots not counted as output, a module's prints attributed to it; and
// `mlp doc check`, which keeps the documented results true.
import Foundation
import XCTest

final class TeacherTestRunnerTests: XCTestCase {
    let dir = "Tests/fixtures/teacher/"

    func mlp(_ args: [String]) throws -> (Int32, String) { try ProductTests.execute("mlp", args) }

    func testHelpDescribesTheOptions() throws {
        let (status, out) = try mlp(["test", "--help"])
        XCTAssertEqual(status, 0, out)
        for option in ["-v", "--timeout S", "--tolerance T", "--plots", "# expect:"] { XCTAssertTrue(out.contains(option), option) }
        let (bad, usage) = try mlp(["test", "--timeout", "0", dir + "passes.mlp"])
        XCTAssertEqual(bad, 64)
        XCTAssertTrue(usage.contains("--timeout needs a positive number of seconds"), usage)
    }

    /// `--shard K/N` runs every N-th file from the K-th, so N shards run each file once.
    func testShardsSplitTheFilesBetweenThem() throws {
        let files = [dir + "passes.mlp", dir + "wrong_line_in_out.mlp", dir + "plots_then_prints.mlp"]
        let (first, one) = try mlp(["test", "-v", "--shard", "1/2"] + files)
        XCTAssertEqual(first, 0, one)
        XCTAssertTrue(one.contains("PASS \(dir)passes.mlp") && one.contains("PASS \(dir)plots_then_prints.mlp"), one)
        XCTAssertTrue(one.contains("2 passed, 0 failed") && !one.contains("wrong_line_in_out.mlp ("), one)
        let (second, two) = try mlp(["test", "-v", "--shard", "2/2"] + files)
        XCTAssertEqual(second, 1, two)
        XCTAssertTrue(two.contains("FAIL \(dir)wrong_line_in_out.mlp") && two.contains("0 passed, 1 failed"), two)
        let (bad, usage) = try mlp(["test", "--shard", "3/2"] + files)
        XCTAssertEqual(bad, 64)
        XCTAssertTrue(usage.contains("--shard needs K/N with 1 <= K <= N, such as 1/2, got '3/2'"), usage)
    }

    func testVerboseListsEachFileWithVerdictAndTime() throws {
        let (status, out) = try mlp(["test", "-v", dir + "passes.mlp", dir + "wrong_line_in_out.mlp"])
        XCTAssertEqual(status, 1, out)
        let lines = out.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains { $0.hasPrefix("PASS \(dir)passes.mlp (") && $0.hasSuffix(" s)") }, out)
        XCTAssertTrue(lines.contains { $0.hasPrefix("FAIL \(dir)wrong_line_in_out.mlp (") }, out)
        XCTAssertTrue(out.contains("1 passed, 1 failed"), out)
    }

    /// train polls the interrupt flag: the watchdog stops 100000 epochs, and a plain
    /// loop, within the timeout plus a little.
    func testTimeoutStopsNativeTrainingAndLoops() throws {
        let t0 = Date()
        let (status, out) = try mlp(["test", "--timeout", "2", dir + "runs_forever_in_train.mlp", dir + "runs_forever_in_a_loop.mlp", dir + "passes.mlp"])
        let seconds = Date().timeIntervalSince(t0)
        XCTAssertEqual(status, 1, out)
        // train answers the interrupt by stopping after its step (as at Ctrl-C); the file is failed all the same
        XCTAssertTrue(out.contains("train: interrupted after step"), out)
        XCTAssertTrue(out.contains("runs_forever_in_train.mlp: timed out after 2 s"), out)
        XCTAssertTrue(out.contains("runs_forever_in_a_loop.mlp: timed out after 2 s (stopped at \(dir)runs_forever_in_a_loop.mlp:2)"), out)
        XCTAssertTrue(out.contains("1 passed, 2 failed"), out)
        XCTAssertLessThan(seconds, 12, out)
    }

    func testAWrongLineNamesTheLineThatPrintedIt() throws {
        let (_, out) = try mlp(["test", dir + "wrong_line_in_out.mlp"])
        XCTAssertTrue(out.contains("\(dir)wrong_line_in_out.out:4: expected '20', got '21' (whole output differs from the .out file, printed by \(dir)wrong_line_in_out.mlp:5;"), out)
        let (_, mod) = try mlp(["test", dir + "imports_a_printing_module.mlp"])
        XCTAssertTrue(mod.contains("imports_a_printing_module.out:2: expected 'hello from the module!', got 'hello from the module' (whole output differs from the .out file, printed by \(dir)_student_lib.mlp:4;"), mod)
    }

    func testATerminalPlotIsNotOutputUnlessAsked() throws {
        let (status, out) = try mlp(["test", dir + "plots_then_prints.mlp"])
        XCTAssertEqual(status, 0, out)
        let (asked, plotted) = try mlp(["test", "--plots", dir + "plots_then_prints.mlp"])
        XCTAssertEqual(asked, 1, plotted)
        XCTAssertTrue(plotted.contains("(printed by \(dir)plots_then_prints.mlp:2)"), plotted)
    }

    /// Every ```mlp block of README.md and docs/*.md, and every builtin's example,
    /// prints or evaluates to what its comment says.
    func testDocsMatchTheCode() throws {
        let (status, out) = try mlp(["doc", "check"])
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.contains(" wrong") && out.contains(", 0 wrong"), out)
    }

    /// The checker itself finds a wrong comment, and says where.
    func testDocCheckReportsFileAndLine() throws {
        let page = FileManager.default.temporaryDirectory.appendingPathComponent("mlp-doc-check-\(getpid()).md")
        try "# A page\n\n```mlp\nx = 2\nprint(x + 1)   # 4\nx * 10   # 20\nerror(\"no\")   # error: no\n```\n".write(to: page, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: page) }
        let (status, out) = try mlp(["doc", "check", page.path])
        XCTAssertEqual(status, 1, out)
        XCTAssertTrue(out.contains("\(page.path):5: the comment says '4', mlp prints '3'"), out)
        XCTAssertFalse(out.contains(":6:"), out)
        XCTAssertFalse(out.contains(":7:"), out)
    }
}
