import CrossTrailAnalysis
import CrossTrailIngest
import CrossTrailInventory
import CrossTrailModel
import Foundation

/// Everything an evidence pack shows, assembled once and rendered as HTML, XML and OSCAL.
/// Every collection is sorted, so the same inputs give the same bytes.
public struct EvidencePack: Sendable {
    public struct Meta: Sendable {
        public var title: String
        public var toolVersion: String
        public var generatedAt: Timestamp
        public var period: ReportPeriod?
        /// First and last event time.
        public var first: Timestamp?
        public var last: Timestamp?
        /// The command line, with secret-bearing options removed.
        public var command: String
        /// SHA-256 over the rules that ran (built-in and --rules).
        public var rulesHash: String

        public init(
            title: String, toolVersion: String, generatedAt: Timestamp, period: ReportPeriod?, command: String,
            rulesHash: String
        ) {
            self.title = title
            self.toolVersion = toolVersion
            self.generatedAt = generatedAt
            self.period = period
            self.command = command
            self.rulesHash = rulesHash
        }

        /// The covered span: the period, else the events' own span.
        public var spanText: String {
            if let period { return period.description }
            guard let first, let last else { return "no events" }
            return "\(first.iso8601) to \(last.iso8601) (the events' own span)"
        }
    }

    /// One event source (an AWS account and region, a Databricks workspace) and its coverage.
    public struct Source: Sendable, Hashable {
        public var id: String
        public var plane: String
        public var events: Int
        public var firstDay: String
        public var lastDay: String
        public var daysWithEvents: Int
        /// Days of the period (or of the pack's span) without a single event.
        public var silentDays: [String]
        /// How regularly the source logs: what its silences mean.
        public var cadence: SourceCoverage.Cadence
        /// Silent spans over the period: hours for a source that logs hourly, days for a daily one,
        /// none for a sparse one (its silences are not judged).
        public var gaps: [SourceCoverage.Gap]
    }

    public struct Day: Sendable, Hashable {
        public var day: String
        public var aws: Int
        public var databricks: Int
    }

    /// An input file: logs, inventory, classification, rules, digests.
    public struct InputFile: Sendable, Hashable, Codable {
        public var path: String
        public var kind: String
        public var bytes: Int64
        public var sha256: String

        public init(path: String, kind: String, bytes: Int64, sha256: String) {
            self.path = path
            self.kind = kind
            self.bytes = bytes
            self.sha256 = sha256
        }
    }

    /// One timeline row as the HTML and XML show it (the full record is in timeline.jsonl).
    public struct Row: Sendable, Hashable {
        public var id: String
        public var time: String
        public var plane: String
        public var service: String
        public var action: String
        public var actor: String
        public var person: String
        public var ip: String
        public var outcome: String
        public var resources: String
    }

    /// A person and the identities linked to them, to a bounded depth.
    public struct PersonGraph: Sendable, Hashable {
        public struct Node: Sendable, Hashable {
            public var id: String
            public var kind: String
            public var label: String
            public var depth: Int
        }
        public struct Link: Sendable, Hashable {
            public var from: String
            public var to: String
            public var kind: String
            public var confidence: String
        }
        public var person: String
        public var nodes: [Node]
        public var links: [Link]
        public var truncated: Bool
    }

    /// How the input was read: every record accounted for.
    public struct Run: Sendable, Hashable {
        public var files = 0
        public var recordsRead = 0
        public var events = 0
        public var duplicates = 0
        public var rejected = 0
        public var filtered = 0
        public var diagnostics = 0
        /// The first diagnostics (file, line or offset, reason).
        public var diagnosticLines: [String] = []
        public init() {}
    }

    /// One check the scan ran (a Sigma rule, a correlation, a built-in detection) and how it came out.
    public struct Check: Sendable, Hashable {
        public enum Kind: String, Sendable { case sigma, correlation, detection }
        public var id: String
        public var kind: Kind
        /// The rule's title (Sigma rules, correlations, and the built-in checks' titles).
        public var title: String?
        /// Findings of this check in the pack.
        public var findings: Int
        /// The check could not run on these inputs (an event rule without events).
        public var skipped: Bool
        /// How far its findings can be trusted not to be false positives.
        public var confidence: Confidence
        /// ATT&CK tactics from the rule's tags (`defense-evasion`), for the findings formats.
        public var tactics: [String]

        public init(
            id: String, kind: Kind, title: String?, findings: Int, skipped: Bool, confidence: Confidence,
            tactics: [String] = []
        ) {
            self.id = id
            self.kind = kind
            self.title = title
            self.findings = findings
            self.skipped = skipped
            self.confidence = confidence
            self.tactics = tactics
        }
    }

    /// How far a check's findings can be trusted not to be false positives (lowest first).
    public enum Confidence: String, Sendable, Hashable, Comparable, CaseIterable {
        case low, unrated, medium, high

        /// A Sigma rule's `status`, by Sigma's own definitions: stable (no known false positives
        /// over a long time in several environments) → high, test (may need tuning) → medium,
        /// experimental (may lead to false positives) → low.
        public init(sigmaStatus: String?) {
            switch sigmaStatus?.lowercased() {
            case "stable": self = .high
            case "test": self = .medium
            case "experimental": self = .low
            default: self = .unrated
            }
        }

        public static func < (a: Confidence, b: Confidence) -> Bool {
            allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
        }
    }

    /// The confidence of a rule's findings (from the checks), nil when the rule is not listed.
    public func confidence(ofRule rule: String) -> Confidence? { checks.first { $0.id == rule }?.confidence }

    /// The result of CloudTrail digest validation, when digests were checked.
    public struct Integrity: Sendable, Hashable {
        public var digestFiles: Int
        public var logFiles: Int
        public var verified: Int
        /// One line per problem: missing, modified, extra, unverifiable, chain break.
        public var problems: [String]
        public init(digestFiles: Int, logFiles: Int, verified: Int, problems: [String]) {
            self.digestFiles = digestFiles
            self.logFiles = logFiles
            self.verified = verified
            self.problems = problems
        }
    }

    public var meta: Meta
    public var sources: [Source]
    public var days: [Day]
    public var findings: [Finding]
    public var controls: [ControlAssessment]
    public var frameworks: [ControlCatalog.Framework]
    public var people: [PersonGraph]
    public var timeline: [Row]
    /// Events in timeline.jsonl (the HTML and XML hold at most `rowLimit` of them).
    public var timelineTotal: Int
    public var inputs: [InputFile]
    public var run: Run
    public var integrity: Integrity?
    public var categories: [AuditCategory: EventSample]
    /// Every check the scan ran, those that passed included.
    public var checks: [Check] = []

    /// At most this many timeline rows are embedded in index.html and evidence.xml.
    public static let rowLimit = 50_000
    static let maxPeople = 500
    static let maxGraphNodes = 60
}

/// The evidence facts a control's requirements are checked against.
struct PackFacts {
    /// Whether any log input was given (a pack of permissions alone assesses no logging control).
    var logsGiven = true
    var events: Int
    var sources: Int
    var iamPrincipals: Int
    var databricksPrincipals: Int
    var classified: Int
    var integrity: EvidencePack.Integrity?
    var categories: [AuditCategory: EventSample]
    /// Silent days or hours of each source over the period.
    var gaps: [SourceCoverage.Gap] = []
    /// Sources that log densely enough for their silences to be judged (hourly or daily).
    var judgedSources = 0
    /// Finding id → why it was accepted as risk (a case store's suppression).
    var acceptedRisks: [String: String] = [:]

    /// Gaps as the reason names them: the first few, and how many in all.
    var gapText: String {
        let shown = gaps.prefix(3).map(\.description).joined(separator: "; ")
        return gaps.count > 3 ? shown + "; and \(gaps.count - 3) more gaps (coverage section)" : shown
    }

    var loggingItem: ControlAssessment.Item {
        .init(
            kind: "logging",
            description:
                "\(events) events recorded from \(sources) source\(sources == 1 ? "" : "s") (timeline.jsonl)"
                + (gaps.isEmpty
                    ? "; \(judgedSources) of \(sources) sources log densely and have no silent span in the period"
                    : "; \(gaps.count) silent span\(gaps.count == 1 ? "" : "s") in the period"),
            count: events, events: [])
    }

    func categoryItem(_ c: AuditCategory) -> ControlAssessment.Item {
        let s = categories[c]
        return .init(
            kind: "events:" + c.rawValue, description: c.title + " recorded in the period", count: s?.count ?? 0,
            events: s?.sortedIds ?? [])
    }

    func check(_ r: ControlCatalog.Requirement) -> RequirementCheck {
        switch r {
        case .logging, .events:
            guard logsGiven else { return .notGiven("no audit logs given") }
            guard events > 0 else { return .insufficient("no events recorded in the period", nil) }
            guard judgedSources > 0 else {
                return .insufficient(
                    "no source logs densely enough (hourly, or \(SourceCoverage.denseDaily)+ events a day) to show that logging was continuous",
                    loggingItem)
            }
            guard !gaps.isEmpty else { return .met(loggingItem) }
            return r == .logging
                ? .failing("logging was not continuous: " + gapText, loggingItem)
                : .insufficient("the events do not cover the whole period: " + gapText, loggingItem)
        case .population(let c):
            guard logsGiven else { return .notGiven("no audit logs given") }
            let item = categoryItem(c)
            return item.count > 0
                ? .met(item)
                : .insufficient(
                    "no event of the kind the control is tested on (\(c.title.lowercased())) in the period", item)
        case .inventory:
            guard iamPrincipals + databricksPrincipals > 0 else {
                return .notGiven("no permission inventory given (--inventory)")
            }
            return .met(
                .init(
                    kind: "inventory",
                    description:
                        "permissions of \(iamPrincipals) IAM principals and \(databricksPrincipals) Databricks principals evaluated",
                    count: iamPrincipals + databricksPrincipals, events: []))
        case .classification:
            guard classified > 0 else {
                return .notGiven("no data classification given (classification.yaml or tags)")
            }
            return .met(
                .init(
                    kind: "classification",
                    description: "\(classified) classified data locations (S3 prefixes and tables)",
                    count: classified, events: []))
        case .digests:
            guard let i = integrity else {
                return .notGiven("CloudTrail digests not validated (--public-keys)")
            }
            let item = ControlAssessment.Item(
                kind: "digests",
                description: "\(i.logFiles) log files checked against \(i.digestFiles) signed CloudTrail digest files",
                count: i.verified, events: [])
            if !i.problems.isEmpty {
                let n = i.problems.count
                return .failing(
                    "CloudTrail digest validation found \(n) problem\(n == 1 ? "" : "s"): "
                        + i.problems.prefix(3).joined(separator: "; ") + (n > 3 ? "; …" : ""), item)
            }
            guard i.digestFiles > 0 else {
                return .insufficient("no CloudTrail digest file among the logs to validate", item)
            }
            return .met(item)
        case .external(let what):
            return .notGiven("needs evidence crosstrail does not collect: \(what)")
        }
    }
}

extension EvidencePack {
    /// Builds the pack's content from the analysis results and the first rows of the timeline.
    public static func assemble(
        meta: Meta, scan: ScanResult, observations obs: Observations, inventory inv: Inventory,
        logsGiven: Bool = true, stats: IngestStats?, rows: [Row], timelineTotal: Int, inputs: [InputFile],
        catalog: ControlCatalog, integrity: Integrity?, acceptedRisks: [String: String] = [:]
    ) -> EvidencePack {
        var meta = meta
        meta.first = obs.first
        meta.last = obs.last
        let (sources, days) = coverage(obs, period: meta.period)
        let facts = PackFacts(
            logsGiven: logsGiven, events: obs.events, sources: sources.count,
            iamPrincipals: inv.iam.principals.count,
            databricksPrincipals: inv.databricks.principals.values.filter { $0.kind != .group }.count,
            classified: inv.classification.prefixes.count + inv.classification.tables.count,
            integrity: integrity, categories: obs.categories, gaps: sources.flatMap(\.gaps),
            judgedSources: sources.filter { $0.cadence != .sparse }.count, acceptedRisks: acceptedRisks)
        var run = Run()
        if let s = stats {
            run.files = s.files
            run.recordsRead = s.recordsRead
            run.events = s.accepted
            run.duplicates = s.duplicates
            run.rejected = s.rejected
            run.filtered = s.filtered
            run.diagnostics = s.diagnosticsTotal
            run.diagnosticLines = s.diagnostics.prefix(200).map(\.description)
        }
        return EvidencePack(
            meta: meta, sources: sources, days: days, findings: scan.findings,
            controls: catalog.assess(facts, findings: scan.findings), frameworks: catalog.frameworks,
            people: personGraphs(scan.graph), timeline: rows, timelineTotal: timelineTotal,
            inputs: inputs.sorted { ($0.kind, $0.path) < ($1.kind, $1.path) }, run: run, integrity: integrity,
            categories: obs.categories)
    }

    static func dayString(_ day: Int64) -> String { Timestamp(millis: day * 86_400_000).day }

    /// The hours `[lo, hi)` the pack covers: the period, or the first to the last event's hour.
    static func span(_ obs: Observations, period: ReportPeriod?) -> (lo: Int64, hi: Int64)? {
        if let period {
            return (period.start.millis / 3_600_000, (period.end.millis + 3_599_999) / 3_600_000)
        }
        guard let first = obs.first, let last = obs.last else { return nil }
        return (first.millis / 3_600_000, last.millis / 3_600_000 + 1)
    }

    /// Events per source and day, and each source's silent days and spans over the pack's span.
    static func coverage(_ obs: Observations, period: ReportPeriod?) -> ([Source], [Day]) {
        var perDay: [Int64: (aws: Int, dbx: Int)] = [:]
        var sources: [Source] = []
        let span = span(obs, period: period)
        for (id, days) in obs.sourceDays.sorted(by: { $0.key < $1.key }) {
            let plane = id.hasPrefix("aws:") ? "aws" : "databricks"
            for (d, n) in days {
                if plane == "aws" { perDay[d, default: (0, 0)].aws += n } else { perDay[d, default: (0, 0)].dbx += n }
            }
            guard let first = days.keys.min(), let last = days.keys.max() else { continue }
            let events = days.values.reduce(0, +), hours = obs.sourceHours[id] ?? []
            var silent: [String] = []
            var gaps: [SourceCoverage.Gap] = []
            if let span {
                for d in (span.lo / 24)...((span.hi - 1) / 24) where days[d] == nil {
                    silent.append(dayString(d))
                    if silent.count >= 400 { break }
                }
                gaps = SourceCoverage.gaps(hours, events: events, source: id, from: span.lo, to: span.hi)
            }
            sources.append(
                Source(
                    id: id, plane: plane, events: events, firstDay: dayString(first),
                    lastDay: dayString(last), daysWithEvents: days.count, silentDays: silent,
                    cadence: SourceCoverage.cadence(hours, events: events),
                    gaps: gaps))
        }
        let days = perDay.keys.sorted().map {
            Day(day: dayString($0), aws: perDay[$0]!.aws, databricks: perDay[$0]!.dbx)
        }
        return (sources, days)
    }

    /// Each person's neighbourhood in the identity graph (breadth first, bounded).
    static func personGraphs(_ g: IdentityGraph) -> [PersonGraph] {
        var adjacent: [String: [IdentityGraph.Edge]] = [:]
        for e in g.edges {
            adjacent[e.from, default: []].append(e)
            adjacent[e.to, default: []].append(e)
        }
        let people = g.nodes.values.filter { $0.kind == "person" }.map(\.id).sorted().prefix(maxPeople)
        return people.map { pid in
            var depth = [pid: 0]
            var queue = [pid]
            var links = Set<PersonGraph.Link>()
            var truncated = false
            var i = 0
            while i < queue.count {
                let id = queue[i]
                i += 1
                guard let d = depth[id], d < 3 else { continue }
                for e in adjacent[id] ?? [] {
                    let other = e.from == id ? e.to : e.from
                    if depth[other] == nil {
                        guard depth.count < maxGraphNodes else { truncated = true; continue }
                        depth[other] = d + 1
                        queue.append(other)
                    }
                    links.insert(.init(from: e.from, to: e.to, kind: e.kind, confidence: e.confidence.rawValue))
                }
            }
            let nodes = depth.keys.sorted().compactMap { id in
                g.nodes[id].map { PersonGraph.Node(id: id, kind: $0.kind, label: $0.label, depth: depth[id]!) }
            }
            return PersonGraph(
                person: g.nodes[pid]?.label ?? pid, nodes: nodes,
                links: links.sorted { ($0.from, $0.to, $0.kind) < ($1.from, $1.to, $1.kind) }, truncated: truncated)
        }
    }
}

extension EvidencePack.Row {
    /// A row from one line of timeline.jsonl.
    public init?(jsonl doc: JSON) {
        guard let id = doc["id"]?.string, let time = doc["time"]?.string else { return nil }
        self.id = id
        self.time = time
        plane = doc["plane"]?.string ?? ""
        service = doc["service"]?.string ?? ""
        action = doc["action"]?.string ?? ""
        actor = doc["actor"]?["name"]?.string ?? doc["actor"]?["key"]?.string ?? ""
        person =
            doc["person"]?["email"]?.string ?? (doc["person"]?["candidates"]?.strings.joined(separator: " or ") ?? "")
        ip = doc["sourceIPAddress"]?.string ?? ""
        let status = doc["outcome"]?["status"]?.string ?? ""
        outcome = status + (doc["outcome"]?["errorCode"]?.string.map { " (\($0))" } ?? "")
        resources = (doc["resources"]?.array ?? []).prefix(3).compactMap { $0["id"]?.string }.joined(separator: ", ")
    }

    /// Reads the first `limit` rows of a timeline.jsonl file and counts all of its lines.
    public static func read(timeline path: String, limit: Int) throws -> (rows: [EvidencePack.Row], total: Int) {
        guard let f = fopen(path, "r") else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path])
        }
        defer { fclose(f) }
        let reader = JSONDocumentReader()
        var rows: [EvidencePack.Row] = []
        var total = 0
        var line: UnsafeMutablePointer<CChar>?
        var cap = 0
        defer { free(line) }
        while true {
            let n = getline(&line, &cap, f)
            guard n > 0, let line else { break }
            total += 1
            guard rows.count < limit else { continue }
            let bytes = UnsafeRawBufferPointer(start: line, count: n)
            if let doc = try? reader.parse(Array(bytes)), let row = EvidencePack.Row(jsonl: doc) { rows.append(row) }
        }
        return (rows, total)
    }
}
