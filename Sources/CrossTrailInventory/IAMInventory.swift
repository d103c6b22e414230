import CrossTrailIngest
import CrossTrailModel

/// An IAM user, group or role from `aws iam get-account-authorization-details`.
public struct IAMPrincipal: Sendable, Hashable {
    public enum Kind: String, Sendable, Codable { case user, group, role }

    public var kind: Kind
    public var name: String
    public var arn: String
    public var id: String?
    public var account: String
    /// Inline policy statements (already tagged with their source).
    public var inline: [PolicyStatement] = []
    /// Attached managed policy ARNs.
    public var attached: [String] = []
    /// Users: the names of their groups.
    public var groups: [String] = []
    public var boundaryArn: String?
    /// Roles: the trust policy.
    public var trust: [PolicyStatement] = []
    /// Roles: instance profiles that carry this role.
    public var instanceProfiles: [String] = []
    public var createDate: String?
    public var lastUsed: String?
}

public struct ManagedPolicy: Sendable, Hashable {
    public var arn: String
    public var name: String
    /// The default version's statements.
    public var statements: [PolicyStatement]
    public var attachmentCount: Int?
    public var isAWSManaged: Bool { arn.hasPrefix("arn:aws:iam::aws:policy/") }
    /// True for AWS managed policies the export did not include and crosstrail knows by heart.
    public var builtIn = false
}

/// The IAM side of the inventory: one or more accounts' authorization details, merged.
public struct IAMInventory: Sendable {
    public private(set) var users: [String: IAMPrincipal] = [:]
    public private(set) var groups: [String: IAMPrincipal] = [:]
    public private(set) var roles: [String: IAMPrincipal] = [:]
    public private(set) var policies: [String: ManagedPolicy] = [:]
    /// Instance profile ARN → role ARNs.
    public private(set) var instanceProfiles: [String: [String]] = [:]
    /// Attached managed policies absent from the export (their permissions are unknown).
    public private(set) var unresolvedPolicies: Set<String> = []
    /// Indexes rebuilt after each merge: users then roles by ARN, and each one's statements.
    public private(set) var principals: [IAMPrincipal] = []
    private var statementIndex: [String: [PolicyStatement]] = [:]
    private var ceilingIndex: [String: [PolicyCeiling]] = [:]
    /// The AWS Organizations export, when one was read: its SCPs and RCPs bound the principals of
    /// member accounts.
    public private(set) var organization = Organization()
    private var groupsByAccountName: [String: IAMPrincipal] = [:]

    /// When permissions are judged: Conditions on the time (`aws:CurrentTime`, a fresh token's
    /// `aws:TokenIssueTime`) are decided for this instant. Loading sets it to now; a run with
    /// `--generated-at` sets that time, so the same inputs give the same judgments.
    public var assessedAt: Timestamp?

    public init() {}

    public var isEmpty: Bool { users.isEmpty && roles.isEmpty && groups.isEmpty }
    public var accounts: [String] { Set((users.values.map(\.account) + roles.values.map(\.account))).sorted() }

    public func principal(_ arn: String) -> IAMPrincipal? { users[arn] ?? roles[arn] ?? groups[arn] }

    /// The groups a user belongs to.
    public func groups(of user: IAMPrincipal) -> [IAMPrincipal] {
        user.groups.compactMap { groupsByAccountName[user.account + "/" + $0] }
    }

    public func members(ofGroup group: IAMPrincipal) -> [IAMPrincipal] {
        users.values.filter { $0.account == group.account && $0.groups.contains(group.name) }.sorted { $0.arn < $1.arn }
    }

    /// Every identity-policy statement that applies to the principal: inline, attached, and
    /// (users) their groups' inline and attached policies.
    public func identityStatements(for p: IAMPrincipal) -> [PolicyStatement] {
        statementIndex[p.arn] ?? collectStatements(for: p)
    }

    private func collectStatements(for p: IAMPrincipal) -> [PolicyStatement] {
        var out = p.inline
        for arn in p.attached { out += policies[arn]?.statements ?? [] }
        if p.kind == .user {
            for g in groups(of: p) {
                out += g.inline
                for arn in g.attached {
                    out += (policies[arn]?.statements ?? []).map { s in
                        var ref = s.source
                        ref.kind = .groupManaged
                        ref.group = g.name
                        return s.with(source: ref)
                    }
                }
            }
        }
        return out
    }

    /// What bounds the principal's identity policies: its permissions boundary, then the SCPs of
    /// every level of the organisation above its account and the account's RCPs (not for the
    /// management account, nor for service-linked roles, which AWS exempts).
    public func ceilings(for p: IAMPrincipal) -> [PolicyCeiling] {
        ceilingIndex[p.arn] ?? collectCeilings(for: p)
    }

    private func collectCeilings(for p: IAMPrincipal) -> [PolicyCeiling] {
        var out: [PolicyCeiling] = []
        if let arn = p.boundaryArn {
            let statements = (policies[arn]?.statements ?? []).map { s in
                var ref = s.source
                ref.kind = .boundary
                return s.with(source: ref)
            }
            out.append(PolicyCeiling(kind: .boundary, name: "the permissions boundary", statements: statements))
        }
        if !p.arn.contains(":role/aws-service-role/") { out += organization.ceilings(forAccount: p.account) }
        return out
    }

    /// What is known of a request the principal makes at the assessment time, for Conditions.
    public func context(for p: IAMPrincipal) -> PolicyCondition.Context {
        PolicyCondition.Context(
            time: assessedAt, principalArn: p.arn, principalAccount: p.account,
            principalOrgID: organization.contains(account: p.account) ? organization.id : nil)
    }

    public func evaluate(_ p: IAMPrincipal, action: String, resource: String) -> AccessDecision {
        PolicyEvaluator.evaluate(
            identityStatements(for: p), ceilings: ceilings(for: p),
            action: .action(action), resource: .resource(resource), context: context(for: p))
    }

    /// Merges an AWS Organizations export (`Organization`). Returns problems found.
    public mutating func merge(organization doc: JSON) -> [String] {
        let problems = organization.merge(doc)
        rebuildIndexes()
        return problems
    }

    /// The roles an instance profile carries.
    public func roles(ofInstanceProfile arn: String) -> [IAMPrincipal] {
        (instanceProfiles[arn] ?? []).compactMap { roles[$0] }
    }

    static func arn(account: String, type: String, name: String) -> String { "arn:aws:iam::\(account):\(type)/\(name)" }

    static func account(ofARN arn: String) -> String {
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        return parts.count > 4 ? String(parts[4]) : ""
    }

    // MARK: reading

    /// Merges one `get-account-authorization-details` document. Returns problems found (bad
    /// policy documents, entries without an ARN); every readable entry is still kept.
    public mutating func merge(authorizationDetails doc: JSON) -> [String] {
        var problems = [String]()
        func statements(_ json: JSON?, _ ref: PolicyRef) -> [PolicyStatement] {
            guard let json else { return [] }
            do { return try PolicyDocument.statements(from: json, source: ref) } catch {
                problems.append(error.reason)
                return []
            }
        }
        func inlinePolicies(_ list: JSON?, group: String? = nil) -> [PolicyStatement] {
            (list?.array ?? []).flatMap { p -> [PolicyStatement] in
                let name = p["PolicyName"]?.string ?? "?"
                return statements(
                    p["PolicyDocument"],
                    PolicyRef(kind: group == nil ? .inline : .groupInline, name: name, group: group))
            }
        }
        func attached(_ list: JSON?) -> [String] { (list?.array ?? []).compactMap { $0["PolicyArn"]?.string } }
        func base(_ e: JSON, _ kind: IAMPrincipal.Kind, nameKey: String, idKey: String, index: Int) -> IAMPrincipal? {
            guard let arn = e["Arn"]?.string, let name = e[nameKey]?.string else {
                problems.append("\(kind.rawValue) entry \(index + 1) has no Arn or \(nameKey); skipped")
                return nil
            }
            var p = IAMPrincipal(
                kind: kind, name: name, arn: arn, id: e[idKey]?.string, account: Self.account(ofARN: arn))
            p.createDate = e["CreateDate"]?.string
            p.attached = attached(e["AttachedManagedPolicies"])
            p.boundaryArn = e["PermissionsBoundary"]?["PermissionsBoundaryArn"]?.string
            return p
        }

        for (i, e) in (doc["UserDetailList"]?.array ?? []).enumerated() {
            guard var p = base(e, .user, nameKey: "UserName", idKey: "UserId", index: i) else { continue }
            p.inline = inlinePolicies(e["UserPolicyList"])
            p.groups = e["GroupList"]?.strings ?? []
            users[p.arn] = p
        }
        for (i, e) in (doc["GroupDetailList"]?.array ?? []).enumerated() {
            guard var p = base(e, .group, nameKey: "GroupName", idKey: "GroupId", index: i) else { continue }
            p.inline = inlinePolicies(e["GroupPolicyList"], group: p.name)
            groups[p.arn] = p
        }
        for (i, e) in (doc["RoleDetailList"]?.array ?? []).enumerated() {
            guard var p = base(e, .role, nameKey: "RoleName", idKey: "RoleId", index: i) else { continue }
            p.inline = inlinePolicies(e["RolePolicyList"])
            p.trust = statements(
                e["AssumeRolePolicyDocument"], PolicyRef(kind: .trust, name: "trust policy of \(p.name)"))
            p.lastUsed = e["RoleLastUsed"]?["LastUsedDate"]?.string
            for ip in e["InstanceProfileList"]?.array ?? [] {
                guard let ipArn = ip["Arn"]?.string else { continue }
                p.instanceProfiles.append(ipArn)
                var rolesOfProfile = instanceProfiles[ipArn] ?? []
                if !rolesOfProfile.contains(p.arn) { rolesOfProfile.append(p.arn) }
                instanceProfiles[ipArn] = rolesOfProfile
            }
            roles[p.arn] = p
        }
        for (i, e) in (doc["Policies"]?.array ?? []).enumerated() {
            guard let arn = e["Arn"]?.string else {
                problems.append("policy entry \(i + 1) has no Arn; skipped")
                continue
            }
            let name = e["PolicyName"]?.string ?? arn
            let versions = e["PolicyVersionList"]?.array ?? []
            let defaultId = e["DefaultVersionId"]?.string
            let version =
                versions.first { $0["IsDefaultVersion"]?.bool == true }
                ?? versions.first { $0["VersionId"]?.string == defaultId }
            guard let version else {
                problems.append(
                    "managed policy \(arn) has no default version in the export; its permissions are unknown")
                continue
            }
            let ref = PolicyRef(kind: .managed, name: name, arn: arn)
            var mp = ManagedPolicy(arn: arn, name: name, statements: statements(version["Document"], ref))
            mp.attachmentCount = e["AttachmentCount"]?.string.flatMap { Int($0) }
            policies[arn] = mp
        }
        resolveBuiltIns()
        rebuildIndexes()
        return problems
    }

    private mutating func rebuildIndexes() {
        groupsByAccountName = [:]
        for g in groups.values.sorted(by: { $0.arn < $1.arn })
        where groupsByAccountName[g.account + "/" + g.name] == nil {
            groupsByAccountName[g.account + "/" + g.name] = g
        }
        principals = users.values.sorted { $0.arn < $1.arn } + roles.values.sorted { $0.arn < $1.arn }
        statementIndex = [:]
        ceilingIndex = [:]
        for p in principals {
            statementIndex[p.arn] = collectStatements(for: p)
            ceilingIndex[p.arn] = collectCeilings(for: p)
        }
    }

    /// Attached AWS managed policies the export left out (`--filter` exports, trimmed samples):
    /// a few well-known ones are known by heart; the rest are recorded as unknown.
    private mutating func resolveBuiltIns() {
        let attachedArns = Set(
            (users.values.flatMap(\.attached)) + groups.values.flatMap(\.attached) + roles.values.flatMap(\.attached)
                + users.values.compactMap(\.boundaryArn) + roles.values.compactMap(\.boundaryArn))
        unresolvedPolicies = []
        for arn in attachedArns.sorted() where policies[arn] == nil {
            if let doc = Self.wellKnownAWSPolicies[arn], let json = try? JSON.parse(text: doc) {
                let name = String(arn.split(separator: "/").last ?? "")
                let ref = PolicyRef(kind: .managed, name: name, arn: arn)
                var mp = ManagedPolicy(
                    arn: arn, name: name, statements: (try? PolicyDocument.statements(from: json, source: ref)) ?? [])
                mp.builtIn = true
                policies[arn] = mp
            } else {
                unresolvedPolicies.insert(arn)
            }
        }
    }

    /// AWS managed policies whose documents are short and stable. Their published versions.
    static let wellKnownAWSPolicies: [String: String] = [
        "arn:aws:iam::aws:policy/AdministratorAccess":
            #"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
        "arn:aws:iam::aws:policy/PowerUserAccess":
            #"{"Statement":[{"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"},{"Effect":"Allow","Action":["iam:CreateServiceLinkedRole","iam:DeleteServiceLinkedRole","iam:ListRoles","organizations:DescribeOrganization","account:ListRegions","account:GetAccountInformation"],"Resource":"*"}]}"#,
        "arn:aws:iam::aws:policy/IAMFullAccess":
            #"{"Statement":[{"Effect":"Allow","Action":["iam:*","organizations:DescribeAccount","organizations:DescribeOrganization","organizations:DescribeOrganizationalUnit","organizations:DescribePolicy","organizations:ListChildren","organizations:ListParents","organizations:ListPoliciesForTarget","organizations:ListRoots","organizations:ListPolicies","organizations:ListTargetsForPolicy"],"Resource":"*"}]}"#,
        "arn:aws:iam::aws:policy/AmazonS3FullAccess":
            #"{"Statement":[{"Effect":"Allow","Action":["s3:*","s3-object-lambda:*"],"Resource":"*"}]}"#,
        "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess":
            #"{"Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*","s3:Describe*","s3-object-lambda:Get*","s3-object-lambda:List*"],"Resource":"*"}]}"#,
        "arn:aws:iam::aws:policy/AmazonEC2FullAccess":
            #"{"Statement":[{"Effect":"Allow","Action":["ec2:*","elasticloadbalancing:*","cloudwatch:*","autoscaling:*"],"Resource":"*"},{"Effect":"Allow","Action":"iam:CreateServiceLinkedRole","Resource":"*"}]}"#,
    ]
}
