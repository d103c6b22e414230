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

    /// A small file an option names (a key, a token, a CA bundle, CloudTrail's public keys),
    /// read whole: it must be a regular file (a FIFO would block the run, a device never end)
    /// or a stream the shell made (`<(…)`).
    public static func readOptionFile(_ path: String, option: String, maxBytes: Int = 16 << 20) throws -> [UInt8] {
        try requireReadable([path])
        do { return try JSON.readRegularFile(path: path, maxBytes: maxBytes) } catch {
            throw CrossTrailError(
                .inputUnreadable, "cannot read \(option) \(path): \(error.reason)", at: .file(path: path),
                underlying: error)
        }
    }

    /// A file an option names that another library opens (libcurl's CA bundle): checked to be a
    /// regular file first, so that library cannot block on a FIFO.
    public static func requireRegularFile(_ path: String, option: String) throws {
        try requireReadable([path])
        guard case .regular = FileKind.of(path) else {
            throw CrossTrailError(
                .inputUnreadable, "\(option) \(path) is not a regular file", at: .file(path: path))
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
        let (changed, unchanged) = try StoreAccess.run(store) { try store.changedFiles(files) }
        let toRead = sinceLast ? changed : files
        let observers = ObserverSet(classification: classification, rules: rules)
        let ((result, obs), stats) = try Self.reading(
            toRead, discovery: discovery, observer: observer, deduplicated: false
        ) { progress in
            let r = try StoreAccess.run(store) {
                try store.ingest(toRead, storing: changed, ingestor: ingestor, run: run, progress: progress) { _ in
                    observers.makeSink()
                }
            }
            let obs = observers.merged
            var stats = r.stats
            stats.countDuplicates(obs.duplicates)
            return ((r, obs), stats)
        }
        var delta = StoreDelta()
        delta.filesStored = result.filesStored
        delta.eventsAdded = result.eventsAdded
        delta.filesUnchanged = unchanged.count
        delta.skippedUnchanged = sinceLast
        observer.storeIngested(delta)
        return (obs, stats, delta)
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

    /// Loads the inventory. A path that does not exist, cannot be read or adds no principal,
    /// policy, organisation, resource, ACL, grant, cluster or data class (an empty export, a folder of unrecognized files)
    /// is an error (exit 4): read as "no permissions", it would report a clean estate and
    /// resolve every permission finding in a case store. So is a classification file that
    /// cannot be read as one.
    public func load(observer: any PipelineObserver) throws -> (Inventory, [Diagnostic]) {
        guard !isEmpty else { return (Inventory(), []) }
        try EventInput.requireReadable(paths + (classification.map { [$0] } ?? []))
        let (inv, diags) = Inventory.load(paths: paths, classificationFile: classification)
        func requireEntries(_ root: String, _ what: String, isRoot: Bool) throws {
            let prefix = root.hasSuffix("/") ? root : root + "/"
            let under = { (path: String) in path == root || (isRoot && path.hasPrefix(prefix)) }
            guard !inv.files.contains(where: { $0.entries > 0 && under($0.path) }) else { return }
            // Say why: the problems with the files that were there.
            let why = diags.filter { under($0.file) }.prefix(5).map { "\n  " + $0.description }.joined()
            let found = inv.files.filter { under($0.path) }.count
            throw CrossTrailError(
                .inputEmpty,
                "\(what) \(root) adds nothing to the inventory (\(found) file\(found == 1 ? "" : "s") read"
                    + (isRoot
                        ? "; crosstrail reads IAM authorization details, AWS Organizations exports, resource policies, "
                            + "AWS Config snapshots, Databricks SCIM, permissions, grants, clusters, tags and "
                            + "classification YAML: Docs/formats.md)" : ")") + why,
                at: .file(path: root))
        }
        for root in paths { try requireEntries(root, "--inventory", isRoot: true) }
        if let classification { try requireEntries(classification, "--classification", isRoot: false) }
        observer.inventoryLoaded(inv, diagnostics: diags)
        return (inv, diags)
    }
}

/// Store calls with their errors as `CrossTrailError.store` (exit 6) naming the store.
enum StoreAccess {
    static func run<T>(_ store: CaseStore, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as CrossTrailError { throw e } catch {
            throw CrossTrailError(.store, "case store \(store.path): \(error)", underlying: error)
        }
    }

    static func open(_ path: String, readOnly: Bool = false, lockTimeout: Double = 60) throws -> CaseStore {
        do {
            return try CaseStore(path: path, lockTimeout: lockTimeout, readOnly: readOnly)
        } catch let e as CrossTrailError { throw e } catch {
            throw CrossTrailError(.store, "\(error)", at: .file(path: path), underlying: error)
        }
    }
}

extension CaseStore {
    /// Opens the store at `path` and runs `body` with it. Errors that are not already
    /// `CrossTrailError`s (SQLite's, the lock's) become `CrossTrailError.store` (exit 6) naming
    /// the file; a read-only store that does not exist stays `input-missing` (exit 4).
    /// - Parameters:
    ///   - readOnly: open without the writer lock (inspection commands).
    ///   - lockTimeout: seconds to wait for another run holding the store.
    public static func using<T>(
        _ path: String, readOnly: Bool = false, lockTimeout: Double = 60, _ body: (CaseStore) throws -> T
    ) throws -> T {
        let store = try StoreAccess.open(path, readOnly: readOnly, lockTimeout: lockTimeout)
        return try StoreAccess.run(store) { try body(store) }
    }
}

/// Writing outputs (the timeline, its spill files, the pack) with errors that are not already
/// `CrossTrailError`s as `CrossTrailError.output` (exit 6) naming what was being written.
enum OutputAccess {
    static func run<T>(_ what: String, at path: String?, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as CrossTrailError { throw e } catch {
            throw CrossTrailError(
                .output, "cannot write \(what): \(error)", at: path.map { .file(path: $0) }, underlying: error)
        }
    }
}
