// The REPL's commands and completion against a real session (issue 15, item 5):
// ?f for user and module functions, ?prnt, :who, :help, :reset, keyword
// arguments and quoted paths on Tab, help wrapped to the terminal's width.
import Foundation
import MLPLang
import MLPREPL
import MLPRuntime
@testable import MLPKernel
import XCTest

final class REPLCommandTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    func session() -> Session { Session(argv: [], file: "<repl>", seed: 0, out: Output(capturing: ())) }

    func testHelpOfAUserFunctionIsItsDocComment() {
        let s = session()
        s.run("# Energy of a spring of stiffness k\n# at elongation x.\nfn energy(x, k=2) { 0.5 * k * x^2 }\nfn bare(a) { a }")
        XCTAssertEqual(s.help("energy"), "energy(x, k=2)\n  Energy of a spring of stiffness k\n  at elongation x.")
        XCTAssertEqual(s.help("bare"), "bare(a)\n  (no doc comment: write # lines right above 'fn bare')")
        XCTAssertEqual(s.help("mean"), Registry.standard(argv: []).help("mean"))
    }

    func testHelpOfAModuleFunction() throws {
        let s = session()
        _ = try s.interp.run(source: "import _student_lib", name: REPLCommandTests.root + "/Tests/fixtures/teacher/entry.mlp")
        XCTAssertEqual(s.help("_student_lib.greet"), "greet()\n  Says hello.")
    }

    func testHelpSuggestsAName() {
        XCTAssertEqual(session().helpSuggestion("prnt"), "did you mean 'print'?")
        XCTAssertEqual(session().helpSuggestion("LSTM"), "did you mean 'lstm'?")
    }

    func testWhoListsVariablesWithTypeAndShape() {
        let s = session()
        s.run("w = zeros(2, 3); n = 3; xs = [1, 2]; name = \"mlp\"")
        XCTAssertEqual(s.who(), """
        n     number  3
        name  string  "mlp"
        w     tensor  [2, 3]
        xs    list    2 items
        """)
        XCTAssertEqual(Command(":who"), .who)
    }

    func testHelpIndexListsEachLibraryOnce() {
        let lines = session().helpIndex().split(separator: "\n").filter { $0.hasPrefix("  ") && $0.contains(":") }
        let libraries = lines.map { $0.split(separator: ":")[0] }
        XCTAssertEqual(libraries.count, Set(libraries).count, "\(libraries)")
        XCTAssertTrue(libraries.contains("  text") && libraries.contains("  files"))
    }

    func testAfterResetAnOldNameIsUndefined() {
        let s = session()
        s.run("old = 1")
        s.reset()
        guard case .failure(let e) = s.evaluate("old + 1") else { return XCTFail("old is still defined") }
        XCTAssertEqual(e.message, "undefined name 'old'.")
        // a function's own local of that name is untouched; a function reading the global is not
        guard case .success(let local) = s.evaluate("fn f() { old = 2; old }\nf()") else { return XCTFail() }
        XCTAssertEqual(local, "2")
        guard case .failure(let g) = s.evaluate("fn g() { old * 2 }") else { return XCTFail("g resolved old") }
        XCTAssertEqual(g.message, "undefined name 'old'.")
        guard case .success(let v) = s.evaluate("old = 5; old + 1") else { return XCTFail() }
        XCTAssertEqual(v, "6")
    }

    func testTabCompletesKeywordArgumentsInACall() {
        let s = session()
        XCTAssertEqual(completions(before: "train(net, adam, d, ep", host: s).matches.first, "epochs=")
        s.run("fn fit(data, rate=0.1, steps=10) { data }")
        XCTAssertEqual(completions(before: "fit([1], st", host: s).matches.first, "steps=")
        XCTAssertTrue(completions(before: "fit(st", host: s).matches.contains("steps="))
        XCTAssertFalse(completions(before: "fit(1 + st", host: s).matches.contains("steps="))
    }

    func testTabCompletesAQuotedPathAfterLoad() {
        let dir = REPLCommandTests.root + "/Tests/fixtures/teach"
        let got = completions(before: ":load \"\(dir)", host: session())
        XCTAssertEqual(got.matches, ["\"\(dir)er/"])
        let file = completions(before: ":load \"\(REPLCommandTests.root)/Tests/fixtures/teacher/runs_forever_in_a_", host: session())
        XCTAssertEqual(file.matches, ["\"\(REPLCommandTests.root)/Tests/fixtures/teacher/runs_forever_in_a_loop.mlp\""])
    }

    func testHelpIsWrappedToTheWidth() {
        XCTAssertEqual(wrapText("f(x)\n  one two three four", width: 12), "f(x)\n  one two\n  three four")
        XCTAssertEqual(wrapText("unchanged text", width: nil), "unchanged text")
        // a labelled line hangs its continuations after the label
        XCTAssertEqual(wrapText("  example: aaa bbb ccc", width: 16), "  example: aaa\n           bbb\n           ccc")
    }

    /// At the REPL, `try { ... }` waits for its `catch` on the next line.
    func testATryBlockContinuesOnTheNextLine() {
        let s = session()
        XCTAssertTrue(s.isIncomplete("try { error(\"x\") }"))
        XCTAssertFalse(s.isIncomplete("try { error(\"x\") } catch e { e.message }"))
        guard case .success(let v) = s.evaluate("try { error(\"x\") }\ncatch e { e.message }") else { return XCTFail() }
        XCTAssertEqual(v, "\"x\"")
    }
}
