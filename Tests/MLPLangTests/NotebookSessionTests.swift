// What the notebook kernel asks of a session: a cell's result is the text the REPL
// echoes, and a display sink that takes figures gets them instead of a drawing.
@testable import MLPRuntime
import MLPLang
import MLPPlot
import XCTest

final class NotebookSessionTests: XCTestCase {
    final class Figures: TextSink, FigureSink {
        var figures: [Figure] = []
        var text = ""
        let isTerminal = true
        let color = false
        func write(_ s: String) { text += s }
        func flush() {}
        func show(_ figure: Figure) { figures.append(figure) }
    }

    func testACellsResultIsTheREPLsEcho() {
        runOnBigStack {
            let entries = ["t = reshape(tensor([0, 1, 2, 3, 4, 5]), [2, 3]) / 2", "t", "[1, \"a\", [2.5]]", "\"s\"", "1 / 3",
                           "t;", "nil", "fn f(x) { x + 1 }", "f", "{\"k\": t[0]}", "zeros(3, 40)"]
            let repl = Output(capturing: ()), cells = Output(capturing: ())
            let s1 = Session(file: "<repl>", out: repl, err: repl), s2 = Session(file: "<notebook>", out: cells, err: cells)
            for e in entries {
                s1.run(e)
                switch s2.evaluate(e, name: "In[1]") {
                case .success(let shown): if let shown { cells.write(shown + "\n") }
                case .failure(let error): XCTFail(error.render())
                }
            }
            XCTAssertEqual(cells.captured, repl.captured)
            XCTAssertTrue(repl.captured.hasPrefix("tensor([[0  , 0.5, 1  ],\n        [1.5, 2  , 2.5]])\n[1, \"a\", [2.5]]\n\"s\"\n0.333333"), repl.captured)
            // the value becomes `_`, errors are located in the cell
            _ = s2.evaluate("2 * 3")
            XCTAssertEqual(try? s2.evaluate("_ + 1").get(), "7")
            guard case .failure(let e) = s2.evaluate("1 +\n  nope", name: "In[7]") else { return XCTFail("no error") }
            XCTAssertEqual(e.summaryLines, ["In[7]:2:3: undefined name 'nope'."])
        }
    }

    func testFiguresGoToAFigureSink() {
        runOnBigStack {
            let out = Output(capturing: ()), display = Figures()
            let s = Session(file: "<notebook>", out: out, err: out, display: display)
            s.run("plot([1, 2, 3], title=\"a\"); scatter([1], [2]); hist([1, 2, 2]); imshow(eye(3)); imshow_grid(rand(2, 3, 3), 1, 2)")
            XCTAssertEqual(display.figures.count, 5)
            XCTAssertEqual(display.figures.first?.title, "a")
            XCTAssertEqual(out.captured, "")
            s.run("savefig(\"/tmp/mlp-notebook-session-test.svg\")")   // savefig still has the last figure
            XCTAssertEqual(out.captured, "")
            XCTAssertTrue(fileExists("/tmp/mlp-notebook-session-test.svg"))
        }
    }
}
