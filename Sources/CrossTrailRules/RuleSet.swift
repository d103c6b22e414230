import Crypto
import CrossTrailIngest
import Foundation
import CrossTrailModel

/// The rules of a run: the built-ins plus any loaded from `--rules` directories.
public struct RuleSet: Sendable {
    public private(set) var rules: [SigmaRule]
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

    /// The built-in rules, and those in `directories`. A rule whose id repeats a built-in
    /// replaces it (tune a built-in by copying it).
    public static func load(directories: [String] = [], builtins: Bool = true) -> RuleSet {
        var rules = [SigmaRule](), errors = [RuleError](), settings = RuleSettings()
        var hasher = SHA256()
        if builtins {
            hasher.update(data: Data(BuiltinRules.yaml.utf8))
            let (r, e) = RuleLoader.load(yaml: BuiltinRules.yaml, file: BuiltinRules.file)
            rules = r
            errors = e
        }
        for dir in directories {
            let (r, st, e) = RuleLoader.loadAll(directory: dir, hasher: &hasher)
            settings.absorb(st)
            for rule in r {
                if let i = rules.firstIndex(where: { $0.id == rule.id }) { rules[i] = rule } else { rules.append(rule) }
            }
            errors += e
        }
        var set = RuleSet(rules: rules, errors: errors, settings: settings)
        set.fingerprint = hasher.finalize().hexString
        return set
    }

    /// Result of one rule's embedded examples.
    public struct TestResult: Sendable {
        public var rule: String
        public var passed: Int
        public var failures: [String]
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
                        r.failures.append("\(expected ? "match" : "nomatch") example \(i + 1) is not an event: \(e.reason)")
                    case .success(let e):
                        let got = rule.applies(to: e.plane) && rule.matches(EventFields(e, reader: reader))
                        if got == expected { r.passed += 1 } else {
                            r.failures.append("\(expected ? "match" : "nomatch") example \(i + 1) \(got ? "matched" : "did not match")")
                        }
                    }
                }
            }
            if rule.matchExamples.isEmpty { r.failures.append("no match example") }
            return r
        }
    }
}

/// Per worker: evaluates every rule on every event and keeps, per rule and actor, a bounded
/// sample of the matching events.
public final class RuleMatcher {
    public struct Key: Sendable, Hashable, Comparable {
        public var rule: String
        public var actor: String
        public static func < (a: Key, b: Key) -> Bool { (a.rule, a.actor) < (b.rule, b.actor) }
    }

    /// The matching events of one rule and actor.
    public struct Hits: Sendable {
        public var sample = EventSample()
        public var actor: Actor?

        public init() {}

        mutating func add(_ e: AuditEvent) {
            sample.add(e)
            if actor == nil { actor = e.actor }
        }

        public mutating func merge(_ o: Hits) {
            sample.merge(o.sample)
            if actor == nil { actor = o.actor }
        }
    }

    private let aws: [SigmaRule]
    private let databricks: [SigmaRule]
    private let reader = JSONDocumentReader()
    public private(set) var hits: [Key: Hits] = [:]

    public init(_ set: RuleSet) {
        aws = set.rules.filter { $0.applies(to: .aws) }
        databricks = set.rules.filter { $0.applies(to: .databricks) }
    }

    public func evaluate(_ e: AuditEvent) {
        let rules = e.plane == .aws ? aws : databricks
        guard !rules.isEmpty else { return }
        let fields = EventFields(e, reader: reader)
        for r in rules where r.matches(fields) {
            hits[Key(rule: r.id, actor: e.actor.key), default: Hits()].add(e)
        }
    }
}
