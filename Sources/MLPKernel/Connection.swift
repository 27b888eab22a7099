// The connection file a frontend writes for the kernel it starts (jupyter_client):
// where the five sockets listen, and the key that signs the messages.
import MLPLang

struct Connection {
    var transport = "tcp"
    var ip = "127.0.0.1"
    var shellPort = 0, iopubPort = 0, stdinPort = 0, controlPort = 0, heartbeatPort = 0
    var key: [UInt8] = []

    struct Invalid: Error, CustomStringConvertible { let description: String }

    init(file path: String) throws(Invalid) {
        guard let text = readFile(path) else { throw Invalid(description: "cannot read the connection file '\(path)'") }
        let json: JSON
        do { json = try JSON.parse(text) } catch { throw Invalid(description: "the connection file '\(path)' is not JSON: \(error)") }
        guard json.isObject else { throw Invalid(description: "the connection file '\(path)' is not a JSON object") }
        if let t = json["transport"]?.string { transport = t }
        guard transport == "tcp" || transport == "ipc" else { throw Invalid(description: "unknown transport '\(transport)'") }
        if let i = json["ip"]?.string { ip = i }
        if let scheme = json["signature_scheme"]?.string, scheme != "hmac-sha256" {
            throw Invalid(description: "signature scheme '\(scheme)' is not supported (only hmac-sha256)")
        }
        key = Array((json["key"]?.string ?? "").utf8)
        func port(_ name: String) throws(Invalid) -> Int {
            guard let p = json[name]?.int, p >= 0, p < 65536 else { throw Invalid(description: "the connection file has no valid \(name)") }
            return p
        }
        shellPort = try port("shell_port"); iopubPort = try port("iopub_port"); stdinPort = try port("stdin_port")
        controlPort = try port("control_port"); heartbeatPort = try port("hb_port")
    }

    /// The ZeroMQ endpoint of a port: tcp://IP:PORT, or ipc://IP-PORT for the ipc transport.
    func endpoint(_ port: Int) -> String {
        transport == "ipc" ? "ipc://\(ip)-\(port)" : "tcp://\(ip):\(port)"
    }
}
