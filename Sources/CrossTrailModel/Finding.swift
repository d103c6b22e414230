import CrossTrailBase

/// How serious a finding is. Ordered: `info < low < medium < high < critical`.
public enum Severity: String, Sendable, Codable, CaseIterable, Comparable {
    case info, low, medium, high, critical

    var rank: Int { Self.allCases.firstIndex(of: self)! }
    public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
}

/// A control a finding is evidence for (or against), e.g. SOC 2 CC6.1.
public struct ControlRef: Sendable, Hashable, Codable, CustomStringConvertible {
    public var framework: String
    public var id: String

    public init(_ framework: String, _ id: String) {
        self.framework = framework
        self.id = id
    }

    public var description: String { "\(framework) \(id)" }
}

/// Who a finding is about.
public struct Subject: Sendable, Hashable, Codable {
    /// iamUser, iamRole, iamGroup, databricksUser, databricksGroup, servicePrincipal, instanceProfile, person, ...
    public var kind: String
    public var name: String
    public var arn: String?
    public var email: String?
    /// The person the identity graph attributes this subject to, when the chain supports it.
    public var person: String?

    public init(kind: String, name: String, arn: String? = nil, email: String? = nil, person: String? = nil) {
        self.kind = kind
        self.name = name
        self.arn = arn
        self.email = email
        self.person = person
    }
}

/// What supports a finding: event ids, inventory entries, and the chain of reasoning.
public struct Evidence: Sendable, Hashable, Codable {
    /// Ids of events in the timeline.
    public var events: [String] = []
    /// Inventory entries: `<file>: <entry>` (policy statements, grants, ACL entries).
    public var inventory: [String] = []
    /// The steps from subject to resource, one line each (an escalation path, an access chain).
    public var chain: [String] = []
    /// Further facts, as sorted key/value pairs.
    public var details: [String: String] = [:]

    public init(events: [String] = [], inventory: [String] = [], chain: [String] = [], details: [String: String] = [:])
    {
        self.events = events
        self.inventory = inventory
        self.chain = chain
        self.details = details
    }
}

public struct Finding: Sendable, Hashable, Codable {
    /// Stable across runs for the same rule, subject and resource (`F-` + 12 hex digits).
    public var id: String
    public var rule: String
    public var severity: Severity
    public var title: String
    public var subjects: [Subject]
    public var resources: [String]
    public var evidence: Evidence
    public var controls: [ControlRef]
    public var remediation: String
    /// MITRE ATT&CK technique id, where one applies.
    public var mitre: String?
    /// With a case store: new, open, resolved, reopened or suppressed.
    public var status: String?

    public init(
        rule: String, severity: Severity, title: String, subjects: [Subject], resources: [String],
        evidence: Evidence, controls: [ControlRef], remediation: String, mitre: String? = nil, key: String? = nil
    ) {
        self.rule = rule
        self.severity = severity
        self.title = title
        self.subjects = subjects
        self.resources = resources
        var evidence = evidence
        evidence.details = evidence.details.filter { !$0.value.isEmpty }
        self.evidence = evidence
        self.controls = controls
        self.remediation = remediation
        self.mitre = mitre
        let k =
            key
            ?? (subjects.map { $0.arn ?? $0.email ?? $0.name }.joined(separator: ",") + "|"
                + resources.joined(separator: ","))
        self.id = "F-" + Hex.encode(FNV1a.hash(rule + "|" + k), digits: 12)
    }
}

/// A bounded sample of event ids plus a count: evidence without keeping every event. The sample
/// holds the earliest events (by time, then id), so it is the same whatever order the events
/// arrive in — parallel workers give deterministic evidence.
public struct EventSample: Sendable, Hashable {
    public static let cap = 20
    /// Event findings (rule hits, bursts) keep more: every event a responder needs to look at, up to this.
    public static let findingCap = 100
    /// How many ids this sample keeps (the larger when two samples merge).
    public private(set) var capacity = EventSample.cap
    private var kept: [Entry] = []
    public private(set) var count = 0
    public private(set) var first: Timestamp?
    public private(set) var last: Timestamp?

    struct Entry: Sendable, Hashable, Comparable {
        var time: Timestamp
        var id: String
        static func < (a: Entry, b: Entry) -> Bool { (a.time, a.id) < (b.time, b.id) }
    }

    public init() {}

    public init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// The kept ids, earliest first.
    public var ids: [String] { kept.map(\.id) }

    public mutating func add(_ e: AuditEvent) {
        count += 1
        keep(Entry(time: e.time, id: e.id))
        if first.map({ e.time < $0 }) ?? true { first = e.time }
        if last.map({ $0 < e.time }) ?? true { last = e.time }
    }

    private mutating func keep(_ entry: Entry) {
        if kept.count >= capacity, let lastKept = kept.last, !(entry < lastKept) { return }
        guard !kept.contains(where: { $0.id == entry.id }) else { return }
        let at = kept.firstIndex(where: { entry < $0 }) ?? kept.count
        kept.insert(entry, at: at)
        if kept.count > capacity { kept.removeLast() }
    }

    public mutating func merge(_ o: EventSample) {
        capacity = max(capacity, o.capacity)
        count += o.count
        for entry in o.kept { keep(entry) }
        if let f = o.first, first.map({ f < $0 }) ?? true { first = f }
        if let l = o.last, last.map({ $0 < l }) ?? true { last = l }
    }

    /// Ids sorted, for deterministic output.
    public var sortedIds: [String] { ids.sorted() }
}

/// Where a finding stands across scans of one store.
public enum FindingStatus: String, Sendable, Codable, CaseIterable {
    /// First seen in this scan.
    case new
    /// Seen before and again now.
    case open
    /// Seen before, not seen in this scan.
    case resolved
    /// Resolved earlier, seen again now.
    case reopened
    /// Seen, but a suppression with a reason (and maybe an expiry) covers it.
    case suppressed

    /// Counts toward --fail-on.
    public var isActive: Bool { self == .new || self == .open || self == .reopened }
}
