import Foundation

/// Sigma's value-transforming modifiers: applied to a test's values when the rule loads, left to
/// right, before the comparison modifier (`CommandLine|windash|contains`, `data|wide|base64offset|contains`).
/// Each turns one value into one or more alternatives (any of them may match).
enum ValueTransform: String, Sendable {
    /// The value's base64 encoding (of its UTF-8, or of the bytes a `wide`/`utf16` modifier made).
    case base64
    /// The three encodings of the value at byte offsets 0, 1 and 2 of a longer base64 text, with
    /// the characters that depend on its neighbours cut off (use with `contains`).
    case base64offset
    /// A `-` or `/` that starts a word (after a non-word character, before a word character)
    /// also as each of `-`, `/`, en dash, em dash and horizontal bar: Windows command-line
    /// options accept them all. At most three such dashes per value (as pySigma).
    case windash
    /// UTF-16 encodings, kept as their bytes for a following `base64`/`base64offset`.
    case wide, utf16le, utf16be, utf16

    func apply(_ value: String) -> [String] {
        switch self {
        case .base64: return [Data(Self.bytes(value)).base64EncodedString()]
        case .base64offset:
            let bytes = Self.bytes(value)
            return (0..<3).map { shift in
                let encoded = Data(Array(repeating: UInt8(ascii: " "), count: shift) + bytes).base64EncodedString()
                let start = [0, 2, 3][shift]
                let end = encoded.count - [0, 3, 2][(bytes.count + shift) % 3]
                return start < end ? String(Array(encoded)[start..<end]) : ""
            }.filter { !$0.isEmpty }
        case .windash:
            let chars = Array(value)
            let positions = Self.windashPositions(chars)
            var out = [chars]
            for i in positions {
                out = out.flatMap { v in
                    Self.dashes.map { d in
                        var w = v; w[i] = d; return w
                    }
                }
            }
            return out.map { String($0) }.uniqued()
        case .wide, .utf16le: return [Self.encode(Array(value.utf16).flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] })]
        case .utf16be: return [Self.encode(Array(value.utf16).flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] })]
        case .utf16:
            return [Self.encode([0xff, 0xfe] + Array(value.utf16).flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] })]
        }
    }

    /// Where `windash` expands: a `-` or `/` after a non-word character (or at the start) and
    /// before a word character (pySigma's `\B[-/]\b`).
    static func windashPositions(_ chars: [Character]) -> [Int] {
        func word(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" }
        return chars.indices.filter { i in
            (chars[i] == "-" || chars[i] == "/") && (i == 0 || !word(chars[i - 1])) && i + 1 < chars.count
                && word(chars[i + 1])
        }
    }

    static func windashCount(_ value: String) -> Int { windashPositions(Array(value)).count }

    static let dashes: [Character] = ["-", "/", "\u{2013}", "\u{2014}", "\u{2015}"]
    static let maxDashes = 3

    // UTF-16 output is carried to the base64 step as Latin-1 text (one character per byte).
    private static let latin1Marker: Character = "\u{E000}"

    private static func encode(_ bytes: [UInt8]) -> String {
        String(latin1Marker) + String(bytes.map { Character(Unicode.Scalar($0)) })
    }

    private static func bytes(_ value: String) -> [UInt8] {
        if value.first == latin1Marker {
            return value.dropFirst().unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }
        }
        return Array(value.utf8)
    }
}

extension Array where Element: Hashable {
    fileprivate func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
