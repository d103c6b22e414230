import CrossTrailModel
import CrossTrailReport
import Foundation

/// `--format sarif`: SARIF 2.1.0 (GitHub code scanning, DefectDojo, Azure DevOps). One result per
/// finding, located at the file and line (or byte offset) of its first evidence event, the
/// inventory file of its evidence, or — without either — logically at its resource; the finding
/// id as the partial fingerprint, so re-uploads deduplicate; the case store's lifecycle as
/// `baselineState`. Mapping: Docs/formats.md.
public struct SARIFFindingsReporter: FindingsReporter {
    public static let identifier = "sarif"
    public static let summary = "SARIF 2.1.0 log (code scanning, DefectDojo)"
    public static let needsLocations = true
    static let schema = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    /// Further evidence events shown as related locations.
    static let relatedCap = 20

    public init() {}

    public func write(_ doc: FindingsDocument, to write: (String) -> Void) throws {
        // Resolved findings are left out: code scanning closes an alert whose result is gone,
        // and a result marked `absent` would still show as open.
        let findings = doc.all.filter { $0.lifecycle != .resolved }
        let ruleIDs = Array(Set(findings.map(\.rule))).sorted()
        let index = Dictionary(uniqueKeysWithValues: ruleIDs.enumerated().map { ($1, $0) })
        let rules = ruleIDs.map { id in Self.rule(id, doc.check(id), findings.first { $0.rule == id }!) }
        let results = findings.map { Self.result($0, ruleIndex: index[$0.rule]!, doc) }
        let log: FindingsFormatting.Object = [
            "$schema": Self.schema,
            "version": "2.1.0",
            "runs": [
                [
                    "tool": [
                        "driver": [
                            "name": "crosstrail", "version": CrossTrailVersion.current,
                            "semanticVersion": CrossTrailVersion.current, "rules": rules,
                        ] as FindingsFormatting.Object
                    ],
                    "automationDetails": ["id": "crosstrail/" + (doc.category.map { $0 + "/" } ?? "scan/")],
                    "invocations": [
                        ["executionSuccessful": true, "endTimeUtc": doc.generatedAt.iso8601]
                    ],
                    "results": results,
                    "properties": ["eventsAnalyzed": doc.events],
                ] as FindingsFormatting.Object
            ],
        ]
        write(try FindingsFormatting.json(log, pretty: true) + "\n")
    }

    static func level(_ s: Severity) -> String {
        switch s {
        case .critical, .high: "error"
        case .medium: "warning"
        case .low, .info: "note"
        }
    }

    /// GitHub's `security-severity` (0.0–10.0): critical ≥ 9, high 7–8.9, medium 4–6.9, low < 4.
    static func securitySeverity(_ s: Severity) -> String {
        switch s {
        case .critical: "9.5"
        case .high: "8.0"
        case .medium: "5.5"
        case .low: "3.0"
        case .info: "0.0"
        }
    }

    static func rule(_ id: String, _ check: EvidencePack.Check?, _ example: Finding) -> FindingsFormatting.Object {
        var tags = ["security", "crosstrail/" + (check?.kind.rawValue ?? "detection")]
        if let technique = example.mitre { tags.append("attack." + technique.lowercased()) }
        tags += example.controls.map(\.description)
        var properties: FindingsFormatting.Object = [
            "tags": tags, "security-severity": securitySeverity(example.severity),
        ]
        if let confidence = check?.confidence {
            properties["precision"] =
                switch confidence {
                case .high: "high"
                case .medium: "medium"
                case .low: "low"
                case .unrated: "medium"
                }
        }
        var rule: FindingsFormatting.Object = [
            "id": id,
            "name": id.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map {
                $0.prefix(1).uppercased() + $0.dropFirst()
            }
            .joined(),
            "shortDescription": ["text": check?.title ?? example.title],
            "defaultConfiguration": ["level": level(example.severity)],
            "properties": properties,
        ]
        if !example.remediation.isEmpty {
            rule["help"] = ["text": example.remediation]
        }
        return rule
    }

    static func result(_ f: Finding, ruleIndex: Int, _ doc: FindingsDocument) -> FindingsFormatting.Object {
        let located = f.evidence.events.compactMap { id in doc.locations[id].map { (id, $0) } }
        // Every result has a file (GitHub code scanning rejects an upload with one that has not):
        // the first evidence event, else the inventory file its evidence names or the export
        // of its plane, else the first input.
        var primary: FindingsFormatting.Object
        if let (id, at) = located.first {
            primary = ["physicalLocation": physical(at), "message": ["text": "evidence event \(id)"]]
        } else {
            let (file, text) = fallbackFile(f, doc)
            primary = [
                "physicalLocation": ["artifactLocation": ["uri": uri(file)], "region": ["startLine": 1]],
                "message": ["text": FindingsFormatting.cut(text, 1000)],
            ]
        }
        // Logical locations: the resources, else the subjects.
        let logical = (f.resources.isEmpty ? f.subjects.map { $0.arn ?? $0.name } : f.resources).prefix(10)
        if !logical.isEmpty {
            primary["logicalLocations"] = logical.map { ["fullyQualifiedName": $0, "kind": "resource"] }
        }
        var result: FindingsFormatting.Object = [
            "ruleId": f.rule,
            "ruleIndex": ruleIndex,
            "level": level(f.severity),
            "kind": "fail",
            "message": ["text": f.summaryText],
            "locations": [primary],
            "partialFingerprints": ["crosstrailFindingId/v1": f.id],
            "properties": properties(f),
        ]
        if located.count > 1 {
            result["relatedLocations"] = located.dropFirst().prefix(relatedCap).enumerated().map { i, pair in
                [
                    "id": i + 1, "physicalLocation": physical(pair.1),
                    "message": ["text": "evidence event \(pair.0)"],
                ] as FindingsFormatting.Object
            }
        }
        if let state = f.lifecycle {
            result["baselineState"] =
                switch state {
                case .new, .reopened: "new"
                case .open, .suppressed, .resolved: "unchanged"
                }
            if state == .suppressed {
                result["suppressions"] = [["kind": "external", "status": "accepted"]]
            }
        }
        return result
    }

    /// The file a finding without a located event points at, and why: an inventory file an
    /// evidence entry names; else the export of the subject's plane (IAM for IAM principals,
    /// Databricks otherwise); else the first inventory file or input.
    static func fallbackFile(_ f: Finding, _ doc: FindingsDocument) -> (file: String, text: String) {
        let files = doc.inventory.files
        for entry in f.evidence.inventory {
            if let file = files.first(where: { entry.contains($0.path) }) { return (file.path, entry) }
        }
        let aws = f.subjects.contains { $0.kind.hasPrefix("iam") || $0.kind == "instanceProfile" || $0.arn != nil }
        let plane = files.first {
            aws ? $0.kind.hasPrefix("aws") : !$0.kind.hasPrefix("aws") && $0.kind != "classification"
        }
        let why = f.evidence.inventory.first ?? f.title
        if let file = plane ?? files.first { return (file.path, why) }
        return (doc.inputs.first ?? "-", why)
    }

    static func properties(_ f: Finding) -> FindingsFormatting.Object {
        var p: FindingsFormatting.Object = [
            "severity": f.severity.rawValue, "findingId": f.id,
            "subjects": f.subjects.map { $0.arn ?? $0.email ?? $0.name },
        ]
        if !f.controls.isEmpty { p["controls"] = f.controls.map(\.description) }
        if !f.evidence.events.isEmpty {
            p["evidenceEvents"] = Array(f.evidence.events.prefix(relatedCap))
            p["evidenceEventCount"] = f.evidence.events.count
        }
        if let status = f.status { p["storeStatus"] = status }
        return p
    }

    /// The event's file and region. A region addresses the file's own bytes: for a compressed
    /// file the offset (into the decompressed records) moves to `properties`, and the line is
    /// the record's line when the file is line-oriented, else 1.
    static func physical(_ p: Provenance) -> FindingsFormatting.Object {
        let compressed = p.file.hasSuffix(".gz")
        var region: FindingsFormatting.Object = ["startLine": p.line ?? 1]
        if !compressed { region["byteOffset"] = p.offset }
        var location: FindingsFormatting.Object = ["artifactLocation": ["uri": uri(p.file)], "region": region]
        if compressed { location["properties"] = ["decompressedByteOffset": p.offset] }
        return location
    }

    /// A path as a URI reference: relative paths stay relative (to where crosstrail ran),
    /// absolute ones become `file://` URIs; everything but unreserved characters and `/` is
    /// percent-encoded.
    static func uri(_ path: String) -> String {
        let allowed = CharacterSet(
            charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/")
        let encoded = path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path
        return path.hasPrefix("/") ? "file://" + encoded : encoded
    }
}
