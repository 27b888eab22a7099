// Clocks and the header every workload starts with (what the other bench scripts print:
// the date, the CPU, the thread settings).
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import MLPTensor

enum Clock {
    /// Wall-clock seconds (monotonic).
    static func wall() -> Double { read(CLOCK_MONOTONIC) }

    /// CPU seconds of the calling thread (steadier than wall time on a shared machine).
    static func thread() -> Double { read(CLOCK_THREAD_CPUTIME_ID) }

    /// CPU seconds of the whole process, all threads, user and system.
    static func process() -> Double {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
    }

    private static func read(_ clock: clockid_t) -> Double {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}

/// Best wall time of `reps` runs of `body`.
func best(_ reps: Int = 5, _ body: () throws -> Void) rethrows -> Double {
    var b = Double.infinity
    for _ in 0..<reps { let t0 = Clock.wall(); try body(); b = Swift.min(b, Clock.wall() - t0) }
    return b
}

/// CPU seconds of this thread spent in `body`.
func threadSeconds(_ body: () throws -> Void) rethrows -> Double {
    let start = Clock.thread()
    try body()
    return Clock.thread() - start
}

func environment(_ name: String) -> String? { ProcessInfo.processInfo.environment[name] }

/// The lines before a workload's results: date, CPU model, CPU count, load, thread settings.
func printHeader(_ workload: String) {
    let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
        .map { $0.split(separator: ":", maxSplits: 1).last!.trimmingCharacters(in: .whitespaces) } ?? "unknown"
    let load = ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?")
        .split(separator: " ").prefix(3).joined(separator: " ")
    let date = ISO8601DateFormatter().string(from: Date())
    print("== mlp-bench \(workload), \(date), CPU: \(model), \(ProcessInfo.processInfo.activeProcessorCount) CPUs, load average \(load)")
    let vars = ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MLP_NUM_THREADS", "OPENBLAS_CORETYPE"]
        .map { "\($0)=\(environment($0) ?? "(unset)")" }.joined(separator: " ")
    print("== \(vars); mlp kernel threads \(Tensor.kernelThreads), product split threads \(BLASThreads.count), OpenBLAS core \(BLASKernels.coreName)")
}
