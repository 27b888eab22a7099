// matplotlib's colour maps by name (ColormapTable.swift), "_r" reversed.

/// A colour map: t in 0...1 to a colour (NaN: transparent).
public struct Colormap: Sendable {
    let stops: [RGBA]
    public let name: String

    /// nil when `name` is not a colour map.
    public init?(_ name: String) {
        let reversed = name.hasSuffix("_r")
        let base = reversed ? String(name.dropLast(2)) : name
        guard let hexes = colormapTable[base] ?? colormapTable.first(where: { $0.key.lowercased() == base.lowercased() })?.value else { return nil }
        let chars = Array(hexes)
        var s: [RGBA] = []
        var i = 0
        while i + 6 <= chars.count { s.append(RGBA(hex: "#" + String(chars[i..<(i + 6)]))); i += 6 }
        stops = reversed ? s.reversed() : s
        self.name = name
    }

    public static var names: [String] { colormapTable.keys.sorted { $0.lowercased() < $1.lowercased() } }

    public func callAsFunction(_ t: Double) -> RGBA {
        guard t.isFinite else { return RGBA(1, 1, 1, 0) }
        let u = min(max(t, 0), 1) * Double(stops.count - 1)
        let i = min(Int(u), stops.count - 2), f = u - Double(i)
        let a = stops[i], b = stops[i + 1]
        return RGBA(a.r + (b.r - a.r) * f, a.g + (b.g - a.g) * f, a.b + (b.b - a.b) * f)
    }
}
