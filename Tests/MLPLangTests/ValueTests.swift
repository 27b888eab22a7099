import MLPLang
import MLPTensor
import XCTest

final class ValueTests: XCTestCase {
    /// Every payload is one word: a Value moves as 9 bytes (stride 16).
    func testValueIsSmall() {
        XCTAssertEqual(MemoryLayout<Value>.size, 9)
        XCTAssertEqual(MemoryLayout<Value>.stride, 16)
    }

    func testNumbersPrintAsLanguageSays() {
        XCTAssertEqual(formatNumber(3), "3")
        XCTAssertEqual(formatNumber(-12), "-12")
        XCTAssertEqual(formatNumber(0.1), "0.1")
        XCTAssertEqual(formatNumber(1e-5), "1e-05")
        XCTAssertEqual(formatNumber(2.5e20), "2.5e+20")
        XCTAssertEqual(formatNumber(1e15), "1000000000000000.0")   // as Python's repr
        XCTAssertEqual(formatNumber(1e16), "1e+16")
        XCTAssertEqual(formatNumber(.nan), "nan")
        XCTAssertEqual(formatNumber(-.infinity), "-inf")
    }

    func testFlooredModulo() {
        XCTAssertEqual(flooredMod(7, 3), 1)
        XCTAssertEqual(flooredMod(-7, 3), 2)
        XCTAssertEqual(flooredMod(7, -3), -2)
        XCTAssertEqual(flooredMod(-7, -3), -1)
    }

    /// xoshiro256** seeded by SplitMix64 from 0: the reference outputs of the
    /// published C code (state from splitmix64(0) x4).
    func testGeneratorIsTheDocumentedOne() {
        var sm = SplitMix64(0)
        XCTAssertEqual(sm.next(), 0xE220_A839_7B1D_CDAF)
        XCTAssertEqual(sm.next(), 0x6E78_9E6A_A1B9_65F4)
        // xoshiro256** outputs computed independently (Python transcription of the C reference)
        var g = Xoshiro256(seed: 0)
        XCTAssertEqual(g.next(), 0x99EC_5F36_CB75_F2B4)
        XCTAssertEqual(g.next(), 0xBF6E_1F78_4956_452A)
        XCTAssertEqual(g.next(), 0x1A5F_849D_4933_E6E0)
        // uniforms lie in [0, 1) and have the right mean
        var sum = 0.0
        for _ in 0..<100_000 { let u = g.uniform(); XCTAssert(u >= 0 && u < 1); sum += u }
        XCTAssertEqual(sum / 100_000, 0.5, accuracy: 0.005)
    }

    func testFormatSpecs() throws {
        XCTAssertEqual(try FormatSpec(".4f").format(number: 3.14159265), "3.1416")
        XCTAssertEqual(try FormatSpec("8.3e").format(number: 1234.5), "1.234e+03")
        XCTAssertEqual(try FormatSpec(">6").format(number: 42), "    42")
        XCTAssertEqual(try FormatSpec("<6").format(string: "ab"), "ab    ")
        XCTAssertEqual(try FormatSpec("^7").format(string: "ab"), "  ab   ")
        XCTAssertEqual(try FormatSpec("+.2f").format(number: 1), "+1.00")
        XCTAssertEqual(try FormatSpec("05d").format(number: -42), "-0042")
        XCTAssertEqual(try FormatSpec(",d").format(number: 1234567), "1,234,567")
        XCTAssertEqual(try FormatSpec(".1%").format(number: 0.256), "25.6%")
        XCTAssertThrowsError(try FormatSpec("d").format(number: 1.5))
        XCTAssertThrowsError(try FormatSpec("q"))
    }
}
