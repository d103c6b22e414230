import CrossTrailIngest
import CrossTrailModel
import Foundation
import Yams

public struct RuleError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var line: Int?
    public var reason: String
    public var description: String { "\(file)\(line.map { ":\($0)" } ?? ""): \(reason)" }
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

    init(id: String, title: String, description: String?, severity: Severity, product: String?, service: String?, mitre: [String],
         remediation: String, controls: [ControlRef], file: String, selections: [String: Selection], condition: Condition,
         matchExamples: [String], nomatchExamples: [String]) {
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
        let names = selections.keys.sorted()
        ordered = names.map { selections[$0]! }
        compiled = condition.compiled(Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) }))
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

    /// Every field the rule reads (for `fieldref`, both sides).
    public var fields: [String] {
        Set(selections.values.flatMap { $0.alternatives.flatMap { $0.flatMap { t in [t.field] + (t.op == .fieldRef ? t.values.compactMap { $0 } : []) } } }).sorted()
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
}

struct FieldTest: Sendable {
    enum Op: Sendable { case equals, contains, startsWith, endsWith, regex, fieldRef }
    var field: String
    let fieldLower: String
    var op: Op
    /// Every value must match (`|all`), else any.
    var all: Bool
    /// nil value: the field must be absent or empty.
    var values: [String?]
    var globs: [Glob?]
    var regexes: [NSRegularExpression?]
    /// Reads request parameters (parsed on demand): evaluated after the cheap tests.
    var deep: Bool { field.lowercased().hasPrefix("request") }

    init(field: String, op: Op, all: Bool, values: [String?]) throws {
        self.field = field
        fieldLower = field.lowercased()
        self.op = op
        self.all = all
        self.values = values
        globs = values.map { v in v.map { Glob(FieldTest.pattern(op, $0)) } }
        regexes = try values.map { v in
            guard op == .regex, let v else { return nil }
            return try NSRegularExpression(pattern: v)
        }
    }

    /// Sigma values compare case-insensitively and may hold `*` and `?`.
    static func pattern(_ op: Op, _ v: String) -> String {
        switch op {
        case .equals, .regex, .fieldRef: return v
        case .contains: return "*" + v + "*"
        case .startsWith: return v + "*"
        case .endsWith: return "*" + v
        }
    }

    func matches(_ e: EventFields) -> Bool {
        let actual = e.loweredValues(fieldLower)
        func one(_ i: Int) -> Bool {
            guard values[i] != nil else { return actual.isEmpty || actual.allSatisfy(\.isEmpty) }
            if op == .fieldRef {
                let other = Set(e.loweredValues(values[i]!.lowercased()))
                return actual.contains { other.contains($0) }
            }
            if let re = regexes[i] {
                return e.values(fieldLower).contains { re.firstMatch(in: $0, range: NSRange($0.startIndex..., in: $0)) != nil }
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
        case .quantified(let all, let names): return .quantifiedIndexes(all: all, indexes: names.compactMap { index[$0] })
        case .index, .quantifiedIndexes: return self
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
            guard t.first?.lowercased() == "of", t.count >= 2 else { throw RuleParseError("expected 'of' after '\(tok)'") }
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
