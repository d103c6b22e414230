import CrossTrailIngest
import CrossTrailModel

/// What a policy `Condition` block means when it can be decided offline, from the point of view of
/// someone trying to use the permission now: the condition keys whose value at the assessment
/// time is known (`aws:CurrentTime`, `aws:EpochTime`, and `aws:TokenIssueTime`, which is "now" for
/// credentials issued now) and the ones the caller controls (`aws:SecureTransport`: a caller can
/// always use TLS). With a `Context` naming the principal, the keys that describe the principal
/// (`aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:PrincipalOrgID`, `aws:PrincipalIsAWSService`)
/// are decided too: the usual exceptions of service and resource control policies ("deny unless
/// the break-glass role", "deny unless our organisation"). Everything else stays undecided
/// ("conditional", shown with the condition).
public struct PolicyCondition: Sendable, Hashable {
    /// What is known about a request made by one principal now.
    public struct Context: Sendable, Hashable {
        public var time: Timestamp?
        /// The IAM user or role (for a role session: the role's ARN, as `aws:PrincipalArn` is).
        public var principalArn: String?
        public var principalAccount: String?
        /// The principal's organisation, when the Organizations export lists its account.
        public var principalOrgID: String?

        public init(
            time: Timestamp? = nil, principalArn: String? = nil, principalAccount: String? = nil,
            principalOrgID: String? = nil
        ) {
            self.time = time
            self.principalArn = principalArn
            self.principalAccount = principalAccount
            self.principalOrgID = principalOrgID
        }

        /// Anyone outside: whoever an attacker can be, in an account and organisation of their
        /// own, or anonymous. What a resource policy open to everyone is judged for: a condition
        /// on the caller holds when some outsider can meet it (a wildcard they can match, a
        /// `…Not…` list they are not in, an `…IfExists` an anonymous caller skips) and never when
        /// it names fixed callers.
        public static func outsider(at time: Timestamp?) -> Context {
            var c = Context(
                time: time, principalArn: "arn:aws:iam::000000000000:user/anyone", principalAccount: "000000000000",
                principalOrgID: "o-outsider")
            c.isOutsider = true
            return c
        }

        /// Set for `outsider`: principal keys are the attacker's to choose.
        public internal(set) var isOutsider = false
    }

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
                clauses.append(Clause(op: op, key: key.lowercased(), values: values.policyValues))
            }
            // An operator with no keys constrains nothing.
            if keys.object?.isEmpty ?? true { clauses.append(Clause(op: op, key: "", values: [])) }
        }
        self.clauses = clauses
        self.text = json.text
    }

    /// The keys that describe the calling principal: a statement testing one of them can answer
    /// differently for principals with the same policies.
    static let principalKeys: Set<String> = [
        "aws:principalarn", "aws:principalaccount", "aws:principalorgid", "aws:principalisawsservice",
    ]

    /// Keys that name who may call: an external id, the organisation, accounts, ARNs, the source
    /// resource or account of a service acting for someone, a VPC or VPC endpoint.
    static let callerKeys: Set<String> = [
        "sts:externalid", "aws:principalorgid", "aws:principalorgpaths", "aws:principalaccount", "aws:principalarn",
        "aws:sourceaccount", "aws:sourcearn", "aws:sourceowner", "aws:sourceorgid", "aws:sourceorgpaths",
        "aws:sourcevpce", "aws:sourcevpc", "aws:userid", "aws:username", "kms:calleraccount", "aws:sourceip",
        // Access only through the owner's S3 access points (the documented delegation pattern).
        "s3:dataaccesspointaccount", "s3:dataaccesspointarn",
    ]

    /// Whether the block narrows the callers to a known party: a positive operator (`StringEquals`,
    /// `ArnLike`, `IpAddress`…, not a `…Not…` one, which admits everyone else) on a key naming who
    /// may call, with fixed values (as S3 defines "public": no wildcard or policy variable, except
    /// organisation paths under a fixed organisation). `…IfExists` and `ForAllValues:` clauses
    /// hold when the key is absent (an anonymous caller) and narrow nothing. An `aws:SourceIp`
    /// range that is the whole internet narrows nothing; with `byNetwork` false no network (source
    /// address, VPC, VPC endpoint) counts as naming who.
    public func narrowsCaller(byNetwork: Bool = true) -> Bool {
        clauses.contains { c in
            guard Self.callerKeys.contains(c.key), !c.op.contains("Not"), !c.op.hasPrefix("Null"),
                !c.op.hasSuffix("IfExists"), !c.op.hasPrefix("ForAllValues:"), !c.values.isEmpty
            else { return false }
            if !byNetwork && ["aws:sourceip", "aws:sourcevpc", "aws:sourcevpce"].contains(c.key) { return false }
            if c.key == "aws:sourceip" { return !c.values.contains { $0 == "0.0.0.0/0" || $0 == "::/0" } }
            return c.values.allSatisfy { v in
                if c.key == "aws:principalorgpaths" || c.key == "aws:sourceorgpaths" {
                    // `o-abc/r-def/ou-*`: the organisation is fixed.
                    let head = v.split(separator: "/").first.map(String.init) ?? ""
                    return head.hasPrefix("o-") && !head.contains { "*?$".contains($0) }
                }
                return !v.contains { "*?".contains($0) } && !v.contains("${")
            }
        }
    }

    /// The accounts and organisations a positive condition on the caller names with fixed
    /// values (`aws:PrincipalAccount`, the accounts of `aws:PrincipalArn`, `aws:PrincipalOrgID`):
    /// who a statement open to `*` is really for.
    public var namedCallers: (accounts: [String], organizations: [String]) {
        var accounts: [String] = [], orgs: [String] = []
        for c in clauses
        where !c.op.contains("Not") && !c.op.hasSuffix("IfExists") && !c.op.hasPrefix("ForAllValues:")
            && !c.op.hasPrefix("Null")
        {
            let fixed = c.values.filter { !$0.contains { "*?".contains($0) } && !$0.contains("${") }
            switch c.key {
            case "aws:principalaccount": accounts += fixed.filter(AWSAccountID.isValid)
            // An ARN pattern whose account is fixed (`arn:aws:iam::444455556666:role/*`) names it.
            case "aws:principalarn": accounts += c.values.compactMap(AWSAccountID.of(arn:))
            case "aws:principalorgid": orgs += fixed
            default: break
            }
        }
        return (accounts, orgs)
    }

    /// Whether the block tests the calling principal (see `Context`).
    public var testsPrincipal: Bool { clauses.contains { Self.principalKeys.contains($0.key) } }

    /// The verdict at `time`: never if any clause cannot hold, holds if every clause holds.
    public func verdict(at time: Timestamp) -> Verdict { verdict(in: Context(time: time)) }

    /// The verdict for a request in `context`: never if any clause cannot hold, holds if every
    /// clause holds.
    public func verdict(in context: Context) -> Verdict {
        var all = Verdict.holds
        for c in clauses {
            switch Self.verdict(c, in: context) {
            case .never: return .never
            case .unknown: all = .unknown
            case .holds: break
            }
        }
        return all
    }

    static func verdict(_ c: Clause, in context: Context) -> Verdict {
        var op = c.op
        let ifExists = op.hasSuffix("IfExists")
        if ifExists { op.removeLast("IfExists".count) }
        // ForAnyValue:/ForAllValues: apply to multivalued keys; none of the keys decided here is.
        guard !op.contains(":") else { return .unknown }
        if context.isOutsider && ["aws:principalarn", "aws:principalaccount", "aws:principalorgid"].contains(c.key) {
            // An anonymous caller has no principal keys: `…IfExists` holds for it.
            if ifExists || op == "Null" { return .holds }
            // A wildcard the outsider can match: for ARNs, only one that leaves the account open.
            let open = c.values.contains { v in
                guard v.contains(where: { "*?".contains($0) }) || v.contains("${") else { return false }
                guard c.key == "aws:principalarn" else { return true }
                let account = v.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false).dropFirst(4).first
                return account.map { !AWSAccountID.isValid($0) } ?? true
            }
            return op.contains("Not") ? (c.values.contains("*") ? .never : .holds) : (open ? .holds : .never)
        }
        switch c.key {
        case "aws:principalarn": return compare(strings: op, context.principalArn, c.values)
        case "aws:principalaccount": return compare(strings: op, context.principalAccount, c.values)
        case "aws:principalorgid":
            // Known only for accounts the export lists; another organisation is never known to hold.
            return compare(strings: op, context.principalOrgID, c.values)
        case "aws:principalisawsservice":
            // Users and roles are never AWS service principals.
            guard op == "Bool", context.principalArn != nil || context.principalAccount != nil else { return .unknown }
            let values = c.values.map { $0.lowercased() }
            return values.contains("false") ? .holds : values.contains("true") ? .never : .unknown
        default: break
        }
        guard let now = context.time else { return .unknown }
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
        case "aws:sourceip":
            // The whole internet holds for every caller (one can always come over IPv4 or IPv6).
            guard op == "IpAddress" else { return .unknown }
            return c.values.contains { $0 == "0.0.0.0/0" || $0 == "::/0" } ? .holds : .unknown
        case "aws:securetransport":
            // A caller chooses TLS: `true` can always be met. `false` (plain HTTP) is not decided.
            guard op == "Bool" else { return .unknown }
            return c.values.contains { $0.lowercased() == "true" } ? .holds : .unknown
        default:
            return .unknown
        }
    }

    /// The string and ARN operators on a key whose value is known: `StringEquals`,
    /// `StringNotEquals`, `StringEqualsIgnoreCase`, `StringNotEqualsIgnoreCase`, `StringLike`,
    /// `StringNotLike`, `ArnEquals`, `ArnLike`, `ArnNotEquals`, `ArnNotLike` (the ARN operators as
    /// their glob, which is how they compare segments). Unknown when the value is not known.
    static func compare(strings op: String, _ value: String?, _ against: [String]) -> Verdict {
        guard let value, !against.isEmpty else { return .unknown }
        let match: (String) -> Bool
        var negated = false
        switch op {
        case "StringEquals", "ArnEquals": match = { $0 == value }
        case "StringNotEquals", "ArnNotEquals": match = { $0 == value }; negated = true
        case "StringEqualsIgnoreCase": match = { $0.lowercased() == value.lowercased() }
        case "StringNotEqualsIgnoreCase": match = { $0.lowercased() == value.lowercased() }; negated = true
        case "StringLike", "ArnLike": match = { IAMPattern.resource($0).matches(value) }
        case "StringNotLike", "ArnNotLike": match = { IAMPattern.resource($0).matches(value) }; negated = true
        default: return .unknown
        }
        // A value holding a policy variable (`${aws:username}`) is not known offline.
        if against.contains(where: { $0.contains("${") }) { return .unknown }
        return against.contains(where: match) != negated ? .holds : .never
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
        // `Equals` on one instant is as good as never. A `GreaterThan` a future date holds later:
        // undecided, not never.
        if vs.contains(where: test) { return .holds }
        return op.hasPrefix("GreaterThan") ? .unknown : .never
    }
}

extension JSON {
    /// A policy value or list of values as text: strings, and numbers and booleans written
    /// without quotes (`"aws:SourceAccount": 111122223333`, `"aws:SecureTransport": true`), as IAM
    /// reads them.
    var policyValues: [String] {
        switch self {
        case .array(let a): return a.flatMap(\.policyValues)
        case .string(let s): return [s]
        case .bool(let b): return [b ? "true" : "false"]
        case .number(let n): return [n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n)]
        default: return []
        }
    }
}
