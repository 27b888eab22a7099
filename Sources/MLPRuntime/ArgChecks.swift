// The argument checks every builtin shares (as Lua's luaL_check* and Wren's
// validate*): each names the function, the argument and what was expected, in one
// wording. A library reaches them through its `Args`, never through another
// library's statics.
import MLPLang
import MLPTensor
import MLPAutograd
import MLPLearn
#if canImport(Glibc)
import Glibc
#endif

extension Args {
    /// An optional integer: nil when the argument is nil.
    func optionalInt(_ i: Int) throws(MLPError) -> Int? { isNil(i) ? nil : try int(i) }

    /// An integer of at least `least`: "'batch' must be at least 1, got 0."
    func int(_ i: Int, atLeast least: Int) throws(MLPError) -> Int {
        let n = try int(i)
        guard n >= least else { throw error("'\(paramName(i))' must be at least \(least), got \(n).", at: i) }
        return n
    }

    /// An integer in `range`: "'bins' must be between 1 and 1000, got 0."
    func int(_ i: Int, in range: ClosedRange<Int>) throws(MLPError) -> Int {
        let n = try int(i)
        guard range.contains(n) else {
            throw error("'\(paramName(i))' must be between \(range.lowerBound) and \(range.upperBound), got \(n).", at: i)
        }
        return n
    }

    /// A count: an integer of at least 1.
    func positive(_ i: Int) throws(MLPError) -> Int { try int(i, atLeast: 1) }

    /// Argument i's tensor value (a number or nested list becomes one; a tensor tracked
    /// by grad gives its value).
    func tensor(_ i: Int) throws(MLPError) -> Tensor {
        if case .object(let o as TensorValue) = self[i] { return o.t }
        return try untrackedTensor(i)
    }

    /// Argument i as a tensor for a builtin without a gradient: a tensor being
    /// differentiated is an error that says how to pass its value.
    func untrackedTensor(_ i: Int) throws(MLPError) -> Tensor {
        switch self[i] {
        case .object(let o as TensorValue):
            if o.node != nil {
                throw error("no gradient is defined for \(fn.name), and argument '\(paramName(i))' is being differentiated by grad; use detach(\(paramName(i))) to pass its value without a gradient.", at: i)
            }
            return o.t
        case .list, .number: do { return try TensorValue.fromNested(self[i]) } catch { throw self.error(error.message, at: i) }
        case .object(is TrackedComplexValue):
            throw error("no gradient is defined for \(fn.name) of a complex tensor, and argument '\(paramName(i))' is being differentiated by grad; use detach(\(paramName(i))) to pass its value without a gradient.", at: i)
        default: throw typeError(i, "a tensor")
        }
    }

    /// Argument i as a graph variable: its node when tracked by grad, else a constant.
    func variable(_ i: Int) throws(MLPError) -> Variable {
        if case .object(let o as TensorValue) = self[i] { return o.variable }
        return Variable(constant: try untrackedTensor(i))
    }

    /// The generator of argument `i` (`rng=`), else the session's default one.
    func generator(_ i: Int) throws(MLPError) -> RandomGenerator {
        switch self[i] {
        case .nil: return context.random
        case .object(let o as GeneratorValue): return o.generator
        default: throw typeError(i, "a generator (made by generator(seed))")
        }
    }

    /// Argument i's layer or model.
    func model(_ i: Int) throws(MLPError) -> Layer {
        guard case .object(let o as LayerValue) = self[i] else { throw typeError(i, "a layer or model") }
        return o.layer
    }

    /// A shape written as a number or a list of numbers (`v` is argument i, or the rest).
    func shape(_ v: Value, at i: Int) throws(MLPError) -> [Int] {
        var dims: [Value]
        if case .list(let l) = v { dims = l.items } else { dims = [v] }
        var out: [Int] = []
        for d in dims {
            guard case .number(let x) = d, let n = Int(exactly: x) else {
                throw error("a shape is made of integers, got \(describeForError(d)).", at: i)
            }
            out.append(n)
        }
        return out
    }

    /// Argument i as a list of integers (a shape, axes, indices).
    func intList(_ i: Int) throws(MLPError) -> [Int] { try shape(self[i], at: i) }

    /// The shape in the arguments after the parameters: `f(2, 3)` or `f([2, 3])`.
    func trailingShape() throws(MLPError) -> [Int] {
        let at = fn.params.count
        if rest.count == 1, case .list = rest[0] { return try shape(rest[0], at: at) }
        return try shape(.list(rest), at: at)
    }

    /// A new tensor from native work, its errors in this builtin's words (at argument i).
    func newTensor(at i: Int? = nil, _ body: () throws -> Tensor) throws(MLPError) -> Value {
        .object(TensorValue(try native(at: i, body)))
    }

    /// Reads the file and runs a parser, naming the file in any error.
    func parseFile<T>(_ path: String, _ body: ([UInt8]) throws -> T) throws(MLPError) -> T {
        if directoryExists(path) { throw error("\(path) is a folder, not a file.", at: 0) }
        guard fileExists(path) else { throw error("no such file: \(path)", at: 0) }
        guard let bytes = readFileBytes(path) else {
            try interp.pollInterrupt(callLoc)   // stopped by Ctrl-C rather than unreadable
            throw error("cannot read \(path): \(String(cString: strerror(errno))).", at: 0)
        }
        do { return try body(bytes) } catch let e as MLPError { throw e } catch { throw self.error("\(path): \(message(of: error))", at: 0) }
    }

    /// Writes the file safely (SafeWrite), naming it in any error.
    func writeFile(_ path: String, _ bytes: [UInt8]) throws(MLPError) {
        if let err = writeFileAtomically(path, bytes) { throw error("cannot write \(path): \(err).", at: 0) }
    }
}
