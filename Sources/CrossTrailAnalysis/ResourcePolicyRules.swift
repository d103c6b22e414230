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
        let classifiedBuckets = Dictionary(
            grouping: inv.classification.prefixes, by: \.bucket)
        for r in inv.resources.effective {
            // Judged for someone outside: "everyone but the organisation" holds for them.
            let now = PolicyCondition.Context.outsider(at: inv.iam.assessedAt)
            let denies = r.statements.filter {
                $0.effect == .deny && Self.everyone($0) && $0.verdict(in: now) == .holds
            }
            var publicStatements = [PolicyStatement](), external = [(String, PolicyStatement, Bool)]()
            for s in r.statements where s.effect == .allow {
                guard s.verdict(at: inv.iam.assessedAt) != .never else { continue }
                // Every action the statement allows is refused to everyone by a Deny: nothing left.
                if !s.actions.negated
                    && s.actions.patterns.allSatisfy({ a in
                        denies.contains { $0.actions.covers(a) && $0.resources.isEverything }
                    })
                {
                    continue
                }
                if Self.everyone(s) {
                    if !(s.conditionBlock?.narrowsCaller() ?? false) && s.verdict(in: now) != .never {
                        publicStatements.append(s)
                    }
                    continue
                }
                for v in s.principals["AWS"] ?? [] {
                    guard let account = AWSAccountID.isValid(v) ? v : AWSAccountID.of(arn: v),
                        account != r.account, !inv.iam.organization.bothMembers(account, r.account)
                    else { continue }
                    // Judged for a principal of that account.
                    let caller = PolicyCondition.Context(
                        time: inv.iam.assessedAt, principalArn: AWSAccountID.isValid(v) ? nil : v,
                        principalAccount: account)
                    let verdict = s.verdict(in: caller)
                    if verdict != .never { external.append((account, s, verdict == .holds)) }
                }
            }
            let aclGrants = r.ignorePublicAcls ? [] : r.publicGrants
            let classes = r.bucket.map { classifiedBuckets[$0] ?? [] } ?? []
            if (!publicStatements.isEmpty && !r.restrictPublicBuckets) || !aclGrants.isEmpty {
                let statements = r.restrictPublicBuckets ? [] : publicStatements
                out.append(publicFinding(r, statements: statements, acl: aclGrants, classes: classes, now: now))
            }
            if !external.isEmpty {
                out.append(externalFinding(r, external: external))
            }
        }
        return out
    }

    /// Allows (or denies) every principal: `*`, `{"AWS": "*"}`, or `NotPrincipal`.
    static func everyone(_ s: PolicyStatement) -> Bool {
        s.notPrincipal || (s.principals["*"] ?? []).contains("*") || (s.principals["AWS"] ?? []).contains("*")
    }

    private func publicFinding(
        _ r: ResourcePolicy, statements: [PolicyStatement], acl: [(grantee: String, permission: String)],
        classes: [Classification.Prefix], now: PolicyCondition.Context
    ) -> Finding {
        let sure = statements.contains { $0.verdict(in: now) == .holds } || !acl.isEmpty
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
