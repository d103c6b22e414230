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
        /// After the records array closed, the document holds another record array under
        /// `keys[key]` (its key starts at `offset`); its elements follow.
        case nextArray(offset: Int, line: Int, key: Int)
    }

    let bytes: UnsafeRawBufferPointer
    let start: Int
    /// True: every balanced top-level value is a record. False: elements of the array we are inside.
    let topLevel: Bool
    /// Line number at `start`.
    let startLine: Int
    /// Record-array keys (`Records`, ...): when the array closes, the rest of the top-level object
    /// is searched for another array under one of them, so a damaged document does not hide the
    /// records of a second array.
    let keys: [[UInt8]]

    init(
        bytes: UnsafeRawBufferPointer, from start: Int, topLevel: Bool = false, startLine: Int = 1, keys: [[UInt8]] = []
    ) {
        self.bytes = bytes
        self.start = start
        self.topLevel = topLevel
        self.startLine = startLine
        self.keys = keys
    }

    /// After a records array's `]` at `from`: the members left in the top-level object are skipped
    /// until one of `keys` whose value is an array. Returns where the key starts, which key, and
    /// where its array's `[` is; nil when the object ends (or cannot be followed) without one.
    private func nextArray(from: Int, line: inout Int) -> (keyOffset: Int, key: Int, bracket: Int)? {
        let b = bytes, n = b.count
        var i = from
        func skipSpace() {
            while i < n, b[i] == 32 || b[i] == 9 || b[i] == 13 || b[i] == 10 || b[i] == 44 {
                if b[i] == 10 { line += 1 }
                i += 1
            }
        }
        /// Past a string starting at `i` (its opening quote); false when it does not end.
        func skipString() -> Bool {
            i += 1
            while i < n {
                if b[i] == 92 { i += 2; continue }
                if b[i] == 10 { line += 1 }
                if b[i] == 34 { i += 1; return true }
                i += 1
            }
            return false
        }
        while true {
            skipSpace()
            guard i < n, b[i] == 34 else { return nil }  // `}` or damage: no more members to follow
            let keyStart = i
            guard skipString() else { return nil }
            let name = UnsafeRawBufferPointer(rebasing: b[(keyStart + 1)..<(i - 1)])
            skipSpace()
            guard i < n, b[i] == 58 else { return nil }
            i += 1
            skipSpace()
            guard i < n else { return nil }
            if b[i] == 91, let k = keys.firstIndex(where: { $0.elementsEqual(name) }) {
                return (keyStart, k, i)
            }
            // Skip this member's value.
            if b[i] == 34 {
                guard skipString() else { return nil }
            } else if b[i] == 123 || b[i] == 91 {
                var depth = 0
                while i < n {
                    let c = b[i]
                    if c == 34 { guard skipString() else { return nil }; continue }
                    if c == 10 { line += 1 }
                    if c == 123 || c == 91 {
                        depth += 1
                    } else if c == 125 || c == 93 {
                        depth -= 1
                        if depth == 0 { i += 1; break }
                    }
                    i += 1
                }
                if depth != 0 { return nil }
            } else {
                while i < n, b[i] != 44, b[i] != 125, b[i] != 10 { i += 1 }
            }
        }
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
            if !topLevel && c == 93 {  // `]` closes the records array
                var after = line
                guard !keys.isEmpty, let next = nextArray(from: i + 1, line: &after) else { return }
                body(.nextArray(offset: next.keyOffset, line: line, key: next.key))
                line = after
                i = next.bracket + 1
                continue
            }
            if c == 123 || c == 91 {
                let startLine = line
                var depth = 0, inString = false, escape = false
                var j = i
                var closed = false
                while j < n {
                    let d = b[j]
                    if d == 10 { line += 1 }
                    if inString {
                        if escape {
                            escape = false
                        } else if d == 92 {
                            escape = true
                        } else if d == 34 {
                            inString = false
                        }
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
                        if escape {
                            escape = false
                        } else if d == 92 {
                            escape = true
                        } else if d == 34 {
                            inString = false
                        }
                    } else if d == 34 {
                        inString = true
                    } else if d == 44 || d == 93 || d == 10 {
                        break
                    }
                    j += 1
                }
                body(.element(offset: i, length: j - i, line: line))
                i = j
                continue
            }
            let at = i, atLine = line
            var j = i + 1
            while j < n, b[j] != 123 { if b[j] == 10 { line += 1 }; j += 1 }
            body(
                .garbage(
                    offset: at, line: atLine,
                    reason: "unexpected bytes where a record should start (skipped \(j - at) bytes)"))
            i = j
        }
        if !topLevel {
            body(
                .garbage(
                    offset: n, line: line, reason: "the file ends before its records array is closed (truncated file?)")
            )
        }
    }
}
