/// LaTeX-style names that Tab turns into symbols, as in Julia's REPL
/// (same choices: \epsilon is ϵ and \varepsilon is ε, \phi is ϕ, \varphi φ).
let latexSymbols: [String: String] = {
    var table: [String: String] = [:]
    let greek: [(String, UInt32)] = [
        ("alpha", 0x3B1), ("beta", 0x3B2), ("gamma", 0x3B3), ("delta", 0x3B4),
        ("varepsilon", 0x3B5), ("zeta", 0x3B6), ("eta", 0x3B7), ("theta", 0x3B8),
        ("iota", 0x3B9), ("kappa", 0x3BA), ("lambda", 0x3BB), ("mu", 0x3BC),
        ("nu", 0x3BD), ("xi", 0x3BE), ("omicron", 0x3BF), ("pi", 0x3C0),
        ("rho", 0x3C1), ("varsigma", 0x3C2), ("sigma", 0x3C3), ("tau", 0x3C4),
        ("upsilon", 0x3C5), ("varphi", 0x3C6), ("chi", 0x3C7), ("psi", 0x3C8),
        ("omega", 0x3C9), ("epsilon", 0x3F5), ("vartheta", 0x3D1), ("phi", 0x3D5),
        ("varpi", 0x3D6), ("varkappa", 0x3F0), ("varrho", 0x3F1),
    ]
    for (name, code) in greek { table["\\" + name] = String(UnicodeScalar(code)!) }
    // Capitals: Α..Ω in alphabet order, skipping U+03A2 (unassigned).
    let capitals = ["Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta", "Eta", "Theta",
                    "Iota", "Kappa", "Lambda", "Mu", "Nu", "Xi", "Omicron", "Pi", "Rho",
                    "Sigma", "Tau", "Upsilon", "Phi", "Chi", "Psi", "Omega"]
    for (i, name) in capitals.enumerated() {
        let code = 0x391 + UInt32(i) + (i >= 17 ? 1 : 0)
        table["\\" + name] = String(UnicodeScalar(code)!)
    }
    let symbols: [String: String] = [
        "hbar": "ħ", "hslash": "ℏ", "partial": "∂", "nabla": "∇", "infty": "∞",
        "sum": "∑", "prod": "∏", "int": "∫", "iint": "∬", "oint": "∮",
        "pm": "±", "mp": "∓", "cdot": "⋅", "times": "×", "div": "÷",
        "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "ne": "≠", "neq": "≠",
        "approx": "≈", "equiv": "≡", "sim": "∼", "simeq": "≃", "propto": "∝",
        "sqrt": "√", "cbrt": "∛", "in": "∈", "notin": "∉", "subset": "⊂",
        "cup": "∪", "cap": "∩", "to": "→", "rightarrow": "→", "leftarrow": "←",
        "leftrightarrow": "↔", "Rightarrow": "⇒", "mapsto": "↦", "forall": "∀",
        "exists": "∃", "emptyset": "∅", "degree": "°", "ell": "ℓ", "dagger": "†",
        "otimes": "⊗", "oplus": "⊕", "circ": "∘", "star": "⋆", "bullet": "•",
        "langle": "⟨", "rangle": "⟩", "perp": "⊥", "parallel": "∥", "prime": "′",
        "Re": "ℜ", "Im": "ℑ", "aleph": "ℵ", "Angstrom": "Å", "euler": "ℯ",
        "ldots": "…", "cdots": "⋯", "wedge": "∧", "vee": "∨", "neg": "¬",
    ]
    for (name, symbol) in symbols { table["\\" + name] = symbol }
    // \_0..\_9 and \^0..\^9 (Julia's sub/superscript digits), a few letters.
    let sub = ["₀", "₁", "₂", "₃", "₄", "₅", "₆", "₇", "₈", "₉"]
    let sup = ["⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"]
    for d in 0..<10 { table["\\_\(d)"] = sub[d]; table["\\^\(d)"] = sup[d] }
    for (l, s) in [("a", "ₐ"), ("e", "ₑ"), ("i", "ᵢ"), ("j", "ⱼ"), ("k", "ₖ"), ("n", "ₙ"), ("t", "ₜ"), ("x", "ₓ")] {
        table["\\_" + l] = s
    }
    for (l, s) in [("i", "ⁱ"), ("n", "ⁿ"), ("T", "ᵀ")] { table["\\^" + l] = s }
    return table
}()

/// All names, sorted, for prefix search and listing.
let latexNames: [String] = latexSymbols.keys.sorted()
