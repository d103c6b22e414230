import CrossTrailBase
import CrossTrailInventory
import CrossTrailModel

/// cloudsplaining's risk categories, judged on each principal's effective permissions (every
/// policy merged, explicit Denies and boundaries applied, Conditions decided where they can be)
/// rather than one policy at a time: which sensitive actions a principal may perform on any
/// resource. Administrator-equivalent principals are reported once, by `iam-admin-equivalent`.
struct RiskCategory: Sendable {
    var rule: String
    var name: String
    var severity: Severity
    var actions: [String]
    var why: String
    var remediation: String

    /// Reads that hand data out: S3 objects, parameters, secrets, and KMS decryption (which
    /// cloudsplaining's list lacks).
    static let dataExfiltration = RiskCategory(
        rule: "iam-data-exfiltration", name: "read data without a resource constraint", severity: .medium,
        actions: [
            "s3:GetObject", "ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath",
            "secretsmanager:GetSecretValue", "kms:Decrypt",
        ],
        why: "reads objects, parameters or secrets anywhere, or decrypts with any key",
        remediation: "Limit the reads to the buckets, parameter paths, secrets and keys the principal needs.")

    /// Calls that mint or reveal credentials (cloudsplaining's list, its `gamelist:` typos fixed).
    static let credentialsExposure = RiskCategory(
        rule: "iam-credentials-exposure", name: "obtain credentials without a resource constraint",
        severity: .medium,
        actions: [
            "airflow:CreateCliToken", "airflow:CreateWebLoginToken", "appsync:CreateApiKey", "chime:CreateApiKey",
            "cloud9:CreateEnvironmentToken", "codeartifact:GetAuthorizationToken", "codepipeline:PollForJobs",
            "cognito-identity:GetOpenIdToken", "cognito-identity:GetOpenIdTokenForDeveloperIdentity",
            "cognito-identity:GetCredentialsForIdentity", "cognito-idp:GetSigningCertificate",
            "connect:GetFederationToken", "connect:GetFederationTokens", "ec2:GetPasswordData",
            "ecr:GetAuthorizationToken", "ecr-public:GetAuthorizationToken",
            "emr-containers:GetManagedEndpointSessionCredentials",
            "finspace-api:GetProgrammaticAccessCredentials", "gamelift:RequestUploadCredentials",
            "gamelift:GetInstanceAccess", "gamelift:GetComputeAccess", "gamelift:GetComputeAuthToken",
            "grafana:CreateWorkspaceApiKey", "iam:CreateAccessKey", "iam:CreateLoginProfile",
            "iam:CreateServiceSpecificCredential", "iam:ResetServiceSpecificCredential", "iam:UpdateAccessKey",
            "license-manager:GetAccessToken", "lightsail:GetInstanceAccessDetails",
            "lightsail:DownloadDefaultKeyPair", "lightsail:CreateBucketAccessKey",
            "lightsail:GetRelationalDatabaseMasterUserPassword", "mediapackage:RotateChannelCredentials",
            "mediapackage:RotateIngestEndpointCredentials", "rds-db:Connect", "redshift:GetClusterCredentials",
            "redshift:GetClusterCredentialsWithIAM", "redshift-serverless:GetCredentials", "sso:GetRoleCredentials",
            "sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity", "sts:GetFederationToken",
            "sts:GetSessionToken",
        ],
        why: "mints or reads credentials for any resource (access keys, passwords, tokens, role sessions)",
        remediation:
            "Limit credential-issuing calls to the principal's own resources, or move them to a break-glass role.")

    /// Changes to who may access a resource: policies, ACLs, grants, sharing (AWS's access level
    /// "Permissions management").
    static let resourceExposure = RiskCategory(
        rule: "iam-resource-exposure", name: "manage permissions without a resource constraint",
        severity: .medium, actions: permissionsManagementActions.sorted(),
        why: "changes resource policies, ACLs, grants or role passing anywhere, so it can expose any resource",
        remediation:
            "Limit policy, ACL and grant changes to the resources the principal manages; deny public and cross-account sharing with an SCP."
    )

    static let all = [dataExfiltration, credentialsExposure, resourceExposure]

    /// A resource only a wildcard grant reaches, in the form the action's service uses (S3 and IAM
    /// have no region, IAM and S3 no account in some forms), so a Deny on `arn:aws:s3:::*` covers it.
    static func probe(for action: String, account: String) -> String {
        let service = action.split(separator: ":").first.map(String.init) ?? "*"
        let name = EscalationPath.probe
        switch service {
        case "s3": return "arn:aws:s3:::\(name)/\(name)"
        case "iam": return "arn:aws:iam::\(account):user/\(name)"
        case "sts": return "arn:aws:iam::\(account):role/\(name)"
        default: return "arn:aws:\(service):us-east-1:\(account):\(name)"
        }
    }
}

extension PermissionRules {
    /// Principals with the same policies (the same groups and attachments) get the same answers:
    /// they are computed once per set of statements, boundary and account.
    private struct PolicySetKey: Hashable {
        var account: String
        var statements: [ObjectIdentifier]
        var ceilings: [[ObjectIdentifier]]
        var principal: String?
    }

    func riskCategories(skipping admins: Set<String>) -> [Finding] {
        // Each category's actions by service, so a principal's statements name the few to test.
        let byService = RiskCategory.all.map { c in
            Dictionary(grouping: c.actions.enumerated().map { ($1, IAMPattern.action($1), $0) }) {
                String($0.0.split(separator: ":").first ?? "").lowercased()
            }
        }
        let memo = Locked([PolicySetKey: [[(String, AccessDecision)]]]())
        // Principals are independent: evaluated on every core, reported in their order.
        let candidates = inv.iam.principals.filter { $0.kind != .group && !admins.contains($0.arn) }
        return candidates.concurrentMap { p -> [Finding] in
            var out = [Finding]()
            let statements = inv.iam.identityStatements(for: p)
            // Only an Allow whose resources hold a wildcard (or NotResource) can reach every resource.
            let allows = statements.filter {
                $0.effect == .allow
                    && ($0.resources.negated
                        || $0.resources.patterns.contains { $0.text.utf8.contains(UInt8(ascii: "*")) })
            }
            guard !allows.isEmpty else { return [] }
            let ceilings = inv.iam.ceilings(for: p)
            let context = inv.iam.context(for: p)
            // Principals with the same policies get the same answers, unless a Condition tests
            // which principal asks.
            let key = PolicySetKey(
                account: p.account, statements: statements.map(ObjectIdentifier.init),
                ceilings: ceilings.map { $0.statements.map(ObjectIdentifier.init) },
                principal: (statements + ceilings.flatMap(\.statements)).contains(where: \.testsPrincipal)
                    ? p.arn : nil)
            let answers =
                memo.withLock { $0[key] }
                ?? byService.map { services in
                    allowedActions(
                        services, allows: allows, statements: statements, ceilings: ceilings, context: context,
                        account: p.account)
                }
            memo.withLock { $0[key] = answers }
            for (category, allowed) in zip(RiskCategory.all, answers) {
                guard !allowed.isEmpty else { continue }
                let level = allowed.map(\.1.level).max() ?? .conditional
                let sure = allowed.filter { $0.1.level == .allowed }.map(\.0)
                let shown = (sure.isEmpty ? allowed.map(\.0) : sure)
                out.append(
                    Finding(
                        rule: category.rule, severity: level == .allowed ? category.severity : .low,
                        title: "\(p.kind.rawValue) \(p.name) can \(category.name): "
                            + shown.prefix(5).joined(separator: ", ")
                            + (shown.count > 5 ? " and \(shown.count - 5) more" : "")
                            + (level == .conditional ? " (under conditions)" : ""),
                        subjects: [subject(p)], resources: ["aws-account:\(p.account)"],
                        evidence: Evidence(
                            inventory: cite(allowed.flatMap(\.1.allowedBy)),
                            chain: [
                                "\(p.name) \(category.why): "
                                    + allowed.map { "\($0.0) \($0.1.level.name)" }.joined(separator: ", ")
                            ],
                            details: [
                                "actions": allowed.map(\.0).joined(separator: " "), "count": String(allowed.count),
                                "decision": level.name,
                            ]),
                        controls: Controls.privilegedAccess,
                        remediation: category.remediation))
            }
            return out
        }.flatMap { $0 }
    }

    /// The category's actions the statements allow on a resource only a wildcard reaches. Only
    /// services an Allow names are tested (all of them for `*` or `NotAction`).
    private func allowedActions(
        _ byService: [String: [(String, IAMPattern, Int)]], allows: [PolicyStatement], statements: [PolicyStatement],
        ceilings: [PolicyCeiling], context: PolicyCondition.Context, account: String
    ) -> [(String, AccessDecision)] {
        var services = Set<String>()
        var everything = false
        for s in allows {
            if s.actions.negated { everything = true; break }
            for a in s.actions.patterns {
                let service = a.text.split(separator: ":", maxSplits: 1).first.map { String($0).lowercased() } ?? "*"
                if service.contains("*") || service.contains("?") { everything = true; break }
                services.insert(service)
            }
            if everything { break }
        }
        let candidates = everything ? byService.values.flatMap { $0 } : services.flatMap { byService[$0] ?? [] }
        var allowed = [(String, AccessDecision)]()
        // Actions reached by the same statements on the same kind of resource get the same answer
        // (a `*` grant reaches hundreds of them): evaluated once per statement set and probe.
        struct Reach: Hashable {
            var statements: [Int]
            var ceilings: [[Int]]
            var probe: String
        }
        var answers = [Reach: AccessDecision]()
        // In the category's own order (the title shows the first few).
        for (name, pattern, _) in candidates.sorted(by: { $0.2 < $1.2 })
        where allows.contains(where: { $0.actions.overlaps(pattern) }) {
            let probe = RiskCategory.probe(for: name, account: account)
            let reaching = statements.indices.filter { statements[$0].actions.overlaps(pattern) }
            let ceilingsReaching = ceilings.map { c in
                c.statements.indices.filter { c.statements[$0].actions.overlaps(pattern) }
            }
            let key = Reach(statements: reaching, ceilings: ceilingsReaching, probe: probe)
            let d =
                answers[key]
                ?? PolicyEvaluator.evaluate(
                    reaching.map { statements[$0] },
                    ceilings: zip(ceilings, ceilingsReaching).map { c, keep in
                        var c = c
                        c.statements = keep.map { c.statements[$0] }
                        return c
                    },
                    action: pattern, resource: IAMPattern.resource(probe), context: context)
            answers[key] = d
            if d.level > .denied { allowed.append((name, d)) }
        }
        return allowed
    }
}
