// Numeric CSV: one row of numbers per line. Fields are trimmed (Swift's
// Double(String) rejects surrounding spaces), may be "quoted"; blank lines and
// lines starting with # are skipped. A failure names the line and column.

extension ArrayFiles {
    /// A 2-D tensor [rows, columns] from CSV text (1-D when there is one column).
    /// `delimiter` is one character; " " splits on runs of spaces and tabs. `check`
    /// is called every 4096 lines; what it throws (Ctrl-C) stops the parse.
    public static func csvDecode(_ bytes: [UInt8], delimiter: String = ",", skipHeader: Int = 0,
                                 check: () throws -> Void = {}) throws -> Tensor {
        guard delimiter.count == 1, let delim = delimiter.first, delim != "\n", delim != "\"" else {
            throw TensorError(nil, "the delimiter must be one character (not a quote or line end), got \"\(delimiter)\".")
        }
        guard skipHeader >= 0 else { throw TensorError(nil, "skip_header must be 0 or more, got \(skipHeader).") }
        if let z = bytes.firstIndex(of: 0) {
            throw TensorError(nil, "not a text file (a zero byte at offset \(z)).")
        }
        var values: [Double] = []
        var columns = -1, rows = 0, firstLine = 0
        var lineNo = 0
        // split on bytes: as Characters, "\r\n" is one grapheme and never equals "\n"
        var lineStart = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0   // a UTF-8 byte order mark
        while lineStart < bytes.count {
            var lineEnd = bytes[lineStart...].firstIndex(of: 0x0A) ?? bytes.count
            let next = lineEnd + 1
            defer { lineStart = next }
            if lineEnd > lineStart && bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            lineNo += 1
            if lineNo & 4095 == 0 { try check() }
            if lineNo <= skipHeader { continue }
            let line = String(decoding: bytes[lineStart..<lineEnd], as: UTF8.self)
            let trimmed = line.arrayFileTrimmed()
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let fields: [Substring] = delim == " "
                ? line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                : line.split(separator: delim, omittingEmptySubsequences: false)
            if columns < 0 { columns = fields.count; firstLine = lineNo }
            guard fields.count == columns else {
                throw TensorError(nil, "line \(lineNo) has \(fields.count) columns, line \(firstLine) has \(columns).")
            }
            for (c, f) in fields.enumerated() {
                var s = f.arrayFileTrimmed()
                if s.count >= 2 && s.hasPrefix("\"") && s.hasSuffix("\"") { s = String(s.dropFirst().dropLast()).arrayFileTrimmed() }
                guard let x = Double(s) else {
                    var msg = "line \(lineNo), column \(c + 1): cannot read "
                    msg += s.isEmpty ? "an empty field as a number." : "\"\(s.count > 30 ? String(s.prefix(30)) + "..." : s)\" as a number."
                    if delim != "," && s.contains(",") { msg += " (Decimal commas are not read; use a point.)" }
                    else if lineNo == 1 && skipHeader == 0 { msg += " (A header line? Use skip_header=1.)" }
                    throw TensorError(nil, msg)
                }
                values.append(x)
            }
            rows += 1
        }
        guard rows > 0 else { throw TensorError(nil, "no numbers found (the file has \(lineNo) lines, none with data).") }
        if columns == 1 { return try Tensor(values) }
        return try Tensor(values, shape: [rows, columns])
    }

    /// CSV text for a 1-D (one number per line) or 2-D tensor, numbers in
    /// shortest round-trip form (nan, inf, -inf as such).
    public static func csvEncode(_ t: Tensor, delimiter: String = ",") throws -> [UInt8] {
        guard delimiter.count == 1, delimiter != "\n", delimiter != "\"" else {
            throw TensorError(nil, "the delimiter must be one character (not a quote or line end), got \"\(delimiter)\".")
        }
        guard t.ndim == 1 || t.ndim == 2 else {
            throw TensorError(nil, "CSV holds 1-D or 2-D tensors, got shape \(shapeString(t.shape)) (reshape it first).")
        }
        let rows = t.shape[0], cols = t.ndim == 2 ? t.shape[1] : 1
        let p = t.storage.pointer
        var out = ""
        out.reserveCapacity(t.count * 8)
        for r in 0..<rows {
            for c in 0..<cols {
                if c > 0 { out += delimiter }
                out += Tensor.formatNumber(p[r * cols + c])
            }
            out += "\n"
        }
        return Array(out.utf8)
    }
}
