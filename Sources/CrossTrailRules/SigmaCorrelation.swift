import CrossTrailModel
import Foundation
import Yams

/// A Sigma correlation rule (Sigma specification v2, "Sigma Correlation Rules"): matches of its
/// base rules counted or sequenced within a `timespan`, per `group-by` group.
///
/// - `event_count`: the number of matches in the timespan meets the condition (brute force: 10
///   failed sign-ins from one address in 5 minutes).
/// - `value_count`: the number of distinct values of `condition.field` meets it (one identity
///   calling 20 different List/Describe actions in a minute).
/// - `temporal`: every base rule matched within the timespan, in any order.
/// - `temporal_ordered`: they matched in the order listed (GetCallerIdentity, then ListBuckets).
///
/// Base rules are referenced by `name`, `id` (UUID) or title (published sets use titles). With
/// `generate: false` (the default) the base rules only feed the correlation and report nothing
/// themselves.
public struct SigmaCorrelation: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case eventCount = "event_count"
        case valueCount = "value_count"
        case temporal
        case temporalOrdered = "temporal_ordered"
    }

    /// `gt`/`gte`/`lt`/`lte`/`eq` bounds that must all hold (two make a range), and for
    /// `value_count` the field whose distinct values are counted.
    public struct Condition: Sendable, CustomStringConvertible {
        public enum Op: String, Sendable, CaseIterable { case gt, gte, lt, lte, eq }
        public var bounds: [(op: Op, value: Int)]
        public var field: String?

        public func holds(_ n: Int) -> Bool {
            bounds.allSatisfy { b in
                switch b.op {
                case .gt: n > b.value
                case .gte: n >= b.value
                case .lt: n < b.value
                case .lte: n <= b.value
                case .eq: n == b.value
                }
            }
        }

        public var description: String {
            bounds.map { "\($0.op.rawValue) \($0.value)" }.joined(separator: " and ")
                + (field.map { " distinct \($0)" } ?? "")
        }
    }

    public let id: String
    public let uuid: String?
    public let title: String
    public let description: String?
    public let severity: Severity
    public let file: String
    public let line: Int?
    public let kind: Kind
    /// The `rules:` entries as written (name, id or title).
    public let references: [String]
    public let groupBy: [String]
    public let timespanMillis: Int64
    /// As written (`5m`), for reports.
    public let timespan: String
    public internal(set) var condition: Condition?
    public let generate: Bool
    /// `aliases`: alias → base rule reference → the field it stands for in that rule's events.
    public let aliases: [String: [String: String]]
    public let mitre: [String]
    public let tactics: [String]
    public let remediation: String
    public let controls: [ControlRef]
    /// The base rules' ids, in `rules:` order (filled in when the set resolves references).
    public internal(set) var ruleIDs: [String] = []

    /// The field a group-by name or condition field reads in the events of base rule `index`.
    public func field(_ name: String, rule index: Int) -> String {
        aliases[name]?[references[index]] ?? name
    }

    /// Parses a document holding `correlation:`.
    static func parse(_ map: Node.Mapping, file: String, line: Int?) throws(RuleParseError) -> SigmaCorrelation {
        func string(_ n: Node?) -> String? { n?.scalar?.string }
        func strings(_ n: Node?) -> [String] {
            if let s = n?.scalar?.string { return [s] }
            return n?.sequence?.compactMap { $0.scalar?.string } ?? []
        }
        guard let title = string(map["title"]) else {
            throw RuleParseError("correlation rule has no title", line: line)
        }
        guard let body = map["correlation"]?.mapping else {
            throw RuleParseError("'correlation' must be a mapping", line: map["correlation"]?.mark?.line ?? line)
        }
        let at = map["correlation"]?.mark?.line ?? line
        guard let typeName = string(body["type"]) else { throw RuleParseError("correlation has no type", line: at) }
        guard let kind = Kind(rawValue: typeName) else {
            throw RuleParseError(
                "correlation type '\(typeName)' is not one of "
                    + Kind.allCases.map(\.rawValue).joined(separator: ", "), line: body["type"]?.mark?.line ?? at)
        }
        let references = strings(body["rules"])
        guard !references.isEmpty else { throw RuleParseError("correlation lists no rules", line: at) }
        if (kind == .temporal || kind == .temporalOrdered) && references.count < 2 {
            throw RuleParseError("a \(kind.rawValue) correlation needs at least two rules", line: at)
        }
        guard let span = string(body["timespan"]) ?? string(body["timeframe"]) else {
            throw RuleParseError("correlation has no timespan", line: at)
        }
        guard let millis = Self.millis(span) else {
            throw RuleParseError(
                "timespan '\(span)' is not a duration (a number and s, m, h or d: 30s, 5m, 1h, 1d)",
                line: body["timespan"]?.mark?.line ?? at)
        }
        var condition: Condition?
        if let c = body["condition"] {
            guard let m = c.mapping else {
                throw RuleParseError("correlation condition must be a mapping (gte: 10)", line: c.mark?.line)
            }
            var parsed = Condition(bounds: [], field: nil)
            for (k, v) in m {
                guard let key = k.string?.lowercased() else { continue }
                if key == "field" {
                    parsed.field = v.scalar?.string
                    continue
                }
                guard let op = Condition.Op(rawValue: key) else {
                    throw RuleParseError(
                        "condition operator '\(key)' is not gt, gte, lt, lte, eq or field", line: k.mark?.line)
                }
                guard let n = v.scalar.flatMap({ Int($0.string) }) else {
                    throw RuleParseError("condition '\(key)' needs a whole number", line: v.mark?.line)
                }
                parsed.bounds.append((op, n))
            }
            condition = parsed
        }
        switch kind {
        case .eventCount, .valueCount:
            guard let condition, !condition.bounds.isEmpty else {
                throw RuleParseError("an \(kind.rawValue) correlation needs a condition (gte: N)", line: at)
            }
            if kind == .valueCount && condition.field == nil {
                throw RuleParseError("a value_count condition names the field to count (field: eventName)", line: at)
            }
        case .temporal, .temporalOrdered:
            break
        }
        var aliases = [String: [String: String]]()
        for (k, v) in body["aliases"]?.mapping ?? [:] {
            guard let alias = k.string, let m = v.mapping else {
                throw RuleParseError("aliases map an alias to rule: field pairs", line: k.mark?.line)
            }
            for (r, f) in m { if let r = r.string, let f = f.string { aliases[alias, default: [:]][r] = f } }
        }
        let generate: Bool
        switch string(body["generate"])?.lowercased() {
        case nil, "false": generate = false
        case "true": generate = true
        case let other?: throw RuleParseError("generate must be true or false, not '\(other)'", line: at)
        }
        let (id, uuid) = RuleLoader.key(map, title: title)
        let (mitre, tactics) = RuleLoader.attack(map)
        return SigmaCorrelation(
            id: id, uuid: uuid, title: title, description: string(map["description"]),
            severity: RuleLoader.severity(map), file: file, line: line,
            kind: kind, references: references, groupBy: strings(body["group-by"]), timespanMillis: millis,
            timespan: span, condition: condition, generate: generate, aliases: aliases, mitre: mitre, tactics: tactics,
            remediation: string(map["remediation"])
                ?? "Review the correlated events together; confirm the sequence was authorised.",
            controls: RuleLoader.controls(map))
    }

    /// `30s`, `5m`, `1h`, `2d` in milliseconds.
    static func millis(_ text: String) -> Int64? {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard let unit = t.last, let n = Int64(t.dropLast()), n > 0, n < 1_000_000 else { return nil }
        switch unit {
        case "s": return n * 1000
        case "m": return n * 60_000
        case "h": return n * 3_600_000
        case "d": return n * 86_400_000
        default: return nil
        }
    }

    /// Resolves every correlation's references to rule ids: by `name`, then `id` (UUID), then
    /// title (unique in the correlation's file, else unique in the set). A reference that does not
    /// resolve, is ambiguous or names another correlation is an error; the correlation is not loaded.
    static func resolve(_ correlations: [SigmaCorrelation], rules: [SigmaRule]) -> ([SigmaCorrelation], [RuleError]) {
        var byID = [String: SigmaRule](), byUUID = [String: SigmaRule](), byTitle = [String: [SigmaRule]]()
        for r in rules {
            byID[r.id] = byID[r.id] ?? r
            if let u = r.metadata.uuid { byUUID[u] = byUUID[u] ?? r }
            byTitle[r.title, default: []].append(r)
        }
        let correlationKeys = Set(correlations.flatMap { [$0.id, $0.title] + ($0.uuid.map { [$0] } ?? []) })
        var out = [SigmaCorrelation](), errors = [RuleError]()
        next: for var c in correlations {
            var ids = [String]()
            for ref in c.references {
                let titled = byTitle[ref] ?? []
                let sameFile = titled.filter { $0.file == c.file }
                let found =
                    byID[ref] ?? byUUID[ref]
                    ?? (sameFile.count == 1 ? sameFile[0] : titled.count == 1 ? titled[0] : nil)
                guard let rule = found else {
                    let why =
                        titled.count > 1
                        ? "names \(titled.count) rules by title; reference one by its name or id"
                        : correlationKeys.contains(ref)
                            ? "is a correlation: correlations of correlations are not supported"
                            : "matches no rule's name, id or title"
                    errors.append(
                        RuleError(file: c.file, line: c.line, reason: "correlation '\(c.id)': rule '\(ref)' \(why)"))
                    continue next
                }
                ids.append(rule.id)
            }
            c.ruleIDs = ids
            out.append(c)
        }
        return (out, errors)
    }
}

/// One base-rule match a correlation keeps: when, which of its rules, the counted value.
public struct CorrelationHit: Sendable, Hashable, Comparable {
    public var time: Timestamp
    public var event: String
    /// Index into the correlation's rules.
    public var rule: Int
    /// `value_count`: the value of the counted field.
    public var value: String?

    public init(time: Timestamp, event: String, rule: Int, value: String? = nil) {
        self.time = time
        self.event = event
        self.rule = rule
        self.value = value
    }

    public static func < (a: CorrelationHit, b: CorrelationHit) -> Bool {
        (a.time, a.event, a.rule) < (b.time, b.event, b.rule)
    }
}

/// The matches of one correlation in one group, bounded: the earliest `cap` by time and event
/// id are kept (the same ones whatever order workers merge in), the rest only counted.
public struct CorrelationGroup: Sendable {
    public static let cap = 20_000
    public private(set) var hits: [CorrelationHit] = []
    public private(set) var dropped = 0
    /// Events of matches carried from an earlier scan (the case store) and not read again in
    /// this one: a window made of them alone was judged by that scan, not this one.
    public private(set) var carried: Set<String> = []
    /// The actor of the earliest match (the same whatever order workers merge in).
    public private(set) var actor: Actor?
    private var actorHit: CorrelationHit?

    public init() {}

    mutating func add(_ hit: CorrelationHit, actor: Actor) {
        if actorHit.map({ hit < $0 }) ?? true { (self.actor, actorHit) = (actor, hit) }
        hits.append(hit)
        if hits.count >= 2 * Self.cap { trim() }
    }

    public mutating func merge(_ o: CorrelationGroup) {
        if let theirs = o.actorHit, actorHit.map({ theirs < $0 }) ?? true { (actor, actorHit) = (o.actor, theirs) }
        hits += o.hits
        dropped += o.dropped
        carried.formUnion(o.carried)
        if hits.count > Self.cap { trim() }
    }

    /// Adds matches carried from an earlier scan, after this scan's matches are in: one whose
    /// event this scan read again is already here and stays this scan's own.
    public mutating func carry(_ incoming: [(hit: CorrelationHit, actor: Actor?)]) {
        struct Seen: Hashable {
            var event: String
            var rule: Int
        }
        let own = Set(hits.map { Seen(event: $0.event, rule: $0.rule) })
        for (hit, actor) in incoming where !own.contains(Seen(event: hit.event, rule: hit.rule)) {
            if let actor, actorHit.map({ hit < $0 }) ?? true { (self.actor, actorHit) = (actor, hit) }
            hits.append(hit)
            carried.insert(hit.event)
        }
        if hits.count > Self.cap { trim() }
    }

    /// Sorted, deduplicated, and at most `cap`.
    public mutating func trim() {
        hits = Array(Set(hits)).sorted()
        if hits.count > Self.cap {
            dropped += hits.count - Self.cap
            hits.removeLast(hits.count - Self.cap)
        }
    }
}

extension SigmaCorrelation {
    /// The first window (by time) in which the correlation holds, with the matches in it.
    public struct Window: Sendable {
        public var hits: [CorrelationHit]
        /// What the condition was tested on: matches, distinct values, or rules matched.
        public var measured: Int
    }

    /// Slides a window of `timespan` over the group's matches (sorted) and returns the first
    /// that satisfies the correlation and holds a match not in `carried` (events an earlier scan
    /// already judged). Counts are kept as the window slides (each match enters and leaves once),
    /// and ordered sequences follow next-occurrence tables, so a group of n matches costs O(n)
    /// map updates (O(n × rules) for sequences), however wide the window.
    public func firstWindow(_ sorted: [CorrelationHit], carried: Set<String> = []) -> Window? {
        guard !sorted.isEmpty else { return nil }
        if kind == .temporalOrdered { return firstSequence(sorted, carried: carried) }
        var counts = [String: Int]()  // what is counted → matches of it in the window
        func key(_ h: CorrelationHit) -> String? {
            switch kind {
            case .eventCount: h.event
            case .valueCount: h.value
            case .temporal, .temporalOrdered: String(h.rule)
            }
        }
        func holds(_ n: Int) -> Bool {
            switch kind {
            case .eventCount, .valueCount: condition?.holds(n) ?? false
            case .temporal, .temporalOrdered:
                condition.map { $0.bounds.isEmpty ? n == ruleCount : $0.holds(n) } ?? (n == ruleCount)
            }
        }
        var end = 0
        var fresh = 0  // matches in the window that are this scan's own
        for start in sorted.indices {
            let limit = sorted[start].time.millis + timespanMillis
            while end < sorted.count && sorted[end].time.millis <= limit {
                if let k = key(sorted[end]) { counts[k, default: 0] += 1 }
                if !carried.contains(sorted[end].event) { fresh += 1 }
                end += 1
            }
            if fresh > 0 && holds(counts.count) {
                return Window(hits: Array(sorted[start..<end]), measured: counts.count)
            }
            if let k = key(sorted[start]) {
                counts[k, default: 0] -= 1
                if counts[k] == 0 { counts[k] = nil }
            }
            if !carried.contains(sorted[start].event) { fresh -= 1 }
        }
        return nil
    }

    /// `temporal_ordered`: rule 0, then each next rule at or after the time of the one before
    /// (CloudTrail times are whole seconds: the same second counts), each on an event not used
    /// yet, all within the timespan of the first.
    private func firstSequence(_ sorted: [CorrelationHit], carried: Set<String>) -> Window? {
        // next[k][i]: the first index at or after i whose match is of rule k (count when none).
        var next = Array(repeating: Array(repeating: sorted.count, count: sorted.count + 1), count: ruleCount)
        for i in sorted.indices.reversed() {
            for k in 0..<ruleCount { next[k][i] = next[k][i + 1] }
            if sorted[i].rule < ruleCount { next[sorted[i].rule][i] = i }
        }
        // sameTime[i]: the first index with the time of match i.
        var sameTime = Array(sorted.indices)
        for i in sorted.indices.dropFirst() where sorted[i].time == sorted[i - 1].time { sameTime[i] = sameTime[i - 1] }
        for start in sorted.indices where sorted[start].rule == 0 {
            let limit = sorted[start].time.millis + timespanMillis
            var chain = [sorted[start]]
            var at = start
            while chain.count < ruleCount {
                var j = next[chain.count][sameTime[at]]
                while j < sorted.count && chain.contains(where: { $0.event == sorted[j].event }) {
                    j = next[chain.count][j + 1]
                }
                guard j < sorted.count, sorted[j].time.millis <= limit else { break }
                chain.append(sorted[j])
                at = j
            }
            if chain.count == ruleCount && chain.contains(where: { !carried.contains($0.event) }) {
                return Window(hits: chain, measured: chain.count)
            }
        }
        return nil
    }

    var ruleCount: Int { references.count }
}
