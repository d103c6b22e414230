import CrossTrailIngest
import CrossTrailModel
import CrossTrailTimeline
import Foundation
import GRDB

/// One event as stored: the indexed columns plus its JSONL rendering (schema v1).
struct StoredEvent: Sendable {
    var id: String
    var time: Int64
    var contentHash: Int64
    var plane: String
    var service: String
    var action: String
    var outcome: String
    var actor: Actor
    var sourceIP: String?
    /// The JSONL line (schema v1), without its newline.
    var json: [UInt8]
    var resources: [String]

    init(_ e: AuditEvent, json: [UInt8]) {
        id = e.id
        time = e.time.millis
        contentHash = Int64(bitPattern: e.contentHash)
        plane = e.plane.rawValue
        service = e.service
        action = e.action
        outcome = e.outcome.status.rawValue
        actor = e.actor
        sourceIP = e.sourceIPAddress
        self.json = json
        resources = e.resources.map(\.id).uniqued()
    }
}

/// A file's events, handed from a worker to the store's single writer.
struct FileBatch: Sendable {
    var file: Ingestor.InputFile
    var input: IngestStats.Input
    var events: [StoredEvent]
}

/// A bounded hand-over queue (workers → writer): memory stays bounded when SQLite is slower
/// than parsing.
final class BatchQueue: @unchecked Sendable {
    private let cond = NSCondition()
    private var items: [FileBatch] = []
    private var closed = false
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func push(_ b: FileBatch) {
        cond.lock()
        while items.count >= capacity && !closed { cond.wait() }
        items.append(b)
        cond.broadcast()
        cond.unlock()
    }

    func close() {
        cond.lock()
        closed = true
        cond.broadcast()
        cond.unlock()
    }

    /// Every batch waiting (at least one), or nil once closed and drained.
    func popAll() -> [FileBatch]? {
        cond.lock()
        defer { cond.unlock() }
        while items.isEmpty && !closed { cond.wait() }
        guard !items.isEmpty else { return nil }
        cond.broadcast()
        defer { items.removeAll() }
        return items
    }
}

/// Per worker: renders the events of files being stored and passes every event on to an
/// optional inner sink (the scan's observer), so one read serves both.
final class StoreSink: EventSink {
    private let queue: BatchQueue
    private let inner: (any EventSink)?
    private let storing: Set<String>
    private let renderer = JSONLRenderer()
    private var pending: [StoredEvent] = []
    private var scratch: [UInt8] = []
    private var currentFile = ""
    private var currentStored = false

    init(queue: BatchQueue, storing: Set<String>, inner: (any EventSink)?) {
        self.queue = queue
        self.storing = storing
        self.inner = inner
    }

    func accept(_ e: AuditEvent) {
        inner?.accept(e)
        if e.provenance.file != currentFile {
            currentFile = e.provenance.file
            currentStored = storing.contains(currentFile)
        }
        guard currentStored else { return }
        scratch.removeAll(keepingCapacity: true)
        renderer.render(e, into: &scratch)
        renderer.finish(shared: nil, into: &scratch)
        if scratch.last == 10 { scratch.removeLast() }
        // A right-sized copy: keeping `scratch` itself would pin its (largest-ever) capacity per event.
        let json = [UInt8](unsafeUninitializedCapacity: scratch.count) { buf, n in
            n = scratch.withUnsafeBufferPointer {
                UnsafeMutableRawBufferPointer(buf).copyMemory(from: UnsafeRawBufferPointer($0)); return $0.count
            }
        }
        pending.append(StoredEvent(e, json: json))
    }

    func fileFinished(_ file: Ingestor.InputFile, input: IngestStats.Input?) {
        inner?.fileFinished(file, input: input)
        defer { pending = [] }
        guard let input, storing.contains(file.display) else { return }
        queue.push(FileBatch(file: file, input: input, events: pending))
    }

    func workerFinished() { inner?.workerFinished() }
}

extension CaseStore {
    public struct IngestResult: Sendable {
        public var stats: IngestStats
        /// Files read and recorded in this run.
        public var filesStored = 0
        /// Events new to the store.
        public var eventsAdded = 0
        /// Files skipped because the store has them unchanged (same size and mtime).
        public var filesUnchanged = 0
    }

    /// Splits files into those the store has unchanged (same path, size and modification time
    /// as when they were ingested) and those to read.
    public func changedFiles(_ files: [Ingestor.InputFile]) throws -> (
        changed: [Ingestor.InputFile], unchanged: [Ingestor.InputFile]
    ) {
        let known: [String: (Int64, Double)] = try db.read { db in
            var out = [String: (Int64, Double)]()
            for row in try Row.fetchAll(db, sql: "SELECT path, size, mtime FROM files") {
                out[row["path"]] = (row["size"], row["mtime"])
            }
            return out
        }
        var changed = [Ingestor.InputFile](), unchanged = [Ingestor.InputFile]()
        for f in files {
            if let k = known[f.display], let s = Self.stat(f.path), s.size == k.0, s.mtime == k.1 {
                unchanged.append(f)
            } else {
                changed.append(f)
            }
        }
        return (changed, unchanged)
    }

    static func stat(_ path: String) -> (size: Int64, mtime: Double)? {
        guard let a = try? FileManager.default.attributesOfItem(atPath: path),
            let size = (a[.size] as? NSNumber)?.int64Value,
            let mtime = (a[.modificationDate] as? Date)?.timeIntervalSince1970
        else { return nil }
        return (size, mtime)
    }

    /// Reads `files`, storing the events of those in `store` (one transaction per file: a file
    /// is recorded together with its events, so a killed run leaves no half file and the next
    /// run reads it again). Every event of every file also goes to `observe`'s sinks.
    public func ingest(
        _ files: [Ingestor.InputFile], storing store: [Ingestor.InputFile], ingestor: Ingestor, run: Int64,
        progress: IngestProgress? = nil, observe: (@Sendable (Int) -> any EventSink)? = nil
    ) throws -> IngestResult {
        let queue = BatchQueue(capacity: 4 * max(1, ingestor.workers))
        let storing = Set(store.map(\.display))
        let writer = StoreWriter(store: self, run: run, queue: queue)
        let thread = Thread { writer.drain() }
        thread.stackSize = 8 << 20
        thread.start()
        let stats = ingestor.run(files: files, progress: progress) { w in
            StoreSink(queue: queue, storing: storing, inner: observe?(w))
        }
        queue.close()
        writer.wait()
        if let error = writer.error { throw error }
        var result = IngestResult(stats: stats)
        result.filesStored = writer.files
        result.eventsAdded = writer.added
        return result
    }
}

/// The single writer: drains file batches into SQLite.
final class StoreWriter: @unchecked Sendable {
    private let store: CaseStore
    private let run: Int64
    private let queue: BatchQueue
    private let done = DispatchSemaphore(value: 0)

    private(set) var files = 0
    private(set) var added = 0
    private(set) var error: (any Error)?
    /// Actor signature → row id, loaded on first use.
    private var actorIDs: [String: Int64]?

    init(store: CaseStore, run: Int64, queue: BatchQueue) {
        self.store = store
        self.run = run
        self.queue = queue
    }

    func wait() { done.wait() }

    func drain() {
        defer { done.signal() }
        // Whatever has queued up goes into one transaction: fewer commits rewrite fewer index pages,
        // and a file is still recorded together with its events.
        while let batches = queue.popAll() {
            guard error == nil else { continue }  // keep draining so workers never block
            do {
                added += try store.db.write { db in try batches.reduce(0) { $0 + (try write($1, db)) } }
                files += batches.count
            } catch {
                actorIDs = nil  // ids cached during the failed transaction were rolled back
                self.error = CrossTrailError(
                    .store, "\(store.path): writing \(batches.map(\.file.display).joined(separator: ", ")): \(error)",
                    underlying: error)
            }
        }
    }

    /// The fields actor filters look at, as one key.
    static func signature(_ a: Actor) -> String {
        [a.key, a.displayName, a.email, a.arn, a.sessionName, a.principalId, a.accessKeyId, a.runAs]
            .map { $0 ?? "" }.joined(separator: "\u{1f}")
    }

    private func actorID(_ a: Actor, _ db: Database) throws -> Int64 {
        if actorIDs == nil {
            var known = [String: Int64]()
            for row in try Row.fetchAll(db, sql: "SELECT id, sig FROM actors") { known[row["sig"]] = row["id"] }
            actorIDs = known
        }
        let sig = Self.signature(a)
        if let id = actorIDs?[sig] { return id }
        try db.execute(
            sql: """
                INSERT INTO actors (sig, key, name, email, arn, session_name, principal_id, access_key, run_as) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                sig, a.key, a.displayName, a.email, a.arn, a.sessionName, a.principalId, a.accessKeyId, a.runAs,
            ])
        let id = db.lastInsertedRowID
        actorIDs?[sig] = id
        return id
    }

    private func write(_ b: FileBatch, _ db: Database) throws -> Int {
        let st = CaseStore.stat(b.file.path)
        do {
            let insert = try db.cachedStatement(
                sql: """
                    INSERT OR IGNORE INTO events (id, time, content_hash, plane, service, action, outcome, actor, source_ip, block, line_in_block)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            let resource = try db.cachedStatement(
                sql: "INSERT OR IGNORE INTO event_resources (resource, event) VALUES (?, ?)")
            // The block row first (its id goes into each event); its text once the new events are known.
            try db.execute(
                sql: "INSERT INTO blocks (file, lines, data) VALUES (?, 0, x'')", arguments: [b.file.display])
            let block = db.lastInsertedRowID
            var text = [UInt8]()
            var added = 0
            for e in b.events {
                try insert.execute(arguments: [
                    e.id, e.time, e.contentHash, e.plane, e.service, e.action, e.outcome,
                    try actorID(e.actor, db), e.sourceIP, block, added,
                ])
                guard db.changesCount > 0 else { continue }
                let seq = db.lastInsertedRowID
                for r in e.resources { try resource.execute(arguments: [r, seq]) }
                text += e.json
                text.append(10)
                added += 1
            }
            if added > 0 {
                try db.execute(
                    sql: "UPDATE blocks SET lines = ?, data = ? WHERE id = ?",
                    arguments: [added, Data(GzipCodec.compress(text, level: 6)), block])
            } else {
                try db.execute(sql: "DELETE FROM blocks WHERE id = ?", arguments: [block])
            }
            try db.execute(
                sql: """
                    INSERT INTO files (path, size, mtime, sha256, events, run) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT(path) DO UPDATE SET size = excluded.size, mtime = excluded.mtime, sha256 = excluded.sha256,
                        events = excluded.events, run = excluded.run
                    """,
                arguments: [b.file.display, b.input.bytes, st?.mtime ?? 0, b.input.sha256, b.events.count, run])
            return added
        }
    }
}
