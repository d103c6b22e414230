import Foundation

/// An IAM action or ARN pattern: `*` matches any run of characters, `?` one character, and a
/// policy variable such as `${aws:username}` stands for a value known only at request time.
///
/// Besides matching a concrete string, patterns answer the two questions policy analysis needs:
/// can they match a common string (`overlaps`), and does one match everything the other does
/// (`covers`). `covers` is conservative: when it cannot prove coverage (policy variables) it
/// answers false, so a Deny is never assumed to apply where it might not.
public struct IAMPattern: Sendable, Hashable, CustomStringConvertible {
    enum Token: Hashable, Sendable {
        case char(UInt8)
        case one
        case any
        case variable
    }

    public let text: String
    let tokens: [Token]
    /// No wildcard and no variable: a concrete string (most actions and ARNs asked about).
    let isConcrete: Bool

    /// Actions compare case-insensitively (`s3:getobject` = `s3:GetObject`); ARNs do not.
    public init(_ text: String, caseInsensitive: Bool) {
        self.text = text
        let bytes = Array((caseInsensitive ? text.lowercased() : text).utf8)
        var out = [Token]()
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "$"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "{"),
                let close = bytes[(i + 2)...].firstIndex(of: UInt8(ascii: "}"))
            {
                out.append(.variable)
                i = close + 1
                continue
            }
            switch c {
            case UInt8(ascii: "*"): if out.last != .any { out.append(.any) }
            case UInt8(ascii: "?"): out.append(.one)
            default: out.append(.char(c))
            }
            i += 1
        }
        tokens = out
        isConcrete = out.allSatisfy(\.isChar)
    }

    public static func action(_ s: String) -> IAMPattern { IAMPattern(s, caseInsensitive: true) }
    public static func resource(_ s: String) -> IAMPattern { IAMPattern(s, caseInsensitive: false) }

    public var description: String { text }
    public var isWildcardAll: Bool { tokens == [.any] }
    public var hasWildcard: Bool { tokens.contains { !$0.isChar } }
    public var hasVariable: Bool { tokens.contains(.variable) }

    /// Whether some string matches both patterns.
    public func overlaps(_ other: IAMPattern) -> Bool {
        if isWildcardAll || other.isWildcardAll { return true }
        // A concrete side: whether the other pattern matches it (no table needed).
        if other.isConcrete { return Self.glob(tokens, other.tokens, variableMatchesAny: true) }
        if isConcrete { return Self.glob(other.tokens, tokens, variableMatchesAny: true) }
        let a = tokens, b = other.tokens
        // Literal heads and tails must agree; most pairs of unrelated ARNs fail here at once.
        var lo = 0
        while lo < a.count, lo < b.count, !a[lo].isStar, !b[lo].isStar {
            if !a[lo].compatible(b[lo]) { return false }
            lo += 1
        }
        var ha = a.count, hb = b.count
        while ha > lo, hb > lo, !a[ha - 1].isStar, !b[hb - 1].isStar {
            if !a[ha - 1].compatible(b[hb - 1]) { return false }
            ha -= 1
            hb -= 1
        }
        return Self.table(a[lo..<ha], b[lo..<hb]) { a, b, i, j, next in
            // next(i, j) reads the already computed cell for the rest of both patterns.
            if i == a.count && j == b.count { return true }
            if i < a.count, a[i].isStar { return next(i + 1, j) || (j < b.count && next(i, j + 1)) }
            if j < b.count, b[j].isStar { return next(i, j + 1) || (i < a.count && next(i + 1, j)) }
            if i < a.count, j < b.count { return a[i].compatible(b[j]) && next(i + 1, j + 1) }
            return false
        }
    }

    /// Whether every string `other` can match is matched by this pattern (proved, not guessed).
    public func covers(_ other: IAMPattern) -> Bool {
        if isWildcardAll { return true }
        let a = tokens, b = other.tokens
        // A variable's value is unknown: it never proves coverage.
        if a.contains(.variable) { return false }
        if other.isConcrete { return Self.glob(a, b, variableMatchesAny: false) }
        var lo = 0
        while lo < a.count, lo < b.count, a[lo] != .any, b[lo].isChar || a[lo] == .one {
            if a[lo] == .one ? !(b[lo] == .one || b[lo].isChar) : a[lo] != b[lo] { return false }
            lo += 1
        }
        return Self.table(a[lo...], b[lo...]) { a, b, i, j, next in
            if i == a.count { return j == b.count }
            // `*` absorbs any run of the other's tokens, wildcards included.
            if a[i] == .any { return next(i + 1, j) || (j < b.count && next(i, j + 1)) }
            if j == b.count { return false }
            if a[i] == .one { return (b[j] == .one || b[j].isChar) && next(i + 1, j + 1) }
            return a[i] == b[j] && next(i + 1, j + 1)
        }
    }

    /// Whether `pattern` matches the concrete `text` (all `.char` tokens): `*` any run, `?` one
    /// character, a variable any run when `variableMatchesAny`, else nothing. Backtracking to the
    /// last `*` only (O(pattern × text) at worst, linear in practice), no allocation.
    static func glob(_ pattern: [Token], _ text: [Token], variableMatchesAny: Bool) -> Bool {
        pattern.withUnsafeBufferPointer { p in
            text.withUnsafeBufferPointer { t in
                var i = 0, j = 0, star = -1, mark = 0
                while j < t.count {
                    if i < p.count {
                        switch p[i] {
                        case .any:
                            star = i; mark = j; i += 1; continue
                        case .variable:
                            guard variableMatchesAny else { return false }
                            star = i; mark = j; i += 1; continue
                        case .one:
                            i += 1; j += 1; continue
                        case .char(let c):
                            if case .char(let d) = t[j], c == d { i += 1; j += 1; continue }
                        }
                    }
                    guard star >= 0 else { return false }
                    i = star + 1
                    mark += 1
                    j = mark
                }
                while i < p.count, p[i] == .any || (variableMatchesAny && p[i] == .variable) { i += 1 }
                return i == p.count
            }
        }
    }

    /// Fills a (|a|+1)×(|b|+1) table from the ends backwards; `rule` decides cell (i, j) from
    /// cells further on. Returns cell (0, 0).
    private static func table(
        _ a: ArraySlice<Token>, _ b: ArraySlice<Token>,
        _ rule: ([Token], [Token], Int, Int, (Int, Int) -> Bool) -> Bool
    ) -> Bool {
        let a = Array(a), b = Array(b)
        let width = b.count + 1
        var cells = [Bool](repeating: false, count: (a.count + 1) * width)
        return cells.withUnsafeMutableBufferPointer { cell in
            for i in stride(from: a.count, through: 0, by: -1) {
                for j in stride(from: b.count, through: 0, by: -1) {
                    cell[i * width + j] = rule(a, b, i, j) { x, y in cell[x * width + y] }
                }
            }
            return cell[0]
        }
    }

    /// Whether a concrete string matches.
    public func matches(_ s: String, caseInsensitive: Bool = false) -> Bool {
        covers(IAMPattern(s.replacingStars, caseInsensitive: caseInsensitive))
    }
}

extension IAMPattern.Token {
    var isStar: Bool { self == .any || self == .variable }
    var isChar: Bool { if case .char = self { return true } else { return false } }
    func compatible(_ o: Self) -> Bool {
        switch (self, o) {
        case (.char(let x), .char(let y)): return x == y
        default: return true
        }
    }
}

extension String {
    /// Concrete values never contain wildcards, but a logged value might: keep them literal.
    fileprivate var replacingStars: String {
        guard contains("*") || contains("?") || contains("${") else { return self }
        return replacingOccurrences(of: "*", with: "\u{1}").replacingOccurrences(of: "?", with: "\u{2}")
            .replacingOccurrences(of: "${", with: "\u{3}{")
    }
}
