import CrossTrailInventory
import CrossTrailModel

/// Stateful rules that compare with what came before: changes judged against the previous
/// configuration or a settings list, and behaviour judged against the period's first days
/// (`baseline_days`) or the reader's own typical hour. With a case store, the baseline also holds
/// what earlier scans recorded (`BaselineHistory`).
enum BaselineRules {
    static let ids: Set<String> = [
        "s3-cross-account-policy", "ct-data-events-dropped", "dbx-init-script-unapproved",
        "classified-first-access", "dbx-delta-sharing-new-address", "classified-read-spike",
    ]

    static func run(_ obs: Observations, _ graph: IdentityGraph, _ o: StatefulOptions, _ history: BaselineHistory)
        -> [Finding]
    {
        crossAccountPolicies(obs, graph, o) + droppedDataEvents(obs, graph, history)
            + unapprovedInitScripts(obs, graph, o)
            + firstAccess(obs, graph, o, history) + newSharingAddresses(obs, o, history) + readSpikes(obs, graph, o)
    }

    static func subject(_ actor: String, _ graph: IdentityGraph) -> Subject {
        Subject(
            kind: "actor", name: actor, arn: actor.hasPrefix("arn:") ? actor : nil,
            email: actor.contains("@") ? actor : nil, person: graph.person(forKey: actor))
    }

    /// The end of the baseline window (`baseline_days` after the first event seen, in this run or
    /// a recorded one), when this run's events reach past it.
    static func baselineEnd(_ obs: Observations, _ o: StatefulOptions, _ history: BaselineHistory) -> Timestamp? {
        guard let seen = obs.first, let last = obs.last else { return nil }
        let first = min(seen, history.observed?.first ?? seen)
        // Saturating: a huge baseline_days (settings) or a recorded time must not trap.
        let (span, overflow) = Int64(o.baselineDays).multipliedReportingOverflow(by: 86_400_000)
        let end = first.adding(millis: overflow ? .max : span).millis
        return last.millis > end ? Timestamp(millis: end) : nil
    }

    /// True when a pair first seen at `current` in this run is new after `end`: not seen before
    /// `end`, and not first seen in an earlier run (whose scan reported it then). A run that reads
    /// the same files again sees the same first time and reports it again.
    static func firstSeenHere(_ current: Timestamp, recorded: Timestamp?, after end: Timestamp) -> Bool {
        current.millis >= end.millis && current <= (recorded ?? current)
    }

    /// Bucket policies granting access to accounts other than the bucket's and the trusted ones.
    static func crossAccountPolicies(_ obs: Observations, _ graph: IdentityGraph, _ o: StatefulOptions) -> [Finding] {
        obs.changes.filter { $0.key.rule == "s3-cross-account-policy" }.sorted { $0.key < $1.key }.compactMap {
            key, change in
            let accounts = change.values.subtracting(o.trustedAccounts).sorted()
            guard !accounts.isEmpty else { return nil }
            return Finding(
                rule: key.rule, severity: .high,
                title:
                    "Bucket policy on \(key.target) grants access to other AWS account(s) \(accounts.joined(separator: ", "))",
                subjects: [subject(key.actor, graph)], resources: [key.target],
                evidence: Evidence(
                    events: change.sample.sortedIds,
                    details: [
                        "accounts": accounts.joined(separator: ", "),
                        "trusted accounts": o.trustedAccounts.sorted().joined(separator: ", "),
                    ]),
                controls: [
                    ControlRef("SOC 2", "CC6.1"), ControlRef("ISO 27001:2022", "A.8.3"),
                    ControlRef("PCI DSS 4.0", "7.2.1"), ControlRef("NIST 800-53", "AC-3"),
                ],
                remediation:
                    "Confirm each account is a partner that should read this bucket; otherwise remove it from the policy. List known accounts in trusted_accounts.",
                mitre: "T1537", key: "\(key.target)|\(key.actor)")
        }
    }

    /// `PutEventSelectors` calls that stop logging data or management events, each compared with
    /// the trail's previous selectors in the period or, for its first change, as earlier scans
    /// recorded them.
    static func droppedDataEvents(_ obs: Observations, _ graph: IdentityGraph, _ history: BaselineHistory) -> [Finding]
    {
        var out: [Finding] = []
        for (trail, changes) in obs.selectorChanges.sorted(by: { $0.key < $1.key }) {
            let ordered = changes.sorted(by: { ($0.time, $0.eventId) < ($1.time, $1.eventId) })
            // The first change of the run is compared with the selectors recorded before it, if any.
            var before = ordered.first.flatMap { history.selectors(of: trail, before: $0.time) }
            for c in ordered {
                let drops = c.selectors.drops(comparedTo: before)
                before = c.selectors
                guard !drops.isEmpty else { continue }
                out.append(
                    Finding(
                        rule: "ct-data-events-dropped", severity: .high,
                        title:
                            "Trail \(trail) changed by \(graph.person(forKey: c.actor) ?? c.actor): \(drops.joined(separator: "; "))",
                        subjects: [subject(c.actor, graph)], resources: [trail],
                        evidence: Evidence(
                            events: [c.eventId],
                            details: [
                                "changes": drops.joined(separator: "; "),
                                "data selectors after": String(c.selectors.dataSelectors),
                            ]),
                        controls: [
                            ControlRef("SOC 2", "CC7.2"), ControlRef("ISO 27001:2022", "A.8.15"),
                            ControlRef("PCI DSS 4.0", "10.2.1"),
                            ControlRef("NIST 800-53", "AU-12"), ControlRef("NIST 800-53", "AU-9"),
                        ],
                        remediation:
                            "Restore the trail's event selectors (S3 and Lambda data events on classified resources) and find out why they were narrowed.",
                        mitre: "T1562.008", key: "\(trail)|\(c.eventId)"))
            }
        }
        return out
    }

    /// Clusters created or edited with init scripts from DBFS (writable by every workspace user) or
    /// from locations outside `approved_init_script_locations` when that list is set.
    static func unapprovedInitScripts(_ obs: Observations, _ graph: IdentityGraph, _ o: StatefulOptions) -> [Finding] {
        obs.changes.filter { $0.key.rule == "dbx-init-script-unapproved" }.sorted { $0.key < $1.key }.compactMap {
            key, change in
            let bad = change.values.filter { location in
                location.lowercased().hasPrefix("dbfs:")
                    || (!o.approvedInitScripts.isEmpty && !o.approvedInitScripts.contains { $0.matches(location) })
            }.sorted()
            guard !bad.isEmpty else { return nil }
            return Finding(
                rule: key.rule, severity: .medium,
                title:
                    "Cluster \(key.target) set to run init scripts from unapproved locations: \(bad.joined(separator: ", "))",
                subjects: [subject(key.actor, graph)], resources: ["cluster:" + key.target],
                evidence: Evidence(
                    events: change.sample.sortedIds,
                    details: [
                        "locations": bad.joined(separator: ", "),
                        "approved": o.approvedInitScripts.map(\.pattern).joined(separator: ", "),
                    ]),
                controls: [
                    ControlRef("SOC 2", "CC8.1"), ControlRef("ISO 27001:2022", "A.8.19"),
                    ControlRef("PCI DSS 4.0", "6.4.1"), ControlRef("NIST 800-53", "CM-7"),
                ],
                remediation:
                    "Init scripts run as root on every node: keep them in Unity Catalog volumes or workspace files only admins can write, and enforce that with a cluster policy.",
                mitre: nil, key: "\(key.target)|\(key.actor)")
        }
    }

    /// People who first read a classified resource after the baseline window: new readers of
    /// sensitive data are what access reviews ask about.
    static func firstAccess(
        _ obs: Observations, _ graph: IdentityGraph, _ o: StatefulOptions, _ history: BaselineHistory
    ) -> [Finding] {
        guard let end = baselineEnd(obs, o, history) else { return [] }
        var readBefore = Set(history.firstReads.filter { $0.value < end }.map(\.key.a))
        var out: [Finding] = []
        for (resource, readers) in StatefulRules.classifiedReaders(obs, graph).sorted(by: { $0.key < $1.key }) {
            // Only resources read during the baseline: a resource first read later is new itself.
            if readers.values.contains(where: { ($0.sample.first?.millis ?? .max) < end.millis }) {
                readBefore.insert(resource)
            }
            guard readBefore.contains(resource) else { continue }
            for (reader, read) in readers.sorted(by: { $0.key < $1.key }) {
                guard let first = read.sample.first,
                    firstSeenHere(first, recorded: history.firstReads[Observations.Pair(resource, reader)], after: end)
                else { continue }
                out.append(
                    Finding(
                        rule: "classified-first-access", severity: .medium,
                        title:
                            "\(reader) first read \(resource) on \(first.iso8601.prefix(10)), after the \(o.baselineDays)-day baseline",
                        subjects: [
                            Subject(
                                kind: reader.contains("@") ? "person" : "principal", name: reader,
                                arn: reader.hasPrefix("arn:") ? reader : nil,
                                email: reader.contains("@") ? reader : nil, person: reader.contains("@") ? reader : nil)
                        ],
                        resources: [resource],
                        evidence: Evidence(
                            events: read.sample.sortedIds,
                            details: [
                                "reads": String(read.sample.count), "first read": first.iso8601,
                                "baseline ends": end.iso8601, "via": read.via.sorted().joined(separator: "; "),
                            ]),
                        controls: Controls.dataAccess,
                        remediation:
                            "Confirm the new reader needs this data (access review); remove the access path if not.",
                        mitre: "T1530", key: "\(resource)|\(reader)"))
            }
        }
        return out
    }

    /// Delta Sharing recipients querying, and users changing shares or recipients, from addresses
    /// not seen in the baseline window.
    static func newSharingAddresses(_ obs: Observations, _ o: StatefulOptions, _ history: BaselineHistory) -> [Finding]
    {
        guard let end = baselineEnd(obs, o, history) else { return [] }
        var byWho: [String: [(address: String, sample: EventSample)]] = [:]
        for (pair, sample) in obs.sharingAddresses { byWho[pair.a, default: []].append((pair.b, sample)) }
        return byWho.sorted { $0.key < $1.key }.compactMap { who, seen in
            let fresh = seen.filter { s in
                s.sample.first.map {
                    firstSeenHere($0, recorded: history.sharingAddresses[Observations.Pair(who, s.address)], after: end)
                } ?? false
            }.sorted { $0.address < $1.address }
            guard !fresh.isEmpty else { return nil }
            var sample = EventSample()
            for f in fresh { sample.merge(f.sample) }
            let freshAddresses = Set(fresh.map(\.address))
            let known = Set(seen.map(\.address) + history.sharingAddresses.keys.filter { $0.a == who }.map(\.b))
                .subtracting(freshAddresses).count
            return Finding(
                rule: "dbx-delta-sharing-new-address", severity: .medium,
                title: "Delta Sharing by \(who) from new address(es) \(fresh.map(\.address).joined(separator: ", "))",
                subjects: [
                    Subject(
                        kind: who.hasPrefix("recipient:") ? "recipient" : "actor", name: who,
                        email: who.contains("@") ? who : nil)
                ],
                resources: [],
                evidence: Evidence(
                    events: sample.sortedIds,
                    details: [
                        "new addresses": fresh.map(\.address).joined(separator: ", "),
                        "addresses seen in the baseline": String(known), "baseline ends": end.iso8601,
                    ]),
                controls: [
                    ControlRef("SOC 2", "CC6.6"), ControlRef("ISO 27001:2022", "A.5.14"),
                    ControlRef("NIST 800-53", "AC-21"),
                ],
                remediation:
                    "Confirm the recipient's new address belongs to them; restrict recipients with IP access lists and rotate the recipient token if not.",
                mitre: "T1537", key: who)
        }
    }

    /// Hours of classified reads far above the reader's own typical hour.
    static func readSpikes(_ obs: Observations, _ graph: IdentityGraph, _ o: StatefulOptions) -> [Finding] {
        obs.bursts.filter { $0.key.a.hasPrefix("classified-read:") }.sorted { $0.key < $1.key }.compactMap {
            key, hours in
            guard hours.count >= 5 else { return nil }  // too little history for a baseline
            let counts = hours.values.map(\.count).sorted()
            let median = counts[counts.count / 2]
            let threshold = max(o.readSpikeMinimum, o.readSpikeFactor * median)
            let spikes = hours.filter { $0.value.count >= threshold }
            guard let worst = spikes.max(by: { ($0.value.count, $1.key) < ($1.value.count, $0.key) }) else {
                return nil
            }
            let prefix = String(key.a.dropFirst("classified-read:".count))
            let who = key.b.replacingOccurrences(of: "|", with: " / ")
            return Finding(
                rule: "classified-read-spike", severity: .high,
                title:
                    "\(worst.value.count) reads of \(prefix) in one hour by \(graph.person(forKey: key.b) ?? who), \(worst.value.count / max(1, median))× its typical hour",
                subjects: [Subject(kind: "actor", name: who, person: graph.person(forKey: key.b))], resources: [prefix],
                evidence: Evidence(
                    events: worst.value.sortedIds, chain: graph.attributions[key.b]?.chain ?? [],
                    details: [
                        "typical hour (median)": String(median), "hours with reads": String(hours.count),
                        "spike hours": String(spikes.count),
                        "threshold": String(threshold),
                        "worst hour starts": Timestamp(millis: worst.key * 3_600_000).iso8601,
                    ]),
                controls: Controls.dataAccess,
                remediation: "Find out what read that much more than usual and where the data went.",
                mitre: "T1530", key: key.a + "|" + key.b)
        }
    }
}
