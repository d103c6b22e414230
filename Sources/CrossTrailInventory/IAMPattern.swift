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
               let close = bytes[(i + 2)...].firstIndex(of: UInt8(ascii: "}")) {
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
    }

    public static func action(_ s: String) -> IAMPattern { IAMPattern(s, caseInsensitive: true) }
    public static func resource(_ s: String) -> IAMPattern { IAMPattern(s, caseInsensitive: false) }

    public var description: String { text }
    public var isWildcardAll: Bool { tokens == [.any] }
    public var hasWildcard: Bool { tokens.contains { !$0.isChar } }
    public var hasVariable: Bool { tokens.contains(.variable) }

    /// Whether some string matches both patterns.
    public func overlaps(_ other: IAMPattern) -> Bool {
        let a = tokens, b = other.tokens
        var memo = [Int8](repeating: -1, count: (a.count + 1) * (b.count + 1))
        func go(_ i: Int, _ j: Int) -> Bool {
            let k = i * (b.count + 1) + j
            if memo[k] >= 0 { return memo[k] == 1 }
            let r: Bool
            if i == a.count && j == b.count {
                r = true
            } else if i < a.count, a[i].isStar {
                r = go(i + 1, j) || (j < b.count && go(i, j + 1))
            } else if j < b.count, b[j].isStar {
                r = go(i, j + 1) || (i < a.count && go(i + 1, j))
            } else if i < a.count, j < b.count {
                r = a[i].compatible(b[j]) && go(i + 1, j + 1)
            } else {
                r = false
            }
            memo[k] = r ? 1 : 0
            return r
        }
        return go(0, 0)
    }

    /// Whether every string `other` can match is matched by this pattern (proved, not guessed).
    public func covers(_ other: IAMPattern) -> Bool {
        let a = tokens, b = other.tokens
        if a.contains(.variable) { return false }
        var memo = [Int8](repeating: -1, count: (a.count + 1) * (b.count + 1))
        func go(_ i: Int, _ j: Int) -> Bool {
            let k = i * (b.count + 1) + j
            if memo[k] >= 0 { return memo[k] == 1 }
            let r: Bool
            if i == a.count {
                r = j == b.count
            } else if a[i] == .any {
                // `*` absorbs any run of the other's tokens, wildcards included.
                r = go(i + 1, j) || (j < b.count && go(i, j + 1))
            } else if j == b.count {
                r = false
            } else if a[i] == .one {
                r = (b[j] == .one || b[j].isChar) && go(i + 1, j + 1)
            } else {
                r = a[i] == b[j] && go(i + 1, j + 1)
            }
            memo[k] = r ? 1 : 0
            return r
        }
        return go(0, 0)
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
