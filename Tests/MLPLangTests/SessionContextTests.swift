// A session owns its state (Context.swift): two sessions in one process do not
// see each other's seeds, figures, output or errors; the progress bar goes to the
// display sink and asks it whether it is a terminal; generators are values.
@testable import MLPRuntime
import MLPLang
import XCTest

final class SessionContextTests: XCTestCase {
    /// A session whose sinks are buffers.
    func session(seed: UInt64 = 0, terminal: Bool = false) -> (Session, Output, Output, Output) {
        let out = Output(capturing: ()), err = Output(capturing: ()), display = Output(capturing: (), terminal: terminal)
        return (Session(file: "t.mlp", seed: seed, out: out, err: err, display: display), out, err, display)
    }

    func testTwoSessionsKeepTheirOwnSeedsFiguresOutputAndErrors() {
        runOnBigStack {
            let (s1, out1, err1, _) = self.session(), (s2, out2, err2, _) = self.session()
            // the draws of one session are not disturbed by the other's, interleaved
            s1.run("seed(1); a = rand()")
            s2.run("seed(2); b = rand(); plot([1, 2, 3])")
            s1.run("c = rand()")
            s2.run("b2 = rand()")
            let (alone, aloneOut, _, _) = self.session()
            alone.run("seed(1); print(rand(), rand())")
            s1.run("print(a, c)")
            XCTAssertEqual(out1.captured, aloneOut.captured)
            // a figure drawn in s2 is not s1's last figure
            XCTAssertNotNil(s2.context.lastFigure)
            s1.run("savefig(\"never.png\")")
            XCTAssertTrue(err1.captured.contains("there is no figure yet"), err1.captured)
            XCTAssertTrue(err2.captured.isEmpty, err2.captured)
            let braille = { (t: String) in t.unicodeScalars.contains { (0x2800...0x28FF).contains($0.value) } }
            XCTAssertFalse(braille(out1.captured), "s2's plot reached s1: \(out1.captured)")
            XCTAssertTrue(braille(out2.captured), out2.captured)
        }
    }

    func testTheProgressBarAndWarningsGoToTheSessionsSinks() {
        runOnBigStack {
            let script = "seed(0); x = randn(64, 2); net = dense(1); train(net, sgd(0.01), [x, x[:, :1]], loss=mse, epochs=2)\n"
                + "net2 = dense(1, dtype=\"float64\")"
            let (watched, _, err, display) = self.session(terminal: true)
            watched.run(script)
            XCTAssertTrue(display.captured.contains("2 steps in") || display.captured.contains("steps in"), display.captured)
            XCTAssertTrue(err.captured.contains("dtype= is the old name of precision="), err.captured)
            let (unwatched, _, _, quiet) = self.session(terminal: false)
            unwatched.run(script)
            XCTAssertEqual(quiet.captured, "", "a progress bar was drawn on a sink that is not a terminal")
        }
    }

    func testGeneratorsAreValuesWithTheirOwnStreams() {
        runOnBigStack {
            let (s, out, err, _) = self.session()
            s.run("""
                seed(4); a = rand(3)
                seed(4); g = generator(9); r = rand(2, rng=g); shuffle([1, 2, 3], rng=g); b = rand(3)
                print(a == b)
                h = generator(9); print(rand(2, rng=h) == r)
                kids = generator(1).split(3); again = generator(1).split(3)
                print(randn(4, rng=kids[2]) == randn(4, rng=again[2]), randn(4, rng=kids[0]) == randn(4, rng=kids[1]))
                print(kids[0])
                rand(rng=5)
                """)
            XCTAssertEqual(out.captured, "tensor([1, 1, 1])\ntensor([1, 1])\ntensor([1, 1, 1, 1]) tensor([0, 0, 0, 0])\n<generator xoshiro256**>\n")
            XCTAssertTrue(err.captured.contains("rand: argument 'rng' must be a generator"), err.captured)
        }
    }

    func testTheDefaultOptimizerOfAModelGoesWithTheModel() {
        runOnBigStack {
            let (s, _, err, _) = self.session()
            s.run("""
                x = randn(8, 2); y = randn(8, 1)
                for i in 0..50 { net = dense(1); train_batch(net, adam, x, y, loss=mse) }
                """)
            XCTAssertEqual(err.captured, "")
            // the models of earlier iterations are gone, and so are their optimizers
            XCTAssertLessThanOrEqual(s.context.defaultOptimizers.count, 2)
            // one model keeps its optimizer (its moments) across calls
            s.run("net = dense(1); train_batch(net, adam, x, y, loss=mse)")
            let kept = s.context.defaultOptimizers.values.map { ObjectIdentifier($0.optimizer) }
            s.run("train_batch(net, adam, x, y, loss=mse)")
            XCTAssertEqual(Set(kept), Set(s.context.defaultOptimizers.values.map { ObjectIdentifier($0.optimizer) }))
        }
    }
}

final class TrainingGeneratorTests: XCTestCase {
    /// train(rng=) shuffles, drops out and builds from its generator: the same
    /// generator seed gives the same weights whatever the session's seed, and the
    /// session's generator is not moved.
    func testTrainDrawsFromItsGenerator() {
        runOnBigStack {
            let out = Output(capturing: ())
            let s = Session(file: "t.mlp", out: out, err: Output(capturing: ()))
            s.run("""
                fn run(session_seed) {
                  seed(session_seed)
                  x = reshape(linspace(-1, 1, 40), 40, 1)
                  net = dense(8, tanh) >> dropout(0.2) >> dense(1)
                  train(net, sgd(0.1), [x, x * x], loss=mse, epochs=3, batch=8, verbose=false, rng=generator(5))
                  [net(x), rand()]
                }
                a = run(1); b = run(2)
                print(max(abs(a[0] - b[0])) == 0, a[1] == b[1])
                seed(1); print(rand() == a[1])
                """)
            XCTAssertEqual(out.captured, "true false\ntrue\n")
        }
    }

    /// The stdlib's batch makers and predict take rng= as the builtins do.
    func testTheStdlibAndPredictTakeAGenerator() {
        runOnBigStack {
            let out = Output(capturing: ())
            let s = Session(file: "t.mlp", out: out, err: Output(capturing: ()))
            s.run("""
                import sequences
                seed(1); r = rand()
                seed(1); a = sequences.recall_batch(rng=generator(3)); b = sequences.recall_batch(rng=generator(3))
                print(max(abs(a[0] - b[0])) == 0, rand() == r)
                c = sequences.countdown_batch(rng=generator(4)); d = sequences.countdown_batch(rng=generator(5))
                print(max(abs(c[0] - d[0])) > 0)
                p1 = predict(dense(3), ones(2, 4), rng=generator(9)); p2 = predict(dense(3), ones(2, 4), rng=generator(9))
                print(max(abs(p1 - p2)) == 0)
                """)
            XCTAssertEqual(out.captured, "true true\ntrue\ntrue\n")
        }
    }
}
