import ArgumentParser
import CrossTrailAnalysis
import CrossTrailIngest
import CrossTrailInventory
import CrossTrailModel
import CrossTrailRules
import CrossTrailStore
import Foundation

extension Severity: ExpressibleByArgument {}

enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json
}

/// Where permissions and data classes come from.
struct InventoryOptions: ParsableArguments {
    @Option(help: "Inventory directory or file: IAM authorization details, Databricks SCIM, permissions, Unity Catalog grants, clusters, tags (Docs/formats.md); repeatable.")
    var inventory: [String] = []

    @Option(help: "Data classification YAML: S3 prefixes and tables with their class (pii, pci, phi, confidential) and allowed groups.")
    var classification: String?

    var isEmpty: Bool { inventory.isEmpty && classification == nil }

    func load(quiet: Bool) -> (Inventory, [Diagnostic]) {
        let (inv, diags) = Inventory.load(paths: inventory, classificationFile: classification)
        if !quiet {
            var lines = ["crosstrail: inventory \(inv.files.count) file\(inv.files.count == 1 ? "" : "s"): "
                + "\(inv.iam.users.count) IAM users, \(inv.iam.roles.count) roles, \(inv.iam.policies.count) managed policies; "
                + "\(inv.databricks.users.count) Databricks users, \(inv.databricks.groups.count) groups, \(inv.databricks.grants.count) grants, "
                + "\(inv.databricks.acls.count) ACLs, \(inv.databricks.clusters.count) clusters; "
                + "\(inv.classification.prefixes.count) classified prefixes, \(inv.classification.tables.count) classified tables"]
            if !inv.iam.unresolvedPolicies.isEmpty {
                lines.append("  attached policies missing from the export (permissions unknown): " + inv.iam.unresolvedPolicies.sorted().joined(separator: ", "))
            }
            for d in diags.prefix(20) { lines.append("  " + d.description.terminalSafe) }
            if diags.count > 20 { lines.append("  ... \(diags.count - 20) more inventory diagnostics") }
            FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        }
        return (inv, diags)
    }
}

/// Reads event logs for the analysis: one streaming pass, nothing kept but observations.
struct EventInputOptions: ParsableArguments {
    @Option(help: "Only events at or after this time (ISO 8601).")
    var since: String?

    @Option(help: "Only events before this time (ISO 8601).")
    var until: String?

    @Option(help: "Worker threads (default: number of cores).")
    var workers: Int?

    @Option(help: ArgumentHelp(stringLiteral: Shard.help))
    var shard: Shard?

    func validate() throws {
        if let since, Timestamp(iso: since) == nil { throw ValidationError("--since '\(since)' is not an ISO 8601 time (e.g. 2026-08-01T00:00Z)") }
        if let until, Timestamp(iso: until) == nil { throw ValidationError("--until '\(until)' is not an ISO 8601 time") }
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
    }

    /// The ingestor for these options and this run's files (sharded), with discovery diagnostics.
    func prepare(_ paths: [String]) -> (Ingestor, [Ingestor.InputFile], [Diagnostic]) {
        var filter = EventFilter()
        filter.since = since.flatMap { Timestamp(iso: $0) }
        filter.until = until.flatMap { Timestamp(iso: $0) }
        var ingestor = Ingestor(filter: filter)
        ingestor.detail.insert(.responseElements)  // rules read them
        if let workers { ingestor.workers = workers }
        var discovery: [Diagnostic] = []
        var files = Ingestor.discover(paths, diagnostics: &discovery)
        if let shard { files = Ingestor.shard(files, index: shard.index, count: shard.count) }
        return (ingestor, files, discovery)
    }

    /// Runs `pass` with a progress line on a terminal, adds the discovery diagnostics and prints
    /// the summary.
    func reading<R>(_ files: [Ingestor.InputFile], discovery: [Diagnostic], quiet: Bool,
                    _ pass: (IngestProgress) throws -> (R, IngestStats)) rethrows -> (R, IngestStats) {
        let progress = IngestProgress(totalFiles: files.count)
        let reporter = ProgressReporter(progress: progress, enabled: isatty(2) == 1 && !quiet)
        reporter.start()
        defer { reporter.stop() }
        let started = Date()
        var (result, stats) = try pass(progress)
        reporter.stop()
        for d in discovery { stats.add(d) }
        if !quiet { RunSummary.print(stats, elapsed: Date().timeIntervalSince(started), deduplicated: false) }
        return (result, stats)
    }

    func observe(_ paths: [String], classification: Classification, rules: RuleSet? = nil, quiet: Bool) -> (Observations, IngestStats?) {
        guard !paths.isEmpty else { return (Observations(), nil) }
        let (ingestor, files, discovery) = prepare(paths)
        let (obs, stats) = reading(files, discovery: discovery, quiet: quiet) { progress in
            ObservationPass.run(ingestor, files: files, classification: classification, rules: rules, progress: progress)
        }
        return (obs, stats)
    }
}

struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Find flat permissions, admin-equivalent principals, escalation paths and PII exposure across AWS IAM and Databricks.",
        discussion: """
        With --inventory, evaluates IAM policies (explicit Deny,
        NotAction/NotResource, wildcards, groups, permission boundaries; Conditions
        reported as "conditional") and Databricks RBAC (nested groups, ACLs, Unity
        Catalog grants, clusters and instance profiles) against the data
        classification. With log PATHs as well, it correlates identities across both
        planes from the events (SSO sessions, instance-profile sessions → clusters →
        users) and compares granted with used permissions for the period. With
        --store, it remembers ingested files, findings (new, open, resolved, reopened,
        suppressed) and what is normal (who read classified data, sharing addresses,
        trail selectors), so an hourly --since-last run judges its new events against
        everything earlier runs saw.

        Examples:
          crosstrail scan --inventory Samples/inventory
          crosstrail scan Samples/logs --inventory Samples/inventory --format json \\
              > findings.json
          crosstrail scan ./logs --inventory ./inventory \\
              --classification classes.yaml --fail-on high
          crosstrail scan ./logs --inventory ./inventory --store case.db \\
              --since-last --fail-on high

        Exit codes: 0 no finding at or above --fail-on, 1 findings at or above
        --fail-on, 2 usage error, 3 input diagnostics under --strict.
        """
    )

    @Argument(help: "Audit log files or directories (optional).")
    var paths: [String] = []

    @OptionGroup var inventory: InventoryOptions
    @OptionGroup var events: EventInputOptions

    @Option(help: "Output: table (default on a terminal) or json.")
    var format: ReportFormat?

    @Option(name: [.short, .long], help: "Write the findings to this file instead of standard output.")
    var output: String?

    @Option(help: "Exit with status 1 when a finding is at or above this severity: info, low, medium, high, critical.")
    var failOn: Severity?

    @Option(help: "Report only findings at or above this severity.")
    var minSeverity: Severity = .info

    @Flag(help: "Exit with status 3 when any input diagnostic was reported.")
    var strict = false

    @Flag(name: .shortAndLong, help: "Do not print the run summary.")
    var quiet = false

    @OptionGroup var store: StoreOptions

    @Option(help: "Directory of Sigma rules (YAML) to run on the events besides the built-in ones; repeatable.")
    var rules: [String] = []

    @Flag(help: "Also run the change-monitoring rules (CIS AWS Foundations metric filters, security-relevant changes): informational findings for every such change.")
    var monitoring = false

    @Flag(help: "With --store: read only files that are new or changed since they were stored (events of other files are not re-read).")
    var sinceLast = false

    func validate() throws {
        if paths.isEmpty && inventory.isEmpty {
            throw ValidationError("give log PATHs, --inventory DIR, or both")
        }
        if sinceLast && store.store == nil { throw ValidationError("--since-last needs --store") }
        if store.store != nil && paths.contains("-") { throw ValidationError("--store cannot record standard input; save it to a file") }
        // The store is read and written: no input may be it, and the findings may not replace it.
        let inputs: [String?] = paths + inventory.inventory + [inventory.classification] + rules
        try refuseOverlaps([("--store", store.store)], inputs: inputs)
        try refuseOverlaps([("--output", output)], inputs: inputs + [store.store])
    }

    func run() throws {
        try requireReadableInputs(paths)
        let (inv, invDiags) = inventory.load(quiet: quiet || inventory.isEmpty)
        let ruleSet = RuleSet.load(directories: rules, monitoring: monitoring)
        // Without its rules a scan would report nothing and look clean: refuse instead.
        if let missing = ruleSet.missingBuiltins { throw missing }
        if !quiet && !ruleSet.errors.isEmpty {
            let lines = ruleSet.errors.prefix(20).map { "  rule error: " + $0.description.terminalSafe }
                + (ruleSet.errors.count > 20 ? ["  ... \(ruleSet.errors.count - 20) more rule errors (crosstrail rules test)"] : [])
            FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        }
        var obs: Observations, stats: IngestStats?
        var caseStore: (store: CaseStore, run: Int64)?
        var added = 0
        if let path = store.store {
            let opened = try open(path, lockTimeout: store.lockTimeout)
            let run = try opened.beginRun(command: "scan " + CommandLine.arguments.dropFirst(2).joined(separator: " "))
            caseStore = (opened, run)
            let stored = try events.observeAndStore(paths, classification: inv.classification, rules: ruleSet, store: opened, run: run,
                                                    sinceLast: sinceLast, quiet: quiet)
            (obs, stats, added) = (stored.0, stored.1, stored.added)
        } else {
            (obs, stats) = events.observe(paths, classification: inv.classification, rules: ruleSet, quiet: quiet)
        }
        // With a store, the baseline rules also judge against what earlier scans recorded.
        let history = try caseStore.map { BaselineHistory(facts: try $0.store.baselineFacts()) } ?? BaselineHistory()
        var result = Analyzer.scan(inv, obs, rules: ruleSet, history: history)
        var resolved = [Finding]()
        if let (s, run) = caseStore {
            try s.recordBaseline(result.baselineFacts, run: run)
            // The whole set is recorded; --min-severity only narrows what is shown.
            let reconciled = try s.reconcile(result.findings, run: run, notEvaluated: result.skippedRules)
            result.findings = reconciled.current
            resolved = reconciled.resolved.filter { $0.severity >= minSeverity }
            try s.replaceGraph(nodes: result.graph.nodes.values.sorted { $0.id < $1.id }.map { .init(id: $0.id, kind: $0.kind, label: $0.label) },
                               links: try result.graph.edges.map { e in
                                   .init(source: e.from, target: e.to, kind: e.kind, confidence: e.confidence.rawValue,
                                         evidenceJSON: String(decoding: try JSONEncoder().encode(e.evidence), as: UTF8.self))
                               }, run: run)
            try s.finishRun(run, filesRead: stats?.files ?? 0, eventsAdded: added, findings: result.findings.count)
        }
        result.findings = result.findings.filter { $0.severity >= minSeverity }
        let fmt = format ?? (output == nil && isatty(1) == 1 ? .table : .json)
        let out = try TextOutput(path: output)
        switch fmt {
        case .json: try FindingsJSON.write(result, resolved: resolved, inventory: inv, events: obs.events, to: out.write)
        case .table: FindingsTable.render(result, resolved: resolved, to: out)
        }
        try out.finish()
        if !quiet {
            var counts = [String]()
            for s in Severity.allCases.reversed() {
                let n = result.findings.filter { $0.severity == s }.count
                if n > 0 { counts.append("\(n) \(s.rawValue)") }
            }
            var line = "crosstrail: \(result.findings.count) finding\(result.findings.count == 1 ? "" : "s")"
                + (counts.isEmpty ? "" : " (" + counts.joined(separator: ", ") + ")")
            if caseStore != nil {
                let by = Dictionary(grouping: result.findings + resolved, by: { $0.status ?? "" })
                line += "; " + FindingStatus.allCases.map { "\(by[$0.rawValue]?.count ?? 0) \($0.rawValue)" }.joined(separator: ", ")
            }
            line += "; identity graph \(result.graph.nodes.count) nodes, \(result.graph.edges.count) links\n"
            FileHandle.standardError.write(Data(line.utf8))
        }
        if strict && (!invDiags.isEmpty || !ruleSet.errors.isEmpty || (stats?.diagnosticsTotal ?? 0) > 0) { throw ExitCode(3) }
        // With a store, suppressed findings never fail the job.
        if let failOn, result.findings.contains(where: { $0.severity >= failOn && $0.status != FindingStatus.suppressed.rawValue }) {
            throw ExitCode(1)
        }
    }
}

struct WhoCanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "who-can",
        abstract: "Who can perform an action or reach a securable, on both planes, and why.",
        discussion: """
        TARGET is one of:
          an IAM action (s3:GetObject, iam:PassRole) with --resource ARN (default *);
          an S3 URI (s3://bucket/prefix/): s3:GetObject on the objects under it;
          a Unity Catalog table (main.sales.customers): SELECT through grants,
            ownership, and its storage;
          TYPE:ID for a workspace object or securable: cluster:0801-093000-shared01,
            job:42, catalog:main.

        Examples:
          crosstrail who-can s3://acme-pii-customers/ --inventory Samples/inventory
          crosstrail who-can iam:PassRole \\
              --resource 'arn:aws:iam::111122223333:role/*' \\
              --inventory Samples/inventory
          crosstrail who-can cluster:0801-093000-shared01 \\
              --inventory Samples/inventory
        """
    )

    @Argument(help: "Action, S3 URI, table, or TYPE:ID.")
    var target: String

    @Option(help: "Resource ARN for an IAM action (default *).")
    var resource: String = "*"

    @OptionGroup var inventory: InventoryOptions

    @Option(help: "Output: table (default on a terminal) or json.")
    var format: ReportFormat?

    @Flag(name: .shortAndLong, help: "Do not print the inventory summary.")
    var quiet = false

    static let objectTypes: Set<String> = ["cluster", "job", "warehouse", "sql-warehouse", "notebook", "directory", "secret-scope", "token",
                                           "cluster-policy", "pipeline", "repo", "catalog", "schema", "table", "volume", "metastore",
                                           "external_location", "storage_credential", "instance-pool", "experiment", "registered-model"]

    func validate() throws {
        if inventory.isEmpty { throw ValidationError("who-can needs --inventory DIR") }
    }

    func run() throws {
        let (inv, _) = inventory.load(quiet: quiet)
        let answers: [AccessAnswer]
        let prefix = target.split(separator: ":", maxSplits: 1).first.map { String($0).lowercased() } ?? ""
        if target.hasPrefix("s3://") {
            answers = AccessQuery.whoCan(action: "s3:GetObject", resource: target, inv)
        } else if target.contains(":") && !Self.objectTypes.contains(prefix) {
            answers = AccessQuery.whoCan(action: target, resource: resource, inv)
        } else {
            answers = AccessQuery.whoCan(securable: target, inv)
        }
        switch format ?? (isatty(1) == 1 ? .table : .json) {
        case .json:
            try Output.write(Output.json(WhoCanJSON(target: target, answers: answers)), to: nil)
        case .table:
            var lines = answers.isEmpty ? ["nobody in the inventory can \(target)"] : []
            for a in answers {
                lines.append("\(a.plane.padding(10)) \(a.kind.padding(17)) \(a.principal.terminalSafe.padding(60)) \(a.decision)")
                for v in a.via { lines.append(String(repeating: " ", count: 11) + "via " + v.terminalSafe) }
            }
            try Output.write(lines.joined(separator: "\n") + "\n", to: nil)
        }
    }
}

struct WhoCanJSON: Encodable {
    var target: String
    var answers: [AccessAnswer]
}

struct WhoisCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "whois",
        abstract: "Everything linked to an identity across both planes, with the evidence for each link.",
        discussion: """
        IDENTITY is an email, an IAM ARN or name, a role session (role/session), an
        EC2 instance id, a cluster id, a group or service principal. With log PATHs,
        links observed in events are added (SSO sessions, instance launches for
        clusters, who ran commands where) and the person behind a session is shown
        with its confidence (exact, time-window, ambiguous).

        Examples:
          crosstrail whois alice@acme.example \\
              --inventory Samples/inventory Samples/logs
          crosstrail whois i-0a1b2c3d4e5f60718 \\
              --inventory Samples/inventory Samples/logs
        """
    )

    @Argument(help: "The identity to look up.")
    var identity: String

    @Argument(help: "Audit log files or directories (optional).")
    var paths: [String] = []

    @OptionGroup var inventory: InventoryOptions
    @OptionGroup var events: EventInputOptions

    @Option(help: "Output: table (default on a terminal) or json.")
    var format: ReportFormat?

    @Flag(name: .shortAndLong, help: "Do not print the run summary.")
    var quiet = false

    func validate() throws {
        if paths.isEmpty && inventory.isEmpty { throw ValidationError("give log PATHs, --inventory DIR, or both") }
    }

    func run() throws {
        let (inv, _) = inventory.load(quiet: quiet || inventory.isEmpty)
        let (obs, _) = events.observe(paths, classification: inv.classification, quiet: quiet)
        let graph = IdentityGraph.build(inv, obs)
        let nodes = graph.find(identity)
        let report = nodes.map { n in
            WhoisEntry(node: n, links: graph.edges(of: n.id), attributions: graph.attributions(concerning: n.id))
        }
        switch format ?? (isatty(1) == 1 ? .table : .json) {
        case .json:
            try Output.write(Output.json(report), to: nil)
        case .table:
            var lines = nodes.isEmpty ? ["no identity matches \(identity.terminalSafe)"] : []
            for e in report {
                lines.append("\(e.node.kind) \(e.node.label.terminalSafe)  [\(e.node.id.terminalSafe)]")
                for a in e.attributions {
                    lines.append("  person: \(a.person ?? "unknown") (\(a.confidence.rawValue))" + (a.candidates.count > 1 ? ", candidates: \(a.candidates.joined(separator: ", "))" : ""))
                    for c in a.chain { lines.append("    " + c.terminalSafe) }
                }
                for l in e.links {
                    let other = l.from == e.node.id ? "→ \(l.kind) → \(l.to)" : "← \(l.kind) ← \(l.from)"
                    var line = "  \(other.terminalSafe)  (\(l.confidence.rawValue))"
                    let ev = l.evidence.events.prefix(3) + l.evidence.inventory.prefix(2)
                    if !ev.isEmpty { line += "  evidence: " + ev.joined(separator: ", ").terminalSafe }
                    lines.append(line)
                }
            }
            try Output.write(lines.joined(separator: "\n") + "\n", to: nil)
        }
    }
}

struct WhoisEntry: Encodable {
    var node: IdentityGraph.Node
    var links: [IdentityGraph.Edge]
    var attributions: [IdentityGraph.Attribution]
}

enum Output {
    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
    }

    static func write(_ text: String, to path: String?) throws {
        if let path {
            do { try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
                throw ValidationError("cannot write \(path): \(error.localizedDescription)")
            }
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }
}

/// Buffered text output to standard output or a file (written to a temporary name and renamed
/// into place when complete, so a failed run never leaves half a report).
final class TextOutput {
    private let handle: FileHandle
    private let path: String?
    private let temporary: String?
    private var buffer = [UInt8]()

    init(path: String?) throws {
        self.path = path
        if let path {
            let tmp = path + ".tmp-\(getpid())"
            guard FileManager.default.createFile(atPath: tmp, contents: nil), let h = FileHandle(forWritingAtPath: tmp) else {
                throw ValidationError("cannot write \(path): \(String(cString: strerror(errno)))")
            }
            handle = h
            temporary = tmp
        } else {
            handle = FileHandle.standardOutput
            temporary = nil
        }
        buffer.reserveCapacity(1 << 20)
    }

    func write(_ s: String) {
        buffer.append(contentsOf: s.utf8)
        if buffer.count >= 1 << 20 { flush() }
    }

    private func flush() {
        handle.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }

    func finish() throws {
        flush()
        guard let path, let temporary else { return }
        try handle.close()
        if rename(temporary, path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw ValidationError("cannot write \(path): \(reason)")
        }
    }
}

enum FindingsTable {
    static func render(_ r: ScanResult, resolved: [Finding] = [], to out: TextOutput) {
        var lines = [String]()
        func emit() {
            for l in lines { out.write(l + "\n") }
            lines.removeAll(keepingCapacity: true)
        }
        for f in r.findings {
            lines.append("\(f.severity.rawValue.uppercased().padding(9)) " + (f.status.map { "[\($0)] ".padding(13) } ?? "")
                + "\(f.rule.padding(30)) \(f.id)  \(f.title.terminalSafe)")
            let indent = String(repeating: " ", count: 10)
            if !f.subjects.isEmpty {
                lines.append(indent + "subjects: " + f.subjects.prefix(8).map { s in
                    (s.arn ?? s.email ?? s.name) + (s.person.map { $0 != (s.email ?? s.name) ? " (\($0))" : "" } ?? "")
                }.joined(separator: ", ").terminalSafe + (f.subjects.count > 8 ? ", … \(f.subjects.count - 8) more" : ""))
            }
            for c in f.evidence.chain.prefix(6) { lines.append(indent + "· " + c.terminalSafe) }
            if f.evidence.chain.count > 6 { lines.append(indent + "· … \(f.evidence.chain.count - 6) more steps (--format json)") }
            if !f.evidence.events.isEmpty {
                lines.append(indent + "events: " + f.evidence.events.prefix(5).joined(separator: ", ").terminalSafe + (f.evidence.events.count > 5 ? ", …" : ""))
            }
            lines.append(indent + "fix: " + f.remediation.terminalSafe)
            emit()
        }
        if !resolved.isEmpty {
            lines.append("")
            lines.append("Resolved since the last scan (no longer found):")
            for f in resolved { lines.append("  \(f.severity.rawValue.uppercased().padding(9)) \(f.rule.padding(30)) \(f.id)  \(f.title.terminalSafe)") }
        }
        let ranks = Triage.rank(r.findings).filter { $0.rules.count > 1 }
        if !ranks.isEmpty {
            lines.append("")
            lines.append("Actors by breadth (distinct ATT&CK tactics in their findings; start here)")
            for a in ranks.prefix(10) {
                lines.append("  \(a.actor.terminalSafe.padding(44)) \(String(a.tactics.count).padding(3)) \(a.highest.rawValue.padding(9)) "
                    + a.tactics.joined(separator: ", ").terminalSafe)
            }
        }
        if !r.flatness.isEmpty {
            lines.append("")
            lines.append("Classified data: who can read it, who did")
            for f in r.flatness {
                lines.append("  \(f.resource.terminalSafe.padding(48)) \(f.dataClass.padding(13)) can \(String(f.canAccess.count).padding(5)) used \(f.used.count)")
            }
        }
        emit()
    }
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
