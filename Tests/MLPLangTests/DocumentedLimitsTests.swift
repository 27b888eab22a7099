// The limits docs/language.md states are the interpreter's own.
import Foundation
import MLPLang
import XCTest

final class DocumentedLimitsTests: XCTestCase {
    /// The language reference, its whitespace runs made single spaces (lines wrap anywhere).
    func languageReference() throws -> String {
        let text = try String(contentsOf: ProductTests.root.appendingPathComponent("docs/language.md"), encoding: .utf8)
        return text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    func testSequenceLimitIsTheInterpreters() throws {
        let text = try languageReference()
        let power = maxSequence.trailingZeroBitCount
        XCTAssertEqual(maxSequence, 1 << power)
        XCTAssertTrue(text.contains("has at most 2^\(power) items"), "docs/language.md does not state the limit 2^\(power)")
        XCTAssertTrue(text.contains("more than the limit of \(maxSequence).`"), "docs/language.md quotes another limit than \(maxSequence)")
    }
}
