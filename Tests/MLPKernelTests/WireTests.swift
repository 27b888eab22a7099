// The kernel's own pieces without a client: HMAC-SHA256 against RFC 4231's
// vectors, JSON parsing and writing (and its errors), message frames (signature
// checked, tampering and malformed JSON caught), base64 against RFC 4648.
@testable import MLPKernel
import XCTest

final class WireTests: XCTestCase {
    func hex(_ s: [UInt8]) -> String { String(decoding: s, as: UTF8.self) }

    func testHMACSHA256MatchesRFC4231() {
        // test case 2
        let s = Signer(key: Array("Jefe".utf8))
        XCTAssertEqual(hex(s.sign([Array("what do ya want ".utf8), Array("for nothing?".utf8)][...])),
                       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        // test case 1: key 0x0b x 20, "Hi There"
        let s1 = Signer(key: [UInt8](repeating: 0x0b, count: 20))
        XCTAssertEqual(hex(s1.sign([Array("Hi There".utf8)][...])),
                       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        // test case 6: a key longer than the block (131 bytes of 0xaa)
        let s6 = Signer(key: [UInt8](repeating: 0xaa, count: 131))
        XCTAssertEqual(hex(s6.sign([Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)][...])),
                       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
        // an empty key: unsigned messages, as jupyter_client
        XCTAssertEqual(Signer(key: []).sign([[1, 2]][...]), [])
    }

    func testMessagesRoundTripAndTamperingIsCaught() throws {
        let signer = Signer(key: Array("secret".utf8))
        let frames = signer.encode(type: "execute_reply", content: .object([("status", .string("ok")), ("execution_count", .int(3))]),
                                   parent: .object([("msg_id", .string("p1"))]), identities: [[7, 7]], session: "s")
        XCTAssertEqual(frames[0], [7, 7])
        XCTAssertEqual(frames[1], delimiter)
        let m = try signer.decode(frames)
        XCTAssertEqual(m.type, "execute_reply")
        XCTAssertEqual(m.identities, [[7, 7]])
        XCTAssertEqual(m.content["execution_count"]?.int, 3)
        XCTAssertEqual(m.parent["msg_id"]?.string, "p1")
        XCTAssertEqual(m.header["version"]?.string, "5.3")

        var tampered = frames
        tampered[6] = Array(#"{"status":"error","execution_count":3}"#.utf8)
        XCTAssertThrowsError(try signer.decode(tampered)) { e in
            guard case WireError.badSignature = e else { return XCTFail("\(e)") }
        }
        XCTAssertThrowsError(try Signer(key: Array("other".utf8)).decode(frames)) { e in
            guard case WireError.badSignature = e else { return XCTFail("\(e)") }
        }
        // correctly signed, malformed content: the header still says whom to answer
        var json = Array(frames[3...6])   // header, parent, metadata, content
        json[3] = Array("{not json".utf8)
        let resigned = [[9], delimiter, signer.sign(json[...])] + json
        XCTAssertThrowsError(try signer.decode(resigned)) { e in
            guard case WireError.malformed(let why, let ids, let header) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(why.hasPrefix("malformed JSON in the content"), why)
            XCTAssertEqual(ids, [[9]])
            XCTAssertEqual(header?["msg_type"]?.string, "execute_reply")
        }
        XCTAssertThrowsError(try signer.decode([[1], [2]]))
        XCTAssertEqual(replyType("complete_request"), "complete_reply")
    }

    func testJSONParsesAndWrites() throws {
        let text = #"{"a": [1, 2.5, -3e2, true, false, null], "s": "q\"\\\/\n\t\u00e9\ud83d\ude00", "o": {}}"#
        let v = try JSON.parse(text)
        XCTAssertEqual(v["a"], .array([.number(1), .number(2.5), .number(-300), .bool(true), .bool(false), .null]))
        XCTAssertEqual(v["s"]?.string, "q\"\\/\n\té😀")
        XCTAssertEqual(v["o"], .object([]))
        XCTAssertEqual(v.serialized, #"{"a":[1,2.5,-300,true,false,null],"s":"q\"\\/\n\té😀","o":{}}"#)
        XCTAssertEqual(try JSON.parse(v.serialized), v)
        XCTAssertEqual(JSON.string("\u{1}").serialized, #""\u0001""#)
        XCTAssertEqual(JSON.number(.nan).serialized, "null")
        for bad in ["{", "[1,]", "{\"a\" 1}", "\"abc", "tru", "1 2", "{\"a\":1,}", "\"\u{1}\"", "", "[" + String(repeating: "[", count: 1000)] {
            XCTAssertThrowsError(try JSON.parse(bad), bad)
        }
    }

    func testBase64MatchesRFC4648() {
        let cases = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=", "foobar": "Zm9vYmFy"]
        for (plain, encoded) in cases { XCTAssertEqual(base64(Array(plain.utf8)), encoded) }
        XCTAssertEqual(base64([0xff, 0xfe, 0x00]), "//4A")
    }

    func testIdsAndDates() {
        let a = newID(), b = newID()
        XCTAssertNotEqual(a, b)
        XCTAssertEqual(a.count, 36)
        XCTAssertEqual(Array(a)[14], "4")
        XCTAssertNotNil(isoDate().wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z/))
    }
}
