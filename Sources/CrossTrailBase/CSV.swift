/// CSV cells as RFC 4180 writes them, safe to open in a spreadsheet: a cell a spreadsheet would
/// run as a formula (`=`, `+`, `@`, or `-` not followed by a number) is prefixed with `'`.
public enum CSV {
    public static func cell(_ s: String, _ out: inout [UInt8]) {
        var text = s
        if let f = text.utf8.first,
            f == UInt8(ascii: "=") || f == UInt8(ascii: "+") || f == UInt8(ascii: "@")
                || (f == UInt8(ascii: "-") && text.count > 1 && !text.dropFirst().allSatisfy(\.isNumber))
        {
            text = "'" + text
        }
        let needsQuote = text.utf8.contains { $0 == 44 || $0 == 34 || $0 == 10 || $0 == 13 }
        if !needsQuote { out.append(contentsOf: text.utf8); return }
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
