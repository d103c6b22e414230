/// CSV cells as RFC 4180 writes them, safe to open in a spreadsheet: a cell a spreadsheet would
/// run as a formula (`=`, `+`, `@`, or `-` not followed by a number) is prefixed with `'`.
public enum CSV {
    public static func cell(_ s: String, _ out: inout [UInt8]) {
        let text = defused(s)
        let needsQuote = text.utf8.contains { $0 == 44 || $0 == 34 || $0 == 10 || $0 == 13 }
        if !needsQuote { out.append(contentsOf: text.utf8); return }
        enclose(text, &out)
    }

    /// A cell always in quotes: identifiers readers must keep as text (account ids with leading
    /// zeros), for readers that take quoting as "text" (Python's csv with QUOTE_NONNUMERIC,
    /// DuckDB's `all_varchar`, spreadsheets' import dialogs).
    public static func quoted(_ s: String, _ out: inout [UInt8]) { enclose(defused(s), &out) }

    private static func defused(_ s: String) -> String {
        if let f = s.utf8.first,
            f == UInt8(ascii: "=") || f == UInt8(ascii: "+") || f == UInt8(ascii: "@")
                || (f == UInt8(ascii: "-") && s.count > 1 && !s.dropFirst().allSatisfy(\.isNumber))
        {
            return "'" + s
        }
        return s
    }

    private static func enclose(_ text: String, _ out: inout [UInt8]) {
        out.append(34)
        for c in text.utf8 {
            if c == 34 { out.append(34) }
            out.append(c)
        }
        out.append(34)
    }

    /// One row: cells separated by commas, ended by a newline.
    public static func row(_ cells: [String], _ out: inout [UInt8]) {
        for (i, c) in cells.enumerated() {
            if i > 0 { out.append(44) }
            cell(c, &out)
        }
        out.append(10)
    }
}
