/// Escaping for every context a log string can reach in a report. Log strings are untrusted:
/// they may hold markup, quotes, `]]>`, control characters or odd Unicode.
public enum Escape {
    /// Text and attribute values in HTML (and XML): `& < > " '` become character references and
    /// characters XML forbids or a reader cannot see (C0/C1 controls, DEL, U+FFFE/U+FFFF) become
    /// visible symbols, so the text is shown as text and the document stays well-formed.
    public static func markup(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count + 16)
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(u)
            // Bidi overrides and zero-width characters are shown, not applied.
            case _ where u.isDisplaySpoofing: out += "&lt;" + u.visibleCode.dropFirst().dropLast() + "&gt;"
            default: out.unicodeScalars.append(visible(u))
            }
        }
        return out
    }

    /// A control character's visible stand-in (U+2400 block), U+FFFD for other unusable scalars.
    static func visible(_ u: Unicode.Scalar) -> Unicode.Scalar {
        switch u.value {
        case 0x00..<0x20: return Unicode.Scalar(0x2400 + u.value)!
        case 0x7F: return "\u{2421}"
        case 0x80...0x9F, 0xFFFE, 0xFFFF: return "\u{FFFD}"
        default: return u
        }
    }

    /// A JSON string literal safe inside an HTML `<script type="application/json">` element: no
    /// `<`, `>` or `&` (so `</script>` and `<!--` cannot appear), no U+2028/U+2029.
    static func jsonString(_ s: String, into out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<", ">", "&", "'", "\u{2028}", "\u{2029}": out += hexEscape(u.value)
            // The page draws these values with textContent: a bidi override would still apply.
            case _ where u.isDisplaySpoofing:
                out += hexEscape(60) + u.visibleCode.dropFirst().dropLast() + hexEscape(62)
            default:
                if u.value < 0x20 || u.value == 0x7F { out += hexEscape(u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        out += "\""
    }

    private static func hexEscape(_ v: UInt32) -> String {
        let h = String(v, radix: 16)
        return "\\u" + String(repeating: "0", count: 4 - h.count) + h
    }
}
