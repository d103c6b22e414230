import ArgumentParser
import CrossTrailModel
import CrossTrailPipeline
import Foundation

struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract:
            "Find flat permissions, admin-equivalent principals, escalation paths and PII exposure across AWS IAM and Databricks.",
        discussion: """
            With --inventory, evaluates IAM policies (explicit Deny,
            NotAction/NotResource, wildcards, groups, permission boundaries; Conditions
            reported as "conditional") and Databricks RBAC (nested groups, ACLs, Unity
            Catalog grants, clusters and instance profiles) against the data
            classification. With log PATHs as well, it correlates identities across both
            planes from the events (SSO sessions, instance-profile sessions → clusters →
            users), runs the detection rules, and compares granted with used permissions
            for the period. With --store, it remembers ingested files, findings (new,
            open, resolved, reopened, suppressed) and what is normal (who read classified
            data, sharing addresses, trail selectors), so an hourly --since-last run
            judges its new events against everything earlier runs saw.

            Examples:
              crosstrail scan --inventory Samples/inventory
              crosstrail scan Samples/logs --inventory Samples/inventory --format json \\
                  > findings.json
              crosstrail scan ./logs --inventory ./inventory \\
                  --classification classes.yaml --fail-on high
              crosstrail scan ./logs --inventory ./inventory --store case.db \\
                  --since-last --fail-on high

            Exit status: 0 no finding at or above --fail-on, 1 findings at or above
            --fail-on, 2 usage error, 3 input diagnostics under --strict, 4 an input is
            missing, unreadable or empty, 6 the store cannot be used.
            """
    )

    @Argument(help: "Audit log files or directories (optional).")
    var paths: [String] = []

    @OptionGroup var inventory: InventoryOptions
    @OptionGroup var time: TimeRangeOptions
    @OptionGroup var reading: ReadingOptions

    @Option(
        help: ArgumentHelp(
            "Output: " + FindingsReporters.all.map { "\($0.identifier) (\($0.summary))" }.joined(separator: "; ") + ".",
            valueName: "format"))
    var format: FindingsFormat?

    @Option(name: [.short, .long], help: "Write the findings to this file instead of standard output.")
    var output: String?

    @Option(
        help:
            "Time of the assessment (ISO 8601; default now): policy Conditions on the time are decided for it, and OCSF, SARIF, JUnit and ASFF output is stamped with it. Same inputs and time give identical bytes."
    )
    var generatedAt: Timestamp?

    @Option(
        help:
            "With --format sarif: a category for the run (automationDetails.id crosstrail/CATEGORY/), so uploads per account or job do not close each other's alerts."
    )
    var sarifCategory: String?

    @Option(help: "With --format asff: the AWS account Security Hub imports into (its ProductArn).")
    var asffAccount: String?

    @Option(help: "With --format asff: the region Security Hub imports into.")
    var asffRegion: String?

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

    @Flag(
        help:
            "Also run the change-monitoring rules (CIS AWS Foundations metric filters, security-relevant changes): informational findings for every such change."
    )
    var monitoring = false

    @Flag(
        help:
            "With --store: read only files that are new or changed since they were stored (events of other files are not re-read)."
    )
    var sinceLast = false

    func validate() throws {
        if paths.isEmpty && inventory.isEmpty {
            throw ValidationError("give log PATHs, --inventory DIR, or both")
        }
        if sinceLast && store.store == nil { throw ValidationError("--since-last needs --store") }
        if format?.reporter == ASFFFindingsReporter.self {
            guard let account = asffAccount, AWSAccountID.isValid(account) else {
                throw ValidationError("--format asff needs --asff-account with a 12-digit AWS account id")
            }
            guard let region = asffRegion, !region.isEmpty,
                region.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") })
            else { throw ValidationError("--format asff needs --asff-region (for example us-east-1)") }
        } else if asffAccount != nil || asffRegion != nil {
            throw ValidationError("--asff-account and --asff-region go with --format asff")
        }
        if let sarifCategory {
            guard format?.reporter == SARIFFindingsReporter.self else {
                throw ValidationError("--sarif-category goes with --format sarif")
            }
            guard !sarifCategory.isEmpty,
                sarifCategory.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) })
            else { throw ValidationError("--sarif-category takes letters, digits, '-', '_' and '.'") }
        }
        if store.store != nil && paths.contains("-") {
            throw ValidationError("--store cannot record standard input; save it to a file")
        }
        // The store is read and written: no input may be it, and the findings may not replace it.
        let inputs: [String?] = paths + inventory.paths + rules
        try refuseOverlaps([("--store", store.store)], inputs: inputs)
        try refuseOverlaps([("--output", output)], inputs: inputs + [store.store])
    }

    func run() throws {
        var config = ScanPipeline.Configuration(
            events: EventInput(
                paths: paths, since: time.since, until: time.until, workers: reading.workers,
                shard: reading.shard.map { ($0.index, $0.count) }),
            inventory: inventory.input)
        config.ruleDirectories = rules
        config.monitoring = monitoring
        config.store = store.store
        config.lockTimeout = store.lockTimeout
        config.sinceLast = sinceLast
        config.minSeverity = minSeverity
        config.command = "scan " + CommandLine.arguments.dropFirst(2).joined(separator: " ")
        config.assessedAt = generatedAt
        let observer = TerminalObserver(quiet: quiet)
        defer { observer.finish() }
        let outcome = try ScanPipeline(config).run(observer: observer)

        let reporter =
            format?.reporter
            ?? (ReportFormat.default(writingTo: output) == .table
                ? TableFindingsReporter.self : JSONFindingsReporter.self)
        var document = FindingsDocument(
            outcome, generatedAt: generatedAt ?? Timestamp(millis: Int64(Date().timeIntervalSince1970 * 1000)))
        document.failOn = failOn
        document.inputs = paths.filter { $0 != "-" } + inventory.paths.compactMap { $0 }
        document.category = sarifCategory
        if let asffAccount, let asffRegion { document.securityHub = (asffAccount, asffRegion) }
        if reporter.needsLocations { document.locations = config.events.locate(document.evidenceEvents) }
        let out = try TextOutput(path: output)
        try reporter.init().write(document, to: out.write)
        try out.finish()
        if !quiet { summarize(outcome) }
        if strict && outcome.hasDiagnostics { throw ExitCode(.diagnostics) }
        // With a store, suppressed findings never fail the job.
        if let failOn, outcome.fails(at: failOn) { throw ExitCode(.findings) }
    }

    private func summarize(_ outcome: ScanPipeline.Outcome) {
        let findings = outcome.result.findings
        let counts = Severity.allCases.reversed().compactMap { s -> String? in
            let n = findings.filter { $0.severity == s }.count
            return n > 0 ? "\(n) \(s.rawValue)" : nil
        }
        var line =
            "crosstrail: \(findings.count) finding\(findings.count == 1 ? "" : "s")"
            + (counts.isEmpty ? "" : " (" + counts.joined(separator: ", ") + ")")
        if store.store != nil {
            let by = Dictionary(grouping: findings + outcome.resolved, by: { $0.status ?? "" })
            line +=
                "; "
                + FindingStatus.allCases.map { "\(by[$0.rawValue]?.count ?? 0) \($0.rawValue)" }.joined(separator: ", ")
        }
        line += "; identity graph \(outcome.result.graph.nodes.count) nodes, \(outcome.result.graph.edges.count) links"
        TerminalObserver.print([line])
    }
}
