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

    /// Text cut to `limit` characters (with `…`), for formats with length limits.
    static func cut(_ s: String, _ limit: Int) -> String {
        s.count <= limit ? s : String(s.prefix(limit - 1)) + "…"
    }

    /// The AWS account an ARN names (`arn:aws:iam::123456789012:role/x` → `123456789012`).
    static func account(ofARN arn: String) -> String? {
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 6, parts[0] == "arn", parts[4].count == 12, parts[4].allSatisfy(\.isNumber) else {
            return nil
        }
        return String(parts[4])
    }
}

extension Finding {
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
