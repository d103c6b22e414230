import CrossTrailAnalysis
import CrossTrailModel
import Foundation
import Yams

/// The control frameworks an evidence pack maps to (Resources/controls.yaml).
public struct ControlCatalog: Sendable {
    public struct Framework: Sendable, Hashable {
        public var name: String
        public var title: String
        public var controls: [Control]
    }

    public struct Control: Sendable, Hashable {
        public var id: String
        public var title: String
        /// Evidence needed before the control can be called satisfied (see controls.yaml).
        public var requires: [EvidenceKind]
        public var categories: [AuditCategory]
    }

    public enum EvidenceKind: String, Sendable, Hashable, CaseIterable {
        case logging, inventory, classification, digests
    }

    public var frameworks: [Framework]

    public struct LoadError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The shipped catalog.
    public static func builtin() throws -> ControlCatalog {
        try parse(String(decoding: ReportResources.data("controls.yaml"), as: UTF8.self), file: "controls.yaml")
    }

    public static func parse(_ text: String, file: String) throws -> ControlCatalog {
        guard let root = try Yams.load(yaml: text) as? [String: Any], let fws = root["frameworks"] as? [[String: Any]]
        else {
            throw LoadError(description: "\(file): expected a `frameworks:` list")
        }
        var out: [Framework] = []
        for fw in fws {
            guard let name = fw["name"] as? String, let controls = fw["controls"] as? [[String: Any]] else {
                throw LoadError(description: "\(file): a framework needs `name` and `controls`")
            }
            var list: [Control] = []
            for c in controls {
                guard let id = c["id"].map({ "\($0)" }), let title = c["title"] as? String else {
                    throw LoadError(description: "\(file): a control of \(name) needs `id` and `title`")
                }
                var requires: [EvidenceKind] = []
                for r in c["requires"] as? [String] ?? [] {
                    guard let k = EvidenceKind(rawValue: r) else {
                        throw LoadError(description: "\(file): \(name) \(id): unknown evidence '\(r)'")
                    }
                    requires.append(k)
                }
                var categories: [AuditCategory] = []
                for r in c["categories"] as? [String] ?? [] {
                    guard let k = AuditCategory(rawValue: r) else {
                        throw LoadError(description: "\(file): \(name) \(id): unknown category '\(r)'")
                    }
                    categories.append(k)
                }
                list.append(Control(id: id, title: title, requires: requires, categories: categories))
            }
            out.append(Framework(name: name, title: fw["title"] as? String ?? name, controls: list))
        }
        return ControlCatalog(frameworks: out)
    }

    /// Keeps the frameworks whose name matches one of `names` (case-insensitive, ignoring spaces
    /// and punctuation: `soc2`, `iso27001`, `pci`, `hipaa`, `nist`). Unknown names are returned.
    public func selecting(_ names: [String]) -> (ControlCatalog, unknown: [String]) {
        guard !names.isEmpty else { return (self, []) }
        func norm(_ s: String) -> String { s.lowercased().filter { $0.isLetter || $0.isNumber } }
        var unknown: [String] = []
        var keep = Set<String>()
        for n in names {
            let hits = frameworks.filter { norm($0.name).hasPrefix(norm(n)) }
            if hits.isEmpty { unknown.append(n) }
            keep.formUnion(hits.map(\.name))
        }
        return (ControlCatalog(frameworks: frameworks.filter { keep.contains($0.name) }), unknown)
    }
}

/// How a control stands for the period.
public enum ControlStatus: String, Sendable, Codable, CaseIterable {
    case satisfied
    case notSatisfied = "not-satisfied"
    case notAssessed = "not-assessed"
}

/// One control's assessment: the evidence collected, the findings against it, and its status.
public struct ControlAssessment: Sendable, Hashable {
    public struct Item: Sendable, Hashable {
        public var kind: String
        public var description: String
        public var count: Int
        public var events: [String]
    }

    public var framework: String
    public var id: String
    public var title: String
    public var status: ControlStatus
    public var reason: String
    public var evidence: [Item]
    /// Open (not suppressed) findings against the control, by id.
    public var findings: [String]
    /// Suppressed findings, shown but not counted against the control.
    public var suppressed: [String]
    /// False for controls that only appear because a finding references them.
    public var inCatalog: Bool
}

extension ControlCatalog {
    /// Assesses every control against the pack's evidence and findings.
    func assess(_ facts: PackFacts, findings: [Finding]) -> [ControlAssessment] {
        var byControl: [ControlRef: [Finding]] = [:]
        for f in findings { for c in f.controls { byControl[c, default: []].append(f) } }
        var out: [ControlAssessment] = []
        for fw in frameworks {
            var covered = Set<String>()
            for c in fw.controls {
                covered.insert(c.id)
                var items: [ControlAssessment.Item] = []
                var missing: [String] = []
                for k in c.requires {
                    if let item = facts.evidence(k) {
                        items.append(item)
                    } else {
                        missing.append(facts.missingReason(k))
                    }
                }
                for cat in c.categories {
                    let s = facts.categories[cat]
                    items.append(
                        .init(
                            kind: "events:" + cat.rawValue, description: cat.title + " recorded in the period",
                            count: s?.count ?? 0, events: s?.sortedIds ?? []))
                }
                out.append(
                    Self.status(
                        fw.name, c.id, c.title, items: items, missing: missing,
                        findings: byControl[ControlRef(fw.name, c.id)] ?? [], inCatalog: true))
            }
            // Controls of this framework that findings reference outside the catalog still show them.
            let extra = byControl.keys.filter { $0.framework == fw.name && !covered.contains($0.id) }
                .sorted { $0.id.localizedStandardCompare($1.id) == .orderedAscending }
            for ref in extra {
                out.append(
                    Self.status(
                        fw.name, ref.id, "Referenced by findings (not in the catalog)", items: [], missing: [],
                        findings: byControl[ref] ?? [], inCatalog: false))
            }
        }
        return out
    }

    private static func status(
        _ fw: String, _ id: String, _ title: String, items: [ControlAssessment.Item], missing: [String],
        findings: [Finding], inCatalog: Bool
    ) -> ControlAssessment {
        let open = findings.filter { $0.status != "suppressed" && $0.status != "resolved" }.map(\.id).sorted()
        let suppressed = findings.filter { $0.status == "suppressed" }.map(\.id).sorted()
        let status: ControlStatus, reason: String
        if !open.isEmpty {
            status = .notSatisfied
            reason = "\(open.count) open finding\(open.count == 1 ? "" : "s") against the control"
        } else if !missing.isEmpty {
            status = .notAssessed
            reason = missing.joined(separator: "; ")
        } else {
            status = .satisfied
            reason = "the required evidence was collected and no finding is open against the control"
        }
        return ControlAssessment(
            framework: fw, id: id, title: title, status: status, reason: reason, evidence: items,
            findings: open, suppressed: suppressed, inCatalog: inCatalog)
    }
}
