/// Selects events for a timeline. Cheap checks (time, actor) are split out so readers can
/// apply them before decoding the rest of a record.
public struct EventFilter: Sendable {
    public var since: Timestamp?
    /// Exclusive upper bound.
    public var until: Timestamp?
    /// Case-insensitive glob patterns matched against the actor's key, display name, ARN, email,
    /// session name, principal id and access key id. Any match selects the event.
    public var actors: [Glob] = []
    public var actions: [Glob] = []
    public var services: [Glob] = []
    public var planes: Set<Plane> = []
    public var resources: [Glob] = []
    public var outcomes: Set<OutcomeStatus> = []

    public init() {}

    public var isEmpty: Bool {
        since == nil && until == nil && actors.isEmpty && actions.isEmpty && services.isEmpty
            && planes.isEmpty && resources.isEmpty && outcomes.isEmpty
    }

    @inlinable public func matchesTime(_ t: Timestamp) -> Bool {
        if let since, t < since { return false }
        if let until, !(t < until) { return false }
        return true
    }

    public func matchesPlane(_ p: Plane) -> Bool { planes.isEmpty || planes.contains(p) }

    public func matchesActor(_ a: Actor) -> Bool {
        if actors.isEmpty { return true }
        // A role's name or ARN selects all of its sessions.
        let role = a.sessionIssuer.flatMap { $0.split(separator: "/").last.map(String.init) }
        let fields = [
            a.key, a.displayName, a.arn, a.email, a.sessionName, a.principalId, a.accessKeyId, a.runAs, a.sessionIssuer,
            role,
        ]
        for g in actors {
            for case let f? in fields where g.matches(f) { return true }
        }
        return false
    }

    /// The names a resource answers to: its id, and for ARNs the resource part; for S3 also the
    /// bucket alone (`acme-logs` selects `arn:aws:s3:::acme-logs/2026/...` and `acme-logs/key`).
    public static func names(of id: String) -> [String] {
        var out = [id]
        var rest = Substring(id)
        if id.hasPrefix("arn:") {
            let parts = id.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
            if parts.count == 6 { rest = parts[5]; out.append(String(rest)) }
        }
        if id.hasPrefix("arn:aws:s3:::") || !id.hasPrefix("arn:"), let slash = rest.firstIndex(of: "/") {
            out.append(String(rest[..<slash]))
        }
        return out
    }

    /// The full check.
    public func matches(_ e: AuditEvent) -> Bool {
        matchesTime(e.time) && matchesPlane(e.plane) && matchesActor(e.actor) && matchesRest(e)
    }

    /// Whether any check is left after the cheap ones (time, plane, actor) that readers apply.
    public var hasLateChecks: Bool { !(actions.isEmpty && services.isEmpty && resources.isEmpty && outcomes.isEmpty) }

    /// The checks that need the decoded event (action, service, outcome, resources); readers
    /// have already applied time, plane and actor.
    public func matchesRest(_ e: AuditEvent) -> Bool {
        if !actions.isEmpty,
            !actions.contains(where: { $0.matches(e.action) || $0.matches(e.service + ":" + e.action) })
        {
            return false
        }
        if !services.isEmpty, !services.contains(where: { $0.matches(e.service) }) { return false }
        if !outcomes.isEmpty, !outcomes.contains(e.outcome.status) { return false }
        if !resources.isEmpty,
            !e.resources.contains(where: { r in
                resources.contains { g in EventFilter.names(of: r.id).contains(where: g.matches) }
            })
        {
            return false
        }
        return true
    }
}

/// A case-insensitive shell-style glob (`*`, `?`). A pattern without wildcards matches exactly.
public struct Glob: Sendable, Hashable {
    public let pattern: String
    private let bytes: [UInt8]

    public init(_ pattern: String) {
        self.pattern = pattern
        self.bytes = Array(pattern.lowercased().utf8)
    }

    public func matches(_ text: String) -> Bool {
        matches(lowercasedUTF8: Array(text.lowercased().utf8))
    }

    /// Whether the pattern contains no `*` or `?` (a plain case-insensitive comparison).
    public var isLiteral: Bool { !bytes.contains(UInt8(ascii: "*")) && !bytes.contains(UInt8(ascii: "?")) }

    /// The pattern as a regular expression source (`*` → `.*`, `?` → `.`, everything else literal).
    public static func regexSource(_ pattern: String) -> String {
        var out = ""
        for ch in pattern {
            switch ch {
            case "*": out += ".*"
            case "?": out += "."
            case "\\", "^", "$", ".", "|", "+", "(", ")", "[", "]", "{", "}": out += "\\" + String(ch)
            default: out.append(ch)
            }
        }
        return out
    }

    /// The pattern, lowercased, as bytes.
    public var lowercasedUTF8: [UInt8] { bytes }

    /// Matches text the caller already lowercased (saves a copy when one text meets many patterns).
    public func matches(lowercasedUTF8 t: [UInt8]) -> Bool {
        var p = 0, s = 0, star = -1, mark = 0
        while s < t.count {
            if p < bytes.count, bytes[p] == UInt8(ascii: "?") || bytes[p] == t[s] {
                p += 1; s += 1
            } else if p < bytes.count, bytes[p] == UInt8(ascii: "*") {
                star = p; mark = s; p += 1
            } else if star >= 0 {
                p = star + 1; mark += 1; s = mark
            } else {
                return false
            }
        }
        while p < bytes.count, bytes[p] == UInt8(ascii: "*") { p += 1 }
        return p == bytes.count
    }
}

/// Which optional parts of an event a reader must decode. Outputs and filters that do not need a
/// part let readers skip it (the identity, time, action and outcome are always decoded).
public struct EventDetail: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// userAgent
    public static let userAgent = EventDetail(rawValue: 1 << 0)
    /// vpcEndpointId, tlsVersion
    public static let network = EventDetail(rawValue: 1 << 1)
    /// account, region, workspace
    public static let location = EventDetail(rawValue: 1 << 2)
    /// resources
    public static let resources = EventDetail(rawValue: 1 << 3)
    /// requestParameters (the raw JSON, costly to copy)
    public static let requestParameters = EventDetail(rawValue: 1 << 4)
    /// requestId, eventType, readOnly
    public static let request = EventDetail(rawValue: 1 << 5)

    /// CloudTrail `responseElements` (raw JSON), for rules that read them. Not part of `all`:
    /// no output format carries them, so only analysis passes ask for them.
    public static let responseElements = EventDetail(rawValue: 1 << 6)

    public static let all: EventDetail = [.userAgent, .network, .location, .resources, .requestParameters, .request]
}
