import CrossTrailModel
import GRDB

extension CaseStore {
    /// Keeps the earliest first and the latest last sighting of a pair.
    static let baselineUpsert = """
        ON CONFLICT (kind, subject, object) DO UPDATE SET
            first_ms = min(first_ms, excluded.first_ms), last_ms = max(last_ms, excluded.last_ms), run = excluded.run
        """

    /// Adds what a scan learnt to the recorded baseline (one transaction).
    public func recordBaseline(_ facts: [BaselineFact], run: Int64) throws {
        try db.write { db in
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO baseline (kind, subject, object, first_ms, last_ms, run) VALUES (?, ?, ?, ?, ?, ?)
                    \(Self.baselineUpsert)
                    """)
            for f in facts {
                try insert.execute(arguments: [f.kind, f.subject, f.object, f.first.millis, f.last.millis, run])
            }
        }
    }

    /// Everything recorded, in a stable order.
    public func baselineFacts() throws -> [BaselineFact] {
        try db.read { db in
            try Row.fetchAll(
                db, sql: "SELECT kind, subject, object, first_ms, last_ms FROM baseline ORDER BY kind, subject, object"
            ).map {
                BaselineFact(
                    kind: $0["kind"], subject: $0["subject"], object: $0["object"],
                    first: Timestamp(millis: $0["first_ms"]), last: Timestamp(millis: $0["last_ms"]))
            }
        }
    }

    /// How many facts are recorded; nil for a store written before baselines were kept.
    public func baselineCount() throws -> Int? {
        try db.read { db in
            guard try db.tableExists("baseline") else { return nil }
            return try Int.fetchOne(db, sql: "SELECT count(*) FROM baseline") ?? 0
        }
    }
}
