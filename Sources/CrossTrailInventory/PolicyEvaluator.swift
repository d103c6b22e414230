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
    /// Set when the identity policies allow but the permissions boundary does not.
    public var blockedByBoundary: Bool

    public var reason: String {
        switch level {
        case .denied:
            if blockedByBoundary { return "not allowed by the permissions boundary" }
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

public enum PolicyEvaluator {
    /// Evaluates identity policies (and an optional permissions boundary) the way IAM does
    /// within one account: an explicit Deny wins, then any Allow, else implicit deny.
    ///
    /// `resource` may be a pattern (`arn:aws:s3:::bucket/prefix/*`): an Allow that reaches any
    /// part of it counts (the principal can reach some of that data), while a Deny must cover all
    /// of it. Service control policies, resource policies and session policies are not part of
    /// an inventory export and are not evaluated.
    ///
    /// With `at`, Conditions decidable offline are decided at that time (`PolicyCondition`): a
    /// statement whose condition cannot hold then does not apply, one whose condition holds
    /// applies as if unconditional; the rest stay conditional.
    public static func evaluate(
        _ statements: [PolicyStatement], boundary: [PolicyStatement]? = nil,
        action: IAMPattern, resource: IAMPattern, at time: Timestamp? = nil
    ) -> AccessDecision {
        var decision = evaluateOne(statements, action: action, resource: resource, at: time)
        if let boundary, decision.level > .denied {
            let b = evaluateOne(boundary, action: action, resource: resource, at: time)
            if b.level == .denied {
                decision.level = .denied
                decision.blockedByBoundary = true
                decision.deniedBy += b.deniedBy
            } else if b.level == .conditional {
                decision.level = .conditional
                decision.deniedBy += b.deniedBy
            }
        }
        return decision
    }

    private static func evaluateOne(
        _ statements: [PolicyStatement], action: IAMPattern, resource: IAMPattern, at time: Timestamp?
    ) -> AccessDecision {
        // The matching statements; a condition that cannot hold drops one, one that holds (or no
        // condition) makes it certain. Conditions are judged only for statements that match.
        var allows = [PolicyStatement](), denies = [PolicyStatement]()
        var unconditional = [PolicyStatement](), certainDenies = [PolicyStatement]()
        for s in statements {
            switch s.effect {
            case .deny:
                guard s.actions.covers(action) && s.resources.covers(resource) else { continue }
                let v = s.verdict(at: time)
                if v == .never { continue }
                denies.append(s)
                if v == .holds { certainDenies.append(s) }
            case .allow:
                guard s.actions.overlaps(action) && s.resources.overlaps(resource) else { continue }
                let v = s.verdict(at: time)
                if v == .never { continue }
                allows.append(s)
                if v == .holds { unconditional.append(s) }
            }
        }
        if !certainDenies.isEmpty {
            return AccessDecision(level: .denied, allowedBy: allows, deniedBy: certainDenies, blockedByBoundary: false)
        }
        if allows.isEmpty {
            return AccessDecision(level: .denied, allowedBy: [], deniedBy: [], blockedByBoundary: false)
        }
        if !unconditional.isEmpty && denies.isEmpty {
            return AccessDecision(level: .allowed, allowedBy: unconditional, deniedBy: [], blockedByBoundary: false)
        }
        return AccessDecision(
            level: .conditional, allowedBy: unconditional.isEmpty ? allows : unconditional, deniedBy: denies,
            blockedByBoundary: false)
    }
}
