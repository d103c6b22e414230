import CrossTrailBase
import CrossTrailIngest
import CrossTrailInventory
import CrossTrailModel
import CrossTrailRules
import Foundation

/// What the analyzer needs from events, gathered in one streaming pass in bounded memory: who
/// used which permissions, who touched classified data, and the events that link identities.
public struct Observations: Sendable {
    public var events = 0
    /// Records not observed because an identical record (same id, time and content) already was:
    /// the same de-duplication the timeline applies, so counts and detections agree with it.
    public var duplicates = 0
    public var first: Timestamp?
    public var last: Timestamp?
    /// Principal key (IAM user/role ARN, Databricks email or `sp:<id>`) → `service:Action` → uses.
    public var usage: [String: [String: Int]] = [:]
    /// Services for which data events (S3 object calls, Lambda invokes...) appear in the input.
    public var dataEventServices: Set<String> = []
    /// (IAM role ARN, email) pairs seen as SSO / federated sessions.
    public var ssoSessions: [Pair: EventSample] = [:]
    /// (IAM user ARN, long-term access key id) pairs seen in events.
    public var accessKeys: [Pair: EventSample] = [:]
    /// EC2 instance id → what launched it (Databricks cluster tags, instance profile).
    public var launches: [String: Launch] = [:]
    /// (role ARN, instance id) → calls made with the instance-profile session.
    public var instanceSessions: [Pair: Session] = [:]
    /// (cluster id, user) → the user's activity on the cluster.
    public var clusterUse: [Pair: Activity] = [:]
    /// cluster id → configuration changes seen in `clusters create/edit` events.
    public var clusterChanges: [String: [ClusterChange]] = [:]
    /// (user, table) → Unity Catalog temporary-credential requests.
    public var ucCredentials: [Pair: Activity] = [:]
    /// (role ARN, session name) → S3 calls by sessions that are not instance sessions, by hour.
    public var roleSessions: [Pair: Activity] = [:]
    /// (classified resource, principal key) → accesses.
    public var classifiedAccess: [Pair: EventSample] = [:]
    /// (classified resource, role session `roleARN|session`) → reads, to name the person behind them.
    public var classifiedSessions: [Pair: EventSample] = [:]
    /// (classified resource, role session or principal) → reads not through a VPC endpoint or
    /// from outside the classification's trusted networks.
    public var classifiedOffNetwork: [Pair: EventSample] = [:]
    /// (kind, actor key) → events per time bucket, for burst detection (failed logins, secret reads).
    public var bursts: [Pair: [Int64: EventSample]] = [:]
    /// (distinct-burst rule, actor key) → window → distinct values (see DistinctBurst).
    public var distinctBursts: [Pair: [Int64: DistinctWindow]] = [:]
    /// (role ARN, instance id) → source addresses the instance's credentials were used from.
    public var instanceAddresses: [Pair: InstanceAddresses] = [:]
    /// Temporary access key id → who obtained it (AssumeRole and friends), to link a session to its issuer.
    public var issuedKeys: [String: KeyIssue] = [:]
    /// (kind of sensitive data, actor key) → events whose request parameters held it.
    public var sensitive: [Pair: EventSample] = [:]
    /// Event source (`aws:<account>:<region>`, `databricks:<workspace>`) → hours with events.
    public var sourceHours: [String: Set<Int64>] = [:]
    /// Event source → day (days since the epoch) → events: the coverage an evidence pack shows.
    public var sourceDays: [String: [Int64: Int]] = [:]
    /// Events of the kinds logging requirements name (PCI DSS 10.2.1.x), as samples with counts.
    public var categories: [AuditCategory: EventSample] = [:]
    /// Actor key → Databricks tokens generated with a lifetime: the longest (seconds) and the events.
    public var tokenLifetimes: [String: TokenGrants] = [:]
    /// Configuration changes judged at the end (bucket policies granting other accounts, cluster
    /// init scripts): what changed, by whom, with the accounts or locations involved.
    public var changes: [ChangeKey: Change] = [:]
    /// Trail → `PutEventSelectors` calls in the period, to compare each with the one before.
    public var selectorChanges: [String: [SelectorChange]] = [:]
    /// (Delta Sharing recipient or actor, source address) → sharing events from it.
    public var sharingAddresses: [Pair: EventSample] = [:]
    /// (rule, actor key) → matching events of the event rules.
    public var ruleHits: [RuleMatcher.Key: RuleMatcher.Hits] = [:]
    /// Matches kept for correlation rules, per correlation and group.
    public var correlationGroups: [RuleMatcher.CorrelationKey: CorrelationGroup] = [:]

    /// Public addresses an instance-profile session was used from (first `cap`), with an event each.
    public struct InstanceAddresses: Sendable, Hashable {
        public static let cap = 16
        public var addresses: [String: String] = [:]
        public var userAgents: Set<String> = []
        public var sample = EventSample()
        mutating func add(_ address: String, _ e: AuditEvent) {
            if addresses[address] == nil, addresses.count < Self.cap { addresses[address] = e.id }
            if let ua = e.userAgent, userAgents.count < Self.cap { userAgents.insert(String(ua.prefix(200))) }
            sample.add(e)
        }
        mutating func merge(_ o: InstanceAddresses) {
            for (a, id) in o.addresses where addresses[a] == nil && addresses.count < Self.cap { addresses[a] = id }
            for ua in o.userAgents where userAgents.count < Self.cap { userAgents.insert(ua) }
            sample.merge(o.sample)
        }
    }

    /// Who obtained a set of temporary credentials.
    public struct KeyIssue: Sendable, Hashable {
        public var action: String
        public var caller: String
        public var role: String?
        public var sessionName: String?
        public var sourceIPAddress: String?
        public var eventId: String
        public var time: Timestamp
        public var line: String {
            "credentials \(action) by \(caller)" + (role.map { " for \($0)" } ?? "")
                + (sessionName.map { " as session \($0)" } ?? "")
                + (sourceIPAddress.map { " from \($0)" } ?? "") + " at \(time.iso8601) (event \(eventId))"
        }
    }

    public struct Pair: Sendable, Hashable, Comparable {
        public var a: String
        public var b: String
        public init(_ a: String, _ b: String) { self.a = a; self.b = b }
        public static func < (x: Pair, y: Pair) -> Bool { (x.a, x.b) < (y.a, y.b) }
    }

    public struct Launch: Sendable, Hashable {
        public var instanceId: String
        public var clusterId: String?
        public var creator: String?
        public var instanceProfile: String?
        public var eventId: String
        public var time: Timestamp
    }

    public struct Session: Sendable, Hashable {
        public var sample = EventSample()
        public var hours: Set<Int64> = []
        /// Classified prefixes read through this session.
        public var classified: Set<String> = []
    }

    public struct Activity: Sendable, Hashable {
        public var sample = EventSample()
        public var hours: Set<Int64> = []
        mutating func add(_ e: AuditEvent) {
            sample.add(e)
            hours.insert(e.time.millis / 3_600_000)
        }
        mutating func merge(_ o: Activity) {
            sample.merge(o.sample)
            hours.formUnion(o.hours)
        }
    }

    public struct TokenGrants: Sendable, Hashable {
        public var longestSeconds: Int64 = 0
        public var sample = EventSample()
        mutating func merge(_ o: TokenGrants) {
            longestSeconds = max(longestSeconds, o.longestSeconds)
            sample.merge(o.sample)
        }
    }

    public struct ClusterChange: Sendable, Hashable {
        public var eventId: String
        public var time: Timestamp
        public var actor: String
        public var action: String
        public var instanceProfile: String?
        public var dataSecurityMode: String?
        public var singleUserName: String?
    }

    public struct ChangeKey: Sendable, Hashable, Comparable {
        public var rule: String
        public var actor: String
        public var target: String
        public static func < (x: ChangeKey, y: ChangeKey) -> Bool {
            (x.rule, x.target, x.actor) < (y.rule, y.target, y.actor)
        }
    }

    public struct Change: Sendable, Hashable {
        public var sample = EventSample()
        /// Accounts granted, or init script locations.
        public var values: Set<String> = []
        mutating func merge(_ o: Change) {
            sample.merge(o.sample)
            values.formUnion(o.values)
        }
    }

    public struct SelectorChange: Sendable, Hashable {
        public var eventId: String
        public var time: Timestamp
        public var actor: String
        var selectors: ChangeChecks.Selectors
    }

    public init() {}

    /// Combines two workers' observations.
    public mutating func merge(_ o: Observations) {
        events += o.events
        duplicates += o.duplicates
        if let f = o.first, first.map({ f < $0 }) ?? true { first = f }
        if let l = o.last, last.map({ $0 < l }) ?? true { last = l }
        for (k, m) in o.usage { usage[k, default: [:]].merge(m, uniquingKeysWith: +) }
        dataEventServices.formUnion(o.dataEventServices)
        for (k, v) in o.ssoSessions { ssoSessions[k, default: EventSample()].merge(v) }
        for (k, v) in o.accessKeys { accessKeys[k, default: EventSample()].merge(v) }
        launches.merge(o.launches) { a, b in a.eventId < b.eventId ? a : b }
        for (k, v) in o.instanceSessions {
            var s = instanceSessions[k] ?? Session()
            s.sample.merge(v.sample)
            s.hours.formUnion(v.hours)
            s.classified.formUnion(v.classified)
            instanceSessions[k] = s
        }
        for (k, v) in o.clusterUse { clusterUse[k, default: Activity()].merge(v) }
        for (k, v) in o.clusterChanges { clusterChanges[k, default: []] += v }
        for (k, v) in o.ucCredentials { ucCredentials[k, default: Activity()].merge(v) }
        for (k, v) in o.roleSessions { roleSessions[k, default: Activity()].merge(v) }
        for (k, v) in o.classifiedAccess { classifiedAccess[k, default: EventSample()].merge(v) }
        for (k, v) in o.ruleHits { ruleHits[k, default: RuleMatcher.Hits()].merge(v) }
        for (k, v) in o.correlationGroups { correlationGroups[k, default: CorrelationGroup()].merge(v) }
        for (k, v) in o.classifiedSessions { classifiedSessions[k, default: EventSample()].merge(v) }
        for (k, v) in o.classifiedOffNetwork { classifiedOffNetwork[k, default: EventSample()].merge(v) }
        for (k, buckets) in o.bursts {
            for (b, v) in buckets { bursts[k, default: [:]][b, default: EventSample()].merge(v) }
        }
        for (k, v) in o.sourceHours { sourceHours[k, default: []].formUnion(v) }
        for (k, v) in o.sourceDays { sourceDays[k, default: [:]].merge(v, uniquingKeysWith: +) }
        for (k, v) in o.categories { categories[k, default: EventSample()].merge(v) }
        for (k, v) in o.tokenLifetimes { tokenLifetimes[k, default: TokenGrants()].merge(v) }
        for (k, v) in o.sensitive { sensitive[k, default: EventSample()].merge(v) }
        for (k, windows) in o.distinctBursts {
            for (b, v) in windows { distinctBursts[k, default: [:]][b, default: DistinctWindow()].merge(v) }
        }
        for (k, v) in o.instanceAddresses { instanceAddresses[k, default: InstanceAddresses()].merge(v) }
        issuedKeys.merge(o.issuedKeys) { a, b in (a.time, a.eventId) <= (b.time, b.eventId) ? a : b }
        for (k, v) in o.changes { changes[k, default: Change()].merge(v) }
        for (k, v) in o.selectorChanges { selectorChanges[k, default: []] += v }
        for (k, v) in o.sharingAddresses { sharingAddresses[k, default: EventSample()].merge(v) }
    }
}

/// The IAM principal an AWS actor acts as: the role for role sessions, else the ARN.
func iamPrincipalKey(_ a: Actor) -> String? {
    if a.kind == .assumedRole { return a.sessionIssuer ?? a.arn }
    return a.arn
}

func principalKey(_ a: Actor) -> String {
    switch a.kind {
    case .databricksUser: return a.email ?? a.key
    case .assumedRole, .iamUser, .root: return iamPrincipalKey(a) ?? a.key
    default: return a.key
    }
}

/// Collects observations from one ingest worker's events. Not shared between threads.
public final class EventObserver: EventSink {
    private var collected = Observations()
    private let classification: Classification
    private let matcher: RuleMatcher?

    /// What this worker saw, rule matches included.
    public var observations: Observations {
        var o = collected
        if let matcher {
            o.ruleHits = matcher.hits
            o.correlationGroups = matcher.correlationGroups
        }
        return o
    }
    private let json = JSONDocumentReader()
    private static let dataEventActions: Set<String> = [
        "GetObject", "PutObject", "DeleteObject", "HeadObject", "CopyObject", "DeleteObjects",
        "GetObjectAcl", "PutObjectAcl", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload",
        "Invoke", "GetItem", "PutItem", "Query", "Scan", "UpdateItem", "DeleteItem", "BatchGetItem", "BatchWriteItem",
    ]

    private let trusted: [IPNetwork]
    /// Delta Sharing shares and recipients created or changed (by workspace users).
    private static let sharingChanges: Set<String> = [
        "createRecipient", "updateRecipient", "rotateRecipientToken", "createShare", "updateShare",
        "updateSharePermissions",
    ]

    /// Shared by the observers of one pass: records already observed.
    private let seen: SeenEvents?

    /// - Parameter seen: the pass's record of what was observed; an identical record seen again
    ///   (a re-delivered file, one event in two exports) is counted in `duplicates`, not observed.
    public init(classification: Classification, rules: RuleSet? = nil, seen: SeenEvents? = nil) {
        self.classification = classification
        self.matcher = rules.map(RuleMatcher.init)
        self.trusted = classification.trustedNetworks.compactMap(IPNetwork.init)
        self.seen = seen
    }

    /// Set while observing an event that touched classified data.
    private var touchedClassified = false

    public func accept(_ e: AuditEvent) {
        if let seen, !seen.firstSight(e) {
            collected.duplicates += 1
            return
        }
        touchedClassified = false
        observe(e, into: &collected)
        for c in AuditCategory.of(e, classified: touchedClassified) {
            collected.categories[c, default: EventSample()].add(e)
        }
        matcher?.evaluate(e)
    }

    private func observe(_ e: AuditEvent, into o: inout Observations) {
        o.events += 1
        if o.first.map({ e.time < $0 }) ?? true { o.first = e.time }
        if o.last.map({ $0 < e.time }) ?? true { o.last = e.time }
        let who = principalKey(e.actor)
        let hour = e.time.millis / 3_600_000
        let source =
            switch e.plane {
            case .aws: "aws:\(e.account ?? "?"):\(e.region ?? "?")"
            case .databricks: "databricks:\(e.workspace ?? "?")"
            }
        o.sourceHours[source, default: []].insert(hour)
        o.sourceDays[source, default: [:]][hour / 24, default: 0] += 1
        if let params = e.requestParameters, let found = Redactor.redact(params) {
            for kind in found.kinds where !Redactor.benignKinds.contains(kind) {
                o.sensitive[.init(kind, e.actor.key), default: EventSample()].add(e)
            }
        }
        var parsed: JSON??
        let params = { () -> JSON? in
            if parsed == nil { parsed = .some(e.requestParameters.flatMap { try? self.json.parse(text: $0) }) }
            return parsed ?? nil
        }
        for kind in DistinctBurst.all {
            guard let values = kind.values(e, params), !values.isEmpty else { continue }
            o.distinctBursts[.init(kind.rule, e.actor.key), default: [:]][
                e.time.millis / kind.window, default: Observations.DistinctWindow()
            ].add(e, values)
        }
        if e.outcome.status != .failure {
            o.usage[who, default: [:]][e.service + ":" + e.action, default: 0] += 1
        }
        if e.plane == .aws {
            observeAWS(e, who: who, into: &o)
        } else {
            observeDatabricks(e, who: who, into: &o)
        }
    }

    private func observeAWS(_ e: AuditEvent, who: String, into o: inout Observations) {
        let a = e.actor
        if Self.dataEventActions.contains(e.action) { o.dataEventServices.insert(e.service) }
        // SSO and federated sessions name the person.
        if a.kind == .assumedRole, let role = a.sessionIssuer,
            let email = a.email ?? a.sessionName.flatMap({ $0.contains("@") ? $0.lowercased() : nil })
        {
            o.ssoSessions[.init(role, email), default: EventSample()].add(e)
        }
        if ["AssumeRoleWithSAML", "AssumeRoleWithWebIdentity"].contains(e.action), let params = e.requestParameters,
            let doc = try? json.parse(text: params), let role = doc["roleArn"]?.string,
            let session = doc["roleSessionName"]?.string, session.contains("@")
        {
            o.ssoSessions[.init(role, session.lowercased()), default: EventSample()].add(e)
        }
        if e.service == "sts", e.outcome.status != .failure, let response = e.responseElements,
            [
                "AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity", "GetSessionToken",
                "GetFederationToken", "AssumeRoot",
            ].contains(e.action),
            let doc = try? json.parse(text: response), let key = doc["credentials"]?["accessKeyId"]?.string
        {
            let params = e.requestParameters.flatMap { try? json.parse(text: $0) }
            let issue = Observations.KeyIssue(
                action: e.action, caller: a.arn ?? a.displayName, role: params?["roleArn"]?.string,
                sessionName: params?["roleSessionName"]?.string ?? params?["name"]?.string,
                sourceIPAddress: e.sourceIPAddress,
                eventId: e.id, time: e.time)
            if let known = o.issuedKeys[key], (known.time, known.eventId) <= (issue.time, issue.eventId) {
            } else {
                o.issuedKeys[key] = issue
            }
        }
        if a.kind == .iamUser, let arn = a.arn, let key = a.accessKeyId, key.hasPrefix("AKIA") {
            o.accessKeys[.init(arn, key), default: EventSample()].add(e)
        }
        if e.action == "RunInstances", e.outcome.status != .failure {
            observeLaunch(e, into: &o)
        }
        if e.outcome.status != .failure, ["PutBucketPolicy", "PutEventSelectors"].contains(e.action),
            let params = e.requestParameters, let doc = try? json.parse(text: params)
        {
            if e.action == "PutBucketPolicy", let policy = doc["bucketPolicy"] {
                let owner = e.account ?? a.accountId
                let foreign = ChangeChecks.grantedAccounts(policy).filter { $0 != owner }
                if !foreign.isEmpty {
                    let key = Observations.ChangeKey(
                        rule: "s3-cross-account-policy", actor: e.actor.key, target: doc["bucketName"]?.string ?? "?")
                    o.changes[key, default: Observations.Change()].sample.add(e)
                    o.changes[key]!.values.formUnion(foreign)
                }
            } else if e.action == "PutEventSelectors" {
                let trail = doc["trailName"]?.string ?? "?"
                o.selectorChanges[trail, default: []].append(
                    Observations.SelectorChange(
                        eventId: e.id, time: e.time, actor: e.actor.key, selectors: ChangeChecks.selectors(doc)))
            }
        }
        // Instance-profile sessions are named after the EC2 instance.
        if a.kind == .assumedRole, let role = a.sessionIssuer, let session = a.sessionName {
            var classified = Set<String>()
            if e.service == "s3" {
                for r in e.resources {
                    guard let (bucket, key) = Self.s3Object(r.id),
                        let p = classification.classify(bucket: bucket, key: key)
                    else { continue }
                    classified.insert(p.uri)
                    touchedClassified = true
                    o.classifiedAccess[.init(p.uri, role), default: EventSample()].add(e)
                    o.classifiedSessions[.init(p.uri, role + "|" + session), default: EventSample()].add(e)
                    if e.action == "GetObject" {
                        o.bursts[.init("classified-read:" + p.uri, role + "|" + session), default: [:]][
                            e.time.millis / 3_600_000, default: EventSample()
                        ].add(e)
                    }
                    if offNetwork(e) {
                        o.classifiedOffNetwork[.init(p.uri, role + "|" + session), default: EventSample()].add(e)
                    }
                }
            }
            if session.hasPrefix("i-"), let ip = e.sourceIPAddress, let addr = IPAddress(ip), !addr.isPrivate,
                !DistinctBurst.byService(e)
            {
                o.instanceAddresses[.init(role, session), default: Observations.InstanceAddresses()].add(ip, e)
            }
            if session.hasPrefix("i-") {
                var s = o.instanceSessions[.init(role, session)] ?? Observations.Session()
                s.sample.add(e)
                s.hours.insert(e.time.millis / 3_600_000)
                s.classified.formUnion(classified)
                o.instanceSessions[.init(role, session)] = s
            } else if e.service == "s3" {
                o.roleSessions[.init(role, session), default: Observations.Activity()].add(e)
            }
        } else if e.service == "s3" {
            for r in e.resources {
                guard let (bucket, key) = Self.s3Object(r.id), let p = classification.classify(bucket: bucket, key: key)
                else { continue }
                touchedClassified = true
                o.classifiedAccess[.init(p.uri, who), default: EventSample()].add(e)
                if offNetwork(e) { o.classifiedOffNetwork[.init(p.uri, who), default: EventSample()].add(e) }
            }
        }
    }

    private func observeLaunch(_ e: AuditEvent, into o: inout Observations) {
        let instances = e.resources.compactMap { r -> String? in
            guard r.type == "AWS::EC2::Instance" else { return nil }
            return r.id.split(separator: "/").last.map(String.init)
        }
        guard !instances.isEmpty else { return }
        var cluster: String?, creator: String?, profile: String?
        if let params = e.requestParameters, let doc = try? json.parse(text: params) {
            profile = doc["iamInstanceProfile"]?["arn"]?.string
            for spec in doc["tagSpecificationSet"]?["items"]?.array ?? [] {
                for tag in spec["tags"]?.array ?? [] {
                    switch tag["key"]?.string {
                    case "ClusterId": cluster = tag["value"]?.string
                    case "Creator": creator = tag["value"]?.string?.lowercased()
                    default: break
                    }
                }
            }
        }
        for id in instances {
            o.launches[id] = Observations.Launch(
                instanceId: id, clusterId: cluster, creator: creator, instanceProfile: profile, eventId: e.id,
                time: e.time)
        }
    }

    private func observeDatabricks(_ e: AuditEvent, who: String, into o: inout Observations) {
        // Token lifetimes (tokens without one are the dbx-token-no-expiry rule's).
        // The API takes a lifetime in seconds; the audit log records the expiry time (epoch ms).
        if e.action == "generateDbToken", e.outcome.status != .failure, let params = e.requestParameters,
            let doc = try? json.parse(text: params),
            let seconds = (doc["lifetimeSeconds"] ?? doc["lifetime_seconds"])?.string.flatMap({ Int64($0) })
                ?? doc["tokenExpirationTime"]?.string.flatMap({ Int64($0) }).flatMap({ expiry in
                    // Checked: the expiry is whatever number the request carried.
                    let (left, overflow) = expiry.subtractingReportingOverflow(e.time.millis)
                    return !overflow && left > 0 ? left / 1000 : nil
                }), seconds > 0
        {
            var grants = o.tokenLifetimes[e.actor.key] ?? Observations.TokenGrants()
            grants.longestSeconds = max(grants.longestSeconds, seconds)
            grants.sample.add(e)
            o.tokenLifetimes[e.actor.key] = grants
        }
        let clusters = e.resources.filter { $0.type == "cluster" }.map(\.id)
        if e.actor.kind == .databricksUser || e.actor.kind == .servicePrincipal {
            for c in clusters where e.action != "list" && e.action != "get" {
                o.clusterUse[.init(c, who), default: Observations.Activity()].add(e)
            }
        }
        // Recipients' access: `unityCatalog` deltaSharing* actions, or the `deltaSharingAccess` service.
        let recipientAccess =
            e.service == "deltaSharingAccess" || (e.service == "unityCatalog" && e.action.hasPrefix("deltaSharing"))
        if recipientAccess || (e.service == "unityCatalog" && Self.sharingChanges.contains(e.action)),
            let address = e.sourceIPAddress, !address.isEmpty
        {
            var recipient = e.actor.key
            if recipientAccess, let params = e.requestParameters, let doc = try? json.parse(text: params),
                let name = (doc["recipient_name"] ?? doc["recipient_id"])?.string
            {
                recipient = "recipient:" + name
            }
            o.sharingAddresses[.init(recipient, address), default: EventSample()].add(e)
        }
        if e.service == "clusters", ["create", "edit"].contains(e.action), let params = e.requestParameters,
            let doc = try? json.parse(text: params)
        {
            let id = doc["cluster_id"]?.string ?? clusters.first ?? doc["cluster_name"]?.string ?? "?"
            let scripts = ChangeChecks.initScripts(doc, reader: json)
            if !scripts.isEmpty {
                let key = Observations.ChangeKey(rule: "dbx-init-script-unapproved", actor: who, target: id)
                o.changes[key, default: Observations.Change()].sample.add(e)
                o.changes[key]!.values.formUnion(scripts)
            }
            o.clusterChanges[id, default: []].append(
                Observations.ClusterChange(
                    eventId: e.id, time: e.time, actor: who, action: e.action,
                    instanceProfile: doc["aws_attributes"]?["instance_profile_arn"]?.string,
                    dataSecurityMode: doc["data_security_mode"]?.string, singleUserName: doc["single_user_name"]?.string
                ))
        }
        if e.service == "unityCatalog", e.action.hasPrefix("generateTemporary"), let params = e.requestParameters,
            let doc = try? json.parse(text: params)
        {
            let table = (doc["table_full_name"] ?? doc["full_name_arg"] ?? doc["table_id"] ?? doc["url"])?.string ?? "?"
            o.ucCredentials[.init(who, table.lowercased()), default: Observations.Activity()].add(e)
            if let t = classification.classify(table: table) {
                touchedClassified = true
                o.classifiedAccess[.init("table:" + t.name, who), default: EventSample()].add(e)
            }
        }
    }

    /// A read of classified data that did not come through a VPC endpoint, or came from an
    /// address outside the trusted networks (when the classification lists them). Calls made
    /// by AWS services on a principal's behalf (no IP address) are not judged.
    private func offNetwork(_ e: AuditEvent) -> Bool {
        guard let ip = e.sourceIPAddress, let addr = IPAddress(ip) else { return false }
        if e.vpcEndpointId == nil { return true }
        return !trusted.isEmpty && !trusted.contains { $0.contains(addr) }
    }

    /// `arn:aws:s3:::bucket/key` → (bucket, key).
    static func s3Object(_ arn: String) -> (String, String)? {
        guard arn.hasPrefix("arn:aws:s3:::") else { return nil }
        let rest = arn.dropFirst("arn:aws:s3:::".count)
        let parts = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
    }
}

/// The records one pass has observed, by id, time and content hash (8 bytes each), in 64 shards
/// with a lock each so workers rarely wait for one another. Exact duplicates carry the same
/// content, so which copy is observed does not change any result.
public final class SeenEvents: Sendable {
    private let shards: [Locked<Set<UInt64>>] = (0..<64).map { _ in Locked([]) }

    public init() {}

    /// True the first time a record with this id, time and content is offered.
    public func firstSight(_ e: AuditEvent) -> Bool {
        var id = e.id
        let key = id.withUTF8 {
            hash64(UnsafeRawBufferPointer($0), seed: UInt64(bitPattern: e.time.millis) ^ e.contentHash)
        }
        return shards[Int(key >> 58)].withLock { $0.insert(key).inserted }
    }
}

/// One observer per ingest worker, merged at the end.
public final class ObserverSet: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [EventObserver] = []
    private let classification: Classification
    private let rules: RuleSet?
    private let seen = SeenEvents()

    public init(classification: Classification, rules: RuleSet? = nil) {
        self.classification = classification
        self.rules = rules
    }

    /// A new observer for a worker (pass as, or inside, an Ingestor sink factory).
    public func makeSink() -> EventObserver {
        let o = EventObserver(classification: classification, rules: rules, seen: seen)
        lock.lock()
        list.append(o)
        lock.unlock()
        return o
    }

    /// What all observers saw. Call after the ingest pass returned.
    public var merged: Observations {
        lock.lock()
        defer { lock.unlock() }
        var out = Observations()
        for o in list { out.merge(o.observations) }
        return out
    }
}

/// Runs the ingest pass with one observer per worker and merges what they saw.
public enum ObservationPass {
    public static func run(
        _ ingestor: Ingestor, files: [Ingestor.InputFile], classification: Classification, rules: RuleSet? = nil,
        progress: IngestProgress? = nil
    ) -> (Observations, IngestStats) {
        let set = ObserverSet(classification: classification, rules: rules)
        var stats = ingestor.run(files: files, progress: progress) { _ in set.makeSink() }
        let obs = set.merged
        stats.countDuplicates(obs.duplicates)
        return (obs, stats)
    }
}
