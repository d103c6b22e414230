import CrossTrailIngest
import CrossTrailInventory
import CrossTrailModel

/// Thresholds of the stateful detections (counts over time rather than single events).
public struct StatefulOptions: Sendable {
    /// Different secrets (or decrypted parameters) read by one actor within a 10-minute window.
    public var secretReads = 10
    /// Different read calls by one actor within 10 minutes, at least five of them denied (enumeration).
    public var enumerationCalls = 20
    /// Different snapshots, images, backups or tables deleted by one actor within 10 minutes.
    public var destructiveDeletes = 10
    /// Object deletions in one actor's 10 minutes (a DeleteObjects call counts as 10).
    public var s3Deletes = 100
    /// Different Unity Catalog requests denied to one principal within an hour.
    public var unityCatalogDenials = 10
    /// Longest lifetime a Databricks token may be created with, in days.
    public var maxTokenLifetimeDays = 90
    /// GetObject calls on one classified prefix by one role session within an hour.
    public var classifiedReadsPerHour = 1000
    /// Hours without events from a source that normally logs every hour.
    public var gapHours = 3
    /// A source "normally logs every hour" when at least this share of its hours have events.
    public var gapCoverage = 0.8
    /// The first days of the period that establish what is normal (first access, new addresses).
    public var baselineDays = 7
    /// An hour of classified reads is a spike at this multiple of the reader's median hour...
    public var readSpikeFactor = 10
    /// ...and at least this many reads.
    public var readSpikeMinimum = 100
    /// AWS accounts (12 digits) bucket policies may grant access to without a finding.
    public var trustedAccounts: Set<String> = []
    /// Globs of init script locations clusters may use (`dbfs:/` locations are always flagged).
    public var approvedInitScripts: [Glob] = []

    public init() {}
}

/// Bursts, silent sources and classified reads outside the allowed groups.
enum StatefulRules {
    static let ids: Set<String> = Set([
        "secret-read-burst", "classified-read-volume",
        "source-gap", "classified-read-outside-allowed",
        "classified-read-off-network", "sensitive-data-in-logs", "dbx-token-lifetime-above-max",
        "denied-sensitive-attempts", "enumeration-burst", "destruction-burst", "s3-mass-delete", "dbx-uc-denied-burst",
        "ec2-instance-credentials-elsewhere",
    ])
    .union(BaselineRules.ids)

    static func run(
        _ obs: Observations, _ inv: Inventory, _ graph: IdentityGraph, _ o: StatefulOptions,
        _ history: BaselineHistory
    ) -> [Finding] {
        bursts(obs, graph, o) + gaps(obs, o) + classifiedOutsideAllowed(obs, inv, graph) + offNetwork(obs, inv, graph)
            + sensitiveInLogs(obs, graph)
            + longLivedTokens(obs, graph, o) + BaselineRules.run(obs, graph, o, history)
            + DistinctBurstRules.run(obs, graph, o)
            + instanceCredentialsElsewhere(obs, graph)
    }

    /// EC2 instance-profile credentials are delivered to one instance and used from its addresses;
    /// the same session seen from two public addresses means they were copied off it (SSRF,
    /// a compromised host) — what GuardDuty calls InstanceCredentialExfiltration.
    static func instanceCredentialsElsewhere(_ obs: Observations, _ graph: IdentityGraph) -> [Finding] {
        obs.instanceAddresses.sorted { $0.key < $1.key }.compactMap { pair, seen in
            // A dual-stack instance calls from one IPv4 and one IPv6 address (a /64 of them): count per family.
            let v4 = Set(seen.addresses.keys.filter { IPAddress($0)?.isIPv4 == true })
            let v6 = Set(
                seen.addresses.keys.compactMap { a -> String? in
                    guard let ip = IPAddress(a), !ip.isIPv4 else { return nil }
                    return ip.bytes.prefix(8).map { String($0) }.joined(separator: ".")
                })
            guard v4.count >= 2 || v6.count >= 2 else { return nil }
            let role = pair.a.split(separator: "/").last.map(String.init) ?? pair.a
            let addresses = seen.addresses.keys.sorted()
            return Finding(
                rule: "ec2-instance-credentials-elsewhere", severity: .high,
                title:
                    "Credentials of instance \(pair.b) (role \(role)) used from \(addresses.count) public addresses: \(addresses.joined(separator: ", "))",
                subjects: [Subject(kind: "roleSession", name: "\(role)/\(pair.b)", arn: pair.a)],
                resources: ["ec2Instance:" + pair.b],
                evidence: Evidence(
                    events: Array(Set(seen.addresses.values)).sorted()
                        + seen.sample.sortedIds.filter { !seen.addresses.values.contains($0) }.prefix(10),
                    details: [
                        "addresses": addresses.joined(separator: ", "),
                        "user agents": seen.userAgents.sorted().joined(separator: " | "),
                        "events": String(seen.sample.count),
                    ]),
                controls: [
                    ControlRef("SOC 2", "CC6.1"), ControlRef("NIST 800-53", "AC-2(12)"),
                    ControlRef("ISO 27001:2022", "A.8.16"),
                ],
                remediation:
                    "Revoke the role's active sessions (an inline deny on aws:TokenIssueTime), require IMDSv2 on the instance, and find how the credentials left it (SSRF, a compromised process).",
                mitre: "T1552.005", key: pair.a + "|" + pair.b)
        }
    }

    /// Databricks tokens created with a lifetime above the maximum (`max_token_lifetime_days`).
    static func longLivedTokens(_ obs: Observations, _ graph: IdentityGraph, _ o: StatefulOptions) -> [Finding] {
        let (product, overflow) = Int64(o.maxTokenLifetimeDays).multipliedReportingOverflow(by: 86_400)
        let limit = overflow ? Int64.max : product
        return obs.tokenLifetimes.sorted { $0.key < $1.key }.compactMap { actor, grants in
            guard grants.longestSeconds > limit else { return nil }
            let days = grants.longestSeconds / 86_400
            return Finding(
                rule: "dbx-token-lifetime-above-max", severity: .medium,
                title:
                    "Databricks token created with a \(days)-day lifetime (maximum \(o.maxTokenLifetimeDays)): \(actor)",
                subjects: [
                    Subject(
                        kind: "databricksUser", name: actor, email: actor.contains("@") ? actor : nil,
                        person: graph.person(forKey: actor))
                ],
                resources: [],
                evidence: Evidence(
                    events: grants.sample.sortedIds,
                    details: [
                        "longest lifetime days": String(days), "tokens": String(grants.sample.count),
                        "maximum days": String(o.maxTokenLifetimeDays),
                    ]),
                controls: [
                    ControlRef("SOC 2", "CC6.1"), ControlRef("ISO 27001:2022", "A.5.17"),
                    ControlRef("PCI DSS 4.0", "8.3.9"), ControlRef("NIST 800-53", "IA-5"),
                ],
                remediation:
                    "Revoke the token, set the workspace's maximum token lifetime (token management), and prefer OAuth for automation.",
                mitre: "T1098.001", key: actor)
        }
    }

    /// What each burst kind is: rule, threshold, window, wording, controls, remediation, technique.
    struct BurstKind {
        var rule: String
        var threshold: Int
        var window: String
        var noun: String
        var controls: [ControlRef]
        var remediation: String
        var mitre: String
    }

    /// Hourly GetObject counts on classified prefixes (the counting detections that Sigma can
    /// say, failed-login-burst and compute-launch-burst, are correlation rules among the built-ins).
    static func kind(_ k: String, _ o: StatefulOptions) -> BurstKind? {
        guard k.hasPrefix("classified-read:") else { return nil }
        return BurstKind(
            rule: "classified-read-volume", threshold: o.classifiedReadsPerHour, window: "one hour",
            noun: "GetObject calls on \(k.dropFirst("classified-read:".count))",
            controls: Controls.dataAccess,
            remediation:
                "Find out what read that much classified data and where it went; bulk reads are how data leaves.",
            mitre: "T1530")
    }

    static func bursts(_ obs: Observations, _ graph: IdentityGraph, _ o: StatefulOptions) -> [Finding] {
        var out = [Finding]()
        for (key, windows) in obs.bursts.sorted(by: { $0.key < $1.key }) {
            guard let k = kind(key.a, o) else { continue }
            let hot = windows.filter { $0.value.count >= k.threshold }
            guard let worst = hot.max(by: { ($0.value.count, $1.key) < ($1.value.count, $0.key) }) else { continue }
            let total = hot.values.map(\.count).reduce(0, +)
            let bucket: Int64 = 3_600_000  // classified reads are counted per hour
            let person = graph.person(forKey: key.b)
            let who = key.b.replacingOccurrences(of: "|", with: " / ")
            out.append(
                Finding(
                    rule: k.rule, severity: .high,
                    title: "\(worst.value.count) \(k.noun) in \(k.window) by \(who)",
                    subjects: [Subject(kind: "actor", name: who, person: person)],
                    resources: k.rule == "classified-read-volume"
                        ? [String(key.a.dropFirst("classified-read:".count))] : [],
                    evidence: Evidence(
                        events: worst.value.sortedIds, chain: graph.attributions[key.b]?.chain ?? [],
                        details: [
                            "windows over threshold": String(hot.count), "events in them": String(total),
                            "threshold": "\(k.threshold) per \(k.window)",
                            "worst window starts": Timestamp(millis: worst.key * bucket).iso8601,
                        ]),
                    controls: k.controls, remediation: k.remediation, mitre: k.mitre, key: key.a + "|" + key.b))
        }
        return out
    }

    static func gaps(_ obs: Observations, _ o: StatefulOptions) -> [Finding] {
        var out = [Finding]()
        for (source, hours) in obs.sourceHours.sorted(by: { $0.key < $1.key }) {
            guard SourceCoverage.logsHourly(hours, coverage: o.gapCoverage), let first = hours.min(),
                let last = hours.max()
            else { continue }
            let coverage = Double(hours.count) / Double(last - first + 1)
            for gap in SourceCoverage.silentHours(
                hours, source: source, from: first, to: last + 1, minHours: o.gapHours)
            {
                out.append(
                    Finding(
                        rule: "source-gap", severity: .medium,
                        title:
                            "No events from \(source) for \(gap.hours) hours (\(Timestamp(millis: gap.start * 3_600_000).iso8601) to \(Timestamp(millis: gap.end * 3_600_000).iso8601))",
                        subjects: [], resources: [source],
                        evidence: Evidence(details: [
                            "hours with events": String(hours.count),
                            "coverage": String((coverage * 100).rounded() / 100),
                            "gap hours": String(gap.hours),
                        ]),
                        controls: [
                            ControlRef("SOC 2", "CC7.2"), ControlRef("ISO 27001:2022", "A.8.15"),
                            ControlRef("PCI DSS 4.0", "10.7.2"),
                            ControlRef("NIST 800-53", "AU-5"),
                        ],
                        remediation:
                            "Find out why the source went silent (logging stopped, delivery failed, export incomplete) and fetch the missing period.",
                        mitre: "T1562.008", key: "\(source)|\(gap.start)"))
            }
        }
        return out
    }

    /// Secrets and personal data found inside request parameters (redacted in every output).
    static func sensitiveInLogs(_ obs: Observations, _ graph: IdentityGraph) -> [Finding] {
        var byActor = [String: [(kind: String, sample: EventSample)]]()
        for (pair, sample) in obs.sensitive { byActor[pair.b, default: []].append((pair.a, sample)) }
        return byActor.sorted { $0.key < $1.key }.map { actor, found in
            let kinds = found.map(\.kind).sorted()
            let secret = kinds.contains { Redactor.secretKinds.contains($0) }
            var sample = EventSample()
            for f in found { sample.merge(f.sample) }
            return Finding(
                rule: "sensitive-data-in-logs", severity: secret ? .high : .medium,
                title: (secret ? "Secrets" : "Personal data")
                    + " (\(kinds.joined(separator: ", "))) in the request parameters of \(actor)'s events",
                subjects: [Subject(kind: "actor", name: actor, person: graph.attributions[actor]?.person)],
                resources: [],
                evidence: Evidence(
                    events: sample.sortedIds,
                    details: [
                        "events": String(sample.count), "kinds": kinds.joined(separator: ", "),
                        "outputs": "redacted as [redacted:<kind>:<keyed hash>]",
                    ]),
                controls: secret
                    ? [
                        ControlRef("SOC 2", "CC6.1"), ControlRef("ISO 27001:2022", "A.5.17"),
                        ControlRef("PCI DSS 4.0", "8.3.2"), ControlRef("NIST 800-53", "IA-5"),
                    ]
                    : [
                        ControlRef("SOC 2", "C1.1"), ControlRef("ISO 27001:2022", "A.5.34"),
                        ControlRef("PCI DSS 4.0", "3.3.1"), ControlRef("HIPAA", "164.312(b)"),
                    ],
                remediation: secret
                    ? "Rotate the exposed credentials now; pass secrets through a secret scope or Secrets Manager, never in parameters or command text."
                    : "Keep personal data out of request parameters and command text (parameterize queries); restrict who can read the audit logs.",
                mitre: secret ? "T1552" : nil, key: actor)
        }
    }

    /// Reads of classified data not through a VPC endpoint or from outside the trusted networks.
    static func offNetwork(_ obs: Observations, _ inv: Inventory, _ graph: IdentityGraph) -> [Finding] {
        obs.classifiedOffNetwork.sorted { $0.key < $1.key }.map { pair, sample in
            let cls = inv.classification.prefixes.first { $0.uri == pair.a }?.dataClass ?? "classified"
            let parts = pair.b.split(separator: "|", maxSplits: 1).map(String.init)
            let who = graph.attributions[pair.b]
            let person = graph.person(forKey: pair.b)
            let shown = parts.count > 1 ? "\(parts[0].split(separator: "/").last ?? "")/\(parts[1])" : parts[0]
            var details = [
                "reads": String(sample.count),
                "trusted networks": inv.classification.trustedNetworks.joined(separator: ", "),
            ]
            if let who {
                details["person"] =
                    (who.person ?? who.candidates.joined(separator: " or ")) + " (\(who.confidence.rawValue))"
            }
            return Finding(
                rule: "classified-read-off-network", severity: ["pii", "pci", "phi"].contains(cls) ? .high : .medium,
                title:
                    "\(cls) data in \(pair.a) read by \(person ?? shown) outside the private network (no VPC endpoint or untrusted address)",
                subjects: [
                    Subject(
                        kind: parts.count > 1 ? "roleSession" : "principal", name: shown,
                        arn: parts[0].hasPrefix("arn:") ? parts[0] : nil, person: person)
                ],
                resources: [pair.a],
                evidence: Evidence(events: sample.sortedIds, chain: who?.chain ?? [], details: details),
                controls: [
                    ControlRef("SOC 2", "CC6.6"), ControlRef("ISO 27001:2022", "A.8.20"),
                    ControlRef("PCI DSS 4.0", "1.4.2"),
                    ControlRef("HIPAA", "164.312(e)(1)"), ControlRef("NIST 800-53", "SC-7"),
                ],
                remediation:
                    "Require the VPC endpoint for the bucket (aws:SourceVpce in the bucket policy) and check where the data went.",
                mitre: "T1530", key: "\(pair.a)|\(pair.b)")
        }
    }

    /// Who read each classified resource, as people where the chain names them: role sessions
    /// (SSO sessions named with an email, instance-profile sessions traced to their user) and
    /// Unity Catalog credentials handed to users. Unnamed readers keep their principal key.
    static func classifiedReaders(_ obs: Observations, _ graph: IdentityGraph) -> [String: [String: (
        sample: EventSample, via: Set<String>
    )]] {
        var out = [String: [String: (sample: EventSample, via: Set<String>)]]()
        func add(_ resource: String, _ who: String, _ via: String, _ s: EventSample) {
            var entry = out[resource, default: [:]][who] ?? (EventSample(), [])
            entry.sample.merge(s)
            entry.via.insert(via)
            out[resource, default: [:]][who] = entry
        }
        for (pair, sample) in obs.classifiedSessions {
            let parts = pair.b.split(separator: "|", maxSplits: 1).map(String.init)
            let session = parts.count > 1 ? parts[1] : ""
            add(
                pair.a, graph.person(forKey: pair.b) ?? parts[0],
                "role session \(parts[0].split(separator: "/").last ?? "")/\(session)", sample)
        }
        for (pair, sample) in obs.classifiedAccess
        where !obs.classifiedSessions.keys.contains(where: { $0.a == pair.a && $0.b.hasPrefix(pair.b + "|") }) {
            add(pair.a, pair.b, pair.a.hasPrefix("table:") ? "Unity Catalog credentials" : "direct", sample)
        }
        return out
    }

    /// Reads of classified data by people outside the groups the classification allows.
    static func classifiedOutsideAllowed(_ obs: Observations, _ inv: Inventory, _ graph: IdentityGraph) -> [Finding] {
        let dbx = inv.databricks
        var out = [Finding]()
        for (resource, readers) in classifiedReaders(obs, graph).sorted(by: { $0.key < $1.key }) {
            let cls: String, allowed: [String]
            if resource.hasPrefix("table:"), let t = inv.classification.classify(table: String(resource.dropFirst(6))) {
                (cls, allowed) = (t.dataClass, t.allowedGroups)
            } else if let p = inv.classification.prefixes.first(where: { $0.uri == resource }) {
                (cls, allowed) = (p.dataClass, p.allowedGroups)
            } else {
                continue
            }
            guard !allowed.isEmpty else { continue }
            for (person, read) in readers.sorted(by: { $0.key < $1.key }) {
                guard let p = dbx.principal(named: person) else { continue }  // unknown people are not judged
                let groups = dbx.groupClosure(of: p).map(\.name)
                guard Set(groups).isDisjoint(with: allowed) else { continue }
                out.append(
                    Finding(
                        rule: "classified-read-outside-allowed",
                        severity: ["pii", "pci", "phi"].contains(cls) ? .high : .medium,
                        title:
                            "\(person) read \(cls) data in \(resource) without being in \(allowed.joined(separator: ", "))",
                        subjects: [Subject(kind: "person", name: person, email: person, person: person)],
                        resources: [resource],
                        evidence: Evidence(
                            events: read.sample.sortedIds,
                            details: [
                                "reads": String(read.sample.count),
                                "via": read.via.sorted().joined(separator: "; "),
                                "groups": groups.joined(separator: ", "),
                            ]),
                        controls: Controls.dataAccess,
                        remediation:
                            "Confirm the need; remove the path that gave access (role, cluster, instance profile, grant) or add the person to an allowed group.",
                        mitre: "T1530", key: "\(resource)|\(person)"))
            }
        }
        return out
    }
}
