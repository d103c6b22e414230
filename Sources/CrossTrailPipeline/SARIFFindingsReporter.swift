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
        let findings = doc.all
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
                    "automationDetails": ["id": "crosstrail/scan/"],
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
            "shortDescription": ["text": check?.title ?? "crosstrail built-in check \(id) (Docs/rules.md)"],
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
        var primary: FindingsFormatting.Object
        if let (id, at) = located.first {
            primary = ["physicalLocation": physical(at), "message": ["text": "evidence event \(id)"]]
        } else if let (entry, file) = inventoryFile(f, doc) {
            primary = [
                "physicalLocation": ["artifactLocation": ["uri": uri(file)]],
                "message": ["text": FindingsFormatting.cut(entry, 1000)],
            ]
        } else {
            primary = [:]
        }
        // Logical locations: the resources, else the subjects.
        let logical = (f.resources.isEmpty ? f.subjects.map { $0.arn ?? $0.name } : f.resources).prefix(10)
        if !logical.isEmpty {
            primary["logicalLocations"] = logical.map { ["fullyQualifiedName": $0, "kind": "resource"] }
        }
        if primary.isEmpty {
            primary["logicalLocations"] = [["fullyQualifiedName": f.rule, "kind": "module"]]
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
                case .open, .suppressed: "unchanged"
                case .resolved: "absent"
                }
            if state == .suppressed {
                result["suppressions"] = [["kind": "external", "status": "accepted"]]
            }
        }
        return result
    }

    /// The first inventory evidence entry that names an inventory file, with that file.
    static func inventoryFile(_ f: Finding, _ doc: FindingsDocument) -> (String, String)? {
        for entry in f.evidence.inventory {
            if let file = doc.inventory.files.first(where: { entry.contains($0.path) }) { return (entry, file.path) }
        }
        return nil
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

    static func physical(_ p: Provenance) -> FindingsFormatting.Object {
        var region: FindingsFormatting.Object = ["byteOffset": p.offset]
        if let line = p.line { region["startLine"] = line }
        return ["artifactLocation": ["uri": uri(p.file)], "region": region]
    }

    /// `file:line` or `file@offset`, for text.
    static func locationText(_ p: Provenance) -> String {
        p.line.map { "\(p.file):\($0)" } ?? "\(p.file)@\(p.offset)"
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
