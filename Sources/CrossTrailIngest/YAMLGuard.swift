/// Refuses, before the YAML library sees them, the YAML constructs whose cost explodes in it:
/// mapping keys that are collections or aliases (`? ` explicit keys, `[a]: b`, `{a: b}: c`,
/// `*x : y`). The YAML library hashes every mapping key and, when a mapping repeats a key, sorts
/// the keys with a comparison that does twice the work at each level of nesting: a 4 KB file of
/// nested complex keys took minutes, a 16 KB one hours, and one alias of an anchor doubled forty
/// times, used as a key, never finished (fuzzing found the first; the rest followed from it).
/// Rule, settings and classification files never need such keys, so they are an error naming the
/// line. The scan is a small lexer: it skips comments, quoted scalars and block scalars, and looks
/// only at positions where a YAML node can start.
public enum YAMLGuard {
    public struct Refusal: Error, Sendable, Equatable {
        /// 1-based line of the construct.
        public var line: Int
        public var reason: String
    }

    /// Largest YAML document accepted (the YAML library holds ~50 bytes of nodes per byte).
    public static let maxBytes = 16 << 20

    public static func check(_ text: String) -> Refusal? {
        guard text.utf8.count <= maxBytes else {
            return Refusal(line: 1, reason: "YAML file larger than \(maxBytes >> 20) MiB")
        }
        var contiguous = text
        contiguous.makeContiguousUTF8()
        return contiguous.utf8.withContiguousStorageIfAvailable { scan($0) } ?? nil
    }

    /// Shortens a YAML library error (it quotes whole lines, which can be megabytes long).
    public static func shorten(_ message: String, limit: Int = 300) -> String {
        let oneLine = message.split(whereSeparator: \.isNewline).joined(separator: " ")
        return oneLine.count > limit ? oneLine.prefix(limit) + "…" : oneLine
    }

    private static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 }
    private static func isBreak(_ c: UInt8) -> Bool { c == 0x0A || c == 0x0D }
    private static func isFlowIndicator(_ c: UInt8) -> Bool {
        c == 0x2C || c == 0x5B || c == 0x5D || c == 0x7B || c == 0x7D
    }

    private static func scan(_ b: UnsafeBufferPointer<UInt8>) -> Refusal? {
        let n = b.count
        var i = 0
        var line = 1
        var flowDepth = 0
        // Indentation of the line that opened a block scalar (`|`, `>`), while inside one.
        var blockScalarIndent: Int?
        var lineIndent = 0
        var atLineStart = true
        var atNodeStart = true
        func at(_ k: Int) -> UInt8 { k < n ? b[k] : 0x0A }
        func endsToken(_ k: Int) -> Bool { k >= n || isSpace(b[k]) || isBreak(b[k]) }

        while i < n {
            let c = b[i]
            if isBreak(c) {
                if c == 0x0D, at(i + 1) == 0x0A { i += 1 }
                i += 1
                line += 1
                atLineStart = true
                continue
            }
            if atLineStart {
                var indent = 0
                while i + indent < n, b[i + indent] == 0x20 { indent += 1 }
                let blank = i + indent >= n || isBreak(b[i + indent])
                if let open = blockScalarIndent {
                    if blank || indent > open {  // still inside the block scalar: skip the line
                        i += indent
                        while i < n, !isBreak(b[i]) { i += 1 }
                        continue
                    }
                    blockScalarIndent = nil
                }
                lineIndent = indent
                i += indent
                atLineStart = false
                if flowDepth == 0 { atNodeStart = true }
                continue
            }
            if isSpace(c) { i += 1; continue }
            // A comment runs to the end of the line.
            if c == 0x23, i == 0 || isSpace(b[i - 1]) || isBreak(b[i - 1]) {
                while i < n, !isBreak(b[i]) { i += 1 }
                continue
            }
            if atNodeStart {
                switch c {
                case 0x3F where endsToken(i + 1):  // `? key`
                    return Refusal(line: line, reason: "explicit ('? ') mapping keys are not supported")
                case 0x2D where endsToken(i + 1):  // `- ` sequence entry: a node follows
                    i += 1
                    continue
                // `---`: a document follows
                case 0x2D where at(i + 1) == 0x2D && at(i + 2) == 0x2D && endsToken(i + 3):
                    i += 3
                    continue
                case 0x26, 0x21:  // `&anchor`, `!tag`: a node follows
                    while i < n, !isSpace(b[i]), !isBreak(b[i]), !(flowDepth > 0 && isFlowIndicator(b[i])) { i += 1 }
                    continue
                case 0x2A:  // `*alias`: refused when it is a key
                    while i < n, !isSpace(b[i]), !isBreak(b[i]), !isFlowIndicator(b[i]) { i += 1 }
                    var k = i
                    while k < n, isSpace(b[k]) { k += 1 }
                    if at(k) == 0x3A {
                        return Refusal(line: line, reason: "an alias ('*name') as a mapping key is not supported")
                    }
                    atNodeStart = false
                    continue
                case 0x27, 0x22:  // quoted scalar, possibly over several lines
                    let quote = c
                    i += 1
                    while i < n {
                        if b[i] == quote {
                            if quote == 0x27, at(i + 1) == 0x27 { i += 2; continue }  // '' inside '...'
                            break
                        }
                        if quote == 0x22, b[i] == 0x5C { i += 2; continue }  // \x inside "..."
                        if b[i] == 0x0A { line += 1 }
                        i += 1
                    }
                    i += 1
                    atNodeStart = false
                    continue
                case 0x7C, 0x3E:  // `|` or `>` block scalar header (block context only)
                    var k = i + 1
                    while k < n, b[k] == 0x2B || b[k] == 0x2D || (b[k] >= 0x30 && b[k] <= 0x39) { k += 1 }
                    if flowDepth == 0, endsToken(k) {
                        blockScalarIndent = lineIndent
                        while i < n, !isBreak(b[i]) { i += 1 }
                        continue
                    }
                case 0x5B, 0x7B:  // `[` or `{` opens a flow collection
                    flowDepth += 1
                    i += 1
                    continue
                default:
                    break
                }
            }
            i += 1
            if flowDepth > 0, c == 0x5D || c == 0x7D {  // `]` or `}` closes one; a `:` after it makes it a key
                flowDepth -= 1
                var k = i
                while k < n, isSpace(b[k]) { k += 1 }
                if at(k) == 0x3A {
                    return Refusal(
                        line: line, reason: "a flow collection ('[...]' or '{...}') as a mapping key is not supported")
                }
                atNodeStart = false
            } else if flowDepth > 0, c == 0x2C || c == 0x5B || c == 0x7B {  // `,` or a nested collection inside one
                if c != 0x2C { flowDepth += 1 }
                atNodeStart = true
            } else {
                // `:` is the value indicator in flow context, or before a space or line end.
                atNodeStart = c == 0x3A && (flowDepth > 0 || endsToken(i))
            }
        }
        return nil
    }
}
