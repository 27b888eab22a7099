// A model's forward pass polls between its layers (Ctrl-C during a call on a huge
// batch), and what the poll throws stops the pass before the next layer runs.
@testable import MLPLearn
import MLPAutograd
import MLPTensor
import XCTest

final class ForwardPollTests: XCTestCase {
    struct Stop: Error {}

    func net() throws -> Sequential { Sequential([try Dense(4, .relu), try Dense(3, .tanh), try Dense(2)]) }

    func testPollRunsBetweenLayers() throws {
        var events: [String] = []
        let pass = ForwardPass(poll: { events.append("poll") })
        pass.record = { layer, _ in events.append(layer.kind) }
        let y = try net().forward(Variable(constant: try Tensor.ones([5, 6])), pass)
        XCTAssertEqual(y.value.shape, [5, 2])
        XCTAssertEqual(events, ["dense", "poll", "dense", "poll", "dense"])
    }

    func testThrowingPollStopsTheForwardPass() throws {
        var layersRun = 0
        let pass = ForwardPass(poll: { if layersRun == 1 { throw Stop() } })
        pass.record = { _, _ in layersRun += 1 }
        XCTAssertThrowsError(try net().forward(Variable(constant: try Tensor.ones([5, 6])), pass)) { XCTAssertTrue($0 is Stop) }
        XCTAssertEqual(layersRun, 1, "no layer runs after the poll threw")
    }

    func testPredictPollsWithinOneBatch() throws {
        var polls = 0
        _ = try Training.predict(try net(), try Tensor.ones([5, 6]), batch: 256, poll: { polls += 1 })
        XCTAssertEqual(polls, 2, "a single batch still polls between the three layers")
    }
}
