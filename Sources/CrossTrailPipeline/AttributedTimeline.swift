import CrossTrailAnalysis
import CrossTrailIngest
import CrossTrailInventory
import CrossTrailModel
import CrossTrailStore
import CrossTrailTimeline
import Foundation

/// `crosstrail timeline` as a library call: the merged, deduplicated timeline of the logs,
/// optionally with the person behind each actor (a first pass correlates identities).
public struct AttributedTimeline: Sendable {
    public struct Configuration: Sendable {
        public var paths: [String]
        /// Filter, format, limits, memory and workers of the timeline.
        public var options: TimelineOptions
        public var shard: (index: Int, count: Int)?
        /// Trace actors to people (reads the input twice), with this inventory's identities.
        public var attribute = false
        public var inventory = InventoryInput()
        /// The file to write, or nil for standard output.
        public var output: String?

        public init(paths: [String], options: TimelineOptions) {
            self.paths = paths
            self.options = options
        }
    }

    public var configuration: Configuration

    public init(_ configuration: Configuration) {
        self.configuration = configuration
    }

    /// Writes the timeline and returns the run's counts. `onStaging` gets a cleanup removing
    /// spill files and the incomplete output, for the caller's interrupt handler.
    /// - Throws: `CrossTrailError` for a missing or unreadable input, an unusable inventory, or an
    ///   output that cannot be written.
    public func run(
        observer: any PipelineObserver = SilentObserver(),
        onStaging: (@escaping @Sendable () -> Void) -> Void = { _ in }
    ) throws -> IngestStats {
        let config = configuration
        try EventInput.requireReadable(config.paths)
        var options = config.options
        var discovery: [Diagnostic] = []
        var files = Ingestor.discover(config.paths, diagnostics: &discovery)
        if let shard = config.shard { files = Ingestor.shard(files, index: shard.index, count: shard.count) }
        if config.attribute {
            let map = try correlate(files, observer: observer)
            options.attribution = map
            // --actor PERSON also selects the role sessions attributed to that person.
            let actors = config.options.filter.actors
            options.filter.actors += map.sessions.sorted { $0.key < $1.key }.compactMap { key, p in
                guard let email = p.email, actors.contains(where: { $0.matches(email) }) else { return nil }
                return Self.sessionGlob(key)
            }
        }
        // Spills go to a private folder this run owns, so an interrupt can remove them (and the
        // incomplete output file).
        let temporary: SpillDirectory
        do { temporary = try SpillDirectory(parent: options.temporaryDirectory) } catch {
            throw CrossTrailError(.output, "\(error)", at: .file(path: options.temporaryDirectory), underlying: error)
        }
        defer { temporary.remove() }
        options.temporaryDirectory = temporary.path
        let partial = config.output
        onStaging {
            temporary.remove()
            if let partial { unlink(partial) }
        }
        let sink: OutputSink
        do { sink = try config.output.map { try OutputSink(path: $0) } ?? OutputSink(fd: 1) } catch {
            throw CrossTrailError(.output, "\(error)", at: config.output.map { .file(path: $0) }, underlying: error)
        }
        let (_, stats) = try EventInput.reading(files, discovery: discovery, observer: observer, deduplicated: true) {
            progress in
            let stats = try OutputAccess.run("the timeline", at: config.output) {
                try Timeline.build(files: files, options: options, output: sink, progress: progress)
            }
            return (stats, stats)
        }
        return stats
    }

    /// `arn:aws:iam::1:role/path/name|session` → a glob for `arn:aws:sts::1:assumed-role/name/session`.
    public static func sessionGlob(_ key: String) -> Glob? {
        let parts = key.split(separator: "|", maxSplits: 1).map(String.init)
        guard parts.count == 2, parts[0].hasPrefix("arn:aws:iam::") else { return nil }
        let account = parts[0].split(separator: ":", omittingEmptySubsequences: false)[4]
        guard let name = parts[0].split(separator: "/").last else { return nil }
        return Glob("arn:aws:sts::\(account):assumed-role/\(name)/\(parts[1])".replacingOccurrences(of: "*", with: "?"))
    }

    /// The first pass of --attribute: correlate identities over the same files (time-filtered
    /// only, with an hour of margin, so the links an actor filter would hide still count).
    private func correlate(_ files: [Ingestor.InputFile], observer: any PipelineObserver) throws -> AttributionMap {
        let config = configuration
        let (inv, _) = try config.inventory.load(observer: observer)
        var window = EventFilter()
        window.since = config.options.filter.since.map { $0.adding(millis: -3_600_000) }
        window.until = config.options.filter.until.map { $0.adding(millis: 3_600_000) }
        var ingestor = Ingestor(filter: window, limits: config.options.limits)
        ingestor.workers = config.options.workers
        let (obs, _) = ObservationPass.run(ingestor, files: files, classification: inv.classification)
        return IdentityGraph.build(inv, obs).attributionMap
    }
}

/// `crosstrail timeline --store DB`: the stored events matching a filter, as stored JSONL.
public enum StoredTimeline {
    /// Streams the matching events to `output` (or standard output) and returns how many.
    public static func query(_ store: String, filter: EventFilter, output: String?) throws -> Int {
        let db = try StoreAccess.open(store, readOnly: true)
        let out = try TextOutput(path: output)
        let n = try StoreAccess.run(db) {
            try db.events(matching: filter) { line in
                out.write(line)
                out.write("\n")
            }
        }
        try out.finish()
        return n
    }
}
