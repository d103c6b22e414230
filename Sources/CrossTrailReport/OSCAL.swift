import CrossTrailBase
import CrossTrailModel
import Crypto
import Foundation

/// `oscal-assessment-results.xml`: NIST OSCAL 1.2.3 assessment results for the period — one
/// observation per crosstrail finding and per control's evidence set (pointing at the pack's
/// files), and one OSCAL finding per assessed control with status satisfied or not-satisfied.
/// UUIDs are RFC 4122 version 5 (name-based), so the same inputs give the same document.
public enum OSCALReport {
    public static let namespace = "http://csrc.nist.gov/ns/oscal/1.0"
    public static let oscalVersion = "1.2.3"
    static let propNamespace = "urn:crosstrail"

    public static func render(_ p: EvidencePack) -> String {
        var x = XMLText()
        let label = p.meta.period?.label ?? "events"
        x.raw(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<assessment-results xmlns=\"\(namespace)\" uuid=\"\(uuid("ar|" + label + "|" + p.meta.generatedAt.iso8601))\">\n"
        )
        x.raw("<metadata>")
        x.element("title", "\(p.meta.title): \(label)")
        x.element("last-modified", p.meta.generatedAt.iso8601)
        x.element("version", label)
        x.element("oscal-version", oscalVersion)
        x.empty("prop", ["name": "tool", "ns": propNamespace, "value": "crosstrail " + p.meta.toolVersion])
        x.empty("prop", ["name": "rules-hash", "ns": propNamespace, "value": p.meta.rulesHash])
        x.raw("</metadata>\n")
        // The plan in the pack (which imports the system description, which imports the catalog).
        x.empty("import-ap", ["href": OSCALDocuments.planFile])
        x.raw("\n")

        let assessed = p.controls.filter { $0.status != .notAssessed }
        let notAssessed = p.controls.filter { $0.status == .notAssessed }
        x.open("result", ["uuid": uuid("result|" + label)])
        x.element("title", "crosstrail automated assessment: \(p.meta.spanText)")
        paragraphs(
            "description",
            [
                "Automated evaluation of AWS CloudTrail and Databricks audit events, IAM and Databricks permissions, and data classification by crosstrail.",
                "\(p.timelineTotal) events from \(p.sources.count) sources; \(p.findings.count) findings; \(assessed.count) controls assessed.",
                "Controls: " + ControlSummary(p.controls).text
                    + ". Insufficient evidence is written as not-satisfied with reason other: the inputs did not show the control operating.",
                "Control ids: NIST SP 800-53 ids as in NIST's catalog; other frameworks prefixed (soc2-, iso27001-, pcidss-, hipaa-) with parentheses written as dots.",
            ], &x)
        x.element("start", (p.meta.period?.start ?? p.meta.first ?? p.meta.generatedAt).iso8601)
        if let end = p.meta.period?.end ?? p.meta.last { x.element("end", end.iso8601) }
        x.raw("\n<reviewed-controls><control-selection>")
        if assessed.isEmpty {
            x.raw("<include-all/>")
        } else {
            var seen = Set<String>()
            for c in assessed where seen.insert(controlID(c.framework, c.id)).inserted {
                x.empty("include-control", ["control-id": controlID(c.framework, c.id)])
            }
        }
        x.raw("</control-selection></reviewed-controls>\n")

        // Observations: each crosstrail finding, then each control's evidence set.
        for f in p.findings {
            x.open("observation", ["uuid": uuid("obs|finding|" + f.id)])
            x.element("title", "\(f.id) \(f.rule)")
            paragraphs("description", [f.title, "Severity \(f.severity.rawValue). Remediation: \(f.remediation)"], &x)
            x.empty("prop", ["name": "severity", "ns": propNamespace, "value": f.severity.rawValue])
            if let s = f.status { x.empty("prop", ["name": "status", "ns": propNamespace, "value": s]) }
            if let m = f.mitre { x.empty("prop", ["name": "mitre-attack", "ns": propNamespace, "value": m]) }
            x.element("method", "TEST")
            evidence("findings.json", "The finding with its subjects, resources and evidence (id \(f.id)).", &x)
            if !f.evidence.events.isEmpty {
                evidence("timeline.jsonl", "Evidence events: " + f.evidence.events.joined(separator: ", "), &x)
            }
            x.element("collected", p.meta.generatedAt.iso8601)
            x.raw("</observation>\n")
        }
        for c in assessed {
            x.open("observation", ["uuid": uuid("obs|control|" + c.framework + "|" + c.id)])
            x.element("title", "Evidence for \(c.framework) \(c.id)")
            paragraphs(
                "description",
                c.evidence.isEmpty
                    ? ["No evidence item beyond the findings."]
                    : c.evidence.map { $0.description + ($0.kind.hasPrefix("events:") ? ": \($0.count)" : "") }, &x)
            x.element("method", "EXAMINE")
            evidence(
                "evidence.xml", "Control \(c.framework) \(c.id): the evidence collected and the findings against it.",
                &x)
            evidence("timeline.jsonl", "Every event of the period.", &x)
            x.element("collected", p.meta.generatedAt.iso8601)
            x.raw("</observation>\n")
        }

        // One OSCAL finding per assessed control.
        for c in assessed {
            x.open("finding", ["uuid": uuid("finding|" + c.framework + "|" + c.id)])
            x.element("title", "\(c.framework) \(c.id): \(c.title)")
            paragraphs("description", [c.reason], &x)
            x.open("target", ["type": "objective-id", "target-id": controlID(c.framework, c.id) + "_obj"])
            x.open(
                "status",
                [
                    "state": c.status == .satisfied ? "satisfied" : "not-satisfied",
                    "reason": c.status == .satisfied ? "pass" : c.status == .notSatisfied ? "fail" : "other",
                ])
            x.raw("<remarks>")
            x.element("p", c.status.label + ": " + c.reason)
            x.raw("</remarks></status>")
            x.raw("</target>")
            x.empty("related-observation", ["observation-uuid": uuid("obs|control|" + c.framework + "|" + c.id)])
            for id in c.findings { x.empty("related-observation", ["observation-uuid": uuid("obs|finding|" + id)]) }
            x.raw("</finding>\n")
        }
        if !notAssessed.isEmpty {
            x.raw("<remarks>")
            x.element(
                "p",
                "Not assessed: " + notAssessed.map { "\($0.framework) \($0.id) (\($0.reason))" }.joined(separator: "; ")
            )
            x.raw("</remarks>\n")
        }
        x.raw("</result>\n</assessment-results>\n")
        return x.out
    }

    static func paragraphs(_ element: String, _ ps: [String], _ x: inout XMLText) {
        x.raw("<\(element)>")
        for p in ps { x.element("p", p) }
        x.raw("</\(element)>")
    }

    static func evidence(_ href: String, _ text: String, _ x: inout XMLText) {
        x.open("relevant-evidence", ["href": href])
        paragraphs("description", [text], &x)
        x.raw("</relevant-evidence>")
    }

    /// An OSCAL token for a control: NIST ids as in NIST's catalog (`ac-2`), others prefixed.
    static func controlID(_ framework: String, _ id: String) -> String {
        let prefix: String
        switch framework {
        case "NIST 800-53": prefix = ""
        case "SOC 2": prefix = "soc2-"
        case "ISO 27001:2022": prefix = "iso27001-"
        case "PCI DSS 4.0": prefix = "pcidss-"
        case "HIPAA": prefix = "hipaa-"
        default: prefix = framework.lowercased().filter { $0.isLetter || $0.isNumber } + "-"
        }
        var token = ""
        for ch in (prefix + id).lowercased() {
            if ch.isLetter || ch.isNumber || ch == "-" || ch == "." || ch == "_" {
                token.append(ch)
            } else if ch == "(" {
                token.append(".")
            }
        }
        return token
    }

    /// crosstrail's namespace for name-based UUIDs: uuid5(NAMESPACE_URL, "urn:crosstrail:oscal").
    static let uuidNamespace: [UInt8] = [
        0x4a, 0xb7, 0xe4, 0x7c, 0x3d, 0xd1, 0x54, 0xfe, 0x89, 0xfb, 0x61, 0x4c, 0xc3, 0x5c, 0x34, 0xa3,
    ]

    /// An RFC 4122 version 5 UUID (SHA-1 of the namespace and the name), stable for the same content.
    static func uuid(_ name: String) -> String { uuid5(namespace: uuidNamespace, name: "crosstrail|" + name) }

    static func uuid5(namespace: [UInt8], name: String) -> String {
        var b = Array(Insecure.SHA1.hash(data: Data(namespace + Array(name.utf8))).prefix(16))
        b[6] = (b[6] & 0x0F) | 0x50
        b[8] = (b[8] & 0x3F) | 0x80
        let c = Array(Hex.encode(b))
        return String(c[0..<8]) + "-" + String(c[8..<12]) + "-" + String(c[12..<16]) + "-" + String(c[16..<20]) + "-"
            + String(c[20..<32])
    }
}
