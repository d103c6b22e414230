extension Array where Element: Hashable {
    /// The elements in order, each once.
    public func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}

extension String {
    /// The text with C0/C1 control characters replaced by `?`, so untrusted strings printed to a
    /// terminal cannot move the cursor, recolour or rewrite earlier output.
    public var terminalSafe: String {
        guard unicodeScalars.contains(where: { $0.value < 32 || $0.value == 127 || (0x80..<0xA0).contains($0.value) })
        else { return self }
        return String(
            String.UnicodeScalarView(
                unicodeScalars.map { $0.value < 32 || $0.value == 127 || (0x80..<0xA0).contains($0.value) ? "?" : $0 }))
    }

    /// The text padded with spaces to `width` characters (longer text is left as it is): table columns.
    public func padded(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
