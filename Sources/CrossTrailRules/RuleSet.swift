import CrossTrailBase
import CrossTrailIngest
import CrossTrailModel
import Crypto
import Foundation

/// The rules of a run: the built-ins plus any loaded from `--rules` directories.
public struct RuleSet: Sendable {
    public private(set) var rules: [SigmaRule]
    /// Correlation rules, their references resolved to rule ids.
    public private(set) var correlations: [SigmaCorrelation] = []
    /// Rules that only feed correlations (`generate: false`): their matches are not findings.
    public private(set) var correlationOnly: Set<String> = []
    public private(set) var errors: [RuleError]
    /// Allowlists and stateful thresholds from the rule directories.
    public private(set) var settings = RuleSettings()
    /// SHA-256 (hex) over the rule sources that were loaded: built-ins and every rule file, so an
    /// evidence pack records exactly which rules produced its findings.
    public private(set) var fingerprint = ""

    init(rules: [SigmaRule], errors: [RuleError], settings: RuleSettings = RuleSettings()) {
        self.rules = rules
        self.errors = errors
        self.settings = settings
    }

    /// A set of exactly these rules (tests, tools).
    public init(rulesForTesting rules: [SigmaRule]) {
        self.init(rules: rules, errors: [])
    }

    /// The rules and correlation rules of one YAML text, without the built-ins (tests, tools).
    public init(yaml text: String, file: String) {
        var loaded = RuleLoader.loadAll(yaml: text, file: file)
        loaded.resolveDeferred()
        self.init(rules: loaded.rules, errors: loaded.errors, settings: loaded.settings)
        adopt(loaded.correlations, filters: loaded.filters)
    }

    /// Applies the filters to the rules they name and resolves correlations against the rules;
    /// unresolvable references become errors.
    private mutating func adopt(_ list: [SigmaCorrelation], filters: [SigmaFilter]) {
        let (filtered, filterErrors) = SigmaFilter.apply(filters, to: rules)
        rules = filtered
        errors += filterErrors
        let (resolved, problems) = SigmaCorrelation.resolve(list, rules: rules)
        correlations = resolved
        errors += problems
        correlationOnly = Set(resolved.filter { !$0.generate }.flatMap(\.ruleIDs))
    }

    /// The built-in rules, and those in `directories`. A rule whose id repeats a built-in
    /// replaces it (tune a built-in by copying it).
    /// `monitoring`: also the change-monitoring rules (`builtin/monitoring/`: CIS AWS Foundations
    /// metric-filter controls and other changes worth recording). They fire on every change of a kind,
    /// benign or not, so incident scans leave them out and evidence packs include them.
    public static func load(directories: [String] = [], builtins: Bool = true, monitoring: Bool = false) -> RuleSet {
        var rules = [SigmaRule](), errors = [RuleError](), settings = RuleSettings()
        var correlations = [SigmaCorrelation]()
        var filters = [SigmaFilter]()
        // Rules and filters using `expand` wait for every folder's placeholders.
        var builtinDeferred = RuleLoader.Loaded(), deferred = RuleLoader.Loaded()
        /// Adds a rule; one with the id of a rule already there replaces it when `replacing`.
        func add(_ rule: SigmaRule, replacing: Bool = true) {
            if let i = rules.firstIndex(where: { $0.id == rule.id }) {
                if replacing { rules[i] = rule }
            } else {
                rules.append(rule)
            }
        }
        var hasher = SHA256()
        if builtins {
            do {
                let dir = try builtinDirectory()
                let loaded = RuleLoader.loadAll(directory: dir, label: "builtin", hasher: &hasher)
                rules = monitoring ? loaded.rules : loaded.rules.filter { !$0.file.hasPrefix(monitoringFolder) }
                correlations = loaded.correlations.filter { monitoring || !$0.file.hasPrefix(monitoringFolder) }
                filters = loaded.filters
                errors = loaded.errors
                builtinDeferred.deferred = loaded.deferred.filter { monitoring || !$0.file.hasPrefix(monitoringFolder) }
            } catch {
                errors.append(RuleError(file: builtinFile, line: nil, reason: error.description))
            }
        }
        for dir in directories {
            let loaded = RuleLoader.loadAll(directory: dir, hasher: &hasher)
            settings.absorb(loaded.settings)
            deferred.deferred += loaded.deferred
            for rule in loaded.rules { add(rule) }
            for c in loaded.correlations {
                if let i = correlations.firstIndex(where: { $0.id == c.id }) {
                    correlations[i] = c
                } else {
                    correlations.append(c)
                }
            }
            filters += loaded.filters
            errors += loaded.errors
        }
        // A built-in replaced by a folder's rule stays replaced; a folder's rule replaces a built-in.
        if !builtinDeferred.deferred.isEmpty || !deferred.deferred.isEmpty {
            builtinDeferred.settings = settings
            builtinDeferred.resolveDeferred()
            for rule in builtinDeferred.rules { add(rule, replacing: false) }
            deferred.settings = settings
            deferred.resolveDeferred()
            for rule in deferred.rules { add(rule) }
            filters += builtinDeferred.filters + deferred.filters
            errors += builtinDeferred.errors + deferred.errors
        }
        // `stateful:` thresholds of the counting detections that became correlation rules still apply.
        for (key, id) in [
            ("failed_login_burst", "failed-login-burst"), ("compute_launch_burst", "compute-launch-burst"),
        ] {
            if let n = settings.stateful[key], let i = correlations.firstIndex(where: { $0.id == id }) {
                correlations[i].condition = SigmaCorrelation.Condition(bounds: [(.gte, n)], field: nil)
            }
        }
        var set = RuleSet(rules: rules, errors: errors, settings: settings)
        set.adopt(correlations, filters: filters)
        set.fingerprint = hasher.finalize().hexString
        return set
    }

    /// The error when the built-in rules cannot be found: a scan without them would look clean.
    public var missingBuiltins: RuleError? { errors.first { $0.file == RuleSet.builtinFile } }
    static let builtinFile = "built-in rules"

    /// Where the change-monitoring rules live among the built-ins.
    public static let monitoringFolder = "builtin/monitoring/"

    /// The folder of the built-in rules (shipped as the rules module's resources).
    public static func builtinDirectory() throws(ResourceLocator.Missing) -> String {
        let readme = try ResourceLocator(bundleName: "crosstrail_CrossTrailRules.resources", folder: "Rules").path(
            "README.md")
        return PathText.parent(readme)
    }

    /// Result of one rule's embedded examples.
    public struct TestResult: Sendable {
        public var rule: String
        public var passed: Int
        public var failures: [String]
        /// The rule carries no examples (published rule sets rarely do): nothing was tested.
        public var untested: Bool { passed == 0 && failures.isEmpty }
    }

    /// Runs every rule's examples: each `match` event must match, each `nomatch` must not.
    public func test() -> [TestResult] {
        let normalizer = RecordNormalizer()
        let reader = JSONDocumentReader()
        return rules.map { rule in
            var r = TestResult(rule: rule.id, passed: 0, failures: [])
            for (expected, examples) in [(true, rule.matchExamples), (false, rule.nomatchExamples)] {
                for (i, text) in examples.enumerated() {
                    switch normalizer.normalize(text, source: "\(rule.id) example") {
                    case .failure(let e):
                        r.failures.append(
                            "\(expected ? "match" : "nomatch") example \(i + 1) is not an event: \(e.reason)")
                    case .success(let e):
                        // A failed call is an attempt, not a match (unless the rule reads the outcome).
                        let got = rule.verdict(EventFields(e, reader: reader)) == .hit
                        if got == expected {
                            r.passed += 1
                        } else {
                            r.failures.append(
                                "\(expected ? "match" : "nomatch") example \(i + 1) \(got ? "matched" : "did not match")"
                            )
                        }
                    }
                }
            }
            if rule.matchExamples.isEmpty && !rule.nomatchExamples.isEmpty { r.failures.append("no match example") }
            return r
        }
    }
}

/// Per worker: evaluates the rules that can match each event (indexed by event/action name) and
/// keeps, per rule and actor, a bounded sample of the matching events, the resources they name and
/// the values of the rule's `fields`. Failed calls a rule would match are kept apart as attempts.
public final class RuleMatcher {
    public struct Key: Sendable, Hashable, Comparable {
        public var rule: String
        public var actor: String
        /// The events failed: attempts, not the rule's finding.
        public var attempt: Bool = false
        public static func < (a: Key, b: Key) -> Bool {
            (a.rule, a.actor, a.attempt ? 1 : 0) < (b.rule, b.actor, b.attempt ? 1 : 0)
        }
    }

    /// The matching events of one rule and actor.
    public struct Hits: Sendable {
        public static let valueCap = 20
        public var sample = EventSample(capacity: EventSample.findingCap)
        public var actor: Actor?
        /// Resources the events name (first `valueCap`, sorted at the end).
        public var resources: Set<String> = []
        /// The rule's `fields`: field → values seen (first `valueCap` each).
        public var values: [String: Set<String>] = [:]
        /// Error codes of attempts.
        public var errors: Set<String> = []

        public init() {}

        mutating func add(_ e: AuditEvent, fields: [String], reader: EventFields) {
            sample.add(e)
            if actor == nil { actor = e.actor }
            for r in e.resources where resources.count < Self.valueCap { resources.insert(r.id) }
            for f in fields {
                for v in reader.values(f) where !v.isEmpty && values[f, default: []].count < Self.valueCap {
                    values[f, default: []].insert(String(v.prefix(512)))
                }
            }
            if let code = e.outcome.errorCode, errors.count < Self.valueCap { errors.insert(code) }
        }

        public mutating func merge(_ o: Hits) {
            sample.merge(o.sample)
            if actor == nil { actor = o.actor }
            for r in o.resources where resources.count < Self.valueCap { resources.insert(r) }
            for (f, vs) in o.values {
                for v in vs where values[f, default: []].count < Self.valueCap { values[f, default: []].insert(v) }
            }
            for c in o.errors where errors.count < Self.valueCap { errors.insert(c) }
        }
    }

    /// Rules by the action names they require; `anyAction` can match every action.
    private struct Index {
        var byAction: [String: [SigmaRule]] = [:]
        var anyAction: [SigmaRule] = []
        init(_ rules: [SigmaRule]) {
            for r in rules {
                if let names = r.requiredActions {
                    for n in names { byAction[n, default: []].append(r) }
                } else {
                    anyAction.append(r)
                }
            }
        }
        func candidates(_ action: String) -> [SigmaRule] {
            guard let named = byAction[action.lowercased()] else { return anyAction }
            return anyAction.isEmpty ? named : named + anyAction
        }
    }

    /// A correlation rule's group: the correlation and the values of its `group-by` fields.
    public struct CorrelationKey: Sendable, Hashable, Comparable {
        public var correlation: String
        public var group: [String]
        public init(correlation: String, group: [String]) {
            self.correlation = correlation
            self.group = group
        }
        public static func < (a: CorrelationKey, b: CorrelationKey) -> Bool {
            (a.correlation, a.group.joined(separator: "\u{0}")) < (b.correlation, b.group.joined(separator: "\u{0}"))
        }
    }

    private let aws: Index
    private let databricks: Index
    private let reader = JSONDocumentReader()
    public private(set) var hits: [Key: Hits] = [:]
    /// Matches kept for the correlation rules, per correlation and group.
    public private(set) var correlationGroups: [CorrelationKey: CorrelationGroup] = [:]
    private let correlations: [SigmaCorrelation]
    /// Rule id → the correlations it feeds, with its position in each one's `rules`.
    private let feeds: [String: [(correlation: Int, rule: Int)]]

    public init(_ set: RuleSet) {
        aws = Index(set.rules.filter { $0.applies(to: .aws) })
        databricks = Index(set.rules.filter { $0.applies(to: .databricks) })
        correlations = set.correlations
        var feeds = [String: [(correlation: Int, rule: Int)]]()
        for (c, correlation) in set.correlations.enumerated() {
            for (k, id) in correlation.ruleIDs.enumerated() { feeds[id, default: []].append((c, k)) }
        }
        self.feeds = feeds
    }

    private func feed(_ e: AuditEvent, rule id: String, fields: EventFields) {
        guard let list = feeds[id] else { return }
        for (c, k) in list {
            let correlation = correlations[c]
            let group = correlation.groupBy.map { fields.values(correlation.field($0, rule: k)).first ?? "" }
            let value = correlation.condition?.field.flatMap { fields.values(correlation.field($0, rule: k)).first }
            correlationGroups[CorrelationKey(correlation: correlation.id, group: group), default: CorrelationGroup()]
                .add(CorrelationHit(time: e.time, event: e.id, rule: k, value: value), actor: e.actor)
        }
    }

    public func evaluate(_ e: AuditEvent) {
        let rules: [SigmaRule]
        switch e.plane {
        case .aws: rules = aws.candidates(e.action)
        case .databricks: rules = databricks.candidates(e.action)
        }
        guard !rules.isEmpty else { return }
        let fields = EventFields(e, reader: reader)
        for r in rules {
            switch r.verdict(fields) {
            case .none: continue
            case .hit:
                hits[Key(rule: r.id, actor: e.actor.key), default: Hits()].add(
                    e, fields: r.metadata.fields, reader: fields)
                feed(e, rule: r.id, fields: fields)
            case .attempt:
                hits[Key(rule: r.id, actor: e.actor.key, attempt: true), default: Hits()].add(
                    e, fields: r.metadata.fields, reader: fields)
            }
        }
    }
}

extension RuleSet {
    /// Writes the built-in rule files (one Sigma YAML file per rule, in their folders) under
    /// `directory`, each whole or not at all. Files already there are refused unless `replace`.
    /// - Returns: the paths written, relative to `directory`.
    /// - Throws: `ExportError` naming the file.
    public static func exportBuiltins(to directory: String, monitoring: Bool = true, replace: Bool = false) throws
        -> [String]
    {
        let source: String
        do { source = try builtinDirectory() } catch { throw ExportError(path: builtinFile, reason: error.description) }
        let files = (FileManager.default.enumerator(atPath: source)?.compactMap { $0 as? String } ?? [])
            .filter {
                ($0.hasSuffix(".yml") || $0.hasSuffix(".yaml"))
                    && (monitoring || !("builtin/" + $0).hasPrefix(monitoringFolder))
            }
            .sorted()
        if !replace {
            for rel in files
            where FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent(rel)) {
                throw ExportError(
                    path: (directory as NSString).appendingPathComponent(rel),
                    reason: "already exists; pass --force to replace the exported rules", alreadyExists: true)
            }
        }
        for rel in files {
            let from = (source as NSString).appendingPathComponent(rel)
            let to = (directory as NSString).appendingPathComponent(rel)
            guard let data = FileManager.default.contents(atPath: from) else {
                throw ExportError(path: from, reason: "cannot read the built-in rule")
            }
            do { try AtomicFile.write(data, to: to, createFolders: true) } catch {
                throw ExportError(path: to, reason: error.reason)
            }
        }
        return files
    }

    public struct ExportError: Error, CustomStringConvertible, Sendable {
        public var path: String
        public var reason: String
        /// A file was there already (and `replace` was not given).
        public var alreadyExists = false
        public var description: String { "\(path): \(reason)" }
    }
}
