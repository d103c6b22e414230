import CrossTrailAnalysis
import CrossTrailModel
import Foundation
import Yams

/// The control frameworks an evidence pack maps to (Resources/controls.yaml, which documents
/// what each requirement means).
public struct ControlCatalog: Sendable {
    public struct Framework: Sendable, Hashable {
        public var name: String
        /// The id `--framework` selects it by (`soc2`, `nist`, `cis-aws-3.0`).
        public var key: String
        public var title: String
        /// In a pack when no --framework is named.
        public var isDefault: Bool
        public var controls: [Control]
    }

    public struct Control: Sendable, Hashable {
        public var id: String
        public var title: String
        /// Evidence needed before the control can be called satisfied.
        public var requires: [Requirement]
        public var categories: [AuditCategory]
    }

    /// One thing a control needs (see controls.yaml for how each is judged).
    public enum Requirement: Sendable, Hashable, CustomStringConvertible {
        /// The control is about logging: events, recorded continuously by every source.
        case logging
        /// Events of the period are the evidence the control is judged on.
        case events
        /// At least one event of the category: the population the control is tested on.
        case population(AuditCategory)
        case inventory, classification, digests
        /// Evidence crosstrail does not collect.
        case external(String)

        public var description: String {
            switch self {
            case .logging: "logging"
            case .events: "events"
            case .population(let c): "events:" + c.rawValue
            case .inventory: "inventory"
            case .classification: "classification"
            case .digests: "digests"
            case .external(let what): "external: " + what
            }
        }

        init?(_ text: String) {
            switch text {
            case "logging": self = .logging
            case "events": self = .events
            case "inventory": self = .inventory
            case "classification": self = .classification
            case "digests": self = .digests
            default:
                guard text.hasPrefix("events:"), let c = AuditCategory(rawValue: String(text.dropFirst(7))) else {
                    return nil
                }
                self = .population(c)
            }
        }
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
            let frameworkExternal = fw["external"] as? String
            var list: [Control] = []
            var ids = Set<String>()
            for c in controls {
                guard let id = c["id"].map({ "\($0)" }), let title = c["title"] as? String else {
                    throw LoadError(description: "\(file): a control of \(name) needs `id` and `title`")
                }
                guard ids.insert(id).inserted else { throw LoadError(description: "\(file): \(name) \(id) twice") }
                var requires: [Requirement] = []
                for r in c["requires"] as? [String] ?? [] {
                    guard let k = Requirement(r) else {
                        throw LoadError(description: "\(file): \(name) \(id): unknown requirement '\(r)'")
                    }
                    requires.append(k)
                }
                if let what = c["external"] as? String ?? frameworkExternal { requires.append(.external(what)) }
                var categories: [AuditCategory] = []
                for r in c["categories"] as? [String] ?? [] {
                    guard let k = AuditCategory(rawValue: r) else {
                        throw LoadError(description: "\(file): \(name) \(id): unknown category '\(r)'")
                    }
                    categories.append(k)
                }
                list.append(Control(id: id, title: title, requires: requires, categories: categories))
            }
            out.append(
                Framework(
                    name: name, key: fw["key"] as? String ?? name, title: fw["title"] as? String ?? name,
                    isDefault: fw["default"] as? Bool ?? true, controls: list))
        }
        return ControlCatalog(frameworks: out)
    }

    /// Keeps the frameworks whose key or name starts with one of `names` (case-insensitive,
    /// ignoring spaces and punctuation: `soc2`, `iso27001`, `pci`, `hipaa`, `nist`, `cis`,
    /// `cis-aws-3.0`, `securityhub`); no names keeps the default frameworks. Unknown names are
    /// returned.
    public func selecting(_ names: [String]) -> (ControlCatalog, unknown: [String]) {
        guard !names.isEmpty else { return (ControlCatalog(frameworks: frameworks.filter(\.isDefault)), []) }
        func norm(_ s: String) -> String { s.lowercased().filter { $0.isLetter || $0.isNumber } }
        var unknown: [String] = []
        var keep = Set<String>()
        for n in names {
            let hits = frameworks.filter { norm($0.name).hasPrefix(norm(n)) || norm($0.key).hasPrefix(norm(n)) }
            if hits.isEmpty { unknown.append(n) }
            keep.formUnion(hits.map(\.name))
        }
        return (ControlCatalog(frameworks: frameworks.filter { keep.contains($0.name) }), unknown)
    }

    /// Whether the catalog lists the control.
    public func contains(_ ref: ControlRef) -> Bool {
        frameworks.contains { $0.name == ref.framework && $0.controls.contains { $0.id == ref.id } }
    }
}

/// How a control stands for the period.
public enum ControlStatus: String, Sendable, Codable, CaseIterable {
    case satisfied
    case notSatisfied = "not-satisfied"
    /// The inputs were given, but they hold too little to conclude (no events of the kind the
    /// control is tested on, coverage gaps in evidence, or only the absence of findings).
    case insufficientEvidence = "insufficient-evidence"
    /// An input the control needs was not given (or is evidence crosstrail does not collect).
    case notAssessed = "not-assessed"

    public var label: String {
        switch self {
        case .satisfied: "satisfied"
        case .notSatisfied: "not satisfied"
        case .insufficientEvidence: "insufficient evidence"
        case .notAssessed: "not assessed"
        }
    }
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
    /// Why, one reason per line of evidence that decided it.
    public var reasons: [String]
    public var evidence: [Item]
    /// Open findings of severity low or above against the control, by id: they fail it.
    public var findings: [String]
    /// Open informational findings: shown as observations, not failures.
    public var informational: [String]
    /// Suppressed findings: accepted risk, shown but not counted against the control.
    public var suppressed: [String]
    /// False for controls a user's rule cites that the catalog does not list.
    public var inCatalog: Bool

    public var reason: String { reasons.joined(separator: "; ") }
}

/// The control counts every view of a pack shows (page, evidence.xml, OSCAL, the command's
/// summary line): computed once from the assessments.
public struct ControlSummary: Sendable, Hashable {
    public var counts: [ControlStatus: Int]
    public var total: Int

    public init(_ controls: [ControlAssessment]) {
        var counts = [ControlStatus: Int]()
        for c in controls { counts[c.status, default: 0] += 1 }
        self.counts = counts
        total = controls.count
    }

    public subscript(_ s: ControlStatus) -> Int { counts[s] ?? 0 }

    /// `25 satisfied, 17 not satisfied, 3 insufficient evidence, 0 not assessed`.
    public var text: String { ControlStatus.allCases.map { "\(self[$0]) \($0.label)" }.joined(separator: ", ") }
}

/// How one requirement stands against the pack's facts.
enum RequirementCheck {
    /// Evidence for it (nil when it adds no evidence item of its own).
    case met(ControlAssessment.Item?)
    /// The evidence shows the control failing (coverage gaps, digest problems).
    case failing(String, ControlAssessment.Item?)
    /// The input was given but does not hold enough to conclude.
    case insufficient(String, ControlAssessment.Item?)
    /// The input was not given.
    case notGiven(String)
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
                out.append(
                    Self.assess(
                        fw.name, c, facts: facts, findings: byControl[ControlRef(fw.name, c.id)] ?? [],
                        inCatalog: true))
            }
            // A user's rule may cite a control the catalog does not list: shown with its findings.
            let extra = byControl.keys.filter { $0.framework == fw.name && !covered.contains($0.id) }
                .sorted { $0.id.localizedStandardCompare($1.id) == .orderedAscending }
            for ref in extra {
                let control = Control(
                    id: ref.id, title: "Cited by a rule (not in crosstrail's catalog)", requires: [], categories: [])
                out.append(
                    Self.assess(fw.name, control, facts: facts, findings: byControl[ref] ?? [], inCatalog: false))
            }
        }
        return out
    }

    private static func assess(
        _ framework: String, _ c: Control, facts: PackFacts, findings: [Finding], inCatalog: Bool
    ) -> ControlAssessment {
        func ids(_ fs: [Finding]) -> [String] { fs.map(\.id).sorted() }
        let open = findings.filter { $0.status != "suppressed" && $0.status != "resolved" }
        let failingFindings = open.filter { $0.severity > .info }
            .sorted { ($0.severity, $1.id) > ($1.severity, $0.id) }
        var items: [ControlAssessment.Item] = []
        var failing: [String] = [], insufficient: [String] = [], notGiven: [String] = []
        for r in c.requires {
            switch facts.check(r) {
            case .met(let item): if let item { items.append(item) }
            case .failing(let why, let item):
                failing.append(why)
                if let item { items.append(item) }
            case .insufficient(let why, let item):
                insufficient.append(why)
                if let item { items.append(item) }
            case .notGiven(let why): notGiven.append(why)
            }
        }
        for cat in c.categories where !items.contains(where: { $0.kind == "events:" + cat.rawValue }) {
            items.append(facts.categoryItem(cat))
        }
        var reasons: [String] = []
        let status: ControlStatus
        if !failingFindings.isEmpty || !failing.isEmpty {
            status = .notSatisfied
            if !failingFindings.isEmpty {
                let n = failingFindings.count
                reasons.append(
                    "\(n) open finding\(n == 1 ? "" : "s") against the control: "
                        + failingFindings.prefix(5).map { "\($0.id) (\($0.severity.rawValue), \($0.rule))" }
                        .joined(separator: ", ") + (n > 5 ? ", …" : ""))
            }
            reasons += failing
        } else if !notGiven.isEmpty {
            status = .notAssessed
            reasons = notGiven
        } else if !insufficient.isEmpty {
            status = .insufficientEvidence
            reasons = insufficient
        } else if c.requires.isEmpty {
            status = .insufficientEvidence
            reasons.append(
                "crosstrail checks this control only through the rules that cite it; none found a problem, "
                    + "but it collects no evidence that the control operates")
        } else {
            status = .satisfied
            reasons.append("every required evidence was collected and no finding is open against the control")
        }
        let suppressed = findings.filter { $0.status == "suppressed" }.sorted { $0.id < $1.id }
        if !suppressed.isEmpty {
            let why = suppressed.compactMap { f in facts.acceptedRisks[f.id].map { "\(f.id) \(f.rule): \($0)" } }
            reasons.append(
                "\(suppressed.count) finding\(suppressed.count == 1 ? "" : "s") accepted as risk (suppressed)"
                    + (why.isEmpty ? "" : ": " + why.joined(separator: "; ")))
        }
        return ControlAssessment(
            framework: framework, id: c.id, title: c.title, status: status, reasons: reasons, evidence: items,
            findings: ids(failingFindings), informational: ids(open.filter { $0.severity == .info }),
            suppressed: ids(suppressed), inCatalog: inCatalog)
    }
}
