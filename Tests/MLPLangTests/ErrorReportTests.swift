// Error reports as mlp prints them: the caret's column, the call trace.
import MLPLang
import MLPRuntime
import XCTest

final class ErrorReportTests: XCTestCase {
    /// The error report of running `source` as the script t.mlp.
    func report(_ source: String) -> String {
        var rendered = ""
        runOnBigStack {
            let session = Session(file: "t.mlp")
            session.errorSink = { rendered = $0.render() }
            _ = session.runScript(source: source, name: "t.mlp")
        }
        return rendered
    }

    /// Trace lines `  at NAME (t.mlp:LINE)` for each (name, line), the whole cycle `turns` times.
    func frames(_ cycle: [(String, Int)], turns: Int = 1) -> String {
        String(repeating: cycle.map { "  at \($0.0) (t.mlp:\($0.1))\n" }.joined(), count: turns)
    }

    func testMutualRecursionIsCounted() {
        XCTAssertEqual(report("fn f(n) { g(n + 1) }\nfn g(n) { f(n + 1) }\nf(0)\n"), """
            t.mlp:2:12: error: stack overflow (more than 10000 nested calls).
                2 | fn g(n) { f(n + 1) }
                  |            ^

            """ + frames([("g", 2), ("f", 1)], turns: 3) + "  ... 9,994 more calls of g and f ...\n" + frames([("<script>", 3)]))
    }

    func testACycleOfThreeIsCountedAfterTheFrameBeforeIt() {
        let out = report("fn f(n) {\n  if n == 3000 { return [][0] }\n  return g(n + 1)\n}\nfn g(n) { h(n + 1) }\nfn h(n) { f(n + 1) }\nf(0)\n")
        let trace = frames([("f", 2)]) + frames([("h", 6), ("g", 5), ("f", 3)], turns: 3)
            + "  ... 2,991 more calls of h, g and f ...\n" + frames([("<script>", 7)])
        XCTAssertTrue(out.hasPrefix("t.mlp:2:27: error: index 0 is out of range for length 0."), out)
        XCTAssertTrue(out.hasSuffix("^\n" + trace), out)
    }

    func testSelfRecursionIsCounted() {
        let out = report("fn f(n) { f(n + 1) }\nf(0)\n")
        XCTAssertTrue(out.hasSuffix(frames([("f", 1)], turns: 3) + "  ... 9,997 more calls of f ...\n" + frames([("<script>", 2)])), out)
    }

    /// A byte-order mark before the first line is no character of it: columns and caret as without.
    func testAByteOrderMarkIsNotAColumn() {
        XCTAssertEqual(report("\u{FEFF}x = [1][5]\n"), """
            t.mlp:1:8: error: index 5 is out of range for length 1.
                1 | x = [1][5]
                  |        ^

            """)
    }
}
