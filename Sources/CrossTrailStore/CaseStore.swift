import CrossTrailIngest
import CrossTrailModel
import Foundation
import GRDB
import Glibc

/// The embedded case store: one SQLite file (WAL) holding ingested files, events, findings and
/// their history. Schema changes are named, append-only migrations. One writer at a time: a
/// lock file next to the database serialises overlapping runs (cron, CI, CronJobs).
public final class CaseStore: Sendable {
    public let path: String
    /// GRDB's queue serialises every access, so the store may be shared between threads.
    let db: DatabaseQueue
    private let lockFD: Int32

    /// Opens (creating and migrating if needed) the store, holding its lock. Waits up to
    /// `lockTimeout` seconds for another run to finish.
    public init(path: String, lockTimeout: Double = 60, readOnly: Bool = false) throws {
        self.path = path
        if !readOnly {
            lockFD = try Self.acquireLock(path + ".lock", timeout: lockTimeout)
        } else if FileManager.default.fileExists(atPath: path) {
            lockFD = -1
        } else {
            throw CrossTrailError(
                .inputMissing, "\(path): no such store (create it with `crosstrail scan ... --store \(path)`)",
                at: .file(path: path))
        }
        var config = Configuration()
        config.readonly = readOnly
        config.busyMode = .timeout(lockTimeout)
        config.prepareDatabase { db in
            if !db.configuration.readonly {
                try db.execute(sql: "PRAGMA journal_mode = WAL")
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
                // Index pages of a large store stay cached while a run inserts (64 MiB).
                try db.execute(sql: "PRAGMA cache_size = -65536")
                try db.execute(sql: "PRAGMA wal_autocheckpoint = 16384")
            }
        }
        do {
            db = try Self.openQueue(path, config)
            // A store written by a newer crosstrail has migrations this one does not know: its
            // tables may mean something else, so it is neither read nor written.
            if let newer = try db.read({ try Self.newerSchema($0, in: "main") }) {
                if lockFD >= 0 { close(lockFD) }
                throw CrossTrailError(
                    .store, "\(path) was \(newer); upgrade crosstrail to use it", at: .file(path: path))
            }
            if !readOnly { try Self.migrator.migrate(db) }
        } catch let e as DatabaseError {
            if lockFD >= 0 { close(lockFD) }
            throw CrossTrailError(
                .store, "\(path): \(e.message ?? e.description)", at: .file(path: path), underlying: e)
        }
    }

    deinit {
        if lockFD >= 0 { close(lockFD) }  // closing releases the flock
    }

    /// Opens the database. A store that may only be read (a read-only file or folder, an evidence
    /// copy) cannot get the WAL index SQLite wants to create beside it: it is then opened as
    /// immutable, which needs no write at all.
    private static func openQueue(_ path: String, _ config: Configuration) throws -> DatabaseQueue {
        do {
            let queue = try DatabaseQueue(path: path, configuration: config)
            if config.readonly {
                _ = try queue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM sqlite_master") }
            }
            return queue
        } catch let e as DatabaseError
            where config.readonly
            && [ResultCode.SQLITE_READONLY, .SQLITE_CANTOPEN].contains(e.resultCode.primaryResultCode)
        {
            let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
            let encoded = absolute.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? absolute
            guard let queue = try? DatabaseQueue(path: "file:\(encoded)?immutable=1", configuration: config),
                (try? queue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM sqlite_master") }) != nil
            else { throw e }
            return queue
        }
    }

    private static func acquireLock(_ lockPath: String, timeout: Double) throws -> Int32 {
        // Never through a symbolic link, and only a regular file: the lock file is truncated and
        // written, so a link planted there must not aim that at another file.
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o644)
        guard fd >= 0 else {
            let why = errno == ELOOP ? "it is a symbolic link; remove it" : String(cString: strerror(errno))
            throw CrossTrailError(.store, "\(lockPath): cannot use the lock file: \(why)", at: .file(path: lockPath))
        }
        var st = Glibc.stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw CrossTrailError(
                .store, "\(lockPath): the lock file is not a regular file; remove it", at: .file(path: lockPath))
        }
        let deadline = Date().addingTimeInterval(timeout)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                close(fd)
                throw CrossTrailError(.store, "\(lockPath): cannot lock: \(String(cString: strerror(errno)))")
            }
            if Date() >= deadline {
                var holder = [UInt8](repeating: 0, count: 64)
                let n = pread(fd, &holder, 63, 0)
                close(fd)
                let who =
                    n > 0
                    ? String(decoding: holder[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                    : "another process"
                throw CrossTrailError(
                    .store,
                    "the store is in use by another crosstrail run (\(who)); waited \(Int(timeout)) s (--lock-timeout)")
            }
            usleep(100_000)
        }
        let me = Array("pid \(getpid()) since \(ISO8601DateFormatter().string(from: Date()))\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, me, me.count, 0)
        return fd
    }

    /// Named, append-only migrations: never edit one that shipped; add the next.
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1-files-events-findings") { db in
            try db.execute(
                sql: """
                    CREATE TABLE runs (
                        id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT,
                        command TEXT NOT NULL, files_read INTEGER, events_added INTEGER, findings INTEGER);
                    CREATE TABLE files (
                        path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime REAL NOT NULL, sha256 TEXT NOT NULL,
                        events INTEGER NOT NULL, run INTEGER NOT NULL REFERENCES runs(id));
                    -- The JSONL text of the events a file added, gzip-compressed together (~10x smaller than
                    -- per-event text); each event points at its block and its line in it.
                    CREATE TABLE blocks (id INTEGER PRIMARY KEY, file TEXT NOT NULL, lines INTEGER NOT NULL, data BLOB NOT NULL);
                    -- Distinct identities as logged (a few thousand, whatever the number of events): actor
                    -- filters are evaluated here, with the timeline's exact glob semantics.
                    CREATE TABLE actors (
                        id INTEGER PRIMARY KEY, sig TEXT NOT NULL UNIQUE, key TEXT NOT NULL, name TEXT NOT NULL, email TEXT,
                        arn TEXT, session_name TEXT, principal_id TEXT, access_key TEXT, run_as TEXT);
                    CREATE TABLE events (
                        seq INTEGER PRIMARY KEY,
                        id TEXT NOT NULL, time INTEGER NOT NULL, content_hash INTEGER NOT NULL,
                        plane TEXT NOT NULL, service TEXT NOT NULL, action TEXT NOT NULL, outcome TEXT NOT NULL,
                        actor INTEGER NOT NULL REFERENCES actors(id), source_ip TEXT,
                        block INTEGER NOT NULL REFERENCES blocks(id), line_in_block INTEGER NOT NULL,
                        UNIQUE (id, time, content_hash));
                    CREATE INDEX events_time ON events(time);
                    CREATE INDEX events_actor ON events(actor, time);
                    CREATE INDEX events_action ON events(action, time);
                    CREATE TABLE event_resources (
                        resource TEXT NOT NULL, event INTEGER NOT NULL REFERENCES events(seq),
                        PRIMARY KEY (resource, event)) WITHOUT ROWID;
                    CREATE TABLE findings (
                        id TEXT PRIMARY KEY, rule TEXT NOT NULL, severity TEXT NOT NULL, title TEXT NOT NULL,
                        status TEXT NOT NULL, first_run INTEGER NOT NULL, last_run INTEGER NOT NULL,
                        first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, json TEXT NOT NULL);
                    CREATE INDEX findings_status ON findings(status);
                    CREATE TABLE finding_history (
                        finding TEXT NOT NULL, run INTEGER NOT NULL, status TEXT NOT NULL, at TEXT NOT NULL);
                    CREATE INDEX finding_history_finding ON finding_history(finding);
                    CREATE TABLE suppressions (
                        finding TEXT PRIMARY KEY, reason TEXT NOT NULL, author TEXT NOT NULL,
                        until TEXT, created_at TEXT NOT NULL);
                    """)
        }
        m.registerMigration("v2-identity-graph") { db in
            try db.execute(
                sql: """
                    CREATE TABLE identities (id TEXT PRIMARY KEY, kind TEXT NOT NULL, label TEXT NOT NULL, run INTEGER NOT NULL);
                    CREATE TABLE links (
                        source TEXT NOT NULL, target TEXT NOT NULL, kind TEXT NOT NULL, confidence TEXT NOT NULL,
                        evidence TEXT NOT NULL, run INTEGER NOT NULL);
                    CREATE INDEX links_source ON links(source);
                    CREATE INDEX links_target ON links(target);
                    """)
        }
        m.registerMigration("v3-baselines") { db in
            // What scans learnt is normal (BaselineFact): first and last seen of each pair.
            try db.execute(
                sql: """
                    CREATE TABLE baseline (
                        kind TEXT NOT NULL, subject TEXT NOT NULL, object TEXT NOT NULL,
                        first_ms INTEGER NOT NULL, last_ms INTEGER NOT NULL, run INTEGER NOT NULL,
                        PRIMARY KEY (kind, subject, object)) WITHOUT ROWID;
                    """)
        }
        m.registerMigration("v4-correlation-matches") { db in
            // Correlation-rule matches a scan hands to the next (CarriedMatch).
            try db.execute(
                sql: """
                    CREATE TABLE correlation_matches (
                        correlation TEXT NOT NULL, group_json TEXT NOT NULL, time_ms INTEGER NOT NULL,
                        event TEXT NOT NULL, rule INTEGER NOT NULL, value TEXT, actor_json TEXT, run INTEGER NOT NULL,
                        PRIMARY KEY (correlation, group_json, event, rule)) WITHOUT ROWID;
                    """)
        }
        return m
    }

    /// Applied migration names, oldest first.
    public func migrations() throws -> [String] {
        try db.read { try Self.migrator.appliedMigrations($0) }
    }

    // MARK: runs

    public func beginRun(command: String, at date: Date = Date()) throws -> Int64 {
        try db.write { db in
            try db.execute(
                sql: "INSERT INTO runs (started_at, command) VALUES (?, ?)", arguments: [Self.iso(date), command])
            return db.lastInsertedRowID
        }
    }

    public func finishRun(_ id: Int64, filesRead: Int, eventsAdded: Int, findings: Int?, at date: Date = Date()) throws
    {
        try db.write { db in
            try db.execute(
                sql: "UPDATE runs SET finished_at = ?, files_read = ?, events_added = ?, findings = ? WHERE id = ?",
                arguments: [Self.iso(date), filesRead, eventsAdded, findings, id])
        }
    }

    public struct Counts: Sendable, Equatable {
        public var files: Int
        public var events: Int
        public var findings: Int
    }

    public func counts() throws -> Counts {
        try db.read { db in
            Counts(
                files: try Int.fetchOne(db, sql: "SELECT count(*) FROM files") ?? 0,
                events: try Int.fetchOne(db, sql: "SELECT count(*) FROM events") ?? 0,
                findings: try Int.fetchOne(db, sql: "SELECT count(*) FROM findings") ?? 0)
        }
    }

    static func iso(_ d: Date) -> String {
        Timestamp(millis: Int64((d.timeIntervalSince1970 * 1000).rounded())).iso8601
    }
}

extension CaseStore {
    /// Adds another store's files and events (a shard's) to this one; events already present are
    /// skipped. Findings are not merged: scan the merged store to get them. One transaction.
    /// Why the store in `schema` (`main`, or an attached one) was made by a newer crosstrail:
    /// migrations this one does not know, whose tables may mean something else. Nil otherwise.
    static func newerSchema(_ db: Database, in schema: String) throws -> String? {
        let hasMigrations =
            try Bool.fetchOne(
                db, sql: "SELECT count(*) > 0 FROM \(schema).sqlite_master WHERE name = 'grdb_migrations'") ?? false
        guard hasMigrations else { return nil }
        let known = Set(migrator.migrations)
        let unknown = try String.fetchAll(db, sql: "SELECT identifier FROM \(schema).grdb_migrations").filter {
            !known.contains($0)
        }
        guard !unknown.isEmpty else { return nil }
        return
            "written by a newer crosstrail (schema migrations \(unknown.sorted().joined(separator: ", ")) are unknown to this one)"
    }

    /// Checks an attached shard (`other`) before anything of it is merged: written by a crosstrail
    /// that knows its schema, every block decompresses, and every event points at a line inside
    /// an existing block. A damaged shard is refused whole, naming what is wrong, rather than
    /// leave a merged store whose queries fail or whose events silently vanish.
    static func validateShard(_ db: Database, _ other: String) throws {
        func damaged(_ why: String) -> CrossTrailError {
            CrossTrailError(.store, "\(other): not merged: \(why)", at: .file(path: other))
        }
        let tables = Set(try String.fetchAll(db, sql: "SELECT name FROM other.sqlite_master WHERE type = 'table'"))
        guard ["blocks", "events", "actors", "files"].allSatisfy(tables.contains) else {
            throw damaged("not a crosstrail case store (no blocks, events, actors or files table)")
        }
        if let newer = try newerSchema(db, in: "other") { throw damaged(newer) }
        var lineCounts = [Int64: Int]()
        let blocks = try Row.fetchCursor(db, sql: "SELECT id, data FROM other.blocks")
        while let b = try blocks.next() {
            let id: Int64 = b["id"]
            guard let data = b["data"] as Data?, let text = GzipCodec.decompress(Array(data), limit: 1 << 30) else {
                throw damaged("block \(id) does not decompress")
            }
            lineCounts[id] = text.split(separator: 10, omittingEmptySubsequences: false).count
        }
        let rows = try Row.fetchCursor(db, sql: "SELECT id, block, line_in_block FROM other.events")
        var bad = 0
        var first: String?
        while let r = try rows.next() {
            let block: Int64 = r["block"], line: Int64 = r["line_in_block"]
            guard let count = lineCounts[block], line >= 0, line < Int64(count) else {
                bad += 1
                if first == nil {
                    first =
                        "event \(r["id"] as String? ?? "?") points at line \(line) of block \(block)"
                        + (lineCounts[block].map { " (\($0) lines)" } ?? " (no such block)")
                }
                continue
            }
        }
        if let first {
            throw damaged("\(bad) event\(bad == 1 ? "" : "s") point outside their blocks; the first: \(first)")
        }
    }

    public func merge(from other: String) throws -> (files: Int, events: Int) {
        guard FileManager.default.fileExists(atPath: other) else {
            throw CrossTrailError(.inputMissing, "\(other): no such store", at: .file(path: other))
        }
        var files = 0, events = 0
        try db.writeWithoutTransaction { db in
            try db.execute(sql: "ATTACH DATABASE ? AS other", arguments: [other])
            defer { try? db.execute(sql: "DETACH DATABASE other") }
            try Self.validateShard(db, other)
            try db.inTransaction {
                let before = try Int.fetchOne(db, sql: "SELECT count(*) FROM events") ?? 0
                let lastSeq = try Int64.fetchOne(db, sql: "SELECT max(seq) FROM events") ?? 0
                try db.execute(
                    sql: """
                        INSERT OR IGNORE INTO actors (sig, key, name, email, arn, session_name, principal_id, access_key, run_as)
                        SELECT sig, key, name, email, arn, session_name, principal_id, access_key, run_as FROM other.actors
                        """)
                // Blocks are copied whole (new ids, mapped in a temporary table); events keep their
                // line in them. One join over the shard's events: linear in its size.
                try db.execute(sql: "CREATE TEMP TABLE block_map (old INTEGER PRIMARY KEY, new INTEGER NOT NULL)")
                defer { try? db.execute(sql: "DROP TABLE IF EXISTS temp.block_map") }
                let blocks = try Row.fetchCursor(db, sql: "SELECT id, file, lines, data FROM other.blocks ORDER BY id")
                while let b = try blocks.next() {
                    try db.execute(
                        sql: "INSERT INTO blocks (file, lines, data) VALUES (?, ?, ?)",
                        arguments: [b["file"] as String, b["lines"] as Int, b["data"] as Data])
                    try db.execute(
                        sql: "INSERT INTO temp.block_map (old, new) VALUES (?, ?)",
                        arguments: [b["id"] as Int64, db.lastInsertedRowID])
                }
                try db.execute(
                    sql: """
                        INSERT OR IGNORE INTO events (id, time, content_hash, plane, service, action, outcome, actor, source_ip, block, line_in_block)
                        SELECT e.id, e.time, e.content_hash, e.plane, e.service, e.action, e.outcome, a.id, e.source_ip, m.new, e.line_in_block
                        FROM other.events e JOIN temp.block_map m ON m.old = e.block
                        JOIN other.actors oa ON oa.id = e.actor JOIN actors a ON a.sig = oa.sig
                        ORDER BY e.seq
                        """)
                // Merging the same shard again adds no event: its copied blocks are dropped again.
                try db.execute(
                    sql: """
                        DELETE FROM blocks WHERE id IN (SELECT new FROM temp.block_map)
                        AND id NOT IN (SELECT DISTINCT block FROM events WHERE seq > ?)
                        """, arguments: [lastSeq])
                events = (try Int.fetchOne(db, sql: "SELECT count(*) FROM events") ?? 0) - before
                try db.execute(
                    sql: """
                        INSERT OR IGNORE INTO event_resources (resource, event)
                        SELECT r.resource, e.seq FROM other.event_resources r
                        JOIN other.events o ON o.seq = r.event
                        JOIN events e ON e.id = o.id AND e.time = o.time AND e.content_hash = o.content_hash
                        """)
                try db.execute(
                    sql: "INSERT INTO runs (started_at, finished_at, command) VALUES (?, ?, ?)",
                    arguments: [Self.iso(Date()), Self.iso(Date()), "store merge " + other])
                let run = db.lastInsertedRowID
                try db.execute(
                    sql: """
                        INSERT INTO files (path, size, mtime, sha256, events, run)
                        SELECT path, size, mtime, sha256, events, ? FROM other.files WHERE true
                        ON CONFLICT(path) DO UPDATE SET size = excluded.size, mtime = excluded.mtime, sha256 = excluded.sha256, events = excluded.events
                        """, arguments: [run])
                try db.execute(
                    sql:
                        "UPDATE runs SET events_added = ?, files_read = (SELECT count(*) FROM other.files) WHERE id = ?",
                    arguments: [events, run])
                // Baselines combine like those of one store (stores before v3 have none).
                if try Bool.fetchOne(db, sql: "SELECT count(*) > 0 FROM other.sqlite_master WHERE name = 'baseline'")
                    == true
                {
                    try db.execute(
                        sql: """
                            INSERT INTO baseline (kind, subject, object, first_ms, last_ms, run)
                            SELECT kind, subject, object, first_ms, last_ms, ? FROM other.baseline WHERE true
                            \(Self.baselineUpsert)
                            """, arguments: [run])
                }
                // So are the correlation matches the shards' scans carried (stores before v4 have none).
                if try Bool.fetchOne(
                    db, sql: "SELECT count(*) > 0 FROM other.sqlite_master WHERE name = 'correlation_matches'") == true
                {
                    try db.execute(
                        sql: """
                            INSERT OR IGNORE INTO correlation_matches
                                (correlation, group_json, time_ms, event, rule, value, actor_json, run)
                            SELECT correlation, group_json, time_ms, event, rule, value, actor_json, ?
                            FROM other.correlation_matches
                            """, arguments: [run])
                }
                files = try Int.fetchOne(db, sql: "SELECT count(*) FROM other.files") ?? 0
                return .commit
            }
        }
        return (files, events)
    }

    /// Runs recorded in the store, newest first.
    public func runs(limit: Int = 20) throws -> [(
        id: Int64, started: String, finished: String?, command: String, events: Int?, findings: Int?
    )] {
        try db.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM runs ORDER BY id DESC LIMIT ?", arguments: [limit]).map {
                (
                    id: $0["id"], started: $0["started_at"], finished: $0["finished_at"], command: $0["command"],
                    events: $0["events_added"], findings: $0["findings"]
                )
            }
        }
    }
}

extension CaseStore {
    /// An identity node and a link as stored (the graph of the latest scan).
    public struct GraphNode: Sendable {
        public var id, kind, label: String
        public init(id: String, kind: String, label: String) { self.id = id; self.kind = kind; self.label = label }
    }
    public struct GraphLink: Sendable {
        public var source, target, kind, confidence, evidenceJSON: String
        public init(source: String, target: String, kind: String, confidence: String, evidenceJSON: String) {
            self.source = source; self.target = target; self.kind = kind; self.confidence = confidence;
            self.evidenceJSON = evidenceJSON
        }
    }

    /// Replaces the stored identity graph with the latest scan's (one transaction).
    public func replaceGraph(nodes: [GraphNode], links: [GraphLink], run: Int64) throws {
        try db.write { db in
            try db.execute(sql: "DELETE FROM identities")
            try db.execute(sql: "DELETE FROM links")
            let n = try db.cachedStatement(sql: "INSERT INTO identities (id, kind, label, run) VALUES (?, ?, ?, ?)")
            for node in nodes { try n.execute(arguments: [node.id, node.kind, node.label, run]) }
            let l = try db.cachedStatement(
                sql: "INSERT INTO links (source, target, kind, confidence, evidence, run) VALUES (?, ?, ?, ?, ?, ?)")
            for link in links {
                try l.execute(arguments: [link.source, link.target, link.kind, link.confidence, link.evidenceJSON, run])
            }
        }
    }

    /// Links of an identity in the stored graph.
    public func links(of id: String) throws -> [GraphLink] {
        try db.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM links WHERE source = ? OR target = ? ORDER BY source, target, kind",
                arguments: [id, id]
            ).map {
                GraphLink(
                    source: $0["source"], target: $0["target"], kind: $0["kind"], confidence: $0["confidence"],
                    evidenceJSON: $0["evidence"])
            }
        }
    }
}
