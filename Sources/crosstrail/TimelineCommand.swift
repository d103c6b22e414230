import ArgumentParser
import CrossTrailModel
import CrossTrailPipeline
import CrossTrailTimeline
import Foundation

struct TimelineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timeline",
        abstract: "Merge CloudTrail and Databricks audit logs into one ordered, deduplicated timeline.",
        discussion: """
            PATH may be files or directory trees (e.g. a copy of s3://bucket/AWSLogs/),
            plain or gzip. Formats are detected per file: CloudTrail delivery files,
            CloudTrail JSON lines, `aws cloudtrail lookup-events` output, Databricks audit
            JSON lines or arrays, system.access.audit exports (JSON lines or CSV) and
            Azure Databricks diagnostic logs. CloudTrail digest files are recognised and
            counted, never mixed into the timeline.

            Examples:
              crosstrail timeline ./logs --since 2026-08-01T00:00Z \\
                  --until 2026-08-02T00:00Z --actor alice@acme.example
              crosstrail timeline ./logs --format jsonl > timeline.jsonl
              aws cloudtrail lookup-events --max-results 50 | crosstrail timeline -
              crosstrail timeline ./logs --attribute --inventory ./inventory \\
                  --format jsonl

            --attribute adds the person behind each actor (JSONL "person", table ACTOR
            column): emails of Databricks users and SSO sessions, and instance-profile or
            Unity Catalog role sessions traced to the users of the cluster, with a
            confidence (exact, time-window, ambiguous). It reads the input twice: once to
            correlate identities, once for the timeline.
            """
    )

    @Argument(help: "Log files or directories; - reads standard input.")
    var paths: [String] = []

    @Option(help: "Query a case store (written by `scan --store`) instead of reading logs; writes the stored JSONL.")
    var store: String?

    @OptionGroup var time: TimeRangeOptions

    @Option(help: "Actor glob (email, ARN, user name, session name, access key id); repeatable.")
    var actor: [String] = []

    @Option(help: "Action glob, e.g. 'Delete*' or 's3:GetObject'; repeatable.")
    var action: [String] = []

    @Option(help: "Service glob, e.g. s3, iam, clusters; repeatable.")
    var service: [String] = []

    @Option(help: "Plane: aws or databricks; repeatable.")
    var plane: [Plane] = []

    @Option(help: "Resource glob (ARN, bucket/key, cluster id, table); repeatable.")
    var resource: [String] = []

    @Option(help: "Outcome: success, failure or unknown; repeatable.")
    var outcome: [OutcomeStatus] = []

    @Option(help: "Output format: table, jsonl, csv, ocsf, timesketch (default: table on a terminal, jsonl otherwise).")
    var format: TimelineFormat?

    @Option(
        help:
            "JSONL only: comma-separated keys to write, e.g. id,time,plane,service,action,outcome,actor.key,sourceIPAddress (default: all)."
    )
    var fields: String?

    @Option(name: [.short, .long], help: "Write the timeline to this file instead of standard output.")
    var output: String?

    @Option(help: "Write run statistics and all diagnostics as JSON to this file.")
    var statsJSON: String?

    @Flag(help: "Exit with status 3 when any input diagnostic was reported.")
    var strict = false

    @Flag(name: .shortAndLong, help: "Do not print the run summary.")
    var quiet = false

    @OptionGroup var reading: ReadingOptions

    @Flag(help: "Add the person behind each actor, traced through the identity graph (reads the input twice).")
    var attribute = false

    @OptionGroup var inventory: InventoryOptions

    @Option(help: "Memory for sorting in MiB before spilling sorted runs to disk.")
    var memory: Int = 96

    @Option(help: "Directory for spill files (default: $TMPDIR or /tmp).")
    var tempDir: String?

    @Option(
        help:
            "Largest (decompressed) file read as one document, in MiB; larger JSON-lines files are streamed line by line."
    )
    var maxFileMib: Int = 512

    @Option(help: "Largest single record accepted, in MiB.")
    var maxRecordMib: Int = 128

    @Option(help: "Deepest JSON nesting accepted.")
    var maxDepth: Int = 1024

    func validate() throws {
        if paths.isEmpty && store == nil {
            throw ValidationError("give log PATHs, or --store DB to query a case store")
        }
        if store != nil {
            if !paths.isEmpty {
                throw ValidationError(
                    "--store queries the store; to add logs to it use `crosstrail scan PATH... --store DB`")
            }
            if let format, format != .jsonl {
                throw ValidationError(
                    "a store query writes JSONL (the stored rendering); --format \(format.rawValue) needs the logs")
            }
            if fields != nil || attribute {
                throw ValidationError("--fields and --attribute need the logs, not --store")
            }
        }
        // Upper bounds keep `MiB << 20` and the parsers' allocations far from overflow.
        if !(8...1_048_576).contains(memory) { throw ValidationError("--memory must be between 8 and 1048576 (MiB)") }
        if !(1...1_048_576).contains(maxFileMib) {
            throw ValidationError("--max-file-mib must be between 1 and 1048576")
        }
        if !(1...4095).contains(maxRecordMib) {
            throw ValidationError("--max-record-mib must be between 1 and 4095 (the JSON parser's limit is 4 GiB)")
        }
        if !(2...65_536).contains(maxDepth) { throw ValidationError("--max-depth must be between 2 and 65536") }
        if !inventory.isEmpty && !attribute {
            throw ValidationError("--inventory and --classification apply with --attribute")
        }
        if attribute && paths == ["-"] {
            throw ValidationError("--attribute reads the input twice and cannot read standard input")
        }
        if let fields {
            if let format, format != .jsonl { throw ValidationError("--fields applies to --format jsonl only") }
            do { _ = try JSONLFields(parsing: fields) } catch { throw ValidationError("--fields: \(error)") }
        }
        try refuseOverlaps(
            [("--output", output), ("--stats-json", statsJSON)],
            inputs: paths + [store] + (attribute ? inventory.paths : []))
    }

    func run() throws {
        var filter = EventFilter()
        filter.since = time.since
        filter.until = time.until
        filter.actors = actor.map(Glob.init)
        filter.actions = action.map(Glob.init)
        filter.services = service.map(Glob.init)
        filter.planes = Set(plane)
        filter.resources = resource.map(Glob.init)
        filter.outcomes = Set(outcome)
        if let store {
            try EventInput.requireReadable([store])
            let started = Date()
            let n = try StoredTimeline.query(store, filter: filter, output: output)
            if !quiet {
                TerminalObserver.print([
                    String(
                        format: "crosstrail: %d event%@ from %@ in %.3f s", n, n == 1 ? "" : "s", store.terminalSafe,
                        Date().timeIntervalSince(started))
                ])
            }
            return
        }
        var options = TimelineOptions()
        options.filter = filter
        options.format = format ?? (output == nil && isatty(1) == 1 && fields == nil ? .table : .jsonl)
        if let fields { options.fields = try JSONLFields(parsing: fields) }
        options.memoryBudget = memory << 20
        if let workers = reading.workers { options.workers = workers }
        if let tempDir { options.temporaryDirectory = tempDir }
        options.limits.maxFileBytes = maxFileMib << 20
        options.limits.maxRecordBytes = maxRecordMib << 20
        options.limits.maxDepth = maxDepth
        var config = AttributedTimeline.Configuration(paths: paths, options: options)
        config.shard = reading.shard.map { ($0.index, $0.count) }
        config.attribute = attribute
        config.inventory = inventory.input
        config.output = output

        let interrupt = InterruptCleanup(
            message: "interrupted; temporary files\(output == nil ? "" : " and the incomplete output") removed")
        defer { interrupt.cancel() }
        let observer = TerminalObserver(quiet: quiet)
        defer { observer.finish() }
        let stats = try AttributedTimeline(config).run(observer: observer, onStaging: interrupt.add)
        if let statsJSON { try RunSummary.writeJSON(stats, to: statsJSON) }
        if strict && stats.diagnosticsTotal > 0 { throw ExitCode(.diagnostics) }
    }
}
