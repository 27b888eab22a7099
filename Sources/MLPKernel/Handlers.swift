// The shell channel: requests served one at a time on the session's thread, each
// between a `status: busy` and a `status: idle` on iopub.
import MLPLang
import MLPRuntime
import MLPREPL
import Synchronization

extension Session: REPLHost {}

final class Kernel {
    let shell: Socket
    let io: IOPub
    let flags: KernelFlags
    let info: JSON
    let session: Session
    private var executionCount = 0
    /// (execution count, code) of the cells run, for history_request.
    private var history: [(Int, String)] = []

    init(shell: Socket, io: IOPub, flags: KernelFlags, seed: UInt64, info: JSON) {
        self.shell = shell; self.io = io; self.flags = flags; self.info = info
        let out = StreamSink(io.streams[0], io: io), err = StreamSink(io.streams[1], io: io)
        session = Session(argv: [], file: "<notebook>", seed: seed, out: out, err: err, display: DisplaySink(io: io))
    }

    /// Serves the shell socket until a shutdown request.
    func serve() {
        while !flags.shutdown.load(ordering: .sequentiallyConsistent) {
            // Ctrl-C while idle interrupts the wait (EINTR): nothing runs, so it is forgotten
            if !shell.wait(milliseconds: 100) { Interrupt.flag.store(false, ordering: .relaxed); continue }
            guard let frames = shell.receive() else { continue }
            let m: Message
            do { m = try io.signer.decode(frames) } catch {
                if let reply = answerUndecoded(error, signer: io.signer, sessionID: io.sessionID, channel: "shell") { shell.send(reply) }
                continue
            }
            if m.type.hasPrefix("comm_") { continue }   // no comms (widgets): nothing to answer
            io.parent = m.header
            io.publish("status", .object([("execution_state", .string("busy"))]))
            handle(m)
            io.flushStreams()
            io.publish("status", .object([("execution_state", .string("idle"))]))
        }
    }

    private func reply(_ m: Message, _ type: String, _ content: JSON) {
        shell.send(io.signer.encode(type: type, content: content, parent: m.header, identities: m.identities, session: io.sessionID))
    }

    private func handle(_ m: Message) {
        let c = m.content
        switch m.type {
        case "kernel_info_request": reply(m, "kernel_info_reply", info)
        case "execute_request": execute(m)
        case "complete_request":
            let code = c["code"]?.string ?? ""
            let cursor = clampedCursor(c["cursor_pos"]?.int, code)
            let before = String(String.UnicodeScalarView(code.unicodeScalars.prefix(cursor)))
            let (matches, replacing) = completions(before: before, host: session)
            reply(m, "complete_reply", .object([
                ("status", .string("ok")), ("matches", .array(matches.map(JSON.string))),
                ("cursor_start", .int(cursor - replacing)), ("cursor_end", .int(cursor)), ("metadata", .object([])),
            ]))
        case "inspect_request":
            let code = c["code"]?.string ?? ""
            let name = word(at: clampedCursor(c["cursor_pos"]?.int, code), in: code)
            let text = name.isEmpty ? nil : inspect(name)
            reply(m, "inspect_reply", .object([
                ("status", .string("ok")), ("found", .bool(text != nil)),
                ("data", .object(text.map { [("text/plain", .string($0))] } ?? [])), ("metadata", .object([])),
            ]))
        case "is_complete_request":
            let code = c["code"]?.string ?? ""
            if session.isIncomplete(code) {
                reply(m, "is_complete_reply", .object([("status", .string("incomplete")), ("indent", .string(indent(after: code)))]))
            } else {
                reply(m, "is_complete_reply", .object([("status", .string("complete"))]))
            }
        case "history_request":
            var items = history
            if c["hist_access_type"]?.string == "tail", let n = c["n"]?.int, n >= 0 { items = Array(items.suffix(n)) }
            reply(m, "history_reply", .object([
                ("status", .string("ok")),
                ("history", .array(items.map { .array([.int(0), .int($0.0), .string($0.1)]) })),
            ]))
        case "comm_info_request":
            reply(m, "comm_info_reply", .object([("status", .string("ok")), ("comms", .object([]))]))
        case "shutdown_request":   // older clients send it on shell
            let restart = c["restart"]?.bool ?? false
            flags.shutdown.store(true, ordering: .sequentiallyConsistent)
            reply(m, "shutdown_reply", .object([("status", .string("ok")), ("restart", .bool(restart))]))
        default:
            reply(m, replyType(m.type), unknownType(m.type, channel: "shell"))
        }
    }

    // MARK: execute

    private func execute(_ m: Message) {
        let code = m.content["code"]?.string ?? ""
        let silent = m.content["silent"]?.bool ?? false
        let store = (m.content["store_history"]?.bool ?? true) && !silent
        if store { executionCount += 1 }
        let count = executionCount
        if !silent {
            io.publish("execute_input", .object([("code", .string(code)), ("execution_count", .int(count))]))
        }
        if store { history.append((count, code)) }

        Interrupt.flag.store(false, ordering: .relaxed)
        flags.busy.store(true, ordering: .sequentiallyConsistent)
        let result = run(code, name: "In[\(count)]")
        flags.busy.store(false, ordering: .sequentiallyConsistent)
        io.flushStreams()

        switch result {
        case .success(let shown):
            if let shown, !silent {
                io.publish("execute_result", .object([
                    ("execution_count", .int(count)), ("data", .object([("text/plain", .string(shown))])), ("metadata", .object([])),
                ]))
            }
            reply(m, "execute_reply", .object([
                ("status", .string("ok")), ("execution_count", .int(count)),
                ("payload", .array([])), ("user_expressions", .object([])),
            ]))
        case .failure(let e):
            let ename: String
            switch e.kind {
            case .syntax: ename = "SyntaxError"
            case .resolve: ename = "NameError"
            case .runtime: ename = "RuntimeError"
            case .interrupt: ename = "Interrupted"
            }
            var lines = e.render(color: false).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if lines.last == "" { lines.removeLast() }
            let error = errorContent(ename, e.message, traceback: lines)
            if !silent { io.publish("error", error) }
            guard case .object(var fields) = error else { return }
            fields.append(("execution_count", .int(count)))
            reply(m, "execute_reply", .object(fields))
        }
    }

    /// A cell: one REPL command line (?name, :help, :time EXPR, :load FILE, :reset), or code.
    private func run(_ code: String, name: String) -> Result<String?, MLPError> {
        let lines = code.split(separator: "\n", omittingEmptySubsequences: true).filter { !$0.allSatisfy(\.isWhitespace) }
        if lines.count == 1, let command = Command(String(lines[0])) {
            if command == .quit {
                session.out.write(":quit ends the REPL; a notebook's kernel is shut down by the frontend (Kernel > Shut Down Kernel).\n")
            } else {
                command.run(on: session, say: { session.out.write($0) })
            }
            session.out.flush()
            return .success(nil)
        }
        return session.evaluate(code, name: name)
    }

    // MARK: helpers

    /// The name under or just before the cursor.
    private func word(at cursor: Int, in code: String) -> String {
        let s = Array(code.unicodeScalars)
        func isName(_ u: Unicode.Scalar) -> Bool { u.properties.isAlphabetic || u.properties.numericType != nil || u == "_" }
        var a = cursor, b = cursor
        while a > 0, isName(s[a - 1]) { a -= 1 }
        while b < s.count, isName(s[b]) { b += 1 }
        return String(String.UnicodeScalarView(s[a..<b]))
    }

    /// `?name`'s help for a builtin or keyword; for a variable, its value as the REPL shows it.
    private func inspect(_ name: String) -> String? {
        if let help = session.help(name) { return help }
        // no `Value` is handled in this module: the linker takes the first module's
        // copy of a Value's outlined copy and consume functions, and this module (before
        // MLPLang in the link order) counts references atomically (docs/architecture.md)
        guard var text = session.globalRepr(name) else { return nil }
        if text.count > 4000 { text = String(text.prefix(4000)) + "\n..." }
        return "\(name) = \(text)"
    }

    /// What `jupyter console` indents the next line of an unfinished entry with.
    private func indent(after code: String) -> String {
        let last = code.split(separator: "\n", omittingEmptySubsequences: false).last ?? ""
        let lead = String(last.prefix { $0 == " " || $0 == "\t" })
        let end = last.reversed().first { !$0.isWhitespace }
        return lead + (end == "{" || end == "(" || end == "[" ? "    " : "")
    }
}

/// The cursor as a count of Unicode scalars within the code (the protocol's unit since 5.2).
private func clampedCursor(_ pos: Int?, _ code: String) -> Int {
    let n = code.unicodeScalars.count
    guard let pos else { return n }
    return min(max(pos, 0), n)
}
