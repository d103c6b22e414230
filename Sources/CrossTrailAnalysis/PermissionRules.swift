import CrossTrailBase
import CrossTrailInventory
import CrossTrailModel

/// Settings of the permission analysis.
public struct AnalysisOptions: Sendable {
    /// A classified resource is "flat" when at least this many people can reach it...
    public var flatMinimumReach = 3
    /// ...and at most this share of them used it in the period.
    public var flatMaximumUseRatio = 0.25
    /// More workspace admins than this is a finding.
    public var maxWorkspaceAdmins = 3
    /// Bursts and gaps.
    public var stateful = StatefulOptions()

    public init() {}
}

/// Who can reach one classified resource, and who did.
public struct Flatness: Sendable, Hashable, Codable {
    public var resource: String
    public var dataClass: String
    /// People (or principals without a person) with effective access.
    public var canAccess: [String]
    /// Of those, the ones seen reading it in the events.
    public var used: [String]
    /// used / canAccess, rounded to two decimals.
    public var ratio: Double

    public init(resource: String, dataClass: String, canAccess: [String], used: [String]) {
        self.resource = resource
        self.dataClass = dataClass
        self.canAccess = canAccess
        self.used = used
        self.ratio = canAccess.isEmpty ? 0 : (Double(used.count) / Double(canAccess.count) * 100).rounded() / 100
    }
}

/// The permission findings: admin-equivalent principals, escalation paths, broad grants,
/// wildcard access to classified data, the cross-plane instance-profile path, unused
/// permissions and flat access.
struct PermissionRules {
    let inv: Inventory
    let obs: Observations
    let graph: IdentityGraph
    let options: AnalysisOptions
    private let memo = Memo()

    init(inv: Inventory, obs: Observations, graph: IdentityGraph, options: AnalysisOptions) {
        self.inv = inv
        self.obs = obs
        self.graph = graph
        self.options = options
    }

    /// Answers computed once per scan (the rules ask the same questions many times).
    private final class Memo: Sendable {
        struct State {
            var profileUsers: [String: [(principal: DatabricksPrincipal, via: String)]] = [:]
            var ssoPeople: [String: [String]]?
            var scimGrants: [String: [(DatabricksPrincipal, String)]]?
            var accountIndex: EscalationPath.AccountIndex?
        }
        private let state = Locked(State())

        /// The answer at `key`, made on first use. `make` runs outside the lock (it may ask the
        /// memo again); two threads asking at once both make it, and the answers are equal.
        func once<T>(_ key: WritableKeyPath<State, T?>, _ make: () -> T) -> T {
            if let known = state.withLock({ $0[keyPath: key] }) { return known }
            let made = make()
            state.withLock { $0[keyPath: key] = made }
            return made
        }

        func profileUsers(
            _ arn: String, _ make: () -> [(principal: DatabricksPrincipal, via: String)]
        ) -> [(principal: DatabricksPrincipal, via: String)] {
            if let known = state.withLock({ $0.profileUsers[arn] }) { return known }
            let made = make()
            state.withLock { $0.profileUsers[arn] = made }
            return made
        }

        func accounts(_ iam: IAMInventory) -> EscalationPath.AccountIndex {
            once(\.accountIndex) { EscalationPath.AccountIndex(iam) }
        }
    }
    var haveEvents: Bool { obs.events > 0 }

    /// Rules that need events of the period.
    static let usageRules: Set<String> = ["iam-unused-permissions", "flat-access-classified"]

    /// Principals listed by name in one finding; the rest are counted (who-can lists them all).
    static let maxListed = 50

    /// Actions a principal must be allowed on `*` to count as an administrator.
    static let adminProbes = [
        "iam:PutRolePolicy", "iam:CreateUser", "iam:AttachUserPolicy", "sts:AssumeRole",
        "ec2:RunInstances", "s3:GetObject", "s3:PutBucketPolicy", "kms:Decrypt", "lambda:CreateFunction",
        "organizations:LeaveOrganization", "cloudtrail:StopLogging",
    ]
    static let dataPrivileges: Set<String> = [
        "SELECT", "MODIFY", "ALL_PRIVILEGES", "ALL PRIVILEGES", "READ_FILES", "WRITE_FILES", "MANAGE", "READ_VOLUME",
        "WRITE_VOLUME", "EXTERNAL_USE_SCHEMA",
    ]

    func run() -> (findings: [Finding], flatness: [Flatness]) {
        var out = [Finding]()
        var admins = Set<String>()
        out += iamAdmins(&admins)
        let escalations = escalationPaths(skipping: admins)
        out += escalations
        out += assumeRoleChains(admins: admins, escalations: escalations)
        out += riskCategories(skipping: admins)
        out += infrastructureModification(skipping: admins)
        out += permissiveTrust()
        out += resourceExposure()
        out += broadWildcards(skipping: admins)
        out += wildcardOnClassified()
        out += databricksAdmins()
        out += broadGroupGrants()
        out += allPrivileges()
        out += broadACLs()
        out += crossPlaneInstanceProfiles()
        out += runAsPrivileged()
        if haveEvents { out += unusedPermissions() }
        let flat = flatness()
        for f in flat
        where f.canAccess.count >= options.flatMinimumReach && f.ratio <= options.flatMaximumUseRatio && haveEvents {
            out.append(
                Finding(
                    rule: "flat-access-classified", severity: .medium,
                    title:
                        "\(f.canAccess.count) principals can read \(f.dataClass) data in \(f.resource); \(f.used.count) did",
                    subjects: [], resources: [f.resource],
                    evidence: Evidence(details: [
                        "can access": f.canAccess.joined(separator: ", "), "used": f.used.joined(separator: ", "),
                        "ratio": String(f.ratio),
                    ]),
                    controls: Controls.accessReview,
                    remediation:
                        "Narrow access to \(f.resource) to the principals that use it; move the rest to a request-based role or group."
                ))
        }
        return (out, flat)
    }

    // MARK: IAM

    func subject(_ p: IAMPrincipal) -> Subject {
        Subject(
            kind: p.kind == .user ? "iamUser" : p.kind == .role ? "iamRole" : "iamGroup", name: p.name, arn: p.arn,
            person: graph.attributions[p.arn]?.person)
    }

    func cite(_ statements: [PolicyStatement]) -> [String] {
        statements.map { s in
            "\(s.source): \(s.effect.rawValue) \(s.actions.text) on \(s.resources.text)"
                + (s.sid.map { " (Sid \($0))" } ?? "")
                + (s.condition.map { " if \($0)" } ?? "")
        }.uniqued()
    }

    func iamAdmins(_ admins: inout Set<String>) -> [Finding] {
        var out = [Finding]()
        for p in inv.iam.principals {
            let decisions = Self.adminProbes.map { inv.iam.evaluate(p, action: $0, resource: "*") }
            let level = decisions.map(\.level).min() ?? .denied
            guard level > .denied else { continue }
            admins.insert(p.arn)
            let by = decisions.flatMap(\.allowedBy)
            out.append(
                Finding(
                    rule: "iam-admin-equivalent", severity: level == .allowed ? .high : .medium,
                    title: "\(p.kind.rawValue) \(p.name) is administrator-equivalent"
                        + (level == .conditional ? " (under conditions)" : ""),
                    subjects: [subject(p)], resources: ["aws-account:\(p.account)"],
                    evidence: Evidence(
                        inventory: cite(by),
                        chain: [
                            "allowed \(Self.adminProbes.count) administrative probe actions on *: "
                                + decisions[0].reason
                        ],
                        details: ["decision": level.name]),
                    controls: Controls.privilegedAccess,
                    remediation:
                        "Replace broad policies on \(p.name) with task-scoped ones; keep administrator access on a few break-glass roles with MFA."
                ))
        }
        return out
    }

    func escalationPaths(skipping admins: Set<String>) -> [Finding] {
        // Principals are independent: evaluated on every core, reported in their order.
        return inv.iam.principals.filter { !admins.contains($0.arn) }.concurrentMap { p -> [Finding] in
            var out = [Finding]()
            let statements = inv.iam.identityStatements(for: p)
            guard statements.contains(where: { $0.effect == .allow }) else { return [] }
            let ceilings = inv.iam.ceilings(for: p)
            let context = inv.iam.context(for: p)
            for (pathIndex, path) in EscalationPath.all.enumerated() {
                if let only = path.only, p.kind != only { continue }
                var level = AccessDecision.Level.allowed
                var chain = [String](), cited = [PolicyStatement](), unmet = [String]()
                for (stepIndex, step) in path.steps.enumerated() {
                    if case .own = step.target, p.kind == .user,
                        step.action.hasPrefix("iam:") && step.action.firstRange(of: "Role") != nil
                    {
                        level = .denied; break
                    }
                    if case .own = step.target, p.kind == .role, step.action.firstRange(of: "User") != nil {
                        level = .denied; break
                    }
                    if case .ownGroups = step.target, p.kind != .user { level = .denied; break }
                    // Only statements that can allow the step matter; most principals have none.
                    let stepAction = EscalationPath.stepPatterns[pathIndex][stepIndex]
                    let relevant = statements.filter { $0.effect == .allow && $0.actions.overlaps(stepAction) }
                    if relevant.isEmpty { level = .denied; break }
                    // The statements the step's action can reach (Denies too): the evaluator's answer
                    // is the same over them, and each resource is evaluated against far fewer.
                    let forStep = statements.filter { $0.actions.overlaps(stepAction) }
                    let stepCeilings = ceilings.map { $0.filter { $0.actions.overlaps(stepAction) } }
                    let c = EscalationPath.candidates(step.target, for: p, index: memo.accounts(inv.iam))
                    if let missing = c.unmet { unmet.append(missing) }
                    var best: (AccessDecision, String)?
                    // The probe first: a wildcard grant answers for every real resource at once.
                    if let probe = c.probe {
                        let d = PolicyEvaluator.evaluate(
                            forStep, ceilings: stepCeilings, action: stepAction, resource: .resource(probe),
                            context: context)
                        best = (d, "any (wildcard)")
                    }
                    let named = c.family.map { f in relevant.filter { $0.resources.overlaps(f) } } ?? relevant
                    if best?.0.level != .allowed && !named.isEmpty {
                        for r in c.real
                        where r.arn != c.excluding && named.contains(where: { $0.resources.overlaps(r.pattern) }) {
                            let d = PolicyEvaluator.evaluate(
                                forStep, ceilings: stepCeilings, action: stepAction, resource: r.pattern,
                                context: context)
                            if best == nil || d.level > best!.0.level { best = (d, r.arn) }
                            if d.level == .allowed { break }
                        }
                    }
                    guard let (d, r) = best, d.level > .denied else { level = .denied; break }
                    level = min(level, d.level)
                    cited += d.allowedBy
                    chain.append(
                        "\(step.action) on \(r): \(d.level.name) by \(d.allowedBy.map(\.source.description).uniqued().joined(separator: "; "))"
                    )
                }
                guard level > .denied else { continue }
                if let b = path.backing {
                    let backing = path.backingRoles(for: p, index: memo.accounts(inv.iam))
                    if backing.isEmpty {
                        unmet.append(
                            "no role in account \(p.account) trusts \(b.service)"
                                + (b.instanceProfile ? " with an instance profile" : "")
                                + ": no \(b.what) runs as a role today")
                    }
                    let names = backing.prefix(3).joined(separator: ", ")
                    if !backing.isEmpty {
                        chain.append(
                            "needs \(b.what) running as a role trusting \(b.service) (the inventory cannot list them): "
                                + names + (backing.count > 3 ? " and \(backing.count - 3) more" : ""))
                    }
                }
                chain += unmet.map { "latent: \($0)" }
                chain.append("then: \(path.how)")
                // Through a resource the inventory cannot show, the path is as sure as that
                // resource; with a prerequisite missing today, it is latent.
                out.append(
                    Finding(
                        rule: "iam-privilege-escalation",
                        severity: !unmet.isEmpty ? .low : level == .allowed && path.backing == nil ? .high : .medium,
                        title: "\(p.kind.rawValue) \(p.name) can escalate privileges via \(path.name)"
                            + (level == .conditional ? " (under conditions)" : "")
                            + (unmet.isEmpty ? "" : " (latent)"),
                        subjects: [subject(p)], resources: ["escalation:\(path.id)"],
                        evidence: Evidence(
                            inventory: cite(cited), chain: chain,
                            details: ["path": path.id, "decision": level.name].merging(
                                unmet.isEmpty ? [:] : ["latent": unmet.joined(separator: "; ")]
                            ) { a, _ in a }),
                        controls: Controls.privilegedAccess,
                        remediation:
                            "Remove or scope \(path.steps.map(\.action).joined(separator: " + ")) for \(p.name) to specific resources, or add a permissions boundary that denies them.",
                        mitre: "T1098"))
            }
            return out
        }.flatMap { $0 }
    }

    /// Principals that reach a more powerful role by assuming roles: each hop is a trust policy
    /// that names the principal's ARN (enough on its own in the same account), or names its
    /// account (`root`, the id) or `*` while its own policies allow `sts:AssumeRole` on the role.
    /// The end is an administrator-equivalent role or one with an escalation path. Principals
    /// already reported as administrators or escalators are not repeated.
    func assumeRoleChains(admins: Set<String>, escalations: [Finding]) -> [Finding] {
        let iam = inv.iam
        var powerful = [String: String]()
        for arn in admins { powerful[arn] = "is administrator-equivalent" }
        for f in escalations where f.severity == .high {
            if let arn = f.subjects.first?.arn, powerful[arn] == nil {
                powerful[arn] = "can escalate privileges (\(f.evidence.details["path"] ?? "path"))"
            }
        }
        let assume = IAMPattern.action("sts:AssumeRole")
        // Who each role's trust names: exact principal ARNs, and whole accounts or everyone.
        var named = [String: [(role: IAMPrincipal, statement: PolicyStatement)]]()
        var accountWide = [String: [(role: IAMPrincipal, statement: PolicyStatement)]]()
        for r in iam.roles.values.sorted(by: { $0.arn < $1.arn }) {
            for t in r.trust where t.effect == .allow && !t.notPrincipal && t.actions.overlaps(assume) {
                for v in (t.principals["AWS"] ?? []) + (t.principals["*"] ?? []) {
                    if v == "*" {
                        accountWide["*", default: []].append((r, t))
                    } else if v == r.account || v == "arn:aws:iam::\(r.account):root" {
                        accountWide[r.account, default: []].append((r, t))
                    } else {
                        named[v, default: []].append((r, t))
                    }
                }
            }
        }
        // Principals with a latent path only (low) are still followed through roles.
        let flagged = Set(escalations.filter { $0.severity > .low }.compactMap { $0.subjects.first?.arn }).union(admins)
        typealias Hop = (role: IAMPrincipal, level: AccessDecision.Level, why: String)
        // A role's onward hops are the same whichever principal reached it: worked out once.
        var known = [String: [Hop]]()
        func hops(from p: IAMPrincipal) -> [Hop] {
            if let hops = known[p.arn] { return hops }
            let hops = onward(from: p)
            known[p.arn] = hops
            return hops
        }
        func onward(from p: IAMPrincipal) -> [Hop] {
            var out = [Hop]()
            let context = iam.context(for: p)
            // A trust policy naming the principal grants without its identity policies; the
            // organisation's SCPs still bound it, and a role's boundary (a user's does not).
            let orgCeilings = iam.ceilings(for: p).filter { p.kind != .user || $0.kind != .boundary }
            for (r, t) in named[p.arn] ?? [] where r.arn != p.arn && r.account == p.account {
                let d = PolicyEvaluator.evaluate(
                    [t], ceilings: orgCeilings, action: assume, resource: .resource(r.arn), context: context)
                guard d.level > .denied else { continue }
                out.append((r, d.level, "its trust policy names \(p.name)"))
            }
            let wide = (accountWide[p.account] ?? []) + (accountWide["*"] ?? [])
            guard !wide.isEmpty,
                iam.identityStatements(for: p).contains(where: { $0.effect == .allow && $0.actions.overlaps(assume) })
            else { return out }
            for (r, t) in wide where r.arn != p.arn {
                let v = t.verdict(in: context)
                let d = iam.evaluate(p, action: "sts:AssumeRole", resource: r.arn)
                guard v != .never, d.level > .denied else { continue }
                out.append(
                    (
                        r, min(d.level, v == .holds ? .allowed : .conditional),
                        "its trust policy allows the account and \(d.reason)"
                    ))
            }
            return out
        }
        var out = [Finding]()
        for p in iam.principals where p.kind != .group && !flagged.contains(p.arn) {
            if let f = modifiesAssumableRole(p, hops: hops(from: p)) { out.append(f) }
            guard !powerful.isEmpty else { continue }
            // Breadth first, at most 5 hops: the first powerful role reached, and how.
            var seen: Set<String> = [p.arn]
            var queue: [(IAMPrincipal, [String], AccessDecision.Level)] = [(p, [], .allowed)]
            var found: (IAMPrincipal, [String], AccessDecision.Level)?
            while !queue.isEmpty && found == nil {
                let (at, chain, level) = queue.removeFirst()
                guard chain.count < 5 else { continue }
                for h in hops(from: at) where seen.insert(h.role.arn).inserted {
                    let next = chain + ["\(at.name) assumes role \(h.role.name): \(h.why)"]
                    let nextLevel = min(level, h.level)
                    if powerful[h.role.arn] != nil {
                        found = (h.role, next, nextLevel)
                        break
                    }
                    queue.append((h.role, next, nextLevel))
                }
            }
            guard let (end, chain, level) = found else { continue }
            out.append(
                Finding(
                    rule: "iam-privilege-escalation", severity: level == .allowed ? .high : .medium,
                    title: "\(p.kind.rawValue) \(p.name) can escalate privileges by assuming role \(end.name)"
                        + (level == .conditional ? " (under conditions)" : ""),
                    subjects: [subject(p)], resources: ["escalation:assume-role-chain"],
                    evidence: Evidence(
                        inventory: [], chain: chain + ["role \(end.name) \(powerful[end.arn] ?? "")"],
                        details: ["path": "assume-role-chain", "decision": level.name, "hops": String(chain.count)]),
                    controls: Controls.privilegedAccess,
                    remediation:
                        "Narrow the trust policies along the chain to the principals that need them, or remove \(p.name)'s sts:AssumeRole grant.",
                    mitre: "T1098"))
        }
        return out
    }

    /// pathfinding.cloud iam-014/016/017: a role the principal can assume, and can give more
    /// permissions first — attach a policy to it, write an inline policy on it, or write a new
    /// default version of a customer policy attached to it — all on that same role.
    func modifiesAssumableRole(
        _ p: IAMPrincipal, hops: [(role: IAMPrincipal, level: AccessDecision.Level, why: String)]
    ) -> Finding? {
        var best: Finding?
        for h in hops {
            var grants: [(String, AccessDecision)] = []
            for action in ["iam:AttachRolePolicy", "iam:PutRolePolicy"] {
                let d = inv.iam.evaluate(p, action: action, resource: h.role.arn)
                if d.level > .denied { grants.append(("\(action) on role \(h.role.name)", d)) }
            }
            for policy in h.role.attached where !policy.hasPrefix("arn:aws:iam::aws:") {
                let d = inv.iam.evaluate(p, action: "iam:CreatePolicyVersion", resource: policy)
                if d.level > .denied { grants.append(("iam:CreatePolicyVersion on \(policy), attached to it", d)) }
            }
            guard let grant = grants.max(by: { $0.1.level < $1.1.level }) else { continue }
            let level = min(grant.1.level, h.level)
            // The surest hop wins (the first of equals, in the hops' order).
            if best != nil && (best?.evidence.details["decision"] == "allowed" || level == .conditional) { continue }
            best = Finding(
                rule: "iam-privilege-escalation", severity: level == .allowed ? .high : .medium,
                title:
                    "\(p.kind.rawValue) \(p.name) can escalate privileges via a role it can assume and modify (\(h.role.name))"
                    + (level == .conditional ? " (under conditions)" : ""),
                subjects: [subject(p)], resources: ["escalation:modify-assumable-role"],
                evidence: Evidence(
                    inventory: cite(grant.1.allowedBy),
                    chain: [
                        "\(grant.0): \(grant.1.reason)", "\(p.name) assumes role \(h.role.name): \(h.why)",
                        "then: give role \(h.role.name) AdministratorAccess and assume it",
                    ],
                    details: ["path": "modify-assumable-role", "decision": level.name, "role": h.role.arn]),
                controls: Controls.privilegedAccess,
                remediation:
                    "Remove \(p.name)'s permission to change role \(h.role.name)'s policies, or take \(p.name) out of its trust policy.",
                mitre: "T1098")
        }
        return best
    }

    /// Services whose `service:*` on every resource is a finding by itself.
    static let sensitiveServices: Set<String> = [
        "iam", "sts", "kms", "s3", "organizations", "ec2", "lambda", "secretsmanager",
        "ssm", "cloudtrail", "glue", "dynamodb", "rds", "logs", "config",
    ]

    /// Allow statements with NotAction, `*` or `<sensitive service>:*` on every resource, held by
    /// principals that are not already reported as administrators.
    func broadWildcards(skipping admins: Set<String>) -> [Finding] {
        var out = [Finding]()
        for p in inv.iam.principals where !admins.contains(p.arn) {
            let broad = inv.iam.identityStatements(for: p).filter { s in
                guard s.effect == .allow, s.resources.negated || s.resources.patterns.contains(where: \.isWildcardAll)
                else { return false }
                return s.actions.negated
                    || s.actions.patterns.contains { a in
                        a.isWildcardAll
                            || (a.text.hasSuffix(":*")
                                && Self.sensitiveServices.contains(String(a.text.lowercased().dropLast(2))))
                    }
            }
            guard !broad.isEmpty else { continue }
            // A Deny elsewhere may take back most of it: say what is still allowed.
            let still = broad.filter { s in
                let probe =
                    s.actions.negated
                    ? "crosstrail:Probe"
                    : s.actions.patterns.first { $0.hasWildcard }.map {
                        $0.text.replacingOccurrences(of: "*", with: "Probe")
                    } ?? "*"
                return inv.iam.evaluate(p, action: probe, resource: "*").level > .denied
            }
            guard !still.isEmpty else { continue }
            let notAction = still.contains { $0.actions.negated }
            out.append(
                Finding(
                    rule: "iam-broad-wildcard", severity: .medium,
                    title: "\(p.kind.rawValue) \(p.name) holds "
                        + (notAction ? "a NotAction Allow (everything but the listed actions)" : "wildcard actions")
                        + " on every resource",
                    subjects: [subject(p)], resources: [p.arn],
                    evidence: Evidence(inventory: cite(still)),
                    controls: Controls.privilegedAccess,
                    remediation: "List the actions \(p.name) needs instead of "
                        + (notAction ? "NotAction" : "wildcards") + ", and scope Resource to the ARNs it works on."))
        }
        return out
    }

    /// Wildcard grants (`*`, `s3:*`, NotAction) that reach classified S3 data.
    func wildcardOnClassified() -> [Finding] {
        var out = [Finding]()
        for prefix in inv.classification.prefixes {
            for p in inv.iam.principals {
                let d = inv.evaluate(p, action: "s3:GetObject", resource: prefix.objectARN)
                guard d.level > .denied else { continue }
                let wildcard = d.allowedBy.filter { s in
                    s.actions.negated
                        || s.actions.patterns.contains {
                            $0.isWildcardAll || $0.text.lowercased() == "s3:*" || $0.text.lowercased() == "s3:get*"
                        }
                        || s.resources.negated
                        || s.resources.patterns.contains { $0.isWildcardAll || $0.text == "arn:aws:s3:::*" }
                }
                guard !wildcard.isEmpty else { continue }
                let sensitive = ["pii", "pci", "phi"].contains(prefix.dataClass)
                out.append(
                    Finding(
                        rule: "iam-wildcard-on-classified", severity: sensitive ? .high : .medium,
                        title:
                            "\(p.kind.rawValue) \(p.name) reads \(prefix.dataClass) data in \(prefix.uri) through a wildcard policy",
                        subjects: [subject(p)], resources: [prefix.uri],
                        evidence: Evidence(
                            inventory: cite(wildcard) + ["classification: \(prefix.source)"],
                            chain: ["s3:GetObject on \(prefix.objectARN): \(d.reason)"],
                            details: ["class": prefix.dataClass, "decision": d.level.name]),
                        controls: Controls.dataAccess,
                        remediation:
                            "Replace the wildcard with the actions and bucket prefixes \(p.name) needs; deny \(prefix.uri) explicitly if it needs none."
                    ))
            }
        }
        return out
    }

    /// IAM users and roles that can read a classified prefix (boundaries and denies honoured).
    func iamReaders(of prefix: Classification.Prefix) -> [(IAMPrincipal, AccessDecision)] {
        inv.iam.principals.compactMap { p in
            let d = inv.evaluate(p, action: "s3:GetObject", resource: prefix.objectARN)
            return d.level > .denied ? (p, d) : nil
        }
    }

    // MARK: Databricks

    func subject(_ p: DatabricksPrincipal) -> Subject {
        switch p.kind {
        case .user:
            return Subject(
                kind: "databricksUser", name: p.name, email: p.emails.first ?? p.name, person: p.name.lowercased())
        case .group: return Subject(kind: "databricksGroup", name: p.name)
        case .servicePrincipal: return Subject(kind: "servicePrincipal", name: p.displayName ?? p.name, arn: nil)
        }
    }

    func databricksAdmins() -> [Finding] {
        let admins = inv.databricks.members(ofGroup: "admins")
        guard admins.count > options.maxWorkspaceAdmins else { return [] }
        return [
            Finding(
                rule: "dbx-too-many-admins", severity: .medium,
                title: "\(admins.count) workspace admins (more than \(options.maxWorkspaceAdmins))",
                subjects: admins.map(subject), resources: ["databricks-group:admins"],
                evidence: Evidence(
                    inventory: ["SCIM group admins"], details: ["admins": admins.map(\.name).joined(separator: ", ")]),
                controls: Controls.privilegedAccess,
                remediation:
                    "Keep the admins group to a few named operators; grant CAN_MANAGE on specific objects instead.")
        ]
    }

    /// Is a securable (or anything under it) classified?
    /// The Unity Catalog table, when the inventory has it (owner, storage, masks, row filter).
    func ucTable(_ name: String) -> UCSecurable? { inv.databricks.securables["table:\(name.lowercased())"] }

    func classifiedTables(under securable: String, type: String) -> [Classification.Table] {
        inv.classification.tables.values.filter { t in
            switch type {
            case "catalog": return t.name.hasPrefix(securable + ".")
            case "schema": return t.name.hasPrefix(securable + ".")
            case "metastore": return true
            default: return t.name == securable
            }
        }.sorted { $0.name < $1.name }
    }

    func broadGroupGrants() -> [Finding] {
        var out = [Finding]()
        for g in inv.databricks.grants where DatabricksInventory.everyoneGroups.contains(g.principal.lowercased()) {
            let risky = g.privileges.filter { Self.dataPrivileges.contains($0.uppercased()) }
            guard !risky.isEmpty else { continue }
            let classified = classifiedTables(under: g.securable, type: g.securableType)
            // Tables whose every classified column is masked show everyone only what the masks
            // allow through SELECT: still reported (the masks' logic is not evaluated), one level
            // lower. Masks do not shape MODIFY, file access or MANAGE (which can drop them).
            let onlySelect = risky.allSatisfy { $0.uppercased() == "SELECT" }
            let isMasked = { (t: Classification.Table) in onlySelect && (ucTable(t.name)?.masksAll(t.columns) ?? false)
            }
            let exposed = classified.filter { !isMasked($0) }
            let masked = classified.filter(isMasked)
            var details = [
                "classified tables": classified.map { "\($0.name) (\($0.dataClass))" }.joined(separator: ", ")
            ]
            if !masked.isEmpty {
                details["masked"] = masked.compactMap { t in ucTable(t.name)?.protectionText.map { "\(t.name): \($0)" }
                }
                .joined(separator: "; ")
            }
            out.append(
                Finding(
                    rule: "dbx-broad-group-data-grant",
                    severity: classified.isEmpty || exposed.isEmpty ? .medium : .high,
                    title:
                        "everyone (\(g.principal)) holds \(risky.joined(separator: ", ")) on \(g.securableType) \(g.securable)"
                        + (classified.isEmpty
                            ? ""
                            : exposed.isEmpty
                                ? ", which holds classified tables whose classified columns are all masked"
                                : ", which holds classified tables"),
                    subjects: [Subject(kind: "databricksGroup", name: g.principal)],
                    resources: ["\(g.securableType):\(g.securable)"],
                    evidence: Evidence(
                        inventory: ["\(g.source): \(g.principal) \(g.privileges.joined(separator: ","))"],
                        details: details),
                    controls: Controls.dataAccess,
                    remediation:
                        "Revoke \(risky.joined(separator: ", ")) from \(g.principal) on \(g.securable); grant them to the groups that need the data."
                ))
        }
        return out
    }

    func allPrivileges() -> [Finding] {
        var out = [Finding]()
        for g in inv.databricks.grants
        where ["catalog", "schema", "metastore"].contains(g.securableType)
            && g.privileges.contains(where: { ["ALL_PRIVILEGES", "ALL PRIVILEGES"].contains($0.uppercased()) })
            && !DatabricksInventory.everyoneGroups.contains(g.principal.lowercased())
        {
            let classified = classifiedTables(under: g.securable, type: g.securableType)
            let members =
                inv.databricks.principal(named: g.principal).map {
                    $0.kind == .group ? inv.databricks.members(ofGroup: $0.name) : [$0]
                } ?? []
            out.append(
                Finding(
                    rule: "uc-all-privileges", severity: classified.isEmpty ? .low : .medium,
                    title: "\(g.principal) holds ALL PRIVILEGES on \(g.securableType) \(g.securable)"
                        + (members.count > 1 ? " (\(members.count) principals)" : ""),
                    subjects: [
                        Subject(kind: members.count == 1 ? "databricksUser" : "databricksGroup", name: g.principal)
                    ], resources: ["\(g.securableType):\(g.securable)"],
                    evidence: Evidence(
                        inventory: ["\(g.source): \(g.principal) \(g.privileges.joined(separator: ","))"],
                        details: [
                            "members": members.map(\.name).joined(separator: ", "),
                            "classified tables": classified.map(\.name).joined(separator: ", "),
                        ]),
                    controls: Controls.dataAccess,
                    remediation:
                        "Grant the specific privileges needed (USE_CATALOG, USE_SCHEMA, SELECT, MODIFY) instead of ALL PRIVILEGES, which includes MANAGE and grants to others."
                ))
        }
        return out
    }

    func broadACLs() -> [Finding] {
        var out = [Finding]()
        for acl in inv.databricks.acls {
            for e in acl.entries
            where e.principalKind == .group && DatabricksInventory.everyoneGroups.contains(e.principal.lowercased())
                && (e.level == "CAN_MANAGE" || e.level == "IS_OWNER") && !e.inherited
            {
                out.append(
                    Finding(
                        rule: "dbx-broad-group-manage", severity: .medium,
                        title: "everyone (\(e.principal)) has \(e.level) on \(acl.objectType) \(acl.objectId)",
                        subjects: [Subject(kind: "databricksGroup", name: e.principal)],
                        resources: ["\(acl.objectType):\(acl.objectId)"],
                        evidence: Evidence(inventory: ["\(acl.source): \(e.principal) \(e.level)"]),
                        controls: Controls.privilegedAccess,
                        remediation:
                            "Give \(e.principal) at most CAN_ATTACH_TO / CAN_VIEW / CAN_RUN; keep CAN_MANAGE for the object's owners."
                    ))
            }
        }
        return out
    }

    /// Who can use an instance profile: principals granted it in SCIM (directly or via groups),
    /// and everyone who can attach to a cluster that runs with it without user isolation.
    func instanceProfileUsers(_ arn: String) -> [(principal: DatabricksPrincipal, via: String)] {
        memo.profileUsers(arn) { computeInstanceProfileUsers(arn) }
    }

    /// Instance profile → principals granted it in SCIM `roles`, directly or through a group.
    func scimProfileGrants() -> [String: [(DatabricksPrincipal, String)]] {
        memo.once(\.scimGrants) { computeSCIMProfileGrants() }
    }

    private func computeSCIMProfileGrants() -> [String: [(DatabricksPrincipal, String)]] {
        let dbx = inv.databricks
        var out = [String: [(DatabricksPrincipal, String)]]()
        for p in dbx.principals.values.sorted(by: { $0.id < $1.id }) where p.kind != .group && p.active {
            var seen = Set<String>()
            for arn in p.instanceProfiles where seen.insert(arn).inserted {
                out[arn, default: []].append((p, "granted \(arn) in SCIM roles"))
            }
            for g in dbx.groupClosure(of: p) {
                for arn in g.instanceProfiles where seen.insert(arn).inserted {
                    out[arn, default: []].append((p, "member of \(g.name), which is granted \(arn)"))
                }
            }
        }
        return out
    }

    private func computeInstanceProfileUsers(_ arn: String) -> [(principal: DatabricksPrincipal, via: String)] {
        let dbx = inv.databricks
        var out = [String: (DatabricksPrincipal, String)]()
        for (p, via) in scimProfileGrants()[arn] ?? [] { out[p.id] = (p, via) }
        for c in dbx.clusters.values.sorted(by: { $0.id < $1.id }) where c.instanceProfileArn == arn {
            if !c.sharesCredentialsWithAttachers {
                if let single = c.singleUserName, c.dataSecurityMode?.uppercased() == "SINGLE_USER",
                    let p = dbx.principal(named: single), out[p.id] == nil
                {
                    out[p.id] = (p, "single user of cluster \(c.id)")
                }
                continue
            }
            for acl in dbx.acls where acl.objectType == "cluster" && acl.objectId == c.id {
                for e in acl.entries {
                    let reach: [DatabricksPrincipal]
                    if e.principalKind == .group {
                        reach = dbx.members(ofGroup: e.principal)
                    } else if let p = dbx.principal(named: e.principal) {
                        reach = [p]
                    } else {
                        reach = []
                    }
                    for p in reach where out[p.id] == nil {
                        out[p.id] = (
                            p,
                            "\(e.level) on cluster \(c.id) (\(c.dataSecurityMode ?? "no isolation")) via \(e.principalKind == .group ? "group " + e.principal : "a direct grant")"
                        )
                    }
                }
            }
            for p in dbx.members(ofGroup: "admins") where out[p.id] == nil {
                out[p.id] = (p, "workspace admin (can attach to any cluster)")
            }
        }
        return out.values.sorted { $0.0.name < $1.0.name }.map { (principal: $0.0, via: $0.1) }
    }

    func crossPlaneInstanceProfiles() -> [Finding] {
        var out = [Finding]()
        let profiles = Set(inv.databricks.instanceProfiles).union(
            inv.databricks.clusters.values.compactMap(\.instanceProfileArn)
        )
        .union(inv.databricks.principals.values.flatMap(\.instanceProfiles))
        for arn in profiles.sorted() {
            let roles = inv.iam.roles(ofInstanceProfile: arn)
            guard !roles.isEmpty else { continue }
            let users = instanceProfileUsers(arn)
            guard !users.isEmpty else { continue }
            for role in roles {
                for prefix in inv.classification.prefixes {
                    let d = inv.evaluate(role, action: "s3:GetObject", resource: prefix.objectARN)
                    guard d.level > .denied else { continue }
                    let allowed = Set(prefix.allowedGroups)
                    let outside = users.filter { u in
                        allowed.isEmpty
                            ? true
                            : inv.databricks.groupClosure(of: u.principal).allSatisfy { !allowed.contains($0.name) }
                    }
                    guard !outside.isEmpty || users.count > options.flatMinimumReach else { continue }
                    let sensitive = ["pii", "pci", "phi"].contains(prefix.dataClass)
                    var chain = users.prefix(Self.maxListed).map { "\($0.principal.name): \($0.via)" }
                    if users.count > Self.maxListed {
                        chain.append("… and \(users.count - Self.maxListed) more (crosstrail who-can \(prefix.uri))")
                    }
                    chain.append("instance profile \(arn) carries role \(role.arn)")
                    chain.append("role \(role.name) → s3:GetObject on \(prefix.objectARN): \(d.reason)")
                    let used = obs.instanceSessions.filter {
                        $0.key.a == role.arn && $0.value.classified.contains(prefix.uri)
                    }
                    let readers = used.keys.sorted().compactMap { k -> String? in
                        guard let a = graph.attributions["\(k.a)|\(k.b)"] else { return nil }
                        return "\(k.b): " + (a.person ?? a.candidates.joined(separator: " or "))
                            + " (\(a.confidence.rawValue))"
                    }
                    out.append(
                        Finding(
                            rule: "cross-plane-instance-profile",
                            severity: sensitive ? (outside.isEmpty ? .high : .critical) : .medium,
                            title:
                                "\(users.count) workspace principals can read \(prefix.dataClass) data in \(prefix.uri) through instance profile \(arn.split(separator: "/").last ?? "")"
                                + (outside.isEmpty
                                    ? ""
                                    : " (\(outside.count) outside \(prefix.allowedGroups.joined(separator: ", ")))"),
                            subjects: outside.prefix(Self.maxListed).map { subject($0.principal) } + [
                                Subject(
                                    kind: "instanceProfile", name: String(arn.split(separator: "/").last ?? ""),
                                    arn: arn), subject(role),
                            ],
                            resources: [prefix.uri],
                            evidence: Evidence(
                                events: used.values.flatMap { $0.sample.sortedIds }.sorted().prefix(EventSample.cap).map
                                { $0 },
                                inventory: cite(d.allowedBy) + ["classification: \(prefix.source)"], chain: chain,
                                details: [
                                    "principals": String(users.count), "outside allowed groups": String(outside.count),
                                    "class": prefix.dataClass, "decision": d.level.name,
                                    "used in period": used.isEmpty
                                        ? "no" : "yes (\(used.values.map(\.sample.count).reduce(0, +)) calls)",
                                    "read by": readers.joined(separator: "; "),
                                ]),
                            controls: Controls.dataAccess,
                            remediation:
                                "Use single-user or Unity Catalog isolation on clusters with \(arn.split(separator: "/").last ?? ""), restrict who can attach to them, or scope role \(role.name) away from \(prefix.uri) (serve the data through Unity Catalog grants)."
                        ))
                }
            }
        }
        return out
    }

    /// CAN_MANAGE on a cluster or job that runs as a service principal that is an admin: whoever
    /// manages it can run code as that principal.
    func runAsPrivileged() -> [Finding] {
        var out = [Finding]()
        let dbx = inv.databricks
        var runners = [(type: String, id: String, runAs: String, source: String)]()
        for c in dbx.clusters.values.sorted(by: { $0.id < $1.id }) {
            if let single = c.singleUserName {
                runners.append(("cluster", c.id, single, "cluster \(c.id) single_user_name"))
            }
        }
        for j in dbx.jobs.values.sorted(by: { $0.id < $1.id }) {
            if let runAs = j.runAs {
                runners.append(("job", j.id, runAs, "job \(j.id)\(j.name.map { " (\($0))" } ?? "") run_as"))
            }
        }
        for r in runners {
            guard let sp = dbx.principal(named: r.runAs), sp.kind == .servicePrincipal, dbx.isAdmin(sp) else {
                continue
            }
            for acl in dbx.acls where acl.objectType == r.type && acl.objectId == r.id {
                for e in acl.entries where e.level == "CAN_MANAGE" || e.level == "IS_OWNER" {
                    out.append(
                        Finding(
                            rule: "dbx-manage-runs-as-admin", severity: .high,
                            title:
                                "\(e.principal) can manage \(r.type) \(r.id), which runs as admin service principal \(sp.displayName ?? sp.name)",
                            subjects: [
                                Subject(
                                    kind: e.principalKind == .group ? "databricksGroup" : "databricksUser",
                                    name: e.principal), subject(sp),
                            ],
                            resources: ["\(r.type):\(r.id)"],
                            evidence: Evidence(
                                inventory: ["\(acl.source): \(e.principal) \(e.level)", "\(r.source) \(r.runAs)"],
                                chain: [
                                    "\(e.principal) \(e.level) on \(r.type) \(r.id)", "\(r.type) runs as \(r.runAs)",
                                    "\(r.runAs) is in admins",
                                ]),
                            controls: Controls.privilegedAccess,
                            remediation:
                                "Run the \(r.type) as a non-admin service principal, or limit \(e.level) on it to its owners."
                        ))
                }
            }
        }
        return out
    }

    // MARK: usage

    /// Services granted vs services used in the period, per IAM principal (service level, like
    /// IAM Access Advisor). Services whose calls are data events are unknown, not unused, when
    /// the input holds no data events for them.
    func unusedPermissions() -> [Finding] {
        var out = [Finding]()
        let dataEventOnly: Set<String> = ["s3-object-lambda", "lambda", "dynamodb"]
        for p in inv.iam.principals {
            let allows = inv.iam.identityStatements(for: p).filter { $0.effect == .allow }
            guard !allows.isEmpty else { continue }
            var granted = Set<String>()
            var everything = false
            for s in allows {
                if s.actions.negated { everything = true; continue }
                for a in s.actions.patterns {
                    if a.isWildcardAll {
                        everything = true
                    } else if let svc = a.text.split(separator: ":").first {
                        granted.insert(svc.lowercased())
                    }
                }
            }
            let used = Set(
                (obs.usage[p.arn] ?? [:]).keys.compactMap { $0.split(separator: ":").first.map { $0.lowercased() } })
            if everything {
                if used.isEmpty { continue }
                out.append(
                    Finding(
                        rule: "iam-unused-permissions", severity: .low,
                        title:
                            "\(p.kind.rawValue) \(p.name) may call every service but used \(used.count) in the period",
                        subjects: [subject(p)], resources: [p.arn],
                        evidence: Evidence(details: ["used services": used.sorted().joined(separator: ", ")]),
                        controls: Controls.accessReview,
                        remediation:
                            "Scope \(p.name)'s policies to the services it uses: \(used.sorted().joined(separator: ", "))."
                    ))
                continue
            }
            var unknown = granted.filter { dataEventOnly.contains($0) && !obs.dataEventServices.contains($0) }
            if granted.contains("s3") && !obs.dataEventServices.contains("s3") && !used.contains("s3") {
                unknown.insert("s3")
            }
            let unused = granted.subtracting(used).subtracting(unknown)
            guard !unused.isEmpty, !used.isEmpty || granted.count > 1 else { continue }
            out.append(
                Finding(
                    rule: "iam-unused-permissions", severity: .low,
                    title:
                        "\(p.kind.rawValue) \(p.name) did not use \(unused.count) of \(granted.count) granted services in the period",
                    subjects: [subject(p)], resources: [p.arn],
                    evidence: Evidence(details: [
                        "unused": unused.sorted().joined(separator: ", "),
                        "used": used.sorted().joined(separator: ", "),
                        "unknown (data events not in input)": unknown.sorted().joined(separator: ", "),
                    ]),
                    controls: Controls.accessReview,
                    remediation:
                        "Remove \(unused.sorted().joined(separator: ", ")) from \(p.name)'s policies if the period is representative."
                ))
        }
        return out
    }

    /// For each classified prefix and table: who can reach it and who did, as people where known.
    func flatness() -> [Flatness] {
        var out = [Flatness]()
        let readers = StatefulRules.classifiedReaders(obs, graph)
        for prefix in inv.classification.prefixes {
            var can = Set<String>()
            for (p, _) in iamReaders(of: prefix) {
                // Roles used through SSO or instance profiles reach people; name them.
                let people = ssoPeople()["iam-role:\(p.arn)"] ?? []
                let profileUsers = p.instanceProfiles.flatMap {
                    instanceProfileUsers($0).map { $0.principal.name.lowercased() }
                }
                if people.isEmpty && profileUsers.isEmpty { can.insert(p.arn) }
                can.formUnion(people)
                can.formUnion(profileUsers)
            }
            let used = Set(readers[prefix.uri]?.keys.map { $0 } ?? [])
            out.append(
                Flatness(
                    resource: prefix.uri, dataClass: prefix.dataClass, canAccess: can.sorted(),
                    used: used.intersection(can).sorted()))
        }
        for table in inv.classification.tables.values.sorted(by: { $0.name < $1.name }) {
            let can = tableReaders(table.name).map(\.principal.name)
            let used = Set(readers["table:" + table.name]?.keys.map { $0 } ?? [])
            out.append(
                Flatness(
                    resource: "table:" + table.name, dataClass: table.dataClass, canAccess: can.sorted(),
                    used: used.intersection(can).sorted()))
        }
        return out
    }

    /// Role node id → people seen using it through SSO sessions.
    func ssoPeople() -> [String: [String]] {
        memo.once(\.ssoPeople) {
            var out = [String: [String]]()
            for e in graph.edges where e.kind == "sso-session" {
                out[e.to, default: []].append(String(e.from.dropFirst("person:".count)))
            }
            return out
        }
    }

    /// Principals that can SELECT a table through grants on it, its schema or its catalog
    /// (or own it), with the grant that gives it.
    func tableReaders(_ name: String) -> [(principal: DatabricksPrincipal, via: String)] {
        let dbx = inv.databricks
        let parts = name.split(separator: ".").map(String.init)
        guard parts.count == 3 else { return [] }
        let levels = [("table", name), ("schema", parts[0] + "." + parts[1]), ("catalog", parts[0])]
        var out = [String: (DatabricksPrincipal, String)]()
        for (type, securable) in levels {
            for g in dbx.grants
            where g.securableType == type && g.securable == securable
                && g.privileges.contains(where: {
                    ["SELECT", "ALL_PRIVILEGES", "ALL PRIVILEGES"].contains($0.uppercased())
                })
            {
                let reach: [DatabricksPrincipal]
                if DatabricksInventory.everyoneGroups.contains(g.principal.lowercased()) {
                    reach = dbx.members(ofGroup: g.principal)
                } else if let p = dbx.principal(named: g.principal) {
                    reach = p.kind == .group ? dbx.members(ofGroup: p.name) : [p]
                } else {
                    reach = []
                }
                for p in reach where out[p.id] == nil {
                    out[p.id] = (p, "\(g.privileges.joined(separator: ",")) on \(type) \(securable) via \(g.principal)")
                }
            }
            if let owner = dbx.securables["\(type):\(securable)"]?.owner, let p = dbx.principal(named: owner) {
                for m in (p.kind == .group ? dbx.members(ofGroup: p.name) : [p]) where out[m.id] == nil {
                    out[m.id] = (m, "owner of \(type) \(securable)")
                }
            }
        }
        return out.values.sorted { $0.0.name < $1.0.name }.map { (principal: $0.0, via: $0.1) }
    }
}
