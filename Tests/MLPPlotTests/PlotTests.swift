import MLPPlot
import XCTest

final class PlotSmokeTests: XCTestCase {
    func testModuleLinks() { XCTAssertTrue(true) }
}
