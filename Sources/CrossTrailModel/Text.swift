extension Unicode.Scalar {
    /// `<U+202E>`: how a display-spoofing character is shown.
    public var visibleCode: String { "<U+" + String(value, radix: 16, uppercase: true).leftPadded(4) + ">" }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

extension Array where Element: Hashable {
    /// The elements in order, each once.
    public func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}

extension Unicode.Scalar {
    /// Characters that change how the text around them is displayed without showing themselves:
    /// bidirectional overrides, embeddings and isolates (U+202A–U+202E, U+2066–U+2069, marks),
    /// zero-width spaces and joiners, the word joiner and the byte order mark. In a log value they
    /// make one name look like another (`admin\u{202E}gnp.exe`).
    public var isDisplaySpoofing: Bool {
        switch value {
        case 0x061C, 0x200B...0x200F, 0x202A...0x202E, 0x2060...0x2064, 0x2066...0x2069, 0xFEFF: true
        default: false
        }
    }
}

extension String {
    /// The text with C0/C1 control characters replaced by `?` and display-spoofing characters
    /// (bidi overrides, zero-width characters) shown as `<U+202E>`, so untrusted strings printed
    /// to a terminal cannot move the cursor, recolour, rewrite earlier output or read as
    /// something else.
    public var terminalSafe: String {
        func control(_ u: Unicode.Scalar) -> Bool { u.value < 32 || u.value == 127 || (0x80..<0xA0).contains(u.value) }
        guard unicodeScalars.contains(where: { control($0) || $0.isDisplaySpoofing }) else { return self }
        var out = String.UnicodeScalarView()
        for u in unicodeScalars {
            if control(u) {
                out.append("?")
            } else if u.isDisplaySpoofing {
                out.append(contentsOf: u.visibleCode.unicodeScalars)
            } else {
                out.append(u)
            }
        }
        return String(out)
    }

    /// The text padded with spaces to `width` characters (longer text is left as it is): table columns.
    public func padded(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
