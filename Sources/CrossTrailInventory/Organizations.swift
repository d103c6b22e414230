import CrossTrailIngest
import CrossTrailModel

/// An AWS Organizations export: the tree of roots, OUs and accounts, and the service control
/// policies (SCPs) and resource control policies (RCPs) attached in it. `crosstrail fetch
/// organizations` writes it as `organizations.json` (Docs/formats.md shows how to assemble it with
/// the AWS CLI): the `Organization` of `describe-organization`, `Roots` of `list-roots`,
/// `OrganizationalUnits` and `Accounts` with their `ParentId`, and `Policies`, each a
/// `describe-policy` result with the `Targets` of `list-targets-for-policy`.
///
/// What they mean for a principal of a member account (AWS's evaluation logic): at every level
/// from the root down to the account, some attached SCP must allow the action, and a Deny in any
/// of them wins; RCPs can only deny (besides `RCPFullAWSAccess`) and bound access to the
/// resources of the services they support. Neither applies in the management account nor to
/// service-linked roles.
public struct Organization: Sendable {
    public var id: String?
    public var managementAccount: String?
    /// Account or OU id → its parent's id.
    var parents: [String: String] = [:]
    /// Id → display name (roots, OUs, accounts).
    var names: [String: String] = [:]
    var accounts: Set<String> = []
    /// Target id → the policies attached to it, by type.
    var attached: [String: [OrgPolicy]] = [:]
    /// Whether the export had a policy type at all, or the root says it is disabled.
    var scpsEnabled = false
    var rcpsEnabled = false

    struct OrgPolicy: Sendable {
        var id: String
        var name: String
        var type: PolicyType
        var statements: [PolicyStatement]
    }

    enum PolicyType: String, Sendable {
        case scp = "SERVICE_CONTROL_POLICY"
        case rcp = "RESOURCE_CONTROL_POLICY"
    }

    /// The services resource control policies apply to (AWS's list).
    public static let rcpServices: Set<String> = [
        "s3", "sts", "sqs", "secretsmanager", "kms", "ecr", "aoss", "cognito-identity", "logs", "dynamodb",
    ]

    public init() {}

    public var isEmpty: Bool { accounts.isEmpty && attached.isEmpty }

    /// Accounts, OUs and policy attachments read (an inventory file's entry count).
    var entryCount: Int { accounts.count + parents.count + attached.values.reduce(0) { $0 + $1.count } }

    /// Member accounts, and service and resource control policies attached (for summaries).
    public var accountCount: Int { accounts.count }
    public var policyCount: Int { Set(attached.values.flatMap { $0.map(\.id) }).count }

    /// Whether the export lists the account as a member.
    public func contains(account: String) -> Bool { accounts.contains(account) }

    /// Whether the export lists both accounts: inside the organisation's zone of trust.
    public func bothMembers(_ a: String, _ b: String) -> Bool { accounts.contains(a) && accounts.contains(b) }

    /// The account's path from the root: root id, OU ids, the account id.
    func path(of account: String) -> [String] {
        var path = [account]
        var seen: Set<String> = [account]
        while let parent = parents[path[0]], seen.insert(parent).inserted { path.insert(parent, at: 0) }
        return path
    }

    /// The ceilings the organisation puts on principals of `account`; empty for the management
    /// account, accounts the export does not list, and when no policy of either type is known.
    public func ceilings(forAccount account: String) -> [PolicyCeiling] {
        guard accounts.contains(account), account != managementAccount else { return [] }
        var out: [PolicyCeiling] = []
        let path = path(of: account)
        if scpsEnabled {
            for level in path {
                let scps = (attached[level] ?? []).filter { $0.type == .scp }
                // Every level has at least one SCP while SCPs are enabled; none in the export means
                // the export is incomplete there, and nothing is assumed.
                guard !scps.isEmpty else { continue }
                out.append(
                    PolicyCeiling(
                        kind: .scp, name: "the SCPs attached to \(describe(level)) (\(names(of: scps)))",
                        statements: scps.flatMap(\.statements)))
            }
        }
        if rcpsEnabled {
            let rcps = path.flatMap { attached[$0] ?? [] }.filter { $0.type == .rcp }
            let denies = rcps.flatMap(\.statements).filter { $0.effect == .deny }
            if !denies.isEmpty {
                var ceiling = PolicyCeiling(
                    kind: .rcp, name: "the RCPs on \(describe(account))'s resources (\(names(of: rcps)))",
                    statements: [Self.allowAll] + denies)
                ceiling.services = Self.rcpServices
                ceiling.resourceAccount = account
                out.append(ceiling)
            }
        }
        return out
    }

    private func describe(_ id: String) -> String {
        names[id].map { "\(id) (\($0))" } ?? id
    }

    private func names(of policies: [OrgPolicy]) -> String {
        policies.map { $0.name == $0.id ? $0.id : "\($0.name) \($0.id)" }.joined(separator: ", ")
    }

    /// `RCPFullAWSAccess`, the Allow every level carries: RCPs themselves only deny.
    static let allowAll = PolicyStatement(
        sid: nil, effect: .allow, actions: PatternSet([.action("*")]), resources: PatternSet([.resource("*")]),
        principals: ["*": ["*"]], notPrincipal: false, condition: nil,
        source: PolicyRef(kind: .rcp, name: "RCPFullAWSAccess"))

    /// Merges an Organizations export. Returns problems (a policy that does not parse, a policy
    /// without targets); every readable part is kept.
    public mutating func merge(_ doc: JSON) -> [String] {
        var problems: [String] = []
        if let org = doc["Organization"] {
            id = org["Id"]?.string ?? id
            managementAccount =
                org["MasterAccountId"]?.string ?? org["ManagementAccountId"]?.string ?? managementAccount
        }
        var rootTypes: [String]? = nil
        for root in doc["Roots"]?.array ?? [] {
            guard let rid = root["Id"]?.string else { continue }
            names[rid] = root["Name"]?.string
            if let types = root["PolicyTypes"]?.array {
                rootTypes =
                    (rootTypes ?? [])
                    + types.filter { $0["Status"]?.string == "ENABLED" }.compactMap { $0["Type"]?.string }
            }
        }
        for (i, ou) in (doc["OrganizationalUnits"]?.array ?? []).enumerated() {
            guard let oid = ou["Id"]?.string, let parent = ou["ParentId"]?.string else {
                problems.append("organizational unit \(i + 1) has no Id or ParentId; skipped")
                continue
            }
            parents[oid] = parent
            names[oid] = ou["Name"]?.string
        }
        for (i, a) in (doc["Accounts"]?.array ?? []).enumerated() {
            guard let aid = a["Id"]?.string else {
                problems.append("account \(i + 1) has no Id; skipped")
                continue
            }
            accounts.insert(aid)
            names[aid] = a["Name"]?.string
            if let parent = a["ParentId"]?.string { parents[aid] = parent }
        }
        for (i, p) in (doc["Policies"]?.array ?? []).enumerated() {
            let summary = p["PolicySummary"] ?? p["Policy"]?["PolicySummary"]
            let content = p["Content"] ?? p["Policy"]?["Content"]
            guard let pid = summary?["Id"]?.string, let typeText = summary?["Type"]?.string else {
                problems.append("policy \(i + 1) has no PolicySummary Id and Type; skipped")
                continue
            }
            guard let type = PolicyType(rawValue: typeText) else { continue }  // tag, backup, AI opt-out policies
            let name = summary?["Name"]?.string ?? pid
            guard let content else {
                problems.append("\(typeText) \(pid) (\(name)) has no Content; its rules are unknown and it is skipped")
                continue
            }
            let statements: [PolicyStatement]
            do {
                statements = try PolicyDocument.statements(
                    from: content,
                    source: PolicyRef(kind: type == .scp ? .scp : .rcp, name: name, arn: summary?["Arn"]?.string))
            } catch {
                problems.append(error.reason)
                continue
            }
            let targets = (p["Targets"]?.array ?? []).compactMap { $0["TargetId"]?.string }
            if targets.isEmpty, p["Targets"] == nil {
                problems.append("\(typeText) \(pid) (\(name)) has no Targets: where it applies is unknown")
            }
            for t in targets {
                attached[t, default: []].append(OrgPolicy(id: pid, name: name, type: type, statements: statements))
            }
            if type == .scp { scpsEnabled = true } else { rcpsEnabled = true }
        }
        if let rootTypes {
            scpsEnabled = scpsEnabled && rootTypes.contains(PolicyType.scp.rawValue)
            rcpsEnabled = rcpsEnabled && rootTypes.contains(PolicyType.rcp.rawValue)
        }
        // AWS's semantics, but rarely what an export means: said, so a partial export is noticed.
        for (target, list) in attached.sorted(by: { $0.key < $1.key })
        where accounts.contains(target) || names[target] != nil || parents[target] != nil {
            let scps = list.filter { $0.type == .scp }
            if scpsEnabled && !scps.isEmpty && !scps.contains(where: { $0.statements.contains { $0.effect == .allow } })
            {
                problems.append(
                    "no SCP attached to \(describe(target)) allows anything (\(names(of: scps))): every action of the accounts below it is denied"
                )
            }
        }
        return problems
    }
}
