import CrossTrailModel
import Foundation

/// What the machine findings formats (OCSF, SARIF, ASFF, JUnit) share.
enum FindingsFormatting {
    typealias Object = [String: Any]

    /// One JSON value as text: keys sorted, slashes unescaped (same input, same bytes).
    static func json(_ value: Any, pretty: Bool = false) throws -> String {
        var options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes]
        if pretty { options.insert(.prettyPrinted) }
        return String(decoding: try JSONSerialization.data(withJSONObject: value, options: options), as: UTF8.self)
    }

    /// Text cut to at most `limit` UTF-16 code units (what AWS's length limits count), at a
    /// Unicode scalar boundary, ending with `…` when cut.
    static func cut(_ s: String, _ limit: Int) -> String {
        guard s.utf16.count > limit else { return s }
        var out = String.UnicodeScalarView()
        var units = 0
        for u in s.unicodeScalars {
            let n = u.value > 0xFFFF ? 2 : 1
            if units + n > limit - 1 { break }
            out.append(u)
            units += n
        }
        return String(out) + "…"
    }
}

extension Finding {
    /// The first and last evidence event times, when the rule recorded them.
    var observed: (first: Timestamp, last: Timestamp)? {
        guard let first = evidence.details["first"].flatMap(Timestamp.init(iso:)),
            let last = evidence.details["last"].flatMap(Timestamp.init(iso:))
        else { return nil }
        return (first, last)
    }

    /// The store lifecycle, when a case store reconciled the finding.
    var lifecycle: FindingStatus? { status.flatMap(FindingStatus.init(rawValue:)) }

    /// One paragraph: the title, the chain of reasoning, and the evidence counts.
    var summaryText: String {
        var parts = [title]
        if !evidence.chain.isEmpty { parts.append("Chain: " + evidence.chain.joined(separator: "; ")) }
        if !evidence.events.isEmpty { parts.append("\(evidence.events.count) evidence event(s).") }
        if !evidence.inventory.isEmpty { parts.append("Inventory: " + evidence.inventory.joined(separator: "; ")) }
        return parts.joined(separator: " ")
    }
}
