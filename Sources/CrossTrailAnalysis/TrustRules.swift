import CrossTrailInventory
import CrossTrailModel

extension PermissionRules {
    /// Roles anyone, or another account, may assume: a trust statement allowing `sts:AssumeRole`
    /// to `*` (any AWS principal) or to a foreign account, with no condition naming who may (an
    /// `sts:ExternalId`, organisation, account or ARN condition): high for anyone, medium for
    /// another account, low when another condition applies. Trusting the role's own account
    /// delegates to that account's IAM policies and is not reported (the chains follow it), nor is
    /// another account of the same organisation when an Organizations export lists both.
    func permissiveTrust() -> [Finding] {
        let assume = IAMPattern.action("sts:AssumeRole")
        var out = [Finding]()
        for r in inv.iam.roles.values.sorted(by: { $0.arn < $1.arn }) {
            var anyone = [PolicyStatement](), foreign = [(String, PolicyStatement)]()
            for t in r.trust where t.effect == .allow && !t.notPrincipal && t.actions.overlaps(assume) {
                guard t.verdict(at: inv.iam.assessedAt) != .never, !Self.namesWhoMayAssume(t) else { continue }
                for v in (t.principals["AWS"] ?? []) + (t.principals["*"] ?? []) {
                    if v == "*" {
                        anyone.append(t)
                    } else if let account = (AWSAccountID.isValid(v) ? v : AWSAccountID.of(arn: v)),
                        account != r.account, !inv.iam.organization.bothMembers(account, r.account)
                    {
                        foreign.append((account, t))
                    }
                }
            }
            guard !anyone.isEmpty || !foreign.isEmpty else { continue }
            let statements = anyone + foreign.map(\.1)
            let unconditional = statements.contains { $0.verdict(at: inv.iam.assessedAt) == .holds }
            let who =
                anyone.isEmpty
                ? "account" + (Set(foreign.map(\.0)).count == 1 ? " " : "s ")
                    + Set(foreign.map(\.0)).sorted().joined(separator: ", ")
                : "any AWS principal"
            let severity: Severity = !unconditional ? .low : (anyone.isEmpty ? .medium : .high)
            out.append(
                Finding(
                    rule: "iam-permissive-trust", severity: severity,
                    title: "role \(r.name) can be assumed by \(who)" + (unconditional ? "" : " (under conditions)"),
                    subjects: [subject(r)], resources: [r.arn],
                    evidence: Evidence(
                        inventory: cite(statements),
                        chain: ["trust policy of \(r.name) allows sts:AssumeRole to \(who)"],
                        details: ["decision": unconditional ? "allowed" : "conditional"]),
                    controls: Controls.privilegedAccess,
                    remediation:
                        "Name the principals that need \(r.name) in its trust policy; for other accounts require sts:ExternalId or aws:PrincipalOrgID."
                ))
        }
        return out
    }

    /// A condition that narrows the callers to a known party: an external id (the confused-deputy
    /// protection third parties such as Databricks use), the organisation, accounts or ARNs
    /// (`PolicyCondition.narrowsCaller`).
    static func namesWhoMayAssume(_ t: PolicyStatement) -> Bool {
        // A network is not a party: anyone in it may assume the role (reported, low).
        t.conditionBlock?.narrowsCaller(byNetwork: false) ?? false
    }
}
