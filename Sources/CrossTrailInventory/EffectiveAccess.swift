import CrossTrailModel

extension PolicyStatement {
    /// Whether the statement is for every principal: `*`, `{"AWS": "*"}`, or `NotPrincipal`.
    public var isForEveryone: Bool {
        notPrincipal || (principals["*"] ?? []).contains("*") || (principals["AWS"] ?? []).contains("*")
    }

    /// Whether a resource-policy statement applies to an IAM user or role: every principal, its
    /// own ARN, or (`applyingAccount`) its account — for a Deny, naming the account names all of
    /// its principals; for an Allow, naming the account delegates to its IAM policies and grants
    /// nothing by itself. `NotPrincipal` applies to everyone it does not list by ARN.
    public func applies(to arn: String, account: String, applyingAccount: Bool) -> Bool {
        let listed = (principals["AWS"] ?? []) + (principals["*"] ?? [])
        if notPrincipal { return !listed.contains(arn) }
        if listed.contains("*") || listed.contains(arn) { return true }
        return applyingAccount && listed.contains { $0 == account || $0 == "arn:aws:iam::\(account):root" }
    }
}

extension ResourcePolicies {
    /// The policy of the resource an ARN (or ARN pattern) is in: an S3 object's bucket, or the
    /// resource itself.
    public func policy(covering resource: String) -> ResourcePolicy? {
        if resource.hasPrefix("arn:aws:s3:::") {
            let bucket = resource.dropFirst(13).prefix { $0 != "/" }
            guard !bucket.isEmpty, !bucket.contains("*"), !bucket.contains("?") else { return nil }
            return policy(arn: "arn:aws:s3:::" + bucket)
        }
        return policy(arn: resource)
    }
}

extension Inventory {
    /// What a principal can do to a resource in its own account, with the resource's policy when
    /// the inventory has it: a Deny there that applies to the principal (conditions decided for
    /// it, `aws:PrincipalArn` exceptions included) wins over its IAM policies, and an Allow naming
    /// the principal (or everyone) grants without them, as IAM's same-account evaluation does —
    /// still within the organisation's SCPs (and a role's permissions boundary). Resources in other accounts, or without a policy in
    /// the inventory, are judged on identity policies alone.
    public func evaluate(_ p: IAMPrincipal, action: String, resource: String) -> AccessDecision {
        var d = iam.evaluate(p, action: action, resource: resource)
        guard let rp = resources.policy(covering: resource), rp.account == p.account else { return d }
        let context = iam.context(for: p)
        let a = IAMPattern.action(action), r = IAMPattern.resource(resource)
        var undecidedDeny = false
        for s in rp.statements
        where s.effect == .deny && s.applies(to: p.arn, account: p.account, applyingAccount: true)
            && s.actions.covers(a) && s.resources.covers(r)
        {
            switch s.verdict(in: context) {
            case .holds:
                var denied = AccessDecision(level: .denied, allowedBy: d.allowedBy, deniedBy: [s])
                denied.blockedByName = "the resource policy of \(rp.arn)"
                return denied
            case .unknown:
                undecidedDeny = true
                if d.level == .allowed { d.level = .conditional }
                d.deniedBy.append(s)
            case .never: break
            }
        }
        guard d.level < .allowed, !d.deniedBy.contains(where: { $0.effect == .deny && $0.source.kind != .resource })
        else { return d }
        // Granted by the resource policy itself, within the organisation's SCPs (and, for a
        // role, its permissions boundary: only a grant naming a user is not bounded by one).
        let grants = rp.statements.filter {
            $0.effect == .allow && $0.applies(to: p.arn, account: p.account, applyingAccount: false)
        }
        guard !grants.isEmpty else { return d }
        let g = PolicyEvaluator.evaluate(
            grants, ceilings: iam.ceilings(for: p).filter { p.kind != .user || $0.kind != .boundary }, action: a,
            resource: r, context: context)
        guard g.level > d.level else { return d }
        var granted = g
        granted.deniedBy += d.deniedBy
        // A Deny left undecided still may apply: the grant is no surer than it.
        if undecidedDeny { granted.level = min(granted.level, .conditional) }
        return granted
    }
}
