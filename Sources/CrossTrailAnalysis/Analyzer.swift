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

    /// Runs the identity correlation and the permission rules. Events are optional: without
    /// them, usage-based findings (unused permissions, flat access) are skipped. `history` is what
    /// earlier scans recorded in a case store (see `ScanResult.baselineFacts`).
    public static func scan(_ inv: Inventory, _ obs: Observations, rules: RuleSet? = nil, options: AnalysisOptions = AnalysisOptions(),
                            history: BaselineHistory = BaselineHistory()) -> ScanResult {
        let graph = IdentityGraph.build(inv, obs)
        var (findings, flat) = PermissionRules(inv: inv, obs: obs, graph: graph, options: options).run()
        if let rules { findings += eventFindings(obs, rules, graph) }
        var stateful = options.stateful
        if let st = rules?.settings.stateful {
            stateful.failedLogins = st["failed_login_burst"] ?? stateful.failedLogins
            stateful.secretReads = st["secret_read_burst"] ?? stateful.secretReads
            stateful.gapHours = st["source_gap_hours"] ?? stateful.gapHours
            stateful.computeLaunches = st["compute_launch_burst"] ?? stateful.computeLaunches
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
                findings[i].evidence.details["allowlisted"] = entry.reason + (entry.until.map { " (until \($0))" } ?? "") + " — \(entry.file)"
            }
        }
        var seen = Set<String>()
        let unique = findings.filter { seen.insert($0.id).inserted }
        return ScanResult(findings: unique.sorted { a, b in
            if a.severity != b.severity { return a.severity > b.severity }
            if a.rule != b.rule { return a.rule < b.rule }
            return a.id < b.id
        }, flatness: flat, graph: graph,
           skippedRules: obs.events > 0 ? [] : PermissionRules.usageRules.union(StatefulRules.ids).union(rules?.rules.map(\.id) ?? []),
           baselineFacts: BaselineHistory.facts(obs, graph))
    }
}

extension Analyzer {
    /// One finding per rule and actor, with the matching events and the person behind the actor.
    static func eventFindings(_ obs: Observations, _ rules: RuleSet, _ graph: IdentityGraph) -> [Finding] {
        let byID = Dictionary(rules.rules.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        return obs.ruleHits.sorted { $0.key < $1.key }.compactMap { key, hits in
            guard let rule = byID[key.rule], let actor = hits.actor else { return nil }
            let who = graph.attribution(for: actor)
            let kind: String
            switch actor.kind {
            case .iamUser: kind = "iamUser"
            case .assumedRole: kind = "roleSession"
            case .root: kind = "root"
            case .databricksUser: kind = "databricksUser"
            case .servicePrincipal: kind = "servicePrincipal"
            default: kind = actor.kind.rawValue
            }
            let sample = hits.sample
            var details = ["events": String(sample.count), "first": sample.first?.iso8601 ?? "", "last": sample.last?.iso8601 ?? "",
                           "rule file": rule.file]
            if let who { details["person"] = (who.person ?? who.candidates.joined(separator: " or ")) + " (\(who.confidence.rawValue))" }
            return Finding(
                rule: rule.id, severity: rule.severity,
                title: "\(rule.title): \(actor.displayName)" + (sample.count > 1 ? " (\(sample.count) events)" : ""),
                subjects: [Subject(kind: kind, name: actor.displayName, arn: actor.arn, email: actor.email, person: who?.person)],
                resources: [], evidence: Evidence(events: sample.sortedIds, chain: who?.chain ?? [], details: details),
                controls: rule.controls, remediation: rule.remediation, mitre: rule.mitre.first,
                key: actor.key)
        }
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
            let d = inv.iam.evaluate(p, action: action, resource: arn)
            guard d.level > .denied else { continue }
            out.append(AccessAnswer(plane: "aws", kind: p.kind.rawValue, principal: p.arn, decision: d.level.name, via: [d.reason]))
            guard p.kind == .role else { continue }
            for ip in p.instanceProfiles {
                for u in rules.instanceProfileUsers(ip) {
                    out.append(AccessAnswer(plane: "databricks", kind: u.principal.kind.rawValue, principal: u.principal.name, decision: d.level.name,
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
                    let reach = e.principalKind == .group ? dbx.members(ofGroup: e.principal) : (dbx.principal(named: e.principal).map { [$0] } ?? [])
                    for p in reach {
                        out.append(AccessAnswer(plane: "databricks", kind: p.kind.rawValue, principal: p.name, decision: e.level,
                                                via: [e.principalKind == .group ? "member of \(e.principal)" : "direct grant"] + (e.inherited ? ["inherited"] : [])))
                    }
                }
            }
            for g in dbx.grants where g.securableType == type && g.securable == id.lowercased() {
                let reach = dbx.principal(named: g.principal).map { $0.kind == .group ? dbx.members(ofGroup: $0.name) : [$0] }
                    ?? (DatabricksInventory.everyoneGroups.contains(g.principal.lowercased()) ? dbx.members(ofGroup: g.principal) : [])
                for p in reach {
                    out.append(AccessAnswer(plane: "databricks", kind: p.kind.rawValue, principal: p.name, decision: g.privileges.joined(separator: ","),
                                            via: ["grant to \(g.principal)"]))
                }
            }
            return out.sorted { ($0.principal, $0.decision) < ($1.principal, $1.decision) }
        }
        var out = rules.tableReaders(securable.lowercased()).map {
            AccessAnswer(plane: "databricks", kind: $0.principal.kind.rawValue, principal: $0.principal.name, decision: "SELECT", via: [$0.via])
        }
        // The table's files, read directly through IAM (instance profiles included).
        for prefix in inv.classification.prefixes where prefix.source == "storage of table \(securable.lowercased())" {
            out += whoCan(action: "s3:GetObject", resource: prefix.objectARN, inv).map { a in
                var a = a
                a.via.append("reads the table's storage \(prefix.uri) directly")
                return a
            }
        }
        return out
    }
}
