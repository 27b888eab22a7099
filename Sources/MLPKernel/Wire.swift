// The wire format of the Jupyter messaging protocol (version 5.3):
//   [routing ids..., "<IDS|MSG>", signature, header, parent_header, metadata, content, buffers...]
// signed with HMAC-SHA256 (OpenSSL's libcrypto) over the four JSON frames, with the
// key of the connection file, as lowercase hex.
import CMLPCrypto
#if canImport(Glibc)
import Glibc
#endif

let delimiter = Array("<IDS|MSG>".utf8)
let protocolVersion = "5.3"

/// Signs and checks messages. An empty key (the connection file's "key": "") means
/// unsigned messages, as in jupyter_client.
struct Signer: Sendable {
    let key: [UInt8]

    func sign(_ frames: ArraySlice<[UInt8]>) -> [UInt8] {
        if key.isEmpty { return [] }
        var data: [UInt8] = []
        for f in frames { data += f }
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = key.withUnsafeBytes { k in
            data.withUnsafeBytes { d in
                HMAC(EVP_sha256(), k.baseAddress, Int32(k.count), d.baseAddress?.assumingMemoryBound(to: UInt8.self), d.count, &digest, &length)
            }
        }
        guard ok != nil else { return [] }
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in digest.prefix(Int(length)) { out += [hex[Int(b >> 4)], hex[Int(b & 15)]] }
        return out
    }

    /// Compares in constant time (CRYPTO_memcmp), so the time taken tells nothing of the key.
    func verify(_ signature: [UInt8], _ frames: ArraySlice<[UInt8]>) -> Bool {
        if key.isEmpty { return true }
        let expected = sign(frames)
        guard signature.count == expected.count, !expected.isEmpty else { return false }
        return signature.withUnsafeBytes { a in expected.withUnsafeBytes { b in CRYPTO_memcmp(a.baseAddress, b.baseAddress, a.count) } } == 0
    }
}

/// One message, decoded.
struct Message {
    var identities: [[UInt8]]
    var header: JSON
    var parent: JSON
    var metadata: JSON
    var content: JSON
    var type: String { header["msg_type"]?.string ?? "" }
}

/// Why a message was not decoded: a bad signature (dropped), or frames that are not a
/// message or hold malformed JSON (answered with an error, when there is someone to answer).
enum WireError: Error {
    case badSignature
    case malformed(String, identities: [[UInt8]], header: JSON?)
}

extension Signer {
    func decode(_ frames: [[UInt8]]) throws(WireError) -> Message {
        guard let d = frames.firstIndex(of: delimiter) else {
            throw .malformed("no <IDS|MSG> delimiter", identities: [], header: nil)
        }
        let ids = Array(frames[..<d])
        guard frames.count >= d + 6 else { throw .malformed("\(frames.count - d - 1) frames after the delimiter, expected at least 5", identities: ids, header: nil) }
        guard verify(frames[d + 1], frames[(d + 2)...(d + 5)]) else { throw .badSignature }
        var parsed: [JSON] = []
        let names = ["header", "parent_header", "metadata", "content"]
        for k in 0..<4 {
            do {
                let v = try JSON.parse(frames[d + 2 + k])
                guard v.isObject else { throw JSON.ParseError(description: "not an object") }
                parsed.append(v)
            } catch {
                throw .malformed("malformed JSON in the \(names[k]): \(error)", identities: ids, header: parsed.first)
            }
        }
        guard parsed[0]["msg_type"]?.string != nil else {
            throw .malformed("the header has no msg_type", identities: ids, header: parsed[0])
        }
        return Message(identities: ids, header: parsed[0], parent: parsed[1], metadata: parsed[2], content: parsed[3])
    }

    /// The frames of a message of type `type` answering (or caused by) `parent`.
    func encode(type: String, content: JSON, parent: JSON, identities: [[UInt8]], session: String, metadata: JSON = .object([])) -> [[UInt8]] {
        let header: JSON = .object([
            ("msg_id", .string(newID())), ("session", .string(session)), ("username", .string("mlp")),
            ("date", .string(isoDate())), ("msg_type", .string(type)), ("version", .string(protocolVersion)),
        ])
        var frames: [[UInt8]] = [Array(header.serialized.utf8), Array(parent.serialized.utf8),
                                 Array(metadata.serialized.utf8), Array(content.serialized.utf8)]
        frames.insert(sign(frames[...]), at: 0)
        return identities + [delimiter] + frames
    }
}

/// A random id in the form of a UUID (OpenSSL's generator; the clock if that fails).
func newID() -> String {
    var bytes = [UInt8](repeating: 0, count: 16)
    if RAND_bytes(&bytes, 16) != 1 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var x = UInt64(ts.tv_nsec) ^ UInt64(ts.tv_sec) << 20 ^ UInt64(getpid()) << 40
        for i in 0..<16 { x = x &* 6364136223846793005 &+ 1442695040888963407; bytes[i] = UInt8(truncatingIfNeeded: x >> 33) }
    }
    bytes[6] = bytes[6] & 0x0F | 0x40
    bytes[8] = bytes[8] & 0x3F | 0x80
    let hex = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for (i, b) in bytes.enumerated() {
        if i == 4 || i == 6 || i == 8 || i == 10 { out.append(UInt8(ascii: "-")) }
        out += [hex[Int(b >> 4)], hex[Int(b & 15)]]
    }
    return String(decoding: out, as: UTF8.self)
}

/// The current time in ISO 8601 with microseconds, UTC ("2026-12-07T01:30:00.123456Z").
func isoDate() -> String {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    var t = ts.tv_sec
    var tm = Glibc.tm()
    gmtime_r(&t, &tm)
    func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
    let micro = String(ts.tv_nsec / 1000)
    return "\(tm.tm_year + 1900)-\(two(tm.tm_mon + 1))-\(two(tm.tm_mday))T\(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec))."
        + String(repeating: "0", count: 6 - micro.count) + micro + "Z"
}
