import CrossTrailIngest
import CrossTrailModel

/// What the resource or identity policies inside a request grant, for rules to test as fields
/// (`policy.public`, `policy.externalAccounts`, `policy.admin`, ...). A bucket policy, key policy,
/// queue or topic policy, trust policy or IAM policy document is found wherever it sits in the
/// request parameters, also when it is a JSON string (IAM's `policyDocument`, KMS' `policy`, SQS'
/// `attributes.Policy`).
///
/// "Public" follows what AWS itself calls public (IAM Access Analyzer, S3 Block Public Access): an
/// `Allow` to every principal that no condition narrows to known networks, organizations or
/// accounts. A condition that does narrow it is named in `policy.limitedBy`.
public struct PolicyFacts: Sendable, Equatable {
    /// Policy documents found (0: the request carries none; the other fields are then absent).
    public var documents = 0
    /// Some Allow statement is open to every principal with no limiting condition.
    public var isPublic = false
    /// Condition keys that narrow statements open to every principal (`aws:SourceVpce`, ...).
    public var limitedBy: Set<String> = []
    /// 12-digit accounts named in Allow principals.
    public var accounts: Set<String> = []
    /// Allowed actions (as written).
    public var actions: Set<String> = []
    /// Some Allow statement grants `*`, `*:*` or `iam:*` on every resource.
    public var admin = false

    /// Condition keys (lowercased) that keep a statement to a known network, organization, account or caller.
    static let limitingKeys: Set<String> = [
        "aws:sourcevpc", "aws:sourcevpce", "aws:sourceip", "aws:vpcsourceip", "aws:principalorgid",
        "aws:principalorgpaths",
        "aws:sourceorgid", "aws:sourceorgpaths", "aws:resourceorgid", "aws:sourceaccount", "aws:sourcearn",
        "aws:principalaccount",
        "aws:principalarn", "aws:userid", "aws:username", "aws:principalservicename", "kms:calleraccount",
        "kms:viaservice", "s3:dataaccesspointaccount", "s3:dataaccesspointarn", "sts:externalid", "aws:calledvia",
        "lambda:functionurlauthtype", "elasticfilesystem:accesspointarn", "sns:endpoint",
        "cognito-identity.amazonaws.com:aud",
        "token.actions.githubusercontent.com:sub", "sts:rolesessionname", "aws:sourceowner",
    ]

    init() {}

    /// The facts of the policies in `params` (nil when the parameters hold no policy).
    static func of(_ params: JSON?, reader: JSONDocumentReader) -> PolicyFacts? {
        var facts = PolicyFacts()
        var budget = 2_000  // nodes visited: a hostile request cannot make this expensive
        func visit(_ j: JSON, depth: Int) {
            budget -= 1
            guard budget > 0, depth < 8 else { return }
            switch j {
            case .object(let o):
                if o["Statement"] != nil || o["statement"] != nil {
                    facts.absorb(j)
                    return
                }
                for (_, v) in o { visit(v, depth: depth + 1) }
            case .array(let a):
                for v in a { visit(v, depth: depth + 1) }
            case .string(let s):
                // Policies given as JSON text.
                guard s.utf8.count < 1 << 20, s.utf8.first == UInt8(ascii: "{"), s.contains("Statement"),
                    let doc = try? reader.parse(text: s)
                else { return }
                visit(doc, depth: depth + 1)
            default: return
            }
        }
        guard let params else { return nil }
        visit(params, depth: 0)
        // Lambda's AddPermission (and SNS/SQS AddPermission-like calls) add one statement given as parameters.
        if let principal = params["principal"]?.string, let action = params["action"]?.string {
            var statement: [String: JSON] = ["Effect": .string("Allow"), "Action": .string(action)]
            statement["Principal"] =
                principal == "*"
                ? .string("*")
                : principal.hasSuffix(".amazonaws.com")
                    ? .object(["Service": .string(principal)]) : .object(["AWS": .string(principal)])
            var condition = [String: JSON]()
            for (param, key) in [
                ("sourceArn", "aws:SourceArn"), ("sourceAccount", "aws:SourceAccount"),
                ("principalOrgID", "aws:PrincipalOrgID"),
            ] {
                if let v = params[param]?.string, !v.isEmpty { condition[key] = .string(v) }
            }
            if let auth = params["functionUrlAuthType"]?.string, auth == "AWS_IAM" {
                condition["lambda:FunctionUrlAuthType"] = .string(auth)
            }
            if !condition.isEmpty { statement["Condition"] = .object(["StringEquals": .object(condition)]) }
            facts.absorb(.object(["Statement": .array([.object(statement)])]))
        }
        return facts.documents > 0 ? facts : nil
    }

    mutating func absorb(_ policy: JSON) {
        documents += 1
        let raw = policy["Statement"] ?? policy["statement"]
        let statements = raw?.array ?? (raw.map { [$0] } ?? [])
        for st in statements where (st["Effect"] ?? st["effect"])?.string?.lowercased() == "allow" {
            let principal = st["Principal"] ?? st["principal"]
            let everyone = Self.isEveryone(principal) || st["NotPrincipal"] != nil
            for p in Self.principals(principal) { if let a = Self.account(in: p) { accounts.insert(a) } }
            let acts = (st["Action"] ?? st["action"])?.strings ?? []
            actions.formUnion(acts)
            let resources = (st["Resource"] ?? st["resource"])?.strings ?? []
            if resources.contains("*"), acts.contains(where: { ["*", "*:*", "iam:*"].contains($0.lowercased()) }) {
                admin = true
            }
            guard everyone else { continue }
            let limits = Self.limitingConditions(st["Condition"] ?? st["condition"])
            if limits.isEmpty { isPublic = true } else { limitedBy.formUnion(limits) }
        }
    }

    /// `"*"`, `{"AWS": "*"}`, `{"AWS": ["*", ...]}`, `{"CanonicalUser": "*"}`.
    static func isEveryone(_ p: JSON?) -> Bool {
        guard let p else { return false }
        if p.string == "*" { return true }
        guard let o = p.object else { return false }
        return o.contains { key, v in ["aws", "canonicaluser"].contains(key.lowercased()) && v.strings.contains("*") }
    }

    static func principals(_ p: JSON?) -> [String] {
        guard let p else { return [] }
        if let s = p.string { return [s] }
        return (p.object ?? [:]).filter { $0.key.lowercased() == "aws" }.flatMap { $0.value.strings }
    }

    /// Condition keys that narrow the statement; a `aws:SourceIp` of `0.0.0.0/0` narrows nothing.
    static func limitingConditions(_ c: JSON?) -> Set<String> {
        var out = Set<String>()
        for (op, block) in c?.object ?? [:] {
            // `...IfExists` operators let a request without the key through: they narrow nothing.
            if op.lowercased().hasSuffix("ifexists") { continue }
            for (key, value) in block.object ?? [:] {
                let k = key.lowercased()
                guard limitingKeys.contains(k) else { continue }
                let values = value.strings
                // Ranges wider than a /8 (0.0.0.0/1 + 128.0.0.0/1 is the whole internet) narrow nothing.
                let tooWide = { (v: String) in IPNetwork(v).map { $0.bits - ($0.base.isIPv4 ? 96 : 0) < 8 } ?? false }
                if k == "aws:sourceip", values.contains(where: tooWide) {
                    continue
                }
                // An ARN pattern with a wildcard account names every account.
                if k == "aws:principalarn" || k == "aws:sourcearn",
                    values.contains(where: {
                        $0.split(separator: ":", omittingEmptySubsequences: false).dropFirst(4).first.map {
                            $0 == "*" || ($0.isEmpty && k == "aws:principalarn")
                        } ?? false
                    })
                {
                    continue
                }
                if values.contains("*") && !op.lowercased().contains("null") { continue }
                out.insert(key)
            }
        }
        return out
    }

    /// The account of `123456789012` or `arn:aws:iam::123456789012:...`.
    public static func account(in principal: String) -> String? {
        let candidate: Substring
        if principal.hasPrefix("arn:") {
            let parts = principal.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count > 4 else { return nil }
            candidate = parts[4]
        } else {
            candidate = Substring(principal)
        }
        return candidate.count == 12 && candidate.allSatisfy({ $0.isASCII && $0.isNumber }) ? String(candidate) : nil
    }
}
