// `--minimize`: shrinks a crashing input while its trap message stays the same.
import MLPLang
import MLPRuntime
import MLPTensor
#if canImport(Glibc)
import Glibc
#endif

/// Shrinks a crashing input while its trap message stays the same.
func minimize(_ path: String, _ opts: Options) -> Int32 {
    guard var best = readWholeFile(path) else { die("cannot read '\(path)'") }
    let target = runIsolated(best, opts)
    guard target != .finished else {
        writeStderr("mlp-fuzz: '\(path)' does not crash or hang; nothing to minimize\n")
        return 1
    }
    writeStderr("fuzz: minimizing for: \(target.signature)\n")
    var tries = 0
    func same(_ b: [UInt8]) -> Bool {
        tries += 1
        return runIsolated(b, opts).signature == target.signature
    }
    // delta debugging over lines, then over bytes
    var progress = true
    while progress && tries < 5000 {
        progress = false
        for unitIsLine in [true, false] {
            var units: [[UInt8]] = unitIsLine ? best.split(separator: 10, omittingEmptySubsequences: false).map { Array($0) + [10] } : best.map { [$0] }
            var chunk = max(1, units.count / 2)
            while chunk >= 1 && tries < 5000 {
                var i = 0
                var removedAny = false
                while i < units.count && tries < 5000 {
                    var candidateUnits = units
                    candidateUnits.removeSubrange(i..<min(units.count, i + chunk))
                    let candidate = Array(candidateUnits.joined())
                    if candidate.count < best.count && same(candidate) {
                        units = candidateUnits; best = candidate; removedAny = true; progress = true
                    } else {
                        i += chunk
                    }
                }
                if !removedAny { chunk /= 2 }
            }
        }
    }
    // trailing newline: keep the file tidy when that still crashes
    if best.last != 10 && same(best + [10]) { best.append(10) }
    if let out = opts.outFile { _ = writeFile(out, best) } else { writeAll(1, best) }
    writeStderr("fuzz: \(best.count) bytes after \(tries) runs: \(target.signature)\n")
    return 0
}
