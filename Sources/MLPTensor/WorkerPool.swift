// The threads that run the parts of a split kernel (`onThreads`, `parallelFor`,
// and so every split product): mlp's own workers, started when first needed, at
// most one fewer than the online CPUs.
//
// Why not Dispatch's concurrentPerform, as before: its idle workers sleep on a
// futex, and waking one on this KVM guest took about 28 us, the whole gap between
// mlp's two-thread products at n = 256 and OpenBLAS's own threads (whose workers
// spin between calls); a float32 256 product takes 155 us on two threads. Why not
// spin as OpenBLAS does: its workers spin for about 0.1 s after each call and took
// the core that the next step's work needed (Matmul.swift, BLASThreads). These
// workers spin for `Tensor.workerSpin` (100 us by default) after their last part,
// so back-to-back kernels (a training step's products and passes, a loop of
// products) find them awake, and then sleep on a semaphore until the next fork.
//
// A fork hands out its parts from one shared counter: the caller takes parts too,
// so a worker that the system has not woken yet (a loaded machine) delays nothing
// but its own parts, and parts never wait for each other. Workers touch raw
// pointers and values only (see Parallel.swift); the part's closure is called
// through a pointer to the caller's stack, valid until every part is done.
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Microseconds a worker spins after its last part before it sleeps: MLP_WORKER_SPIN_US, else 100.
nonisolated(unsafe) var workerSpinMicroseconds: Int = {
    if let s = getenv("MLP_WORKER_SPIN_US"), let v = Int(String(cString: s)), v >= 0 { return Swift.min(v, 100_000) }
    return 100
}()

extension Tensor {
    /// How long (microseconds) the kernel threads spin after their last part before they sleep.
    public static var workerSpin: Int {
        get { workerSpinMicroseconds }
        set { workerSpinMicroseconds = Swift.max(0, Swift.min(newValue, 100_000)) }
    }
}

/// One turn of a spin-wait (clang's _mm_pause is a builtin Swift cannot call: a plain
/// reload; the CPUs of this machine run one thread per core, so no sibling waits on it).
@inline(__always) func cpuRelax() {}

@inline(__always) func monotonicNanoseconds() -> Int {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return ts.tv_sec &* 1_000_000_000 &+ ts.tv_nsec
}

/// The CPU the calling thread runs on (glibc's sched_getcpu, which Swift's Glibc
/// module leaves out; a few ns), or -1 where there is none.
let currentCPU: @Sendable () -> Int = {
    typealias GetCPU = @convention(c) () -> Int32
    guard let f = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sched_getcpu") else { return { -1 } }
    let getCPU = unsafeBitCast(f, to: GetCPU.self)
    return { Int(getCPU()) }
}()

final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    /// One worker: asleep (set by the worker, taken by the fork that wakes it).
    final class Worker: @unchecked Sendable {
        let asleep = Atomic<Bool>(false)
        let wake = DispatchSemaphore(value: 0)
        /// The CPU it last took a part on.
        let cpu = Atomic<Int>(-2)
    }

    /// Held by the thread whose fork the workers run; another fork meanwhile (a part
    /// that forks, or a second thread) runs on Dispatch instead.
    let busy = Atomic<Bool>(false)
    /// The CPU of the thread that forked last: a worker that finds itself there does not spin.
    let callerCPU = Atomic<Int>(-1)
    /// The current fork's number (31 bits).
    let generation = Atomic<Int>(0)
    /// The fork's number << 32 | the parts taken (bit p: part p).
    let next = Atomic<Int>(0)
    let partCount = Atomic<Int>(0)
    let done = Atomic<Int>(0)
    /// Address of the fork's UncheckedSendable<(Int) -> Void>, on the caller's stack.
    let body = Atomic<Int>(0)
    /// Started workers; changed only by the holder of `busy`.
    private var workers: [Worker] = []
    let maxWorkers = Swift.max(0, Swift.min(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), 16) - 1)

    /// body(p) for p in 0..<parts, each once, on the caller and up to parts - 1 workers.
    func run(_ parts: Int, _ body: (Int) -> Void) {
        if parts <= 1 { if parts == 1 { body(0) }; return }
        if parts > 32 {
            // 32 slots, slot s running parts s, s + 32, ...
            run(32) { s in var p = s; while p < parts { body(p); p &+= 32 } }
            return
        }
        var want = Swift.min(parts &- 1, maxWorkers)
        if want == 0 { for p in 0..<parts { body(p) }; return }
        guard !busy.exchange(true, ordering: .acquiring) else {
            withoutActuallyEscaping(body) { body in
                let work = UncheckedSendable(body)
                DispatchQueue.concurrentPerform(iterations: parts) { work.value($0) }
            }
            return
        }
        defer { busy.store(false, ordering: .releasing) }
        while workers.count < want && start(Worker(), id: workers.count &+ 1) {}
        want = Swift.min(want, workers.count)   // no more threads to be had: the caller takes their parts
        withoutActuallyEscaping(body) { body in
            var work = UncheckedSendable(body)
            withUnsafeMutablePointer(to: &work) { w in
                let me = currentCPU()
                callerCPU.store(me, ordering: .relaxed)
                let g = (generation.load(ordering: .relaxed) &+ 1) & 0x7fff_ffff
                partCount.store(parts, ordering: .relaxed)
                self.body.store(Int(bitPattern: UnsafeRawPointer(w)), ordering: .relaxed)
                done.store(0, ordering: .relaxed)
                next.store(g << 32, ordering: .releasing)   // no part taken
                generation.store(g, ordering: .sequentiallyConsistent)
                for i in 0..<want where workers[i].asleep.exchange(false, ordering: .sequentiallyConsistent) {
                    workers[i].wake.signal()
                }
                take(g, own: 0)
                // the workers' parts: spin, then yield the core (a loaded machine may have
                // descheduled the worker that holds one); at once when a worker runs on
                // this thread's CPU
                var spins = 0
                while done.load(ordering: .acquiring) < parts {
                    spins &+= 1
                    if spins < 20_000 && !(spins & 63 == 0 && shares(me, want)) { cpuRelax() } else { sched_yield() }
                }
            }
        }
    }

    /// Whether one of the first `count` workers last ran on `cpu`.
    private func shares(_ cpu: Int, _ count: Int) -> Bool {
        if cpu < 0 { return false }
        for i in 0..<count where workers[i].cpu.load(ordering: .relaxed) == cpu { return true }
        return false
    }

    /// Runs part `own` of fork g if nobody has taken it, then any part left, until none
    /// is. The caller's own part is 0, worker i's is i + 1: with the workers awake each
    /// thread runs the same part of every fork, so the same rows of a split product or
    /// update stay in its cache from step to step (with the parts handed out in turn,
    /// adam's update on two threads took twice its one-thread time, the data moving
    /// between the cores); a part whose worker is late goes to whoever is free.
    @inline(__always) private func take(_ g: Int, own: Int, worker: Worker? = nil) {
        var want = own
        while true {
            let v = next.load(ordering: .acquiring)
            if v >> 32 != g { return }
            let parts = partCount.load(ordering: .relaxed)
            let free = ~v & ((1 << parts) &- 1)
            if free == 0 { return }
            let part = want >= 0 && want < parts && free & (1 << want) != 0 ? want : free.trailingZeroBitCount
            if next.compareExchange(expected: v, desired: v | (1 << part), ordering: .acquiringAndReleasing).exchanged {
                want = -1
                worker?.cpu.store(currentCPU(), ordering: .relaxed)
                let f = UnsafePointer<UncheckedSendable<(Int) -> Void>>(bitPattern: body.load(ordering: .relaxed))!
                f.pointee.value(part)
                done.add(1, ordering: .releasing)
            }
        }
    }

    /// Starts a worker thread; false when the system gives none.
    private func start(_ w: Worker, id: Int) -> Bool {
        workers.append(w)
        // the fork the worker is started for has not begun: the worker counts from the
        // generation before it (read on the worker, the fork's new generation was often
        // there already, and the worker slept through its first fork: the caller ran
        // every part of it alone, as word2vec's corpus pass did in every process)
        let before = generation.load(ordering: .relaxed)
        let context = Unmanaged.passRetained(WorkerStart(self, w, id, seen: before)).toOpaque()
        var tid = pthread_t()
        let ok = pthread_create(&tid, nil, { arg in
            let s = Unmanaged<WorkerStart>.fromOpaque(arg!).takeRetainedValue()
            s.pool.loop(s.worker, id: s.id, seen: s.seen)
        }, context)
        if ok == 0 { pthread_detach(tid); return true }
        Unmanaged<WorkerStart>.fromOpaque(context).release()
        workers.removeLast()   // no thread: the caller takes its parts
        return false
    }

    final class WorkerStart: @unchecked Sendable {
        let pool: WorkerPool, worker: Worker, id: Int, seen: Int
        init(_ pool: WorkerPool, _ worker: Worker, _ id: Int, seen: Int) {
            self.pool = pool; self.worker = worker; self.id = id; self.seen = seen
        }
    }

    /// A worker's life: wait for a fork (spinning, then asleep), take its parts, again.
    /// A spin that the system interrupted (a gap of more than 50 us between two looks
    /// at the clock: another program wanted this core, or the host took the virtual
    /// CPU) is cut short, and the next spins are skipped, for 1, 2, 4, ... up to 4096
    /// forks while it happens again: on a loaded machine the workers sleep between
    /// forks (spinning there took the core from the work: W1 on two threads ran at
    /// 1790 steps/s spinning, 2690 sleeping, at load 5 on 2 cores).
    private func loop(_ w: Worker, id: Int, seen start: Int) -> Never {
        var seen = start
        var backoff = 0, skip = 0
        while true {
            var g = generation.load(ordering: .acquiring)
            if g == seen {
                if skip > 0 { skip &-= 1 } else {
                    let limit = workerSpinMicroseconds &* 1000
                    let t0 = monotonicNanoseconds()
                    var last = t0, spins = 0, interrupted = false
                    // on the forking thread's CPU a spin only delays it: sleep at once
                    var alone = currentCPU() != callerCPU.load(ordering: .relaxed) || callerCPU.load(ordering: .relaxed) < 0
                    while g == seen && limit > 0 && alone {
                        cpuRelax()
                        g = generation.load(ordering: .acquiring)
                        spins &+= 1
                        if spins & 63 == 0 {
                            let now = monotonicNanoseconds()
                            if now &- last > 50_000 { interrupted = true; break }
                            alone = currentCPU() != callerCPU.load(ordering: .relaxed) || callerCPU.load(ordering: .relaxed) < 0
                            if now &- t0 >= limit { break }
                            last = now
                        }
                    }
                    if interrupted {
                        backoff = Swift.min(Swift.max(backoff &* 2, 1), 4096)
                        skip = backoff
                    } else { backoff = 0 }
                }
                if g == seen {
                    w.asleep.store(true, ordering: .sequentiallyConsistent)
                    g = generation.load(ordering: .sequentiallyConsistent)
                    if g == seen {
                        w.wake.wait()   // the fork that cleared `asleep` signals
                        continue
                    }
                    // a fork came meanwhile: if it also saw us asleep it signals, take that signal
                    if !w.asleep.exchange(false, ordering: .sequentiallyConsistent) { w.wake.wait() }
                }
            }
            seen = g
            take(g, own: id, worker: w)
        }
    }
}
