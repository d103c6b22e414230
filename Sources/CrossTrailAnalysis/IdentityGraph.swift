import CrossTrailInventory
import CrossTrailModel

/// How sure a link between two identities is.
public enum Confidence: String, Sendable, Codable, Comparable {
    /// Stated by an inventory entry or a single event (a tag, a session name, a membership).
    case exact
    /// Inferred from activity in the same time window with one candidate.
    case timeWindow = "time-window"
    /// Several candidates in the window (a shared cluster): listed, not chosen.
    case ambiguous

    var rank: Int { self == .exact ? 0 : self == .timeWindow ? 1 : 2 }
    public static func < (a: Confidence, b: Confidence) -> Bool { a.rank < b.rank }
}

/// Who is who across both planes: identities as nodes, links with evidence and confidence.
public struct IdentityGraph: Sendable {
    public struct Node: Sendable, Hashable, Codable {
        /// `<kind>:<key>`, e.g. `iam-role:arn:aws:iam::1:role/x`, `person:alice@acme.example`.
        public var id: String
        public var kind: String
        public var label: String
    }

    public struct Edge: Sendable, Hashable, Codable {
        public var from: String
        public var to: String
        /// member-of, can-assume, carries-role, may-use-instance-profile, acl:<LEVEL>, uses-instance-profile,
        /// sso-session, runs-on, launched-for, ran-on, uc-credential, same-person.
        public var kind: String
        public var confidence: Confidence
        public var evidence: Evidence
    }

    /// The person an identity's actions are attributed to.
    public struct Attribution: Sendable, Hashable, Codable {
        public var person: String?
        public var candidates: [String]
        public var confidence: Confidence
        public var chain: [String]
        public var events: [String]
    }

    public private(set) var nodes: [String: Node] = [:]
    public private(set) var edges: [Edge] = []
    /// Keyed by `role ARN|session name` for role sessions, by ARN or email otherwise.
    public private(set) var attributions: [String: Attribution] = [:]

    public init() {}

    mutating func add(_ kind: String, _ key: String, label: String? = nil) -> String {
        let id = "\(kind):\(key)"
        if nodes[id] == nil { nodes[id] = Node(id: id, kind: kind, label: label ?? key) }
        return id
    }

    mutating func link(
        _ from: String, _ to: String, _ kind: String, _ confidence: Confidence = .exact,
        _ evidence: Evidence = Evidence()
    ) {
        edges.append(Edge(from: from, to: to, kind: kind, confidence: confidence, evidence: evidence))
    }

    public func edges(of id: String) -> [Edge] {
        edges.filter { $0.from == id || $0.to == id }
    }

    /// Nodes whose key or label matches the text exactly (case-insensitive), else contains it.
    public func find(_ text: String) -> [Node] {
        let t = text.lowercased()
        let all = nodes.values.sorted { $0.id < $1.id }
        let exact = all.filter { $0.label.lowercased() == t || $0.id.lowercased().hasSuffix(":" + t) }
        return exact.isEmpty ? all.filter { $0.id.lowercased().contains(t) } : exact
    }

    /// Attributions that concern a node: its own (role sessions), or those of the sessions that
    /// run on it (EC2 instances) or act as it (roles).
    public func attributions(concerning id: String) -> [Attribution] {
        var keys = [String]()
        if id.hasPrefix("role-session:") { keys.append(String(id.dropFirst("role-session:".count))) }
        for e in edges
        where e.to == id && e.from.hasPrefix("role-session:") && (e.kind == "runs-on" || e.kind == "session-of") {
            keys.append(String(e.from.dropFirst("role-session:".count)))
        }
        return keys.uniqued().compactMap { attributions[$0] }
    }

    /// The person behind a `role ARN|session name` key (or an actor key): the graph's attribution,
    /// else a session name (or key) that is an email, as SSO sessions are named.
    public func person(forKey key: String) -> String? {
        if let p = attributions[key]?.person { return p }
        let tail = key.split(separator: "|").last.map(String.init) ?? key
        return tail.contains("@") && !tail.hasPrefix("arn:") ? tail.lowercased() : nil
    }

    /// The person behind an event's actor, when the chain supports it.
    public func attribution(for a: Actor) -> Attribution? {
        if let email = a.email, a.kind == .databricksUser || a.kind == .assumedRole {
            return Attribution(
                person: email, candidates: [email], confidence: .exact, chain: ["\(a.key) names \(email)"], events: [])
        }
        if a.kind == .assumedRole, let role = a.sessionIssuer, let session = a.sessionName {
            return attributions["\(role)|\(session)"]
        }
        return a.arn.flatMap { attributions[$0] }
    }

    // MARK: building

    public static func build(_ inv: Inventory, _ obs: Observations) -> IdentityGraph {
        var g = IdentityGraph()
        g.addInventory(inv)
        g.addObservations(obs, inv)
        g.edges.sort { ($0.from, $0.to, $0.kind) < ($1.from, $1.to, $1.kind) }
        return g
    }

    private mutating func addInventory(_ inv: Inventory) {
        let iam = inv.iam
        for u in iam.users.values {
            let n = add("iam-user", u.arn, label: u.name)
            for grp in iam.groups(of: u) { link(n, add("iam-group", grp.arn, label: grp.name), "member-of") }
        }
        for r in iam.roles.values {
            let n = add("iam-role", r.arn, label: r.name)
            for ip in r.instanceProfiles { link(add("instance-profile", ip), n, "carries-role") }
            for s in r.trust where s.effect == .allow && !s.notPrincipal {
                for (type, values) in s.principals.sorted(by: { $0.key < $1.key }) {
                    for v in values {
                        let from: String
                        switch type {
                        case "Service": from = add("aws-service", v)
                        case "Federated": from = add("identity-provider", v)
                        case "*": from = add("anyone", v)
                        default:
                            if iam.users[v] != nil {
                                from = add("iam-user", v)
                            } else if iam.roles[v] != nil {
                                from = add("iam-role", v)
                            } else {
                                from = add("aws-principal", v)
                            }
                        }
                        link(
                            from, n, "can-assume", .exact,
                            Evidence(inventory: [
                                "trust policy of \(r.arn)" + (s.isConditional ? " (conditional: \(s.condition!))" : "")
                            ]))
                    }
                }
            }
        }
        let dbx = inv.databricks
        func nodeID(_ p: DatabricksPrincipal) -> String {
            switch p.kind {
            case .user: return add("databricks-user", p.name.lowercased(), label: p.name)
            case .group: return add("databricks-group", p.name)
            case .servicePrincipal: return add("service-principal", p.name, label: p.displayName ?? p.name)
            }
        }
        for p in dbx.principals.values {
            let n = nodeID(p)
            if p.kind == .user {
                for email in ([p.name] + p.emails).map({ $0.lowercased() }).uniqued() where email.contains("@") {
                    link(
                        add("person", email.lowercased()), n, "same-person", .exact,
                        Evidence(inventory: ["SCIM user \(p.id)"]))
                }
            }
            for gid in p.groupIds {
                if let grp = dbx.principals[gid] {
                    link(n, nodeID(grp), "member-of", .exact, Evidence(inventory: ["SCIM \(p.kind.rawValue) \(p.id)"]))
                }
            }
            if p.kind == .group {
                for m in p.memberIds {
                    if let mp = dbx.principals[m], !mp.groupIds.contains(p.id) {
                        link(nodeID(mp), n, "member-of", .exact, Evidence(inventory: ["SCIM group \(p.id)"]))
                    }
                }
            }
            for ip in p.instanceProfiles {
                link(
                    n, add("instance-profile", ip), "may-use-instance-profile", .exact,
                    Evidence(inventory: ["SCIM roles of \(p.name)"]))
            }
        }
        for c in dbx.clusters.values {
            let n = add("cluster", c.id, label: c.name.map { "\($0) (\(c.id))" } ?? c.id)
            if let ip = c.instanceProfileArn {
                link(
                    n, add("instance-profile", ip), "uses-instance-profile", .exact,
                    Evidence(inventory: ["cluster \(c.id) aws_attributes.instance_profile_arn"]))
            }
        }
        for sec in dbx.securables.values.sorted(by: { $0.fullName < $1.fullName }) {
            if let role = sec.roleArn {
                link(
                    add("storage-credential", sec.fullName), add("iam-role", role), "assumes-role", .exact,
                    Evidence(inventory: ["storage credential \(sec.fullName) aws_iam_role.role_arn"]))
            }
            if let cred = sec.credentialName, let url = sec.storageLocation {
                link(
                    add("external-location", sec.fullName, label: "\(sec.fullName) (\(url))"),
                    add("storage-credential", cred), "uses-credential", .exact,
                    Evidence(inventory: ["external location \(sec.fullName)"]))
            }
        }
        for acl in dbx.acls {
            let target = add(acl.objectType, acl.objectId)
            for e in acl.entries {
                let from: String
                switch e.principalKind {
                case .user: from = add("databricks-user", e.principal.lowercased(), label: e.principal)
                case .group: from = add("databricks-group", e.principal)
                case .servicePrincipal: from = add("service-principal", e.principal)
                }
                link(from, target, "acl:\(e.level)", .exact, Evidence(inventory: [acl.source]))
            }
        }
    }

    private mutating func addObservations(_ obs: Observations, _ inv: Inventory) {
        for (pair, sample) in obs.ssoSessions.sorted(by: { $0.key < $1.key }) {
            let person = add("person", pair.b)
            let role = add(
                "iam-role", pair.a,
                label: inv.iam.roles[pair.a]?.name ?? String(pair.a.split(separator: "/").last ?? ""))
            link(
                person, role, "sso-session", .exact,
                Evidence(events: sample.sortedIds, details: ["sessions": String(sample.count)]))
            attributions["\(pair.a)|\(pair.b)"] = Attribution(
                person: pair.b, candidates: [pair.b], confidence: .exact,
                chain: ["role session \(pair.b) of \(pair.a) is named after the person"], events: sample.sortedIds)
        }
        for (pair, sample) in obs.accessKeys.sorted(by: { $0.key < $1.key }) {
            link(
                add("access-key", pair.b),
                add(
                    "iam-user", pair.a,
                    label: inv.iam.users[pair.a]?.name ?? String(pair.a.split(separator: "/").last ?? "")),
                "key-of", .exact, Evidence(events: sample.sortedIds, details: ["calls": String(sample.count)]))
        }
        for l in obs.launches.values.sorted(by: { $0.instanceId < $1.instanceId }) {
            let inst = add("ec2-instance", l.instanceId)
            if let c = l.clusterId {
                link(
                    inst, add("cluster", c), "launched-for", .exact,
                    Evidence(events: [l.eventId], details: ["tag": "ClusterId"]))
            }
            if let ip = l.instanceProfile {
                link(inst, add("instance-profile", ip), "uses-instance-profile", .exact, Evidence(events: [l.eventId]))
            }
        }
        for (c, changes) in obs.clusterChanges.sorted(by: { $0.key < $1.key }) {
            for ch in changes.sorted(by: { $0.time < $1.time }) {
                if let ip = ch.instanceProfile {
                    link(
                        add("cluster", c), add("instance-profile", ip), "uses-instance-profile", .exact,
                        Evidence(events: [ch.eventId], details: ["set by": ch.actor]))
                }
            }
        }
        // Who used each cluster, by hour.
        var usersByCluster = [String: [(user: String, activity: Observations.Activity)]]()
        for (pair, act) in obs.clusterUse.sorted(by: { $0.key < $1.key }) {
            usersByCluster[pair.a, default: []].append((pair.b, act))
            let user = pair.b.contains("@") ? add("databricks-user", pair.b) : add("service-principal", pair.b)
            link(
                user, add("cluster", pair.a), "ran-on", .exact,
                Evidence(events: act.sample.sortedIds, details: ["events": String(act.sample.count)]))
        }
        for (pair, session) in obs.instanceSessions.sorted(by: { $0.key < $1.key }) {
            let role = add("iam-role", pair.a, label: String(pair.a.split(separator: "/").last ?? ""))
            let inst = add("ec2-instance", pair.b)
            let sessionNode = add(
                "role-session", "\(pair.a)|\(pair.b)", label: "\(pair.a.split(separator: "/").last ?? "")/\(pair.b)")
            link(sessionNode, role, "session-of")
            link(
                sessionNode, inst, "runs-on", .exact,
                Evidence(events: session.sample.sortedIds, details: ["calls": String(session.sample.count)]))
            guard let launch = obs.launches[pair.b], let cluster = launch.clusterId else { continue }
            var chain = [
                "session \(pair.b) of \(pair.a) runs on EC2 instance \(pair.b)",
                "instance \(pair.b) was launched for cluster \(cluster) (RunInstances \(launch.eventId), tag ClusterId)",
            ]
            var events = [launch.eventId] + session.sample.sortedIds.prefix(5)
            let config = inv.databricks.clusters[cluster]
            if let single = config?.singleUserName, config?.dataSecurityMode?.uppercased() == "SINGLE_USER" {
                chain.append("cluster \(cluster) is single-user for \(single)")
                attributions["\(pair.a)|\(pair.b)"] = Attribution(
                    person: single.lowercased(), candidates: [single.lowercased()], confidence: .exact, chain: chain,
                    events: events)
                continue
            }
            let active = (usersByCluster[cluster] ?? []).filter { !$0.activity.hours.isDisjoint(with: session.hours) }
            let candidates = active.map(\.user).sorted()
            events += active.flatMap { $0.activity.sample.sortedIds.prefix(3) }
            if candidates.count == 1 {
                chain.append("\(candidates[0]) was the only user active on cluster \(cluster) in the same hours")
                attributions["\(pair.a)|\(pair.b)"] = Attribution(
                    person: candidates[0], candidates: candidates, confidence: .timeWindow, chain: chain, events: events
                )
            } else if !candidates.isEmpty {
                chain.append(
                    "\(candidates.count) users were active on shared cluster \(cluster) in the same hours: \(candidates.joined(separator: ", "))"
                )
                attributions["\(pair.a)|\(pair.b)"] = Attribution(
                    person: nil, candidates: candidates, confidence: .ambiguous, chain: chain, events: events)
            } else if let creator = launch.creator {
                chain.append("no command on the cluster in those hours; the cluster's Creator tag is \(creator)")
                attributions["\(pair.a)|\(pair.b)"] = Attribution(
                    person: nil, candidates: [creator], confidence: .ambiguous, chain: chain, events: events)
            }
        }
        // Unity Catalog: temporary credentials handed to a user, then S3 calls by a role session
        // in the same hour.
        for (pair, act) in obs.roleSessions.sorted(by: { $0.key < $1.key }) where isUCRole(pair.a, inv) {
            let users = obs.ucCredentials.filter { !$0.value.hours.isDisjoint(with: act.hours) }.map(\.key.a)
            let candidates = Array(Set(users)).sorted()
            guard !candidates.isEmpty else { continue }
            let chain = [
                "S3 calls by \(pair.a) session \(pair.b) (a Unity Catalog storage role)",
                "Unity Catalog issued temporary credentials to \(candidates.joined(separator: ", ")) in the same hours",
            ]
            attributions["\(pair.a)|\(pair.b)"] = Attribution(
                person: candidates.count == 1 ? candidates[0] : nil, candidates: candidates,
                confidence: candidates.count == 1 ? .timeWindow : .ambiguous, chain: chain, events: act.sample.sortedIds
            )
            for u in candidates {
                link(
                    add("databricks-user", u), add("iam-role", pair.a), "uc-credential",
                    candidates.count == 1 ? .timeWindow : .ambiguous, Evidence(events: act.sample.sortedIds))
            }
        }
    }

    /// A role Unity Catalog assumes: named by a storage credential, or trusted by Databricks' UC
    /// master role.
    private func isUCRole(_ arn: String, _ inv: Inventory) -> Bool {
        if inv.databricks.securables.values.contains(where: { $0.roleArn == arn }) { return true }
        guard let r = inv.iam.roles[arn] else { return false }
        return r.trust.contains { s in
            s.principals.values.joined().contains { $0.contains("unity-catalog") || $0.contains("UCMasterRole") }
        }
    }
}

extension IdentityGraph {
    /// The attributions in the form the timeline applies to events.
    public var attributionMap: AttributionMap {
        AttributionMap(
            sessions: attributions.mapValues {
                PersonAttribution(email: $0.person, candidates: $0.candidates, confidence: $0.confidence.rawValue)
            })
    }
}
