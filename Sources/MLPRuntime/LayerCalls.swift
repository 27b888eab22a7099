// The calls that make layers, as data: a builtin registered with `Registry.layer`
// records its call on each layer it returns; save writes the calls in mlp syntax
// and load reads them with the language's parser and calls the same builtins.
import MLPLang
import MLPLearn

/// The layer builtins by name: the only builtins a model file may call.
final class LayerBuiltins {
    var byName: [String: Builtin] = [:]
}

enum LayerCalls {
    /// The call bound in `a` as data: positional arguments up to the last one not at its
    /// default, then keyword-only ones not at their defaults; nil when an argument is not data.
    static func record(_ a: Args) -> LayerCall? {
        let params = a.fn.params, positional = a.fn.positionalCount
        func isDefault(_ i: Int) -> Bool {
            switch (params[i].defaultValue, a[i]) {
            case (.number(let x)?, .number(let y)): return x == y
            case (.bool(let x)?, .bool(let y)): return x == y
            case (.string(let x)?, .string(let y)): return x == y.s
            case (DefaultValue.none?, .nil): return true
            default: return false
            }
        }
        let written = a.rest.isEmpty ? (0..<positional).last { !isDefault($0) }.map { $0 + 1 } ?? 0 : positional
        var args: [LayerArgument] = [], kwargs: [(name: String, value: LayerArgument)] = []
        for v in (0..<written).map({ a[$0] }) + a.rest {
            guard let x = argument(v) else { return nil }
            args.append(x)
        }
        for i in positional..<params.count where !isDefault(i) {
            guard let x = argument(a[i]) else { return nil }
            kwargs.append((params[i].name, x))
        }
        return LayerCall(a.fn.name, args, kwargs)
    }

    static func argument(_ v: Value) -> LayerArgument? {
        switch v {
        case .number(let d): return d.isFinite ? .number(d) : nil   // nan and inf have no literal
        case .string(let s): return .string(s.s)
        case .bool(let b): return .bool(b)
        case .nil: return LayerArgument.none
        case .builtin(let b): return Activation(name: b.name) != nil ? .activation(b.name) : nil
        case .list(let l):
            var items: [LayerArgument] = []
            for v in l.items { guard let x = argument(v) else { return nil }; items.append(x) }
            return .list(items)
        default: return nil
        }
    }

    /// The call in mlp syntax, e.g. `conv2d(8, 3, relu, padding="same")`.
    static func text(_ c: LayerCall) -> String {
        let parts = c.args.map(text) + c.kwargs.map { "\($0.name)=\(text($0.value))" }
        return "\(c.name)(\(parts.joined(separator: ", ")))"
    }

    static func text(_ x: LayerArgument) -> String {
        switch x {
        case .number(let d): return formatNumber(d)
        case .string(let s): return quoted(s)
        case .bool(let b): return b ? "true" : "false"
        case .none: return "nil"
        case .activation(let name): return name
        case .list(let items): return "[" + items.map(text).joined(separator: ", ") + "]"
        }
    }
}
