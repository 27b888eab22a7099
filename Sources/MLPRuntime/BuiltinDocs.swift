// docs/builtins.md is generated from the builtin table (`mlp doc builtins`),
// so the reference cannot drift from the code; a test compares the two.

extension Registry {
    public func markdown() -> String {
        var s = """
        # Builtins

        Generated from the builtin table by `mlp doc builtins > docs/builtins.md`; `?name` in
        the REPL shows the same text. Parameters with `=` have defaults; `name...` takes any
        number of further positional arguments.

        """
        var lib = ""
        for e in entries {
            if e.library != lib {
                lib = e.library
                s += "\n## \(lib)\n\n"
            }
            s += "### `\(e.signature)`\n\n\(e.doc)\n\n```\n\(e.example)\n```\n\n"
        }
        return s
    }
}
