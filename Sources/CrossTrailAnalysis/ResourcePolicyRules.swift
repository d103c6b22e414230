import CrossTrailInventory
import CrossTrailModel

extension PermissionRules {
    /// Resources anyone can reach through their resource-based policy or S3 ACL
    /// (`aws-resource-public`), and those granted to accounts outside the zone of trust: the
    /// resource's own account, or its organisation when an Organizations export lists both
    /// (`aws-resource-external-access`), as IAM Access Analyzer draws the line.
    ///
    /// A statement is public when it allows `*` (or every principal but some, `NotPrincipal`) with
    /// no condition narrowing the callers (`PolicyCondition.narrowsCaller`: organisation, account,
    /// ARN, source, VPC endpoint, an IP range short of the whole internet); a Condition that can
    /// never hold now drops it, one left undecided makes the finding conditional. An unconditional
    /// Deny to everyone covering the actions removes them. S3 Block Public Access
    /// (`RestrictPublicBuckets`, `IgnorePublicAcls`, the bucket's or the account's) neutralises a
    /// public policy or ACL, as S3 enforces it.
    func resourceExposure() -> [Finding] {
        var out = [Finding]()
        let classifiedBuckets = Dictionary(grouping: inv.classification.prefixes, by: \.bucket)
        let org = inv.iam.organization
        for r in inv.resources.effective {
            // Denies of the policy itself, and of the organisation's RCPs over the resource's account.
            let rcps = org.ceilings(forAccount: r.account).filter {
                $0.kind == .rcp && $0.services?.contains(Self.service(r.type)) != false
            }
            let denies =
                r.statements.filter { $0.effect == .deny } + rcps.flatMap(\.statements).filter { $0.effect == .deny }
            let outsider = PolicyCondition.Context.outsider(at: inv.iam.assessedAt)
            var publicStatements = [(PolicyStatement, Bool)](), external = [(String, PolicyStatement, Bool)]()
            func addExternal(_ account: String, _ s: PolicyStatement, arn: String?) {
                guard account != r.account, !org.bothMembers(account, r.account) else { return }
                // Judged for a principal of that account (outside the organisation when the export says so).
                let caller = PolicyCondition.Context(
                    time: inv.iam.assessedAt, principalArn: arn, principalAccount: account,
                    principalOrgID: org.isEmpty ? nil : org.contains(account: account) ? org.id : "o-outsider")
                let level = Self.judge(s, denies: denies, context: caller, account: account, arn: arn)
                if level > .denied { external.append((account, s, level == .allowed)) }
            }
            for s in r.statements where s.effect == .allow && s.verdict(at: inv.iam.assessedAt) != .never {
                if s.isForEveryone {
                    // Open to `*` for the parties a condition names: those outside are external.
                    for account in Set(s.conditionBlock?.namedCallers.accounts ?? []).sorted() {
                        addExternal(account, s, arn: nil)
                    }
                    if s.conditionBlock?.narrowsCaller() ?? false { continue }
                    let level = Self.judge(s, denies: denies, context: outsider, account: nil)
                    if level > .denied { publicStatements.append((s, level == .allowed)) }
                    continue
                }
                for v in s.principals["AWS"] ?? [] {
                    guard let account = AWSAccountID.isValid(v) ? v : AWSAccountID.of(arn: v) else { continue }
                    // `:root` is the whole account: any of its principals, whatever its ARN.
                    addExternal(account, s, arn: AWSAccountID.isValid(v) || v.hasSuffix(":root") ? nil : v)
                }
            }
            let aclGrants = r.ignorePublicAcls ? [] : r.publicGrants
            let classes = r.bucket.map { classifiedBuckets[$0] ?? [] } ?? []
            let publicPolicy = !publicStatements.isEmpty
            if (publicPolicy && !r.restrictPublicBuckets) || !aclGrants.isEmpty {
                let statements = r.restrictPublicBuckets ? [] : publicStatements
                out.append(publicFinding(r, statements: statements, acl: aclGrants, classes: classes))
            }
            // RestrictPublicBuckets on a bucket whose policy is public limits it to the owner's
            // account and AWS services: other accounts lose their grants too.
            if !external.isEmpty && !(publicPolicy && r.restrictPublicBuckets) {
                out.append(externalFinding(r, external: external))
            }
        }
        return out
    }

    /// What a caller gets from an Allow after the Denies that reach it: denied when a Deny that
    /// holds for the caller covers every action and resource the Allow names, conditional when
    /// such a Deny depends on something undecided (or the Allow does).
    static func judge(
        _ s: PolicyStatement, denies: [PolicyStatement], context: PolicyCondition.Context, account: String?,
        arn: String? = nil
    ) -> AccessDecision.Level {
        let v = s.verdict(in: context)
        guard v != .never else { return .denied }
        var level: AccessDecision.Level = v == .holds ? .allowed : .conditional
        for d in denies where reaches(d, account: account, arn: arn) {
            let dv = d.verdict(in: context)
            guard dv != .never else { continue }
            let covered =
                !s.actions.negated && s.actions.patterns.allSatisfy { d.actions.covers($0) }
                && (s.resources.negated
                    ? d.resources.isEverything : s.resources.patterns.allSatisfy { d.resources.covers($0) })
            guard covered else { continue }
            if dv == .holds { return .denied }
            level = .conditional
        }
        return level
    }

    /// Whether a Deny names the caller: everyone, the caller's whole account (its id or
    /// `:root`), or the caller's own ARN — a Deny on another principal of that account does not
    /// reach it. `NotPrincipal` reaches everyone but the listed, unless one of them is in the
    /// caller's account (then that principal keeps the access). `account` nil is anyone outside.
    static func reaches(_ d: PolicyStatement, account: String?, arn: String? = nil) -> Bool {
        let listed = (d.principals["AWS"] ?? []) + (d.principals["*"] ?? [])
        guard let account else { return d.notPrincipal || listed.contains("*") }
        if d.notPrincipal { return !listed.contains { $0 == account || AWSAccountID.of(arn: $0) == account } }
        return listed.contains { $0 == "*" || $0 == account || $0 == "arn:aws:iam::\(account):root" || $0 == arn }
    }

    /// The service a resource type belongs to (`AWS::S3::Bucket` → `s3`), for RCPs.
    static func service(_ type: String) -> String {
        let parts = type.split(separator: ":", omittingEmptySubsequences: true)
        return parts.count >= 2 ? parts[1].lowercased() : type.lowercased()
    }

    private func publicFinding(
        _ r: ResourcePolicy, statements judged: [(PolicyStatement, Bool)], acl: [(grantee: String, permission: String)],
        classes: [Classification.Prefix]
    ) -> Finding {
        let statements = judged.map(\.0)
        let sure = judged.contains(where: \.1) || !acl.isEmpty
        let actions = statements.map(\.actions.text).uniqued()
        let dataClasses = Set(classes.map(\.dataClass)).sorted()
        let severity: Severity = !sure ? .medium : dataClasses.isEmpty ? .high : .critical
        var chain = statements.map { s in
            "\(Self.kind(r.type)) \(r.bucket ?? r.arn): its policy allows \(s.actions.text) to everyone"
                + (s.isConditional ? " under a condition that does not say who (\(s.condition ?? ""))" : "")
        }
        chain += acl.map { "its ACL grants \($0.permission) to \($0.grantee)" }
        if !dataClasses.isEmpty {
            chain.append(
                "the bucket holds data classified " + dataClasses.joined(separator: ", ") + " ("
                    + classes.map(\.uri).uniqued().joined(separator: ", ") + ")")
        }
        if r.type == "AWS::S3::Bucket" {
            chain.append(
                "S3 Block Public Access does not stop it (RestrictPublicBuckets \(r.restrictPublicBuckets), IgnorePublicAcls \(r.ignorePublicAcls), bucket and account)"
            )
        }
        var details = ["decision": sure ? "allowed" : "conditional", "resource-type": r.type]
        if !actions.isEmpty { details["actions"] = actions.joined(separator: " ") }
        if !acl.isEmpty { details["acl"] = acl.map { "\($0.grantee):\($0.permission)" }.joined(separator: " ") }
        return Finding(
            rule: "aws-resource-public", severity: severity,
            title: "\(Self.kind(r.type)) \(r.bucket ?? r.arn) is open to everyone"
                + (dataClasses.isEmpty ? "" : " and holds \(dataClasses.joined(separator: ", ")) data")
                + (sure ? "" : " (under conditions)"),
            subjects: [], resources: [r.arn],
            evidence: Evidence(
                inventory: cite(statements) + acl.map { "ACL of \(r.arn): \($0.grantee) \($0.permission)" },
                chain: chain, details: details),
            controls: Controls.dataAccess,
            remediation: r.type == "AWS::S3::Bucket"
                ? "Turn on S3 Block Public Access for the account and the bucket; name the principals or the organisation (aws:PrincipalOrgID) in the policy, and remove ACL grants to AllUsers/AuthenticatedUsers."
                : "Name the principals, accounts or the organisation (aws:PrincipalOrgID) in the resource policy instead of *."
        )
    }

    private func externalFinding(
        _ r: ResourcePolicy, external: [(account: String, statement: PolicyStatement, sure: Bool)]
    ) -> Finding {
        let accounts = Set(external.map(\.account)).sorted()
        let statements = external.map(\.statement).uniqued()
        let sure = external.contains(where: \.sure)
        let zone = inv.iam.organization.contains(account: r.account) ? "the organisation" : "account \(r.account)"
        return Finding(
            rule: "aws-resource-external-access", severity: sure ? .medium : .low,
            title: "\(Self.kind(r.type)) \(r.bucket ?? r.arn) grants "
                + (accounts.count == 1 ? "account \(accounts[0])" : "\(accounts.count) accounts") + " outside \(zone)"
                + (sure ? "" : " (under conditions)"),
            subjects: [], resources: [r.arn],
            evidence: Evidence(
                inventory: cite(statements),
                chain: statements.map {
                    "\(r.arn): its policy allows \($0.actions.text) to "
                        + ($0.principals["AWS"] ?? []).joined(separator: ", ")
                }
                    + ["outside \(zone): " + accounts.joined(separator: ", ")],
                details: [
                    "decision": sure ? "allowed" : "conditional", "accounts": accounts.joined(separator: " "),
                    "resource-type": r.type,
                ]),
            controls: Controls.dataAccess,
            remediation:
                "Confirm each account is a known partner; otherwise remove it from the policy, or scope it with aws:PrincipalOrgID or aws:SourceArn."
        )
    }

    /// "S3 bucket", "KMS key"… from the AWS Config type.
    static func kind(_ type: String) -> String {
        switch type {
        case "AWS::S3::Bucket": "S3 bucket"
        case "AWS::KMS::Key": "KMS key"
        case "AWS::SQS::Queue": "SQS queue"
        case "AWS::SNS::Topic": "SNS topic"
        case "AWS::Lambda::Function": "Lambda function"
        case "AWS::SecretsManager::Secret": "secret"
        case "AWS::ECR::Repository": "ECR repository"
        default: type
        }
    }
}
