#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

/// The longest run of literal text every match of a regular expression must contain, found
/// conservatively (nil when unsure): a value without it cannot match, so the expression is not
/// run. Most events meet a rule's regular expression only to fail it, and a pattern such as
/// `.+:assumed-role/aws:.+` costs time quadratic in the value's length on every one of them.
struct RegexLiteral: Sendable {
    /// The literal (lowercased when `ignoreCase`).
    var text: String
    var ignoreCase: Bool

    /// Whether `value` contains the literal (UTF-8 bytes: memchr for the first byte, memcmp for
    /// the rest; lowercased first when the expression ignores case).
    func isContained(in value: String) -> Bool {
        // Non-ASCII text under case-insensitive matching: folding beyond lowercasing may apply,
        // so the expression decides.
        if ignoreCase && !value.utf8.allSatisfy({ $0 < 0x80 }) { return true }
        var haystack = ignoreCase ? value.lowercased() : value
        var needle = text
        return haystack.withUTF8 { h in
            needle.withUTF8 { n in
                guard let hb = h.baseAddress, let nb = n.baseAddress, n.count <= h.count else { return n.isEmpty }
                var start = 0
                let last = h.count - n.count
                while start <= last {
                    guard let found = memchr(hb + start, Int32(nb.pointee), last - start + 1) else { return false }
                    let at = hb.distance(to: found.assumingMemoryBound(to: UInt8.self))
                    if memcmp(hb + at, nb, n.count) == 0 { return true }
                    start = at + 1
                }
                return false
            }
        }
    }

    /// - Parameter caseInsensitive: the expression ignores case (`re|i`).
    static func required(_ pattern: String, caseInsensitive: Bool) -> RegexLiteral? {
        var ignoreCase = caseInsensitive
        // Unicode scalars, not Characters: a combining mark after `|` or `(` must not hide them.
        var chars = Array(pattern.unicodeScalars)
        // A leading inline flag group: `(?i)` makes the literal case-insensitive; other flags
        // (x: spaces and comments) change what the text means: give up.
        if chars.starts(with: Array("(?".unicodeScalars)), let close = chars.firstIndex(of: ")") {
            let flags = chars[2..<close]
            guard flags.allSatisfy({ "imsu".unicodeScalars.contains($0) }) else { return nil }
            if flags.contains("i") { ignoreCase = true }
            chars.removeSubrange(0...close)
        }
        // Flags switched on later (`a(?i)bc`, `(?i:x)`) change case rules mid-pattern: give up.
        for i in chars.indices.dropLast(2)
        where chars[i] == "(" && chars[i + 1] == "?" && "imsxuw-".unicodeScalars.contains(chars[i + 2]) {
            return nil
        }
        var runs = [String](), current = "", depth = 0, i = 0
        func endRun() {
            if !current.isEmpty { runs.append(current) }
            current = ""
        }
        while i < chars.count {
            let c = chars[i]
            switch c {
            case "|" where depth == 0:
                return nil  // alternatives: no single literal is required
            case "(":
                depth += 1
                endRun()
            case ")":
                depth -= 1
                endRun()
            case "[":
                // Skip the set, nested sets and POSIX classes included ([[:digit:]abc], [a-z&&[^x]]).
                var j = i + 1, nesting = 1
                if j < chars.count && chars[j] == "^" { j += 1 }
                if j < chars.count && chars[j] == "]" { j += 1 }
                while j < chars.count && nesting > 0 {
                    if chars[j] == "\\" {
                        j += 2
                        continue
                    }
                    if chars[j] == "[" { nesting += 1 }
                    if chars[j] == "]" { nesting -= 1 }
                    j += 1
                }
                i = j - 1
                endRun()
            case "\\":
                guard i + 1 < chars.count else { return nil }
                let next = chars[i + 1]
                i += 1
                if next.properties.isAlphabetic || ("0"..."9").contains(next) {
                    // Classes without arguments end the run; anything else (\x41, \u0041, \0101,
                    // \cX, \N{...}, \p{...}, \Q...\E, back-references) is beyond this reading.
                    guard "dDwWsSbBhHvVRX".unicodeScalars.contains(next) else { return nil }
                    endRun()
                } else if depth == 0 {
                    current.unicodeScalars.append(next)  // an escaped metacharacter: itself
                } else {
                    endRun()
                }
            case ".", "^", "$":
                endRun()
            case "*", "?", "{":
                // The previous character is optional (or repeated a variable number of times).
                if !current.isEmpty { current.unicodeScalars.removeLast() }
                endRun()
                if c == "{" { while i < chars.count && chars[i] != "}" { i += 1 } }
                if i + 1 < chars.count && (chars[i + 1] == "?" || chars[i + 1] == "+") { i += 1 }
            case "+":
                endRun()  // the character before it is required once: kept in the run just ended
                if i + 1 < chars.count && (chars[i + 1] == "?" || chars[i + 1] == "+") { i += 1 }
            default:
                // A combining mark joins the character before it: not a separate literal.
                if c.properties.generalCategory == .nonspacingMark || c.properties.generalCategory == .enclosingMark {
                    if !current.isEmpty { current.unicodeScalars.removeLast() }
                    endRun()
                } else if depth == 0 {
                    current.unicodeScalars.append(c)
                } else {
                    endRun()
                }
            }
            i += 1
        }
        endRun()
        guard let longest = runs.max(by: { $0.unicodeScalars.count < $1.unicodeScalars.count }),
            longest.unicodeScalars.count >= 3
        else { return nil }
        // Case-insensitive: ASCII only (values are then compared only when ASCII too, where
        // lowercasing and ICU's full case folding agree: ß, ſ and the Kelvin sign fold further).
        if ignoreCase && !longest.unicodeScalars.allSatisfy(\.isASCII) { return nil }
        return RegexLiteral(text: ignoreCase ? longest.lowercased() : longest, ignoreCase: ignoreCase)
    }
}
