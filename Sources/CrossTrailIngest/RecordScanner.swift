/// A forgiving, string-aware bracket scanner that finds record boundaries in damaged JSON:
/// the elements of an array (resuming after the last good record) or top-level values
/// (concatenated / pretty-printed objects). It never decodes; each element is parsed separately.
struct RecordScanner {
    enum Item {
        case element(offset: Int, length: Int, line: Int)
        /// Bytes that cannot start a record; skipped up to the next `{`.
        case garbage(offset: Int, line: Int, reason: String)
        /// The input ends inside a record.
        case truncated(offset: Int, line: Int)
    }

    let bytes: UnsafeRawBufferPointer
    let start: Int
    /// True: every balanced top-level value is a record. False: elements of the array we are inside.
    let topLevel: Bool
    /// Line number at `start`.
    let startLine: Int

    init(bytes: UnsafeRawBufferPointer, from start: Int, topLevel: Bool = false, startLine: Int = 1) {
        self.bytes = bytes
        self.start = start
        self.topLevel = topLevel
        self.startLine = startLine
    }

    func elements(_ body: (Item) -> Void) {
        let b = bytes
        let n = b.count
        var i = start
        var line = startLine
        while i < n {
            let c = b[i]
            if c == 10 { line += 1; i += 1; continue }
            if c == 32 || c == 9 || c == 13 || c == 44 { i += 1; continue }
            if !topLevel && c == 93 { return } // `]` closes the records array
            if c == 123 || c == 91 {
                let startLine = line
                var depth = 0, inString = false, escape = false
                var j = i
                var closed = false
                while j < n {
                    let d = b[j]
                    if d == 10 { line += 1 }
                    if inString {
                        if escape { escape = false } else if d == 92 { escape = true } else if d == 34 { inString = false }
                    } else if d == 34 {
                        inString = true
                    } else if d == 123 || d == 91 {
                        depth += 1
                    } else if d == 125 || d == 93 {
                        depth -= 1
                        if depth == 0 { closed = true; break }
                    }
                    j += 1
                }
                if !closed {
                    body(.truncated(offset: i, line: startLine))
                    return
                }
                body(.element(offset: i, length: j + 1 - i, line: startLine))
                i = j + 1
                continue
            }
            if !topLevel && (c == 34 || c == 45 || (c >= 48 && c <= 57) || c == 116 || c == 102 || c == 110) {
                // A scalar element: pass it on so it is reported as "not an object".
                var j = i
                var inString = false, escape = false
                while j < n {
                    let d = b[j]
                    if inString {
                        if escape { escape = false } else if d == 92 { escape = true } else if d == 34 { inString = false }
                    } else if d == 34 { inString = true } else if d == 44 || d == 93 || d == 10 { break }
                    j += 1
                }
                body(.element(offset: i, length: j - i, line: line))
                i = j
                continue
            }
            let at = i, atLine = line
            var j = i + 1
            while j < n, b[j] != 123 { if b[j] == 10 { line += 1 }; j += 1 }
            body(.garbage(offset: at, line: atLine, reason: "unexpected bytes where a record should start (skipped \(j - at) bytes)"))
            i = j
        }
        if !topLevel { body(.garbage(offset: n, line: line, reason: "the file ends before its records array is closed (truncated file?)")) }
    }
}
