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
    var actorKey: String
    var actorEmail: String?
    var actorName: String
    var actorArn: String?
    var sessionName: String?
    var accessKey: String?
    var sourceIP: String?
    var file: String
    var line: Int?
    var offset: Int
    var json: String
    var resources: [String]

    init(_ e: AuditEvent, json: String) {
        id = e.id
        time = e.time.millis
        contentHash = Int64(bitPattern: e.contentHash)
        plane = e.plane.rawValue
        service = e.service
        action = e.action
        outcome = e.outcome.status.rawValue
        actorKey = e.actor.key
        actorEmail = e.actor.email
        actorName = e.actor.displayName
        actorArn = e.actor.arn
        sessionName = e.actor.sessionName
        accessKey = e.actor.accessKeyId
        sourceIP = e.sourceIPAddress
        file = e.provenance.file
        line = e.provenance.line
        offset = e.provenance.offset
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

    /// The next batch, or nil once closed and drained.
    func pop() -> FileBatch? {
        cond.lock()
        defer { cond.unlock() }
        while items.isEmpty && !closed { cond.wait() }
        guard !items.isEmpty else { return nil }
        cond.broadcast()
        return items.removeFirst()
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
        pending.append(StoredEvent(e, json: String(decoding: scratch, as: UTF8.self)))
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
    public func changedFiles(_ files: [Ingestor.InputFile]) throws -> (changed: [Ingestor.InputFile], unchanged: [Ingestor.InputFile]) {
        let known: [String: (Int64, Double)] = try db.read { db in
            var out = [String: (Int64, Double)]()
            for row in try Row.fetchAll(db, sql: "SELECT path, size, mtime FROM files") {
                out[row["path"]] = (row["size"], row["mtime"])
            }
            return out
        }
        var changed = [Ingestor.InputFile](), unchanged = [Ingestor.InputFile]()
        for f in files {
            if let k = known[f.display], let s = Self.stat(f.path), s.size == k.0, s.mtime == k.1 { unchanged.append(f) } else { changed.append(f) }
        }
        return (changed, unchanged)
    }

    static func stat(_ path: String) -> (size: Int64, mtime: Double)? {
        guard let a = try? FileManager.default.attributesOfItem(atPath: path), let size = (a[.size] as? NSNumber)?.int64Value,
              let mtime = (a[.modificationDate] as? Date)?.timeIntervalSince1970 else { return nil }
        return (size, mtime)
    }

    /// Reads `files`, storing the events of those in `store` (one transaction per file: a file
    /// is recorded together with its events, so a killed run leaves no half file and the next
    /// run reads it again). Every event of every file also goes to `observe`'s sinks.
    public func ingest(_ files: [Ingestor.InputFile], storing store: [Ingestor.InputFile], ingestor: Ingestor, run: Int64,
                       progress: IngestProgress? = nil, observe: (@Sendable (Int) -> any EventSink)? = nil) throws -> IngestResult {
        let queue = BatchQueue(capacity: 2 * max(1, ingestor.workers))
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

    init(store: CaseStore, run: Int64, queue: BatchQueue) {
        self.store = store
        self.run = run
        self.queue = queue
    }

    func wait() { done.wait() }

    func drain() {
        defer { done.signal() }
        while let batch = queue.pop() {
            guard error == nil else { continue }  // keep draining so workers never block
            do {
                added += try write(batch)
                files += 1
            } catch {
                self.error = StoreError("\(store.path): writing \(batch.file.display): \(error)")
            }
        }
    }

    private func write(_ b: FileBatch) throws -> Int {
        let st = CaseStore.stat(b.file.path)
        return try store.db.write { db in
            let insert = try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO events (id, time, content_hash, plane, service, action, outcome, actor_key, actor_email,
                    actor_name, actor_arn, session_name, access_key, source_ip, file, line, offset, json)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            let resource = try db.cachedStatement(sql: "INSERT OR IGNORE INTO event_resources (resource, event) VALUES (?, ?)")
            var added = 0
            for e in b.events {
                try insert.execute(arguments: [e.id, e.time, e.contentHash, e.plane, e.service, e.action, e.outcome, e.actorKey,
                                               e.actorEmail, e.actorName, e.actorArn, e.sessionName, e.accessKey, e.sourceIP,
                                               e.file, e.line, e.offset, e.json])
                guard db.changesCount > 0 else { continue }
                added += 1
                let seq = db.lastInsertedRowID
                for r in e.resources { try resource.execute(arguments: [r, seq]) }
            }
            try db.execute(sql: """
                INSERT INTO files (path, size, mtime, sha256, events, run) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(path) DO UPDATE SET size = excluded.size, mtime = excluded.mtime, sha256 = excluded.sha256,
                    events = excluded.events, run = excluded.run
                """, arguments: [b.file.display, b.input.bytes, st?.mtime ?? 0, b.input.sha256, b.events.count, run])
            return added
        }
    }
}
