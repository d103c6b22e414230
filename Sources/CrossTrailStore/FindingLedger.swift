import CrossTrailModel
import Foundation
import GRDB

public struct Suppression: Sendable, Hashable, Codable {
    public var finding: String
    public var reason: String
    public var author: String
    /// Last day (YYYY-MM-DD, UTC) the suppression holds; nil: until removed.
    public var until: String?
    public var createdAt: String
}

extension CaseStore {
    public struct Reconciled: Sendable {
        /// This scan's findings, each with its status.
        public var current: [Finding]
        /// Findings open before and not seen now (status resolved).
        public var resolved: [Finding]
    }

    /// Records a scan's findings: new ones are added, known ones updated, open ones no longer
    /// seen become resolved, resolved ones seen again are reopened, and suppressed ones keep
    /// their suppression while it has not expired. One transaction.
    /// Findings of `notEvaluated` rules (not run in this scan) keep their status.
    public func reconcile(_ findings: [Finding], run: Int64, notEvaluated: Set<String> = [], at date: Date = Date())
        throws -> Reconciled
    {
        let now = Self.iso(date)
        let today = String(now.prefix(10))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try db.write { db in
            var known = [String: String]()
            for row in try Row.fetchAll(db, sql: "SELECT id, status, rule FROM findings") {
                let rule: String = row["rule"]
                if !notEvaluated.contains(rule) { known[row["id"]] = row["status"] }
            }
            var suppressed = Set<String>()
            for row in try Row.fetchAll(db, sql: "SELECT finding, until FROM suppressions") {
                let until: String? = row["until"]
                if until.map({ $0 >= today }) ?? true { suppressed.insert(row["finding"]) }
            }
            var current = [Finding]()
            var seen = Set<String>()
            for var f in findings {
                seen.insert(f.id)
                let before = known[f.id].flatMap(FindingStatus.init(rawValue:))
                let status: FindingStatus
                if suppressed.contains(f.id) || f.status == FindingStatus.suppressed.rawValue {
                    status = .suppressed
                } else if before == nil {
                    status = .new
                } else if before == .resolved {
                    status = .reopened
                } else {
                    status = .open
                }
                f.status = status.rawValue
                let json = String(decoding: try encoder.encode(f), as: UTF8.self)
                try db.execute(
                    sql: """
                        INSERT INTO findings (id, rule, severity, title, status, first_run, last_run, first_seen, last_seen, json)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT(id) DO UPDATE SET severity = excluded.severity, title = excluded.title, status = excluded.status,
                            last_run = excluded.last_run, last_seen = excluded.last_seen, json = excluded.json
                        """,
                    arguments: [f.id, f.rule, f.severity.rawValue, f.title, status.rawValue, run, run, now, now, json])
                if before != status {
                    try db.execute(
                        sql: "INSERT INTO finding_history (finding, run, status, at) VALUES (?, ?, ?, ?)",
                        arguments: [f.id, run, status.rawValue, now])
                }
                current.append(f)
            }
            var resolved = [Finding]()
            for (id, statusText) in known.sorted(by: { $0.key < $1.key }) where !seen.contains(id) {
                guard let status = FindingStatus(rawValue: statusText), status != .resolved else { continue }
                try db.execute(sql: "UPDATE findings SET status = 'resolved' WHERE id = ?", arguments: [id])
                try db.execute(
                    sql: "INSERT INTO finding_history (finding, run, status, at) VALUES (?, ?, 'resolved', ?)",
                    arguments: [id, run, now])
                if var f = try Self.finding(db, id) {
                    f.status = FindingStatus.resolved.rawValue
                    resolved.append(f)
                }
            }
            return Reconciled(current: current, resolved: resolved)
        }
    }

    /// A status change outside a scan (suppress, unsuppress), attributed to the latest run.
    static func recordChange(_ db: Database, _ id: String, _ status: String, _ at: String) throws {
        try db.execute(
            sql:
                "INSERT INTO finding_history (finding, run, status, at) VALUES (?, (SELECT coalesce(max(id), 0) FROM runs), ?, ?)",
            arguments: [id, status, at])
    }

    static func finding(_ db: Database, _ id: String) throws -> Finding? {
        guard let row = try Row.fetchOne(db, sql: "SELECT json, status FROM findings WHERE id = ?", arguments: [id])
        else { return nil }
        let json: String = row["json"]
        var f = try JSONDecoder().decode(Finding.self, from: Data(json.utf8))
        f.status = row["status"]
        return f
    }

    /// Stored findings with the given statuses (all when empty), most severe first.
    public func findings(status: Set<FindingStatus> = []) throws -> [Finding] {
        try db.read { db in
            try String.fetchAll(db, sql: "SELECT id FROM findings ORDER BY id").compactMap { try Self.finding(db, $0) }
        }
        .filter { f in status.isEmpty || f.status.flatMap(FindingStatus.init(rawValue:)).map(status.contains) == true }
        .sorted { a, b in a.severity != b.severity ? a.severity > b.severity : (a.rule, a.id) < (b.rule, b.id) }
    }

    /// Suppresses a finding (it must exist) with a reason, an author and an optional last day.
    public func suppress(_ id: String, reason: String, author: String, until: String?, at date: Date = Date()) throws {
        try db.write { db in
            guard try Int.fetchOne(db, sql: "SELECT count(*) FROM findings WHERE id = ?", arguments: [id]) == 1 else {
                throw CrossTrailError(.usage, "no finding \(id) in \(path) (see `crosstrail findings --store \(path)`)")
            }
            try db.execute(
                sql: """
                    INSERT INTO suppressions (finding, reason, author, until, created_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT(finding) DO UPDATE SET reason = excluded.reason, author = excluded.author, until = excluded.until,
                        created_at = excluded.created_at
                    """, arguments: [id, reason, author, until, Self.iso(date)])
            try db.execute(
                sql:
                    "UPDATE findings SET status = 'suppressed' WHERE id = ? AND status NOT IN ('resolved', 'suppressed')",
                arguments: [id])
            if db.changesCount > 0 { try Self.recordChange(db, id, "suppressed", Self.iso(date)) }
        }
    }

    public func unsuppress(_ id: String) throws {
        try db.write { db in
            try db.execute(sql: "DELETE FROM suppressions WHERE finding = ?", arguments: [id])
            guard db.changesCount > 0 else { throw CrossTrailError(.usage, "finding \(id) is not suppressed") }
            try db.execute(
                sql: "UPDATE findings SET status = 'open' WHERE id = ? AND status = 'suppressed'", arguments: [id])
            if db.changesCount > 0 { try Self.recordChange(db, id, "open", Self.iso(Date())) }
        }
    }

    public func suppressions() throws -> [Suppression] {
        try db.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM suppressions ORDER BY finding").map {
                Suppression(
                    finding: $0["finding"], reason: $0["reason"], author: $0["author"], until: $0["until"],
                    createdAt: $0["created_at"])
            }
        }
    }

    /// A finding's status changes, oldest first.
    public func history(_ id: String) throws -> [(run: Int64, status: String, at: String)] {
        try db.read { db in
            try Row.fetchAll(
                db, sql: "SELECT run, status, at FROM finding_history WHERE finding = ? ORDER BY rowid", arguments: [id]
            )
            .map { (run: $0["run"], status: $0["status"], at: $0["at"]) }
        }
    }
}
