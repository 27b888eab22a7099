// `mlp kernel CONNECTION_FILE`: the Jupyter kernel. Four threads:
//   - the session's (the caller's, with the big stack): the shell socket, where
//     cells run, one at a time, in one mlp session (Context.swift's thread rule);
//   - heartbeat: echoes pings, also while a cell runs;
//   - control: interrupt_request (sets the flag the interpreter polls, as Ctrl-C
//     does), shutdown_request and kernel_info_request, also while a cell runs;
//   - the flusher: sends printed text that has waited 50 ms (Sinks.swift), and
//     ends the kernel when the process that started it is gone.
// The threads share only atomics, the signer, the iopub socket and the queues of
// printed bytes (behind locks).
import CZMQ
import MLPLang
import MLPRuntime
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What the threads tell each other.
final class KernelFlags: Sendable {
    /// A cell is running: an interrupt_request sets the interrupt flag only then.
    let busy = Atomic<Bool>(false)
    /// A shutdown_request came: the shell loop ends.
    let shutdown = Atomic<Bool>(false)
    /// The shell loop has ended and the sockets are closing.
    let finished = Atomic<Bool>(false)
}

/// A line in the kernel's log (its stderr, which the notebook server shows).
func kernelLog(_ s: String) { writeStderr("mlp kernel: \(s)\n") }

/// Runs the kernel until a shutdown_request; the exit status.
public func runKernel(connectionFile: String, seed: UInt64, version: String) -> Int32 {
    let connection: Connection
    do { connection = try Connection(file: connectionFile) } catch {
        kernelLog(error.description)
        return 64
    }
    guard let zmq = ZMQContext() else { kernelLog("cannot start ZeroMQ"); return 70 }
    let shell, control, stdin, iopub, heartbeat: Socket
    do {
        shell = try Socket(zmq, type: ZMQ_ROUTER, bind: connection.endpoint(connection.shellPort))
        control = try Socket(zmq, type: ZMQ_ROUTER, bind: connection.endpoint(connection.controlPort))
        stdin = try Socket(zmq, type: ZMQ_ROUTER, bind: connection.endpoint(connection.stdinPort))
        iopub = try Socket(zmq, type: ZMQ_PUB, bind: connection.endpoint(connection.iopubPort))
        heartbeat = try Socket(zmq, type: ZMQ_REP, bind: connection.endpoint(connection.heartbeatPort))
    } catch {
        kernelLog(error.description)
        return 70
    }
    let signer = Signer(key: connection.key)
    let sessionID = newID()
    let publisher = Publisher(iopub)
    let flags = KernelFlags()
    let info = kernelInfo(version: version)

    startThread { echo(heartbeat) }
    startThread { serveControl(control, signer: signer, sessionID: sessionID, publisher: publisher, flags: flags, info: info) }

    let io = IOPub(publisher: publisher, signer: signer, sessionID: sessionID)
    let streams = io.streams
    let parent = getppid()
    startThread { flushPeriodically(streams, flags: flags, parent: parent) }
    let kernel = Kernel(shell: shell, io: io, flags: flags, seed: seed, info: info)
    kernel.io.publish("status", .object([("execution_state", .string("starting"))]))
    kernel.serve()

    // Close down: the other threads' blocking calls end with ETERM and they close
    // their sockets; zmq_ctx_term then waits (up to the linger time) until the
    // last replies have gone out.
    flags.finished.store(true, ordering: .sequentiallyConsistent)
    zmq_ctx_shutdown(zmq.raw)
    for s in [shell, stdin] { zmq_close(s.raw) }
    publisher.close()
    zmq_ctx_term(zmq.raw)
    return 0
}

/// The heartbeat: every ping comes straight back.
private func echo(_ socket: Socket) {
    while true {
        guard let frames = socket.receive() else {
            if zmq_errno() == ETERM { break }
            continue
        }
        socket.send(frames)
    }
    zmq_close(socket.raw)
}

/// The control channel, on its own thread so that it answers while a cell runs.
private func serveControl(_ socket: Socket, signer: Signer, sessionID: String, publisher: Publisher, flags: KernelFlags, info: JSON) {
    func publishStatus(_ state: String, _ parent: JSON) {
        publisher.send(signer.encode(type: "status", content: .object([("execution_state", .string(state))]),
                                     parent: parent, identities: [Array("status".utf8)], session: sessionID))
    }
    while true {
        guard let frames = socket.receive() else {
            if zmq_errno() == ETERM { break }
            continue
        }
        let m: Message
        do { m = try signer.decode(frames) } catch {
            if let reply = answerUndecoded(error, signer: signer, sessionID: sessionID, channel: "control") { socket.send(reply) }
            continue
        }
        func reply(_ type: String, _ content: JSON) {
            socket.send(signer.encode(type: type, content: content, parent: m.header, identities: m.identities, session: sessionID))
        }
        publishStatus("busy", m.header)
        switch m.type {
        case "interrupt_request":
            if flags.busy.load(ordering: .sequentiallyConsistent) { Interrupt.flag.store(true, ordering: .relaxed) }
            reply("interrupt_reply", .object([("status", .string("ok"))]))
        case "shutdown_request":
            let restart = m.content["restart"]?.bool ?? false   // the frontend starts the new process
            flags.shutdown.store(true, ordering: .sequentiallyConsistent)
            if flags.busy.load(ordering: .sequentiallyConsistent) { Interrupt.flag.store(true, ordering: .relaxed) }
            reply("shutdown_reply", .object([("status", .string("ok")), ("restart", .bool(restart))]))
            publishStatus("idle", m.header)
            // A cell stuck in native code that never polls: give it 3 s, then leave anyway.
            for _ in 0..<30 where !flags.finished.load(ordering: .sequentiallyConsistent) { usleep(100_000) }
            if !flags.finished.load(ordering: .sequentiallyConsistent) {
                kernelLog("a cell did not stop within 3 s of the shutdown request; exiting")
                _exit(0)
            }
            continue
        case "kernel_info_request":
            reply("kernel_info_reply", info)
        default:
            reply(replyType(m.type), unknownType(m.type, channel: "control"))
        }
        publishStatus("idle", m.header)
    }
    zmq_close(socket.raw)
}

/// foo_request -> foo_reply.
func replyType(_ type: String) -> String {
    (type.hasSuffix("_request") ? String(type.dropLast(8)) : type) + "_reply"
}

func errorContent(_ ename: String, _ evalue: String, traceback: [String] = []) -> JSON {
    .object([("status", .string("error")), ("ename", .string(ename)), ("evalue", .string(evalue)),
             ("traceback", .array(traceback.map(JSON.string)))])
}

func unknownType(_ type: String, channel: String) -> JSON {
    kernelLog("unknown message type '\(type)' on \(channel)")
    return errorContent("UnknownMessageType", "the mlp kernel does not handle '\(type)' messages on the \(channel) channel")
}

/// A message that could not be decoded: one with a bad signature is dropped (and
/// logged); a malformed one gets an error reply when it says who sent it.
func answerUndecoded(_ error: WireError, signer: Signer, sessionID: String, channel: String) -> [[UInt8]]? {
    switch error {
    case .badSignature:
        kernelLog("dropped a message on \(channel) with a bad signature")
        return nil
    case .malformed(let why, let ids, let header):
        kernelLog("malformed message on \(channel): \(why)")
        guard !ids.isEmpty else { return nil }
        let type = header?["msg_type"]?.string.map(replyType) ?? "error"
        return signer.encode(type: type, content: errorContent("MalformedMessage", why), parent: header ?? .object([]),
                             identities: ids, session: sessionID)
    }
}

func kernelInfo(version: String) -> JSON {
    let number = version.split(separator: " ").last.map(String.init) ?? version
    return .object([
        ("status", .string("ok")),
        ("protocol_version", .string(protocolVersion)),
        ("implementation", .string("mlp")),
        ("implementation_version", .string(number)),
        ("language_info", languageInfo(version: number)),
        ("banner", .string("\(version): machine learning for physicists (?name for help on a builtin, :help for all)")),
        ("help_links", .array([])),
        ("debugger", .bool(false)),
    ])
}

/// The language as notebooks record it (also in the kernelspec's metadata).
func languageInfo(version: String) -> JSON {
    .object([
        ("name", .string("mlp")),
        ("version", .string(version)),
        ("mimetype", .string("text/x-mlp")),
        ("file_extension", .string(".mlp")),
        // mlp's syntax (# comments, for/in/if/while, strings, numbers) highlights well
        // with Julia's modes, which every frontend has
        ("codemirror_mode", .string("julia")),
        ("pygments_lexer", .string("julia")),
        ("nbconvert_exporter", .string("script")),
    ])
}
