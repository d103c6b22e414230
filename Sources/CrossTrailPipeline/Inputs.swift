import CrossTrailAnalysis
import CrossTrailIngest
import CrossTrailInventory
import CrossTrailModel
import CrossTrailRules
import CrossTrailStore
import Foundation

/// The log files of a run: paths, the time window, workers and this job's shard.
public struct EventInput: Sendable {
    public var paths: [String]
    public var since: Timestamp?
    public var until: Timestamp?
    public var workers: Int?
    public var shard: (index: Int, count: Int)?

    public init(
        paths: [String], since: Timestamp? = nil, until: Timestamp? = nil, workers: Int? = nil,
        shard: (index: Int, count: Int)? = nil
    ) {
        self.paths = paths
        self.since = since
        self.until = until
        self.workers = workers
        self.shard = shard
    }

    /// Fails with `input-missing` or `input-unreadable` (exit 4) naming the first path that does
    /// not exist or cannot be read: a typo in an hourly job must never read as "0 findings".
    public static func requireReadable(_ paths: [String]) throws {
        for path in paths where path != "-" {
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
                throw CrossTrailError(
                    .inputMissing, "cannot read input \(path): no such file or directory", at: .file(path: path))
            }
            if !FileManager.default.isReadableFile(atPath: path) {
                throw CrossTrailError(
                    .inputUnreadable, "cannot read input \(path): not readable", at: .file(path: path))
            }
        }
    }

    var filter: EventFilter {
        var filter = EventFilter()
        filter.since = since
        filter.until = until
        return filter
    }

    /// The ingestor for this input and the run's files (sharded), with discovery diagnostics.
    func prepare() -> (Ingestor, [Ingestor.InputFile], [Diagnostic]) {
        var ingestor = Ingestor(filter: filter)
        ingestor.detail.insert(.responseElements)  // rules read them
        if let workers { ingestor.workers = workers }
        var discovery: [Diagnostic] = []
        var files = paths.isEmpty ? [] : Ingestor.discover(paths, diagnostics: &discovery)
        if let shard { files = Ingestor.shard(files, index: shard.index, count: shard.count) }
        return (ingestor, files, discovery)
    }

    /// Runs `pass` over `files` between `readingStarted` and `readingFinished`, adding the
    /// discovery diagnostics to its counts.
    static func reading<R>(
        _ files: [Ingestor.InputFile], discovery: [Diagnostic], observer: any PipelineObserver,
        deduplicated: Bool, _ pass: (IngestProgress) throws -> (R, IngestStats)
    ) rethrows -> (R, IngestStats) {
        let progress = IngestProgress(totalFiles: files.count)
        observer.readingStarted(progress)
        let started = Date()
        var (result, stats) = try pass(progress)
        for d in discovery { stats.add(d) }
        observer.readingFinished(stats, elapsed: Date().timeIntervalSince(started), deduplicated: deduplicated)
        return (result, stats)
    }

    /// One streaming pass for the analysis: nothing kept but observations.
    public func observe(
        classification: Classification, rules: RuleSet? = nil,
        observer: any PipelineObserver
    ) -> (Observations, IngestStats?) {
        guard !paths.isEmpty else { return (Observations(), nil) }
        let (ingestor, files, discovery) = prepare()
        let (obs, stats) = Self.reading(files, discovery: discovery, observer: observer, deduplicated: false) {
            progress in
            ObservationPass.run(
                ingestor, files: files, classification: classification, rules: rules, progress: progress)
        }
        return (obs, stats)
    }

    /// One pass that stores new and changed files and observes events for the analysis. With
    /// `sinceLast`, unchanged files are not read at all.
    func observeAndStore(
        classification: Classification, rules: RuleSet?, store: CaseStore, run: Int64, sinceLast: Bool,
        observer: any PipelineObserver
    ) throws -> (Observations, IngestStats?, StoreDelta) {
        guard !paths.isEmpty else { return (Observations(), nil, StoreDelta()) }
        let (ingestor, files, discovery) = prepare()
        let (changed, unchanged) = try StoreAccess.run { try store.changedFiles(files) }
        let toRead = sinceLast ? changed : files
        let observers = ObserverSet(classification: classification, rules: rules)
        let (result, stats) = try Self.reading(toRead, discovery: discovery, observer: observer, deduplicated: false) {
            progress in
            let r = try StoreAccess.run {
                try store.ingest(toRead, storing: changed, ingestor: ingestor, run: run, progress: progress) { _ in
                    observers.makeSink()
                }
            }
            return (r, r.stats)
        }
        var delta = StoreDelta()
        delta.filesStored = result.filesStored
        delta.eventsAdded = result.eventsAdded
        delta.filesUnchanged = unchanged.count
        delta.skippedUnchanged = sinceLast
        observer.storeIngested(delta)
        return (observers.merged, stats, delta)
    }
}

/// Permissions and data classes: the inventory folders or files and the classification file.
public struct InventoryInput: Sendable {
    public var paths: [String]
    public var classification: String?

    public init(paths: [String] = [], classification: String? = nil) {
        self.paths = paths
        self.classification = classification
    }

    public var isEmpty: Bool { paths.isEmpty && classification == nil }

    /// Loads the inventory. A path that does not exist, cannot be read or holds no inventory file
    /// crosstrail recognizes is an error (exit 4): read as "no permissions", it would report a
    /// clean estate and resolve every permission finding in a case store.
    public func load(observer: any PipelineObserver) throws -> (Inventory, [Diagnostic]) {
        guard !isEmpty else { return (Inventory(), []) }
        try EventInput.requireReadable(paths + (classification.map { [$0] } ?? []))
        let (inv, diags) = Inventory.load(paths: paths, classificationFile: classification)
        for root in paths {
            let prefix = root.hasSuffix("/") ? root : root + "/"
            let found = inv.files.contains {
                $0.kind != "unrecognized" && ($0.path == root || $0.path.hasPrefix(prefix))
            }
            if !found {
                // Say why: the problems with the files that were there.
                let why = diags.filter { $0.file == root || $0.file.hasPrefix(prefix) }.prefix(5).map {
                    "\n  " + $0.description
                }.joined()
                throw CrossTrailError(
                    .inputEmpty,
                    "--inventory \(root) holds no inventory file crosstrail recognizes "
                        + "(IAM authorization details, Databricks SCIM, permissions, grants, clusters, tags: Docs/formats.md)"
                        + why,
                    at: .file(path: root))
            }
        }
        observer.inventoryLoaded(inv, diagnostics: diags)
        return (inv, diags)
    }
}

/// Store calls with their errors as `CrossTrailError.store` (exit 6) naming the store.
enum StoreAccess {
    static func run<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as CrossTrailError { throw e } catch {
            throw CrossTrailError(.store, "case store: \(error)", underlying: error)
        }
    }

    static func open(_ path: String, readOnly: Bool = false, lockTimeout: Double = 60) throws -> CaseStore {
        do { return try CaseStore(path: path, lockTimeout: lockTimeout, readOnly: readOnly) } catch {
            throw CrossTrailError(.store, "\(error)", at: .file(path: path), underlying: error)
        }
    }
}

extension CaseStore {
    /// Opens a store with its errors as `CrossTrailError.store` (exit 6) naming the file.
    public static func opening(_ path: String, readOnly: Bool = false, lockTimeout: Double = 60) throws -> CaseStore {
        try StoreAccess.open(path, readOnly: readOnly, lockTimeout: lockTimeout)
    }
}
