import CrossTrailIngest
import CrossTrailModel

/// What a policy `Condition` block means when it can be decided offline, from the point of view of
/// someone trying to use the permission now: the condition keys whose value at the assessment
/// time is known (`aws:CurrentTime`, `aws:EpochTime`, and `aws:TokenIssueTime`, which is "now" for
/// credentials issued now) and the ones the caller controls (`aws:SecureTransport`: a caller can
/// always use TLS). Everything else stays undecided ("conditional", shown with the condition).
public struct PolicyCondition: Sendable, Hashable {
    /// One `Operator: {key: [values]}` entry. All clauses of a block must hold.
    struct Clause: Sendable, Hashable {
        var op: String
        var key: String
        var values: [String]
    }

    public enum Verdict: Sendable, Hashable {
        /// Holds for a caller now (or the caller can make it hold).
        case holds
        /// Cannot hold now (a date already past): the statement does not apply.
        case never
        /// Depends on the request or the environment: reported as conditional.
        case unknown
    }

    let clauses: [Clause]
    /// The block as JSON text, for evidence.
    public let text: String

    /// The condition keys the block tests, lower-case (`sts:externalid`).
    public var keys: Set<String> { Set(clauses.map(\.key)) }

    init?(_ json: JSON) {
        guard let members = json.object, !members.isEmpty else { return nil }
        var clauses: [Clause] = []
        for (op, keys) in json.sortedMembers {
            for (key, values) in keys.sortedMembers {
                clauses.append(Clause(op: op, key: key.lowercased(), values: values.strings))
            }
            // An operator with no keys constrains nothing.
            if keys.object?.isEmpty ?? true { clauses.append(Clause(op: op, key: "", values: [])) }
        }
        self.clauses = clauses
        self.text = json.text
    }

    /// The verdict at `time`: never if any clause cannot hold, holds if every clause holds.
    public func verdict(at time: Timestamp) -> Verdict {
        var all = Verdict.holds
        for c in clauses {
            switch Self.verdict(c, at: time) {
            case .never: return .never
            case .unknown: all = .unknown
            case .holds: break
            }
        }
        return all
    }

    static func verdict(_ c: Clause, at now: Timestamp) -> Verdict {
        var op = c.op
        let ifExists = op.hasSuffix("IfExists")
        if ifExists { op.removeLast("IfExists".count) }
        // ForAnyValue:/ForAllValues: apply to multivalued keys; none of the keys decided here is.
        guard !op.contains(":") else { return .unknown }
        switch c.key {
        case "aws:currenttime", "aws:tokenissuetime":
            guard op.hasPrefix("Date") else { return .unknown }
            return compare(op.dropFirst(4), now.millis, c.values.map { Timestamp(iso: $0)?.millis })
        case "aws:epochtime":
            let seconds = now.millis / 1000
            if op.hasPrefix("Date") {
                return compare(
                    op.dropFirst(4), seconds, c.values.map { Int64($0) ?? Timestamp(iso: $0).map { $0.millis / 1000 } })
            }
            guard op.hasPrefix("Numeric") else { return .unknown }
            return compare(op.dropFirst(7), seconds, c.values.map { Int64($0) })
        case "aws:securetransport":
            // A caller chooses TLS: `true` can always be met. `false` (plain HTTP) is not decided.
            guard op == "Bool" else { return .unknown }
            return c.values.contains { $0.lowercased() == "true" } ? .holds : .unknown
        default:
            return .unknown
        }
    }

    /// `Equals`, `NotEquals`, `LessThan`, `LessThanEquals`, `GreaterThan`, `GreaterThanEquals`
    /// of `value` against the policy's values (any of them for the positive operators, none for
    /// `NotEquals`); a value that does not parse leaves the clause undecided.
    static func compare(_ op: Substring, _ value: Int64, _ against: [Int64?]) -> Verdict {
        guard !against.isEmpty, against.allSatisfy({ $0 != nil }) else { return .unknown }
        let vs = against.map { $0! }
        let test: (Int64) -> Bool
        switch op {
        case "Equals": test = { value == $0 }
        case "NotEquals": return vs.allSatisfy { value != $0 } ? .holds : .never
        case "LessThan": test = { value < $0 }
        case "LessThanEquals": test = { value <= $0 }
        case "GreaterThan": test = { value > $0 }
        case "GreaterThanEquals": test = { value >= $0 }
        default: return .unknown
        }
        // A time that is past stays past: `LessThan` a past date can never hold again. An
        // `Equals` on one instant is as good as never.
        return vs.contains(where: test) ? .holds : .never
    }
}
