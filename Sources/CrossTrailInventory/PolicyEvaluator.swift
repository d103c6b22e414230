import CrossTrailModel

/// Whether a principal can perform an action on a resource, by its identity policies alone.
public struct AccessDecision: Sendable, Hashable {
    public enum Level: Int, Sendable, Comparable, Codable {
        case denied = 0
        /// Allowed only when a Condition holds (or an explicit Deny's Condition does not): it
        /// cannot be decided offline and is reported as such, never guessed.
        case conditional = 1
        case allowed = 2

        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }

        public var name: String {
            switch self {
            case .denied: "denied"
            case .conditional: "conditional"
            case .allowed: "allowed"
            }
        }
    }

    public var level: Level
    /// The statements that allow (some of) the request.
    public var allowedBy: [PolicyStatement]
    /// The explicit Deny statements that apply (with or without Conditions).
    public var deniedBy: [PolicyStatement]
    /// Set when the identity policies allow but a ceiling (the permissions boundary, service or
    /// resource control policies) does not: what blocked it.
    public var blockedBy: PolicyCeiling.Kind?
    /// What blocked it, for evidence ("the permissions boundary", "the SCPs attached to ou-…").
    public var blockedByName: String?

    public var blockedByBoundary: Bool { blockedBy == .boundary }

    init(level: Level, allowedBy: [PolicyStatement], deniedBy: [PolicyStatement]) {
        self.level = level
        self.allowedBy = allowedBy
        self.deniedBy = deniedBy
    }

    public var reason: String {
        switch level {
        case .denied:
            if let blockedByName { return "not allowed by \(blockedByName)" }
            if let d = deniedBy.first { return "explicitly denied by \(d.source)" }
            return "no statement allows it (implicit deny)"
        case .conditional:
            if let d = deniedBy.first { return "denied by \(d.source) only when its Condition holds" }
            return "allowed only under a Condition (\(allowedBy.first?.condition ?? "?"))"
        case .allowed:
            return "allowed by " + allowedBy.map(\.source.description).uniqued().joined(separator: "; ")
        }
    }
}

/// A set of policies that bounds what identity policies grant without granting anything: the
/// permissions boundary, the service control policies attached at one level of the organisation
/// (root, an OU, the account), or the resource control policies. An action must be allowed by
/// every ceiling, and a Deny in any of them wins.
public struct PolicyCeiling: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, Codable { case boundary, scp, rcp }

    public var kind: Kind
    /// What it is, for evidence: "the permissions boundary", "the SCPs attached to ou-ab12-x (Workloads)".
    public var name: String
    public var statements: [PolicyStatement]
    /// The services whose actions it bounds (RCPs: the services they support); nil for all.
    public var services: Set<String>?
    /// RCPs: the account whose resources it bounds. A question about any resource (`*`) or about
    /// another account's is not bounded by it.
    public var resourceAccount: String?

    public init(kind: Kind, name: String, statements: [PolicyStatement]) {
        self.kind = kind
        self.name = name
        self.statements = statements
    }

    /// The same ceiling over only the statements `keep` selects (those that can reach an action).
    public func filter(_ keep: (PolicyStatement) -> Bool) -> PolicyCeiling {
        var out = self
        out.statements = statements.filter(keep)
        return out
    }

    /// Whether it bounds the request (a wildcard service may be one of its services).
    func applies(to action: IAMPattern, on resource: IAMPattern) -> Bool {
        if let resourceAccount {
            if resource.isWildcardAll { return false }
            if let other = AWSAccountID.of(arn: resource.text), other != resourceAccount { return false }
        }
        guard let services else { return true }
        let service = action.text.split(separator: ":", maxSplits: 1).first.map { $0.lowercased() } ?? "*"
        return service.contains("*") || service.contains("?") || services.contains(service)
    }
}

public enum PolicyEvaluator {
    /// Evaluates identity policies under their ceilings (permissions boundary, SCPs, RCPs) the
    /// way IAM does within one account: an explicit Deny anywhere wins; then the identity
    /// policies must allow and every ceiling must allow too; else implicit deny.
    ///
    /// `resource` may be a pattern (`arn:aws:s3:::bucket/prefix/*`): an Allow that reaches any
    /// part of it counts (the principal can reach some of that data), while a Deny must cover all
    /// of it. Resource policies and session policies are not evaluated here.
    ///
    /// Conditions decidable offline are decided in `context` (`PolicyCondition`): a statement
    /// whose condition cannot hold then does not apply, one whose condition holds applies as if
    /// unconditional; the rest stay conditional.
    public static func evaluate(
        _ statements: [PolicyStatement], boundary: [PolicyStatement]? = nil, ceilings: [PolicyCeiling] = [],
        action: IAMPattern, resource: IAMPattern, context: PolicyCondition.Context = .init()
    ) -> AccessDecision {
        var decision = evaluateOne(statements, action: action, resource: resource, context: context)
        let all =
            (boundary.map { [PolicyCeiling(kind: .boundary, name: "the permissions boundary", statements: $0)] }
                ?? []) + ceilings
        for ceiling in all where decision.level > .denied && ceiling.applies(to: action, on: resource) {
            let b = evaluateOne(ceiling.statements, action: action, resource: resource, context: context)
            if b.level == .denied {
                decision.level = .denied
                decision.blockedBy = ceiling.kind
                decision.blockedByName = ceiling.name
                decision.deniedBy += b.deniedBy
            } else if b.level == .conditional {
                decision.level = .conditional
                decision.deniedBy += b.deniedBy
            }
        }
        return decision
    }

    /// The same, at `time` with no principal named (tests, trust policies).
    public static func evaluate(
        _ statements: [PolicyStatement], boundary: [PolicyStatement]? = nil,
        action: IAMPattern, resource: IAMPattern, at time: Timestamp?
    ) -> AccessDecision {
        evaluate(statements, boundary: boundary, action: action, resource: resource, context: .init(time: time))
    }

    private static func evaluateOne(
        _ statements: [PolicyStatement], action: IAMPattern, resource: IAMPattern, context: PolicyCondition.Context
    ) -> AccessDecision {
        // The matching statements; a condition that cannot hold drops one, one that holds (or no
        // condition) makes it certain. Conditions are judged only for statements that match.
        var allows = [PolicyStatement](), denies = [PolicyStatement]()
        var unconditional = [PolicyStatement](), certainDenies = [PolicyStatement]()
        for s in statements {
            switch s.effect {
            case .deny:
                guard s.actions.covers(action) && s.resources.covers(resource) else { continue }
                let v = s.verdict(in: context)
                if v == .never { continue }
                denies.append(s)
                if v == .holds { certainDenies.append(s) }
            case .allow:
                guard s.actions.overlaps(action) && s.resources.overlaps(resource) else { continue }
                let v = s.verdict(in: context)
                if v == .never { continue }
                allows.append(s)
                if v == .holds { unconditional.append(s) }
            }
        }
        if !certainDenies.isEmpty {
            return AccessDecision(level: .denied, allowedBy: allows, deniedBy: certainDenies)
        }
        if allows.isEmpty {
            return AccessDecision(level: .denied, allowedBy: [], deniedBy: [])
        }
        if !unconditional.isEmpty && denies.isEmpty {
            return AccessDecision(level: .allowed, allowedBy: unconditional, deniedBy: [])
        }
        return AccessDecision(
            level: .conditional, allowedBy: unconditional.isEmpty ? allows : unconditional, deniedBy: denies)
    }
}
