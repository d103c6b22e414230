import CrossTrailAnalysis

/// `--format json`: the findings document of Docs/analysis.md (also `findings.json` in packs).
public struct JSONFindingsReporter: FindingsReporter {
    public static let identifier = "json"
    public static let summary = "one JSON document: findings, flatness, summary, inventory files"

    public init() {}

    public func write(_ findings: FindingsDocument, to write: (String) -> Void) throws {
        try FindingsJSON.write(
            findings.result, resolved: findings.resolved, inventory: findings.inventory, events: findings.events,
            to: write)
    }
}
