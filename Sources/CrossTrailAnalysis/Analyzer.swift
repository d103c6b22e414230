import CrossTrailInventory
import CrossTrailModel
import CrossTrailRules
import Foundation

/// What `crosstrail scan` produces.
public struct ScanResult: Sendable {
    /// Most severe first, then by rule and id (deterministic).
    public var findings: [Finding]
    public var flatness: [Flatness]
    public var graph: IdentityGraph
    /// Rules that could not run (usage and event rules without events): their earlier findings stand.
    public var skippedRules: Set<String>
    /// What this run saw that later runs judge against (first reads of classified data, sharing
    /// addresses, trail selectors): a case store records it.
    public var baselineFacts: [BaselineFact]
}

public enum Analyzer {
    /// The stateful detections `scan` runs besides the Sigma rules (Docs/rules.md describes each).
    public static var statefulRuleIDs: [String] { StatefulRules.ids.sorted() }

    /// The permission checks written in Swift (the inventory, and the identity graph across
    /// planes): with the stateful detections and the Sigma rules, every check a scan runs.
    public static let permissionRuleIDs: [String] = [
        "aws-resource-external-access", "aws-resource-public", "cross-plane-instance-profile",
        "dbx-broad-group-data-grant", "dbx-broad-group-manage",
        "dbx-manage-runs-as-admin", "dbx-too-many-admins", "flat-access-classified", "iam-admin-equivalent",
        "iam-broad-wildcard", "iam-credentials-exposure", "iam-data-exfiltration", "iam-infrastructure-modification",
        "iam-permissive-trust",
        "iam-privilege-escalation",
        "iam-resource-exposure", "iam-unused-permissions", "iam-wildcard-on-classified", "uc-all-privileges",
    ]

    /// A title for each built-in check (permission checks and stateful detections), as Sigma
    /// rules have one: what findings formats show as the rule's name (Docs/analysis.md, rules.md).
    public static let builtinTitles: [String: String] = [
        "aws-resource-external-access": "Resource policy grants an account outside the zone of trust",
        "aws-resource-public": "AWS resource open to everyone by its resource policy or ACL",
        "cross-plane-instance-profile": "Workspace principals reach classified S3 data through an instance profile",
        "dbx-broad-group-data-grant": "Everyone holds data privileges on a Unity Catalog securable",
        "dbx-broad-group-manage": "Everyone can manage a workspace object",
        "dbx-manage-runs-as-admin": "Manage rights on a cluster or job that runs as an admin",
        "dbx-too-many-admins": "More workspace admins than allowed",
        "flat-access-classified": "Many can read classified data, few do",
        "iam-admin-equivalent": "IAM principal is administrator-equivalent",
        "iam-broad-wildcard": "IAM principal holds wildcard actions on every resource",
        "iam-privilege-escalation": "IAM privilege-escalation path",
        "iam-data-exfiltration": "IAM principal reads data without a resource constraint",
        "iam-permissive-trust": "IAM role anyone or another account can assume",
        "iam-infrastructure-modification": "IAM principal modifies infrastructure without a resource constraint",
        "iam-credentials-exposure": "IAM principal obtains credentials without a resource constraint",
        "iam-resource-exposure": "IAM principal manages permissions without a resource constraint",
        "iam-unused-permissions": "IAM services granted but unused in the period",
        "iam-wildcard-on-classified": "Wildcard IAM grant reads classified data",
        "uc-all-privileges": "ALL PRIVILEGES on a catalog or schema",
        "classified-first-access": "First read of classified data by an identity",
        "classified-read-off-network": "Classified data read outside the private network",
        "classified-read-outside-allowed": "Classified data read by an identity outside the allowed groups",
        "classified-read-spike": "Spike in reads of classified data",
        "classified-read-volume": "Large volume of classified data read",
        "ct-data-events-dropped": "CloudTrail data events removed from a trail",
        "dbx-delta-sharing-new-address": "Delta Sharing recipient used from a new address",
        "dbx-init-script-unapproved": "Cluster init script outside the approved list",
        "dbx-token-lifetime-above-max": "Databricks token created with a lifetime above the maximum",
        "dbx-uc-denied-burst": "Burst of Unity Catalog permission denials",
        "denied-sensitive-attempts": "Repeated denied attempts at sensitive actions",
        "destruction-burst": "Burst of destructive calls by one identity",
        "ec2-instance-credentials-elsewhere": "EC2 instance credentials used outside the instance",
        "enumeration-burst": "Burst of discovery calls by one identity",
        "s3-cross-account-policy": "S3 bucket policy grants another account",
        "s3-mass-delete": "Mass deletion of S3 objects",
        "secret-read-burst": "Burst of secret reads by one identity",
        "sensitive-data-in-logs": "Secrets or personal data written into audit logs",
        "source-gap": "An audit log source went silent",
    ]

    /// The stateful detections' ATT&CK and Stratus Red Team techniques (for coverage tables).
    public static let statefulCoverage: [(id: String, techniques: [String], stratus: [String])] = [
        (
            "secret-read-burst", ["T1555.006"],
            [
                "aws.credential-access.secretsmanager-retrieve-secrets",
                "aws.credential-access.secretsmanager-batch-retrieve-secrets",
                "aws.credential-access.ssm-retrieve-securestring-parameters",
            ]
        ),
        ("enumeration-burst", ["T1580"], ["aws.discovery.ec2-enumerate-from-instance"]),
        ("destruction-burst", ["T1490"], ["aws.impact.s3-ransomware-batch-deletion"]),
        ("s3-mass-delete", ["T1485"], ["aws.impact.s3-ransomware-individual-deletion"]),
        ("dbx-uc-denied-burst", ["T1526"], []),
        ("ec2-instance-credentials-elsewhere", ["T1552.005"], ["aws.credential-access.ec2-steal-instance-credentials"]),
        ("denied-sensitive-attempts", ["T1078"], []),
        ("classified-read-volume", ["T1530"], []), ("classified-read-off-network", ["T1530"], []),
        ("classified-read-outside-allowed", ["T1530"], []), ("classified-first-access", ["T1530"], []),
        ("classified-read-spike", ["T1530"], []),
        ("source-gap", ["T1562.008"], []),
        ("ct-data-events-dropped", ["T1562.008"], ["aws.defense-evasion.cloudtrail-event-selectors"]),
        ("sensitive-data-in-logs", ["T1552"], []), ("dbx-token-lifetime-above-max", ["T1098.001"], []),
        ("s3-cross-account-policy", ["T1537"], ["aws.exfiltration.s3-backdoor-bucket-policy"]),
        ("dbx-delta-sharing-new-address", ["T1537"], []), ("dbx-init-script-unapproved", ["T1037"], []),
    ]

    /// Runs the identity correlation and the permission rules. Events are optional: without
    /// them, usage-based findings (unused permissions, flat access) are skipped. `history` is what
    /// earlier scans recorded in a case store (see `ScanResult.baselineFacts`).
    public static func scan(
        _ inv: Inventory, _ obs: Observations, rules: RuleSet? = nil, options: AnalysisOptions = AnalysisOptions(),
        history: BaselineHistory = BaselineHistory()
    ) -> ScanResult {
        let graph = IdentityGraph.build(inv, obs)
        var (findings, flat) = PermissionRules(inv: inv, obs: obs, graph: graph, options: options).run()
        if let rules {
            findings +=
                eventFindings(obs, rules, graph) + correlationFindings(obs, rules, graph)
                + regexLimitFindings(rules)
        }
        var stateful = options.stateful
        if let st = rules?.settings.stateful {
            stateful.secretReads = st["secret_read_burst"] ?? stateful.secretReads
            stateful.enumerationCalls = st["enumeration_burst"] ?? stateful.enumerationCalls
            stateful.destructiveDeletes = st["destruction_burst"] ?? stateful.destructiveDeletes
            stateful.s3Deletes = st["s3_mass_delete"] ?? stateful.s3Deletes
            stateful.unityCatalogDenials = st["uc_denied_burst"] ?? stateful.unityCatalogDenials
            stateful.gapHours = st["source_gap_hours"] ?? stateful.gapHours
            stateful.classifiedReadsPerHour = st["classified_reads_per_hour"] ?? stateful.classifiedReadsPerHour
            stateful.maxTokenLifetimeDays = st["max_token_lifetime_days"] ?? stateful.maxTokenLifetimeDays
            stateful.baselineDays = st["baseline_days"] ?? stateful.baselineDays
            stateful.readSpikeFactor = st["read_spike_factor"] ?? stateful.readSpikeFactor
            stateful.readSpikeMinimum = st["read_spike_minimum"] ?? stateful.readSpikeMinimum
        }
        if let lists = rules?.settings.lists {
            stateful.trustedAccounts.formUnion(lists["trusted_accounts"] ?? [])
            stateful.approvedInitScripts += (lists["approved_init_script_locations"] ?? []).map { Glob($0) }
        }
        if obs.events > 0 { findings += StatefulRules.run(obs, inv, graph, stateful, history) }
        // Allowlisted findings stay visible, marked suppressed with the reason.
        if let allow = rules?.settings.allowlist, !allow.isEmpty {
            let today = String(Timestamp(millis: Int64(Date().timeIntervalSince1970 * 1000)).iso8601.prefix(10))
            for i in findings.indices {
                guard let entry = allow.first(where: { $0.covers(findings[i], today: today) }) else { continue }
                findings[i].status = "suppressed"
                findings[i].evidence.details["allowlisted"] =
                    entry.reason + (entry.until.map { " (until \($0))" } ?? "") + " — \(entry.file)"
            }
        }
        var seen = Set<String>()
        let unique = findings.filter { seen.insert($0.id).inserted }
        return ScanResult(
            findings: unique.sorted { a, b in
                if a.severity != b.severity { return a.severity > b.severity }
                if a.rule != b.rule { return a.rule < b.rule }
                return a.id < b.id
            }, flatness: flat, graph: graph,
            skippedRules: obs.events > 0
                ? [] : PermissionRules.usageRules.union(StatefulRules.ids).union(rules?.rules.map(\.id) ?? []),
            baselineFacts: BaselineHistory.facts(obs, graph))
    }
}

extension Analyzer {
    /// Denied attempts at what rules look for, per actor, before they are a finding: one denied call
    /// is noise (a missing permission); repeated ones are someone probing.
    static let attemptThreshold = 5
    /// ...at this many different rules...
    static let attemptRules = 3
    /// ...or this many at one rule...
    static let attemptRepeat = 10
    /// ...within this time (ms).
    static let attemptWindow: Int64 = 3_600_000

    /// How the actor's credentials came to be: the call that issued its temporary key (followed
    /// back through chained role sessions), or the EC2 instance an instance-profile session belongs to.
    static func sessionChain(_ actor: Actor, _ obs: Observations) -> [String] {
        var out = [String]()
        var key = actor.accessKeyId
        var seen = Set<String>()
        while let k = key, !seen.contains(k), out.count < 5, let issue = obs.issuedKeys[k] {
            seen.insert(k)
            out.append("\(k): " + issue.line)
            // The caller was itself a session: follow its key if a record named it.
            key =
                obs.issuedKeys.first {
                    $0.value.role != nil && issue.caller.contains("assumed-role/")
                        && $0.value.sessionName.map { issue.caller.hasSuffix("/" + $0) } == true
                }?.key
        }
        if actor.kind == .assumedRole, let session = actor.sessionName, session.hasPrefix("i-") {
            out.append(
                "instance-profile credentials of EC2 instance \(session)"
                    + (actor.sessionIssuer.map { " (role \($0))" } ?? ""))
        }
        return out
    }

    /// The finding subject for an actor, with the person behind it when known.
    static func subject(_ actor: Actor, person: String?) -> Subject {
        Subject(
            kind: subjectKind(actor), name: actor.displayName, arn: actor.arn, email: actor.email, person: person)
    }

    static func subjectKind(_ actor: Actor) -> String {
        switch actor.kind {
        case .iamUser: return "iamUser"
        case .assumedRole: return "roleSession"
        case .root: return "root"
        case .databricksUser: return "databricksUser"
        case .servicePrincipal: return "servicePrincipal"
        default: return actor.kind.rawValue
        }
    }

    /// One finding per rule and actor, with the matching events, the resources they name, the
    /// values of the rule's `fields` and the person behind the actor. Failed calls the rules would
    /// have matched are attempts: one finding per actor once they repeat.
    static func eventFindings(_ obs: Observations, _ rules: RuleSet, _ graph: IdentityGraph) -> [Finding] {
        let byID = Dictionary(rules.rules.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var findings = [Finding]()
        var attempts = [String: [(SigmaRule, RuleMatcher.Hits)]]()
        for (key, hits) in obs.ruleHits.sorted(by: { $0.key < $1.key }) where !rules.correlationOnly.contains(key.rule)
        {
            guard let rule = byID[key.rule], let actor = hits.actor else { continue }
            if key.attempt {
                attempts[key.actor, default: []].append((rule, hits))
                continue
            }
            let who = graph.attribution(for: actor)
            let sample = hits.sample
            var details = [
                "events": String(sample.count), "first": sample.first?.iso8601 ?? "",
                "last": sample.last?.iso8601 ?? "",
                "rule file": rule.file,
                "outcome": hits.errors.isEmpty
                    ? "succeeded" : "failed (\(hits.errors.sorted().joined(separator: ", ")))",
            ]
            if !rule.metadata.tactics.isEmpty { details["tactics"] = rule.metadata.tactics.joined(separator: ", ") }
            if let who {
                details["person"] =
                    (who.person ?? who.candidates.joined(separator: " or ")) + " (\(who.confidence.rawValue))"
            }
            for (field, values) in hits.values { details[field] = values.sorted().joined(separator: ", ") }
            if !rule.metadata.stratus.isEmpty {
                details["stratus red team"] = rule.metadata.stratus.joined(separator: ", ")
            }
            findings.append(
                Finding(
                    rule: rule.id, severity: rule.severity,
                    title: "\(rule.title): \(actor.displayName)"
                        + (sample.count > 1 ? " (\(sample.count) events)" : ""),
                    subjects: [
                        subject(actor, person: who?.person)
                    ],
                    resources: hits.resources.sorted(),
                    evidence: Evidence(
                        events: sample.sortedIds, chain: sessionChain(actor, obs) + (who?.chain ?? []), details: details
                    ),
                    controls: rule.controls, remediation: rule.remediation, mitre: rule.mitre.first,
                    key: actor.key))
        }
        for (actorKey, list) in attempts.sorted(by: { $0.key < $1.key }) {
            let total = list.map(\.1.sample.count).reduce(0, +)
            // Probing: attempts at several rules, or the same denied action again and again (user data of
            // every instance, every Windows password).
            guard (total >= attemptThreshold && list.count >= attemptRules) || total >= attemptRepeat,
                let actor = list.first?.1.actor
            else { continue }
            var sample = EventSample(capacity: EventSample.findingCap)
            for (_, h) in list { sample.merge(h.sample) }
            guard let first = sample.first, let last = sample.last, last.millis - first.millis <= attemptWindow else {
                continue
            }
            let who = graph.attribution(for: actor)
            let worst = list.map(\.0.severity).max() ?? .low
            let errors = Set(list.flatMap(\.1.errors)).sorted()
            let details = [
                "attempts": String(total),
                "rules": list.map { "\($0.0.id) (\($0.1.sample.count))" }.joined(separator: ", "),
                "errors": errors.joined(separator: ", "), "most severe rule": worst.rawValue,
                "first": sample.first?.iso8601 ?? "", "last": sample.last?.iso8601 ?? "",
            ]
            findings.append(
                Finding(
                    rule: "denied-sensitive-attempts", severity: worst >= .high ? .medium : .low,
                    title:
                        "\(total) denied attempts at sensitive actions by \(actor.displayName) (\(list.map(\.0.id).joined(separator: ", ")))",
                    subjects: [
                        subject(actor, person: who?.person)
                    ],
                    resources: Array(Set(list.flatMap(\.1.resources))).sorted().prefix(RuleMatcher.Hits.valueCap).map {
                        $0
                    },
                    evidence: Evidence(events: sample.sortedIds, chain: who?.chain ?? [], details: details),
                    controls: [ControlRef("SOC 2", "CC7.2"), ControlRef("NIST 800-53", "AC-6(9)")],
                    remediation:
                        "The calls were denied, so nothing changed; find out why this identity tried them (a compromised credential probing its permissions, or a misconfigured job) and whether any similar call succeeded elsewhere.",
                    mitre: list.first?.0.mitre.first, key: actorKey))
        }
        return findings
    }
}

/// One answer to `who-can`: a principal, how sure, and why.
public struct AccessAnswer: Sendable, Hashable, Codable {
    public var plane: String
    public var kind: String
    public var principal: String
    public var decision: String
    public var via: [String]
}

public enum AccessQuery {
    /// Workspace object and securable types a `who-can TYPE:ID` target may name.
    public static let objectTypes: Set<String> = [
        "cluster", "job", "warehouse", "sql-warehouse", "notebook", "directory", "secret-scope", "token",
        "cluster-policy", "pipeline", "repo",
        "catalog", "schema", "table", "volume", "metastore", "external_location", "storage_credential", "instance-pool",
        "experiment",
        "registered-model",
    ]

    /// `who-can TARGET`: an S3 URI (s3:GetObject on its objects), an IAM action on `resource`,
    /// a Unity Catalog table, or TYPE:ID of a workspace object or securable.
    public static func whoCan(target: String, resource: String, _ inv: Inventory) -> [AccessAnswer] {
        let prefix = target.split(separator: ":", maxSplits: 1).first.map { String($0).lowercased() } ?? ""
        if target.hasPrefix("s3://") { return whoCan(action: "s3:GetObject", resource: target, inv) }
        if target.contains(":") && !objectTypes.contains(prefix) {
            return whoCan(action: target, resource: resource, inv)
        }
        return whoCan(securable: target, inv)
    }

    /// Who can perform an IAM action on a resource (ARN or `s3://` URI), on both planes: IAM
    /// principals by policy evaluation, and Databricks principals that reach an allowed role
    /// through an instance profile.
    public static func whoCan(action: String, resource: String, _ inv: Inventory) -> [AccessAnswer] {
        var arn = resource
        if resource.hasPrefix("s3://") {
            let rest = resource.dropFirst(5)
            arn = "arn:aws:s3:::" + rest + (rest.contains("/") ? "" : "/") + (resource.hasSuffix("*") ? "" : "*")
        }
        let rules = PermissionRules(inv: inv, obs: Observations(), graph: IdentityGraph(), options: AnalysisOptions())
        var out = [AccessAnswer]()
        for p in inv.iam.principals {
            let d = inv.evaluate(p, action: action, resource: arn)
            guard d.level > .denied else { continue }
            out.append(
                AccessAnswer(
                    plane: "aws", kind: p.kind.rawValue, principal: p.arn, decision: d.level.name, via: [d.reason]))
            guard p.kind == .role else { continue }
            for ip in p.instanceProfiles {
                for u in rules.instanceProfileUsers(ip) {
                    out.append(
                        AccessAnswer(
                            plane: "databricks", kind: u.principal.kind.rawValue, principal: u.principal.name,
                            decision: d.level.name,
                            via: [u.via, "instance profile \(ip) carries role \(p.name)", d.reason]))
                }
            }
        }
        return out
    }

    /// Who can read a Unity Catalog table, or who holds permissions on a workspace object
    /// (`cluster:<id>`, `job:<id>`, ...) or securable (`catalog:<name>`, `schema:<name>`).
    public static func whoCan(securable: String, _ inv: Inventory) -> [AccessAnswer] {
        let dbx = inv.databricks
        let rules = PermissionRules(inv: inv, obs: Observations(), graph: IdentityGraph(), options: AnalysisOptions())
        let parts = securable.split(separator: ":", maxSplits: 1).map(String.init)
        if parts.count == 2 {
            let (type, id) = (parts[0].lowercased(), parts[1])
            var out = [AccessAnswer]()
            for acl in dbx.acls where acl.objectType == type && acl.objectId == id {
                for e in acl.entries {
                    let reach =
                        e.principalKind == .group
                        ? dbx.members(ofGroup: e.principal) : (dbx.principal(named: e.principal).map { [$0] } ?? [])
                    for p in reach {
                        out.append(
                            AccessAnswer(
                                plane: "databricks", kind: p.kind.rawValue, principal: p.name, decision: e.level,
                                via: [e.principalKind == .group ? "member of \(e.principal)" : "direct grant"]
                                    + (e.inherited ? ["inherited"] : [])))
                    }
                }
            }
            for g in dbx.grants where g.securableType == type && g.securable == id.lowercased() {
                let reach =
                    dbx.principal(named: g.principal).map { $0.kind == .group ? dbx.members(ofGroup: $0.name) : [$0] }
                    ?? (DatabricksInventory.everyoneGroups.contains(g.principal.lowercased())
                        ? dbx.members(ofGroup: g.principal) : [])
                for p in reach {
                    out.append(
                        AccessAnswer(
                            plane: "databricks", kind: p.kind.rawValue, principal: p.name,
                            decision: g.privileges.joined(separator: ","),
                            via: ["grant to \(g.principal)"]))
                }
            }
            return out.sorted { ($0.principal, $0.decision) < ($1.principal, $1.decision) }
        }
        // Column masks and row filters shape what SELECT returns; reading the files bypasses them.
        let protection = rules.ucTable(securable)?.protectionText
        var out = rules.tableReaders(securable.lowercased()).map {
            AccessAnswer(
                plane: "databricks", kind: $0.principal.kind.rawValue, principal: $0.principal.name, decision: "SELECT",
                via: [$0.via]
                    + (protection.map { ["sees what the \($0) allow it (their logic is not evaluated)"] } ?? []))
        }
        // The table's files, read directly through IAM (instance profiles included).
        for prefix in inv.classification.prefixes where prefix.source == "storage of table \(securable.lowercased())" {
            out += whoCan(action: "s3:GetObject", resource: prefix.objectARN, inv).map { a in
                var a = a
                a.via.append(
                    "reads the table's storage \(prefix.uri) directly"
                        + (protection.map { ", past its \($0)" } ?? ""))
                return a
            }
        }
        return out
    }
}
