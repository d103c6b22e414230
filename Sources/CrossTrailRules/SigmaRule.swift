import CrossTrailIngest
import CrossTrailModel
import Foundation
import Yams

public struct RuleError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var line: Int?
    public var reason: String
    public var description: String { "\(file)\(line.map { ":\($0)" } ?? ""): \(reason)" }

    public init(file: String, line: Int?, reason: String) {
        (self.file, self.line, self.reason) = (file, line, reason)
    }
}

/// A detection rule in the Sigma format: `logsource`, `detection` (named selections and a
/// `condition`), metadata, and crosstrail's additions (`remediation`, `controls`, `examples`).
public final class SigmaRule: Sendable {
    public let id: String
    public let title: String
    public let description: String?
    public let severity: Severity
    public let product: String?
    public let service: String?
    public let mitre: [String]
    public let remediation: String
    public let controls: [ControlRef]
    public let file: String
    let selections: [String: Selection]
    let condition: Condition
    /// The selections in the order the condition refers to them (evaluation without lookups).
    private let compiled: Condition
    private let ordered: [Selection]
    /// Embedded examples: events (as JSON objects in the log's own shape) that must and must not match.
    public let matchExamples: [String]
    public let nomatchExamples: [String]
    public let metadata: Metadata
    /// Load-time warnings (fields crosstrail cannot supply): the rule loads, but those tests never match.
    public let warnings: [String]
    /// Whether the rule reads the outcome (`errorCode`, `status`, ...): only such rules see failed
    /// calls. For the others a failed call is an attempt, reported apart from the rule's findings.
    public let seesFailures: Bool
    /// Sigma filters applied to this rule (their names), in the order applied.
    public let filteredBy: [String]
    /// `eventName` / `actionName` values (lowercased) one of which every matching event must have;
    /// nil when the rule can match any action. The matcher indexes rules by them.
    public let requiredActions: Set<String>?

    /// Sigma's descriptive attributes, and crosstrail's (`stratus`).
    public struct Metadata: Sendable {
        public var uuid: String?
        public var status: String?
        public var author: String?
        public var date: String?
        public var references: [String] = []
        public var falsePositives: [String] = []
        /// Fields whose values name what the finding is about (a trail, a snapshot, a target account).
        public var fields: [String] = []
        /// Stratus Red Team technique ids the rule detects.
        public var stratus: [String] = []
        /// ATT&CK tactics from the tags (`defense-evasion`, ...).
        public var tactics: [String] = []
        public init() {}
        public init(
            uuid: String?, status: String?, author: String?, date: String?, references: [String],
            falsePositives: [String],
            fields: [String], stratus: [String], tactics: [String]
        ) {
            self.uuid = uuid
            self.status = status
            self.author = author
            self.date = date
            self.references = references
            self.falsePositives = falsePositives
            self.fields = fields
            self.stratus = stratus
            self.tactics = tactics
        }
    }

    /// Fields that carry the outcome: a rule testing one of them asks about failures itself.
    /// `responseElements.ConsoleLogin` is a console sign-in's `Success` or `Failure`.
    static let outcomeFields: Set<String> = [
        "errorcode", "errormessage", "outcome", "status", "response.statuscode", "response.errormessage",
        "responseelements.consolelogin",
    ]

    init(
        id: String, title: String, description: String?, severity: Severity, product: String?, service: String?,
        mitre: [String],
        remediation: String, controls: [ControlRef], file: String, selections: [String: Selection],
        condition: Condition,
        matchExamples: [String], nomatchExamples: [String], metadata: Metadata = Metadata(), warnings: [String] = [],
        filteredBy: [String] = []
    ) {
        self.id = id
        self.title = title
        self.description = description
        self.severity = severity
        self.product = product
        self.service = service
        self.mitre = mitre
        self.remediation = remediation
        self.controls = controls
        self.file = file
        self.selections = selections
        self.condition = condition
        self.matchExamples = matchExamples
        self.nomatchExamples = nomatchExamples
        self.metadata = metadata
        self.warnings = warnings
        self.filteredBy = filteredBy
        let names = selections.keys.sorted()
        ordered = names.map { selections[$0]! }
        compiled = condition.compiled(Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) }))
        // The rule's own selections decide (a filter on the outcome does not make it see failures).
        seesFailures = selections.contains { name, s in
            !name.hasPrefix(SigmaRule.filterPrefix)
                && s.alternatives.contains { $0.contains { SigmaRule.outcomeFields.contains($0.fieldLower) } }
        }
        let ordered = self.ordered
        requiredActions = compiled.requiredActions { ordered[$0].requiredActions }
    }

    /// Whether the rule applies to events of this plane (`product: aws` / `databricks`).
    public func applies(to plane: Plane) -> Bool {
        switch product?.lowercased() {
        case nil: return true
        case "aws": return plane == .aws
        case "databricks", "azure": return plane == .databricks
        default: return false
        }
    }

    public func matches(_ e: EventFields) -> Bool {
        compiled.evaluate { i in ordered[i].matches(e) }
    }

    /// Values this rule's regular expressions gave up on at the time limit (treated as no
    /// match), since the rule was loaded.
    public var regexTimeouts: Int {
        ordered.reduce(0) { sum, s in
            sum
                + s.alternatives.reduce(0) {
                    $0 + $1.reduce(0) { $0 + $1.regexes.reduce(0) { $0 + ($1?.timeouts ?? 0) } }
                }
        }
    }

    /// What a matching event means for this rule: a hit, an attempt (a failed call the rule
    /// would match had it succeeded), or nothing.
    public enum Verdict: Sendable { case hit, attempt, none }

    public func verdict(_ e: EventFields) -> Verdict {
        guard applies(to: e.event.plane), matches(e) else { return .none }
        return e.event.outcome.status == .failure && !seesFailures ? .attempt : .hit
    }

    /// Every field the rule reads (for `fieldref`, both sides).
    public var fields: [String] {
        Set(
            selections.values.flatMap {
                $0.alternatives.flatMap {
                    $0.flatMap { t in [t.field] + (t.op == .fieldRef ? t.values.compactMap { $0 } : []) }
                }
            }
        ).sorted()
    }
}

// MARK: selections

struct Selection: Sendable {
    /// Alternatives (a list of maps in YAML); each is a conjunction of field tests, the tests on
    /// request parameters (which need parsing) last.
    var alternatives: [[FieldTest]]

    init(alternatives: [[FieldTest]]) {
        self.alternatives = alternatives.map { tests in
            tests.sorted { a, b in (a.deep ? 1 : 0, a.field) < (b.deep ? 1 : 0, b.field) }
        }
    }

    func matches(_ e: EventFields) -> Bool {
        alternatives.contains { tests in tests.allSatisfy { $0.matches(e) } }
    }

    /// Literal event/action names every alternative requires (nil: some alternative takes any).
    var requiredActions: Set<String>? {
        var out = Set<String>()
        for tests in alternatives {
            let literal = tests.first { t in
                ["eventname", "actionname", "action_name", "action"].contains(t.fieldLower) && t.op == .equals && !t.all
                    && !t.cased
                    && !t.values.isEmpty && t.globs.allSatisfy { $0?.isLiteral == true }
            }
            guard let literal else { return nil }
            out.formUnion(literal.values.compactMap { $0?.lowercased() })
        }
        return out
    }
}

struct FieldTest: Sendable {
    enum Op: Sendable, Equatable {
        case equals, contains, startsWith, endsWith, regex, fieldRef
        /// `|exists: true|false`: whether the field has a value at all.
        case exists
        /// `|cidr`: an IPv4 or IPv6 address inside the range.
        case cidr
        /// `|gt`, `|gte`, `|lt`, `|lte`: numeric comparison.
        case compare(Comparison)
    }
    enum Comparison: String, Sendable { case gt, gte, lt, lte }
    var field: String
    let fieldLower: String
    var op: Op
    /// Every value must match (`|all`), else any.
    var all: Bool
    /// `|cased`: compare case-sensitively (Sigma's default is case-insensitive).
    var cased: Bool
    /// nil value: the field must be absent or empty.
    var values: [String?]
    var globs: [Glob?]
    var regexes: [GuardedRegex?]
    /// Per `re` value: literal text every match contains, checked before the expression runs.
    var requiredLiterals: [RegexLiteral?] = []
    var networks: [IPNetwork?]
    var numbers: [Double?]
    /// Reads request parameters (parsed on demand): evaluated after the cheap tests.
    var deep: Bool { fieldLower.hasPrefix("request") || fieldLower.hasPrefix("response") }

    /// Regular expressions (and case-sensitive wildcards) run on at most this many characters of a
    /// value: a 40 KB field must not stall a scan on a backtracking pattern.
    static let regexInputLimit = 4_096

    init(
        field: String, op: Op, all: Bool, cased: Bool = false, regexOptions: NSRegularExpression.Options = [],
        values: [String?]
    ) throws(RuleParseError) {
        self.field = field
        fieldLower = field.lowercased()
        self.op = op
        self.all = all
        self.cased = cased
        self.values = values
        globs = values.map { v in v.map { Glob(FieldTest.pattern(op, $0)) } }
        networks = values.map { v in op == .cidr ? v.flatMap(IPNetwork.init) : nil }
        numbers = values.map { v in
            if case .compare = op { return v.flatMap { Double($0.trimmingCharacters(in: .whitespaces)) } }
            return nil
        }
        var res = [GuardedRegex?]()
        for v in values {
            guard let v else { res.append(nil); continue }
            switch op {
            case .regex:
                do { res.append(try GuardedRegex(v, options: regexOptions)) } catch {
                    throw RuleParseError("field '\(field)': invalid regular expression")
                }

            case .equals, .contains, .startsWith, .endsWith:
                // Case-sensitive wildcards run as an anchored regular expression.
                res.append(
                    cased
                        ? try? GuardedRegex(
                            "^" + Glob.regexSource(FieldTest.pattern(op, v)) + "$", options: [.dotMatchesLineSeparators]
                        )
                        : nil)
            default:
                res.append(nil)
            }
        }
        regexes = res
        if op == .regex {
            requiredLiterals = values.map { v in
                v.flatMap { RegexLiteral.required($0, caseInsensitive: regexOptions.contains(.caseInsensitive)) }
            }
        }
        switch op {
        case .cidr:
            if let bad = values.first(where: { $0.map { IPNetwork($0) == nil } ?? true }) {
                throw RuleParseError(
                    "field '\(field)': '\(bad ?? "null")' is not an address range (e.g. 10.0.0.0/8, 2001:db8::/32)")
            }
        case .compare(let c):
            if let bad = values.first(where: { $0.flatMap { Double($0.trimmingCharacters(in: .whitespaces)) } == nil })
            {
                throw RuleParseError("field '\(field)|\(c.rawValue)': '\(bad ?? "null")' is not a number")
            }
        case .exists:
            guard values.count == 1, let v = values[0]?.lowercased(), v == "true" || v == "false" else {
                throw RuleParseError("field '\(field)|exists' takes true or false")
            }
        default: break
        }
    }

    /// Sigma values compare case-insensitively and may hold `*` and `?`.
    static func pattern(_ op: Op, _ v: String) -> String {
        switch op {
        case .contains: return "*" + v + "*"
        case .startsWith: return v + "*"
        case .endsWith: return "*" + v
        default: return v
        }
    }

    static func limited(_ s: String) -> String {
        s.utf16.count <= regexInputLimit
            ? s : String(s.utf16.prefix(regexInputLimit)) ?? String(s.prefix(regexInputLimit))
    }

    /// A time-limited search (GuardedRegex): a search stopped by the limit counts as no match
    /// and is counted on the expression, which the analysis reports.
    static func firstMatch(_ re: GuardedRegex, _ value: String) -> Bool {
        re.firstMatch(in: limited(value)) == .match
    }

    func matches(_ e: EventFields) -> Bool {
        switch op {
        case .exists:
            let present = e.values(fieldLower).contains { !$0.isEmpty }
            return present == (values[0]?.lowercased() == "true")
        case .cidr:
            let addresses = e.values(fieldLower).compactMap(IPAddress.init)
            let test = { (i: Int) in addresses.contains { networks[i]!.contains($0) } }
            return all ? values.indices.allSatisfy(test) : values.indices.contains(where: test)
        case .compare(let c):
            let numbers = e.values(fieldLower).compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            let test = { (i: Int) -> Bool in
                let want = self.numbers[i]!
                return numbers.contains { n in
                    switch c {
                    case .gt: return n > want
                    case .gte: return n >= want
                    case .lt: return n < want
                    case .lte: return n <= want
                    }
                }
            }
            return all ? values.indices.allSatisfy(test) : values.indices.contains(where: test)
        default:
            break
        }
        let actual = e.loweredValues(fieldLower)
        func one(_ i: Int) -> Bool {
            guard values[i] != nil else { return actual.isEmpty || actual.allSatisfy(\.isEmpty) }
            if op == .fieldRef {
                if cased {
                    let other = Set(e.values(values[i]!.lowercased()))
                    return e.values(fieldLower).contains { other.contains($0) }
                }
                let other = Set(e.loweredValues(values[i]!.lowercased()))
                return actual.contains { other.contains($0) }
            }
            if let re = regexes[i] {
                if i < requiredLiterals.count, let literal = requiredLiterals[i] {
                    return e.values(fieldLower).contains { literal.isContained(in: $0) && FieldTest.firstMatch(re, $0) }
                }
                return e.values(fieldLower).contains { FieldTest.firstMatch(re, $0) }
            }
            let g = globs[i]!
            if g.isLiteral {
                let want = g.lowercasedUTF8
                return actual.contains { $0 == want }
            }
            return actual.contains { g.matches(lowercasedUTF8: $0) }
        }
        return all ? values.indices.allSatisfy(one) : values.indices.contains(where: one)
    }
}

// MARK: condition

indirect enum Condition: Sendable {
    case selection(String)
    case index(Int)
    case quantifiedIndexes(all: Bool, indexes: [Int])
    case not(Condition)
    case and(Condition, Condition)
    case or(Condition, Condition)
    /// `1 of x*` / `all of x*` / `... of them`: the selections matching a pattern.
    case quantified(all: Bool, names: [String])

    /// Names replaced by positions, so matching does no lookups.
    func compiled(_ index: [String: Int]) -> Condition {
        switch self {
        case .selection(let n): return .index(index[n] ?? -1)
        case .not(let c): return .not(c.compiled(index))
        case .and(let a, let b): return .and(a.compiled(index), b.compiled(index))
        case .or(let a, let b): return .or(a.compiled(index), b.compiled(index))
        case .quantified(let all, let names):
            return .quantifiedIndexes(all: all, indexes: names.compactMap { index[$0] })
        case .index, .quantifiedIndexes: return self
        }
    }

    /// The action names an event must have for the condition to hold (nil: any), from each
    /// selection's own; `not` gives no constraint.
    func requiredActions(_ of: (Int) -> Set<String>?) -> Set<String>? {
        switch self {
        case .index(let i): return i >= 0 ? of(i) : []
        case .not: return nil
        case .and(let a, let b):
            switch (a.requiredActions(of), b.requiredActions(of)) {
            case (nil, nil): return nil
            case (let x?, nil), (nil, let x?): return x
            case (let x?, let y?): return x.intersection(y)
            }
        case .or(let a, let b):
            guard let x = a.requiredActions(of), let y = b.requiredActions(of) else { return nil }
            return x.union(y)
        case .quantifiedIndexes(let all, let idx):
            let sets = idx.map(of)
            if all {
                let known = sets.compactMap { $0 }
                return known.isEmpty ? nil : known.dropFirst().reduce(known[0]) { $0.intersection($1) }
            }
            guard sets.allSatisfy({ $0 != nil }) else { return nil }
            return sets.compactMap { $0 }.reduce(into: Set<String>()) { $0.formUnion($1) }
        case .selection, .quantified: return nil
        }
    }

    func evaluate(_ sel: (Int) -> Bool) -> Bool {
        switch self {
        case .index(let i): return i >= 0 && sel(i)
        case .not(let c): return !c.evaluate(sel)
        case .and(let a, let b): return a.evaluate(sel) && b.evaluate(sel)
        case .or(let a, let b): return a.evaluate(sel) || b.evaluate(sel)
        case .quantifiedIndexes(let all, let idx): return all ? idx.allSatisfy(sel) : idx.contains(where: sel)
        case .selection, .quantified: return false  // only compiled conditions are evaluated
        }
    }

    /// Parses `a and not (b or 1 of c*)`. `names` are the rule's selections.
    static func parse(_ text: String, names: [String]) throws(RuleParseError) -> Condition {
        var tokens = tokenize(text)
        let c = try parseOr(&tokens, names)
        if !tokens.isEmpty { throw RuleParseError("unexpected '\(tokens[0])' in condition") }
        return c
    }

    static func tokenize(_ s: String) -> [String] {
        var out = [String](), cur = ""
        for ch in s {
            if ch == "(" || ch == ")" {
                if !cur.isEmpty { out.append(cur); cur = "" }
                out.append(String(ch))
            } else if ch.isWhitespace {
                if !cur.isEmpty { out.append(cur); cur = "" }
            } else {
                cur.append(ch)
            }
        }
        if !cur.isEmpty { out.append(cur) }
        return out
    }

    static func parseOr(_ t: inout [String], _ names: [String]) throws(RuleParseError) -> Condition {
        var left = try parseAnd(&t, names)
        while t.first?.lowercased() == "or" {
            t.removeFirst()
            left = .or(left, try parseAnd(&t, names))
        }
        return left
    }

    static func parseAnd(_ t: inout [String], _ names: [String]) throws(RuleParseError) -> Condition {
        var left = try parseUnary(&t, names)
        while t.first?.lowercased() == "and" {
            t.removeFirst()
            left = .and(left, try parseUnary(&t, names))
        }
        return left
    }

    static func parseUnary(_ t: inout [String], _ names: [String]) throws(RuleParseError) -> Condition {
        guard let tok = t.first else { throw RuleParseError("condition ends too early") }
        t.removeFirst()
        switch tok.lowercased() {
        case "not":
            return .not(try parseUnary(&t, names))
        case "(":
            let c = try parseOr(&t, names)
            guard t.first == ")" else { throw RuleParseError("missing ')' in condition") }
            t.removeFirst()
            return c
        case "1", "all", "any":
            guard t.first?.lowercased() == "of", t.count >= 2 else {
                throw RuleParseError("expected 'of' after '\(tok)'")
            }
            t.removeFirst()
            let target = t.removeFirst()
            let matched: [String]
            if target == "them" {
                matched = names
            } else {
                let g = Glob(target)
                matched = names.filter { g.matches($0) }
            }
            guard !matched.isEmpty else { throw RuleParseError("'\(target)' names no selection") }
            return .quantified(all: tok.lowercased() == "all", names: matched)
        default:
            guard names.contains(tok) else { throw RuleParseError("condition names unknown selection '\(tok)'") }
            return .selection(tok)
        }
    }
}

struct RuleParseError: Error {
    var reason: String
    var line: Int?
    init(_ reason: String, line: Int? = nil) {
        self.reason = reason
        self.line = line
    }
}
