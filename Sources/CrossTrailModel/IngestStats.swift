/// Counts for one ingest run. `recordsRead == accepted + filtered + rejected` after ingest;
/// the timeline then moves some accepted records to `duplicates`.
public struct IngestStats: Sendable, Codable {
    public var files = 0
    /// Files whose content was not a recognized log format (each has a diagnostic).
    public var filesUnrecognized = 0
    /// Files that could not be read at all (each has a diagnostic).
    public var filesFailed = 0
    public var digestFiles = 0
    public var bytesRead: Int64 = 0
    public var bytesDecompressed: Int64 = 0
    public var recordsRead = 0
    public var accepted = 0
    /// Records dropped by --since/--until/--actor/... filters.
    public var filtered = 0
    public var rejected = 0
    public var duplicates = 0
    /// Records sharing an id with different content (kept; Databricks request pairs are counted apart).
    public var idConflicts = 0
    public var databricksPairs = 0
    public var byFormat: [String: Int] = [:]
    public var diagnosticsTotal = 0
    /// The first `maxKeptDiagnostics` diagnostics (all are counted in diagnosticsTotal).
    public var diagnostics: [Diagnostic] = []

    public static let maxKeptDiagnostics = 10_000

    /// One input file as read: its size and SHA-256 (of the stored bytes, compressed or not).
    public struct Input: Sendable, Codable, Hashable {
        public var file: String
        public var bytes: Int64
        public var sha256: String

        public init(file: String, bytes: Int64, sha256: String) {
            (self.file, self.bytes, self.sha256) = (file, bytes, sha256)
        }
    }

    /// Every file read, sorted by name, so an event's `source.file` can be tied to exact bytes.
    public var inputs: [Input] = []

    public init() {}

    public mutating func add(_ d: Diagnostic) {
        diagnosticsTotal += 1
        if diagnostics.count < IngestStats.maxKeptDiagnostics { diagnostics.append(d) }
    }

    public mutating func merge(_ o: IngestStats) {
        files += o.files
        filesUnrecognized += o.filesUnrecognized
        filesFailed += o.filesFailed
        digestFiles += o.digestFiles
        bytesRead += o.bytesRead
        bytesDecompressed += o.bytesDecompressed
        recordsRead += o.recordsRead
        accepted += o.accepted
        filtered += o.filtered
        rejected += o.rejected
        duplicates += o.duplicates
        idConflicts += o.idConflicts
        databricksPairs += o.databricksPairs
        for (k, v) in o.byFormat { byFormat[k, default: 0] += v }
        inputs.append(contentsOf: o.inputs)
        inputs.sort { $0.file < $1.file }
        diagnosticsTotal += o.diagnosticsTotal
        for d in o.diagnostics where diagnostics.count < IngestStats.maxKeptDiagnostics { diagnostics.append(d) }
    }

    /// True when every record read is accounted for.
    /// Moves `n` accepted records to `duplicates` (a pass that de-duplicated them).
    public mutating func countDuplicates(_ n: Int) {
        accepted -= n
        duplicates += n
    }

    public var reconciles: Bool { recordsRead == accepted + filtered + rejected + duplicates }
}
