/// Reads audit CSV exports (`system.access.audit` downloaded as CSV): RFC 4180 quoting,
/// multi-line quoted fields, a header row. Each row becomes a JSON object of strings so the
/// same normalizer handles it; nested columns (user_identity, request_params, ...) stay JSON text.
struct CSVRecords {
    enum Row {
        case record(json: [UInt8], line: Int, offset: Int)
        case bad(line: Int, offset: Int, reason: String)
    }

    /// True when the header names the columns of an audit export.
    func looksLikeAuditCSV(_ b: UnsafeRawBufferPointer, from start: Int) -> Bool {
        var end = start
        while end < b.count, b[end] != 10 { end += 1 }
        let header = String(decoding: UnsafeRawBufferPointer(rebasing: b[start..<end]), as: UTF8.self)
        return header.contains("action_name") && (header.contains("event_time") || header.contains("service_name"))
    }

    func read(_ b: UnsafeRawBufferPointer, from start: Int, _ body: (Row) -> Void) {
        var i = start
        var line = 1
        for k in 0..<start where b[k] == 10 { line += 1 }
        var header: [[UInt8]] = []
        var first = true
        while i < b.count {
            let rowLine = line, rowOffset = i
            var fields: [[UInt8]] = []
            var field: [UInt8] = []
            var inQuotes = false
            var ended = false
            var malformed: String?
            while i < b.count {
                let c = b[i]
                if inQuotes {
                    if c == 34 {
                        if i + 1 < b.count, b[i + 1] == 34 { field.append(34); i += 2; continue }
                        inQuotes = false
                    } else {
                        if c == 10 { line += 1 }
                        field.append(c)
                    }
                    i += 1
                    continue
                }
                if c == 34 {
                    if field.isEmpty {
                        inQuotes = true
                    } else {
                        malformed = malformed ?? "stray quote inside an unquoted field"; field.append(c)
                    }
                } else if c == 44 {
                    fields.append(field); field = []
                } else if c == 10 {
                    line += 1; i += 1; ended = true; break
                } else if c != 13 {
                    field.append(c)
                }
                i += 1
            }
            if inQuotes { malformed = "unterminated quoted field (the file ends inside it)" }
            fields.append(field)
            _ = ended
            if fields.count == 1 && fields[0].isEmpty { continue }  // blank line
            if first {
                header = fields
                first = false
                continue
            }
            if let malformed { body(.bad(line: rowLine, offset: rowOffset, reason: "CSV: \(malformed)")); continue }
            if fields.count != header.count {
                body(
                    .bad(
                        line: rowLine, offset: rowOffset,
                        reason: "CSV: row has \(fields.count) fields, the header has \(header.count)"))
                continue
            }
            var json: [UInt8] = [123]
            var any = false
            for (name, value) in zip(header, fields) where !value.isEmpty && value != Array("null".utf8) {
                if any { json.append(44) }
                any = true
                JSONText.appendString(name, to: &json)
                json.append(58)
                JSONText.appendString(value, to: &json)
            }
            json.append(125)
            body(.record(json: json, line: rowLine, offset: rowOffset))
        }
    }
}

/// JSON string escaping shared by the CSV adapter and the writers.
public enum JSONText {
    private static let hex = Array("0123456789abcdef".utf8)

    /// Appends `"…"` with JSON escaping. Invalid UTF-8 is replaced with U+FFFD.
    public static func appendString<S: Sequence>(_ s: S, to out: inout [UInt8]) where S.Element == UInt8 {
        out.append(34)
        let text = String(decoding: Array(s), as: UTF8.self)
        appendEscaped(text.utf8, to: &out)
        out.append(34)
    }

    /// Appends the escaped body of a valid UTF-8 string (no quotes). Runs of bytes that need no
    /// escaping are copied in bulk.
    public static func appendEscaped(_ s: String.UTF8View, to out: inout [UInt8]) {
        // Native strings are contiguous: escape in place, no copy.
        let done: Void? = s.withContiguousStorageIfAvailable {
            appendEscaped(bytes: UnsafeRawBufferPointer($0), to: &out)
        }
        if done != nil { return }
        var copy = String(s)
        copy.withUTF8 { appendEscaped(bytes: UnsafeRawBufferPointer($0), to: &out) }
    }

    public static func appendEscaped(bytes b: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        var runStart = 0
        var i = 0
        let n = b.count
        while i < n {
            let c = b[i]
            if c >= 32 && c != 34 && c != 92 && c != 0x7f { i += 1; continue }
            if i > runStart { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: b[runStart..<i])) }
            switch c {
            case 34: out.append(92); out.append(34)
            case 92: out.append(92); out.append(92)
            case 10: out.append(92); out.append(110)
            case 13: out.append(92); out.append(114)
            case 9: out.append(92); out.append(116)
            default:
                out.append(contentsOf: [92, 117, 48, 48])
                out.append(hexDigit(c >> 4)); out.append(hexDigit(c & 15))
            }
            i += 1
            runStart = i
        }
        if n > runStart { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: b[runStart..<n])) }
    }

    @inlinable static func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 48 + v : 87 + v }
}

extension JSON {
    /// The rows of a CSV file with a header row (RFC 4180), each as an object of strings, with
    /// the 1-based line it starts on; malformed rows come back as reasons.
    public static func csvRows(_ bytes: [UInt8]) -> [(line: Int, row: Result<JSON, JSONDocumentError>)] {
        var out = [(line: Int, row: Result<JSON, JSONDocumentError>)]()
        let start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        bytes.withUnsafeBytes { b in
            CSVRecords().read(b, from: start) { row in
                switch row {
                case .record(let json, let line, _):
                    out.append((line, Result { () throws(JSONDocumentError) in try JSON.parse(json) }))
                case .bad(let line, _, let reason):
                    out.append((line, .failure(JSONDocumentError(reason: reason))))
                }
            }
        }
        return out
    }
}
