import ArgumentParser
import CrossTrailModel
import CrossTrailPipeline
import CrossTrailTimeline
import Foundation

extension Timestamp: ExpressibleByArgument {
    /// ISO 8601 dates and times (`2026-08-01`, `2026-08-01T00:00Z`).
    public init?(argument: String) { self.init(iso: argument) }
    public var defaultValueDescription: String { iso8601 }
}

extension Severity: ExpressibleByArgument {}
extension TimelineFormat: ExpressibleByArgument {}
extension Plane: ExpressibleByArgument {}
extension OutcomeStatus: ExpressibleByArgument {}
extension FindingStatus: ExpressibleByArgument {}

/// `--since`/`--until`, the same everywhere.
struct TimeRangeOptions: ParsableArguments {
    @Option(help: "Only events at or after this time (ISO 8601, e.g. 2026-08-01T00:00Z).")
    var since: Timestamp?

    @Option(help: "Only events before this time (ISO 8601).")
    var until: Timestamp?

    func validate() throws {
        if let since, let until, !(since < until) { throw ValidationError("--since must be before --until") }
    }
}

/// The case store options shared by the commands that write one.
struct StoreOptions: ParsableArguments {
    @Option(
        help: "Case store (SQLite file, created if missing): remembers ingested files, events and findings across runs."
    )
    var store: String?

    @Option(help: "Seconds to wait for another run holding the store before giving up.")
    var lockTimeout: Double = 60

    func validate() throws { try checkLockTimeout(lockTimeout) }
}

/// Where permissions and data classes come from.
struct InventoryOptions: ParsableArguments {
    @Option(
        help:
            "Inventory directory or file: IAM authorization details, Databricks SCIM, permissions, Unity Catalog grants, clusters, tags (Docs/formats.md); repeatable."
    )
    var inventory: [String] = []

    @Option(
        help:
            "Data classification YAML: S3 prefixes and tables with their class (pii, pci, phi, confidential) and allowed groups."
    )
    var classification: String?

    var isEmpty: Bool { inventory.isEmpty && classification == nil }
    var input: InventoryInput { InventoryInput(paths: inventory, classification: classification) }
    /// The files the command reads (for overlap checks).
    var paths: [String?] { inventory + [classification] }
}

/// Worker threads and this job's shard of the input files.
struct ReadingOptions: ParsableArguments {
    @Option(help: "Worker threads (default: number of cores).")
    var workers: Int?

    @Option(
        help:
            "Read only shard I of N of the input files (0-based, e.g. $JOB_COMPLETION_INDEX/4); a directory is never split."
    )
    var shard: Shard?

    func validate() throws {
        try checkWorkers(workers)
    }
}

/// `--workers`: 1 to 1,024 (more threads than that only cost memory).
func checkWorkers(_ workers: Int?) throws {
    if let workers, !(1...1024).contains(workers) { throw ValidationError("--workers must be between 1 and 1024") }
}

/// Seconds to wait for the store's lock: 0 to a week (`--lock-timeout`).
func checkLockTimeout(_ seconds: Double) throws {
    if !(0...604_800).contains(seconds) {
        throw ValidationError("--lock-timeout must be between 0 and 604800 seconds (a week)")
    }
}

/// `--shard I/N`: this job's share of the input files (0-based I), whole directories each.
struct Shard: ExpressibleByArgument, Sendable {
    var index: Int
    var count: Int

    init?(argument: String) {
        let parts = argument.split(separator: "/")
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), (1...100_000).contains(n), i >= 0, i < n
        else { return nil }
        index = i
        count = n
    }
}

/// `--format` of the commands that print a table or JSON.
enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json

    /// Table on a terminal, JSON otherwise.
    static func `default`(writingTo output: String? = nil) -> ReportFormat {
        output == nil && isatty(1) == 1 ? .table : .json
    }
}

/// `scan --format`: the registered findings reporters.
struct FindingsFormat: ExpressibleByArgument {
    var reporter: any FindingsReporter.Type

    init?(argument: String) {
        guard let r = FindingsReporters.named(argument) else { return nil }
        reporter = r
    }

    init(_ reporter: any FindingsReporter.Type) { self.reporter = reporter }

    static var allValueStrings: [String] { FindingsReporters.identifiers }
}
