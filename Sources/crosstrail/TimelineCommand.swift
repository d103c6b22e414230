import ArgumentParser
import CrossTrailAnalysis
import CrossTrailIngest
import CrossTrailInventory
import CrossTrailModel
import CrossTrailStore
import CrossTrailTimeline
import Foundation

extension TimelineFormat: ExpressibleByArgument {}
extension Plane: ExpressibleByArgument {}
extension OutcomeStatus: ExpressibleByArgument {}

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

    @Option(help: "Only events at or after this time (ISO 8601, e.g. 2026-08-01T00:00Z).")
    var since: String?

    @Option(help: "Only events before this time (ISO 8601).")
    var until: String?

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

    @Option(help: "JSONL only: comma-separated keys to write, e.g. id,time,plane,service,action,outcome,actor.key,sourceIPAddress (default: all).")
    var fields: String?

    @Option(name: [.short, .long], help: "Write the timeline to this file instead of standard output.")
    var output: String?

    @Option(help: "Write run statistics and all diagnostics as JSON to this file.")
    var statsJSON: String?

    @Flag(help: "Exit with status 3 when any input diagnostic was reported.")
    var strict = false

    @Flag(name: .shortAndLong, help: "Do not print the run summary.")
    var quiet = false

    @Option(help: "Worker threads (default: number of cores).")
    var workers: Int?

    @Option(help: ArgumentHelp(stringLiteral: Shard.help))
    var shard: Shard?

    @Flag(help: "Add the person behind each actor, traced through the identity graph (reads the input twice).")
    var attribute = false

    @OptionGroup var inventory: InventoryOptions

    @Option(help: "Memory for sorting in MiB before spilling sorted runs to disk.")
    var memory: Int = 96

    @Option(help: "Directory for spill files (default: $TMPDIR or /tmp).")
    var tempDir: String?

    @Option(help: "Largest (decompressed) file read as one document, in MiB; larger JSON-lines files are streamed line by line.")
    var maxFileMib: Int = 512

    @Option(help: "Largest single record accepted, in MiB.")
    var maxRecordMib: Int = 128

    @Option(help: "Deepest JSON nesting accepted.")
    var maxDepth: Int = 1024

    func validate() throws {
        if paths.isEmpty && store == nil { throw ValidationError("give log PATHs, or --store DB to query a case store") }
        if store != nil {
            if !paths.isEmpty { throw ValidationError("--store queries the store; to add logs to it use `crosstrail scan PATH... --store DB`") }
            if let format, format != .jsonl { throw ValidationError("a store query writes JSONL (the stored rendering); --format \(format.rawValue) needs the logs") }
            if fields != nil || attribute { throw ValidationError("--fields and --attribute need the logs, not --store") }
        }
        if let since, Timestamp(iso: since) == nil { throw ValidationError("--since '\(since)' is not an ISO 8601 time (e.g. 2026-08-01T00:00Z)") }
        if let until, Timestamp(iso: until) == nil { throw ValidationError("--until '\(until)' is not an ISO 8601 time") }
        if memory < 8 { throw ValidationError("--memory must be at least 8 (MiB)") }
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
        if maxFileMib < 1 || maxRecordMib < 1 || maxDepth < 2 { throw ValidationError("limits must be positive") }
        if !inventory.isEmpty && !attribute { throw ValidationError("--inventory and --classification apply with --attribute") }
        if attribute && paths == ["-"] { throw ValidationError("--attribute reads the input twice and cannot read standard input") }
        if let fields {
            if let format, format != .jsonl { throw ValidationError("--fields applies to --format jsonl only") }
            do { _ = try JSONLFields(parsing: fields) } catch { throw ValidationError("--fields: \(error)") }
        }
        try refuseOverlaps([("--output", output), ("--stats-json", statsJSON)],
                           inputs: paths + [store] + (attribute ? inventory.inventory + [inventory.classification] : []))
    }

    func run() throws {
        try requireReadableInputs(paths)
        var options = TimelineOptions()
        var filter = EventFilter()
        filter.since = since.flatMap { Timestamp(iso: $0) }
        filter.until = until.flatMap { Timestamp(iso: $0) }
        filter.actors = actor.map(Glob.init)
        filter.actions = action.map(Glob.init)
        filter.services = service.map(Glob.init)
        filter.planes = Set(plane)
        filter.resources = resource.map(Glob.init)
        filter.outcomes = Set(outcome)
        options.filter = filter
        let stdoutIsTTY = output == nil && isatty(1) == 1
        options.format = format ?? (stdoutIsTTY && fields == nil ? .table : .jsonl)
        if let fields { options.fields = try JSONLFields(parsing: fields) }
        options.memoryBudget = memory << 20
        if let workers { options.workers = workers }
        if let tempDir { options.temporaryDirectory = tempDir }
        options.limits.maxFileBytes = maxFileMib << 20
        options.limits.maxRecordBytes = maxRecordMib << 20
        options.limits.maxDepth = maxDepth

        if let store {
            try query(store, filter: options.filter)
            return
        }
        var discovery: [Diagnostic] = []
        var files = Ingestor.discover(paths, diagnostics: &discovery)
        if let shard { files = Ingestor.shard(files, index: shard.index, count: shard.count) }
        if attribute {
            let map = correlate(files, filter: filter, limits: options.limits)
            options.attribution = map
            // --actor PERSON also selects the role sessions attributed to that person.
            options.filter.actors += map.sessions.sorted { $0.key < $1.key }.compactMap { key, p in
                guard let email = p.email, filter.actors.contains(where: { $0.matches(email) }) else { return nil }
                return Self.sessionGlob(key)
            }
        }
        // Spills go to a private folder this command owns, so an interrupt can remove them (and
        // the incomplete output file) before exiting with 130.
        let temporary = try SpillDirectory(parent: options.temporaryDirectory)
        options.temporaryDirectory = temporary.path
        let partial = output
        let interrupt = InterruptCleanup(message: "interrupted; temporary files\(partial == nil ? "" : " and the incomplete output") removed") {
            temporary.remove()
            if let partial { unlink(partial) }
        }
        defer {
            interrupt.cancel()
            temporary.remove()
        }
        let sink = try output.map { try OutputSink(path: $0) } ?? OutputSink(fd: 1)
        let progress = IngestProgress(totalFiles: files.count)
        let reporter = ProgressReporter(progress: progress, enabled: isatty(2) == 1 && !quiet)
        reporter.start()
        let started = Date()
        var stats: IngestStats
        do {
            stats = try Timeline.build(files: files, options: options, output: sink, progress: progress)
        } catch {
            reporter.stop()
            throw error
        }
        reporter.stop()
        for d in discovery { stats.add(d) }
        let elapsed = Date().timeIntervalSince(started)
        if let statsJSON { try RunSummary.writeJSON(stats, to: statsJSON) }
        if !quiet { RunSummary.print(stats, elapsed: elapsed) }
        if strict && stats.diagnosticsTotal > 0 { throw ExitCode(3) }
    }

    /// Streams matching stored events (already deduplicated when they were stored).
    private func query(_ path: String, filter: EventFilter) throws {
        let db = try open(path, readOnly: true)
        let out = try TextOutput(path: output)
        let started = Date()
        let n = try db.events(matching: filter) { line in
            out.write(line)
            out.write("\n")
        }
        try out.finish()
        if !quiet {
            FileHandle.standardError.write(Data(String(format: "crosstrail: %d event%@ from %@ in %.3f s\n", n, n == 1 ? "" : "s", path,
                                                       Date().timeIntervalSince(started)).utf8))
        }
    }

    /// `arn:aws:iam::1:role/path/name|session` → a glob for `arn:aws:sts::1:assumed-role/name/session`.
    static func sessionGlob(_ key: String) -> Glob? {
        let parts = key.split(separator: "|", maxSplits: 1).map(String.init)
        guard parts.count == 2, parts[0].hasPrefix("arn:aws:iam::") else { return nil }
        let account = parts[0].split(separator: ":", omittingEmptySubsequences: false)[4]
        guard let name = parts[0].split(separator: "/").last else { return nil }
        return Glob("arn:aws:sts::\(account):assumed-role/\(name)/\(parts[1])".replacingOccurrences(of: "*", with: "?"))
    }

    /// The first pass of --attribute: correlate identities over the same files (time-filtered
    /// only, with an hour of margin, so the links an actor filter would hide still count).
    private func correlate(_ files: [Ingestor.InputFile], filter: EventFilter, limits: IngestLimits) -> AttributionMap {
        let (inv, _) = inventory.isEmpty ? (Inventory(), []) : inventory.load(quiet: quiet)
        var window = EventFilter()
        window.since = filter.since.map { $0.adding(millis: -3_600_000) }
        window.until = filter.until.map { $0.adding(millis: 3_600_000) }
        var ingestor = Ingestor(filter: window, limits: limits)
        if let workers { ingestor.workers = workers }
        let (obs, _) = ObservationPass.run(ingestor, files: files, classification: inv.classification)
        return IdentityGraph.build(inv, obs).attributionMap
    }
}
