import CrossTrailBase

/// `controls.csv` in an evidence pack: one row per control, as the page's control tables show it,
/// for an auditor's spreadsheet. Lists inside a cell are separated by ` | `.
public enum ControlsCSV {
    static let columns = [
        "framework", "control", "title", "status", "reasons", "evidence", "findings", "informational",
        "accepted_risk", "in_catalog",
    ]

    public static func render(_ p: EvidencePack) -> String {
        var out = [UInt8]()
        CSV.row(columns, &out)
        let byID = Dictionary(p.findings.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        func findings(_ ids: [String]) -> String {
            ids.map { id in
                byID[id].map { f in
                    "\(id) (\(f.severity.rawValue), \(f.rule)"
                        + (p.confidence(ofRule: f.rule).map { ", confidence \($0.rawValue)" } ?? "") + ")"
                } ?? id
            }
            .joined(separator: " | ")
        }
        for c in p.controls {
            CSV.row(
                [
                    c.framework, c.id, c.title, c.status.rawValue, c.reasons.joined(separator: " | "),
                    c.evidence.map { e in
                        e.description + (e.kind.hasPrefix("events:") ? ": \(e.count)" : "")
                            + (e.events.isEmpty ? "" : " [" + e.events.prefix(5).joined(separator: " ") + "]")
                    }.joined(separator: " | "),
                    findings(c.findings), findings(c.informational), findings(c.suppressed),
                    c.inCatalog ? "true" : "false",
                ], &out)
        }
        return String(decoding: out, as: UTF8.self)
    }
}
