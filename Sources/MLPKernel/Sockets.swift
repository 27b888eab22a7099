// ZeroMQ sockets (libzmq's C API) and the threads of the kernel. A socket is used
// by one thread at a time: iopub, which every thread publishes on, behind a lock.
import CZMQ
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A ZeroMQ context: one per kernel, shared by the threads (libzmq's contexts are thread-safe).
final class ZMQContext: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer
    init?() {
        guard let c = zmq_ctx_new() else { return nil }
        raw = c
    }
}

struct SocketError: Error, CustomStringConvertible {
    let description: String
    init(_ what: String) { description = "\(what): \(String(cString: zmq_strerror(zmq_errno())))" }
}

/// One socket. `@unchecked Sendable`: it moves to the thread that uses it (a lock guards iopub).
final class Socket: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer
    let endpoint: String

    init(_ context: ZMQContext, type: Int32, bind endpoint: String) throws(SocketError) {
        guard let s = zmq_socket(context.raw, type) else { throw SocketError("cannot make a socket for \(endpoint)") }
        var linger: Int32 = 1000   // at exit, pending replies get a second to go out
        zmq_setsockopt(s, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size)
        guard zmq_bind(s, endpoint) == 0 else {
            let e = SocketError("cannot bind \(endpoint)")
            zmq_close(s)
            throw e
        }
        raw = s
        self.endpoint = endpoint
    }

    /// The frames of the next message; nil when the call was interrupted (EINTR) or failed.
    func receive() -> [[UInt8]]? {
        var frames: [[UInt8]] = []
        while true {
            var msg = zmq_msg_t()
            zmq_msg_init(&msg)
            defer { zmq_msg_close(&msg) }
            if zmq_msg_recv(&msg, raw, 0) < 0 {
                if frames.isEmpty { return nil }
                if zmq_errno() == EINTR { continue }
                return nil
            }
            let n = zmq_msg_size(&msg)
            if n > 0, let p = zmq_msg_data(&msg) {
                frames.append(Array(UnsafeRawBufferPointer(start: p, count: n)))
            } else {
                frames.append([])
            }
            if zmq_msg_more(&msg) == 0 { return frames }
        }
    }

    /// Sends the frames as one multipart message.
    func send(_ frames: [[UInt8]]) {
        for (i, f) in frames.enumerated() {
            let flags: Int32 = i + 1 < frames.count ? ZMQ_SNDMORE : 0
            while f.withUnsafeBytes({ zmq_send(raw, $0.baseAddress, $0.count, flags) }) < 0 {
                if zmq_errno() != EINTR { return }
            }
        }
    }

    /// Waits up to `milliseconds` for a message: true when one is there, false on
    /// time-out or a signal (Ctrl-C while idle).
    func wait(milliseconds: Int) -> Bool {
        var item = zmq_pollitem_t(socket: raw, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
        return zmq_poll(&item, 1, milliseconds) > 0 && item.revents & Int16(ZMQ_POLLIN) != 0
    }
}

/// The iopub socket, which the session's, the control and the flusher thread publish on.
final class Publisher: Sendable {
    private let socket: Socket
    private let closed = Mutex(false)
    init(_ socket: Socket) { self.socket = socket }
    func send(_ frames: [[UInt8]]) { closed.withLock { closed in if !closed { socket.send(frames) } } }
    func close() { closed.withLock { closed in if !closed { zmq_close(socket.raw) }; closed = true } }
}

private final class ThreadBody: @unchecked Sendable {
    let run: @Sendable () -> Void
    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
}

/// Runs `body` on a new thread (detached) that never takes SIGINT: Ctrl-C and the
/// frontend's interrupt go to the session's thread, which polls for them.
func startThread(_ body: @escaping @Sendable () -> Void) {
    let box = Unmanaged.passRetained(ThreadBody(body))
    var tid = pthread_t()
    var set = sigset_t(), old = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGINT)
    pthread_sigmask(SIG_BLOCK, &set, &old)   // the new thread inherits the mask
    let rc = pthread_create(&tid, nil, { arg in
        Unmanaged<ThreadBody>.fromOpaque(arg!).takeRetainedValue().run()
        return nil
    }, box.toOpaque())
    pthread_sigmask(SIG_SETMASK, &old, nil)
    if rc == 0 { pthread_detach(tid) } else { box.release() }
}
