import CrossTrailModel
import Foundation
import GRDB

extension CaseStore {
    /// Streams stored events matching the filter, in timeline order (time, id, bytes), as their
    /// JSONL lines. The time range and literal actors use indexes; the rest of the filter is
    /// applied to the indexed columns of each candidate row.
    public func events(matching filter: EventFilter, _ body: (String) throws -> Void) throws -> Int {
        var clauses = [String](), args = [any DatabaseValueConvertible]()
        if let since = filter.since { clauses.append("time >= ?"); args.append(since.millis) }
        if let until = filter.until { clauses.append("time < ?"); args.append(until.millis) }
        if !filter.planes.isEmpty {
            clauses.append("plane IN (" + filter.planes.map { _ in "?" }.joined(separator: ",") + ")")
            args += filter.planes.map(\.rawValue).sorted()
        }
        // Literal actor values (no wildcard) narrow through the actor and email indexes.
        let literal = filter.actors.map(\.pattern).filter { !$0.contains("*") && !$0.contains("?") }
        if !literal.isEmpty && literal.count == filter.actors.count {
            let marks = literal.map { _ in "?" }.joined(separator: ",")
            clauses.append("(actor_key IN (\(marks)) OR actor_email IN (\(marks)) OR session_name IN (\(marks)) OR actor_name IN (\(marks)) OR access_key IN (\(marks)))")
            for _ in 0..<5 { args += literal.map { $0 as any DatabaseValueConvertible } }
        }
        let sql = "SELECT seq, id, time, plane, service, action, outcome, actor_key, actor_email, actor_name, actor_arn, session_name, access_key, json FROM events"
            + (clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")) + " ORDER BY time, id, json"
        return try db.read { db in
            var count = 0
            let resourceStatement = try db.cachedStatement(sql: "SELECT resource FROM event_resources WHERE event = ?")
            let rows = try Row.fetchCursor(db, sql: sql, arguments: StatementArguments(args))
            while let row = try rows.next() {
                var actor = Actor(kind: .unknown, key: row["actor_key"], displayName: row["actor_name"])
                actor.email = row["actor_email"]
                actor.arn = row["actor_arn"]
                actor.sessionName = row["session_name"]
                actor.accessKeyId = row["access_key"]
                guard filter.matchesActor(actor) else { continue }
                var e = AuditEvent(id: row["id"], time: Timestamp(millis: row["time"]), plane: Plane(rawValue: row["plane"]) ?? .aws,
                                   service: row["service"], action: row["action"],
                                   outcome: Outcome(status: OutcomeStatus(rawValue: row["outcome"]) ?? .unknown), actor: actor,
                                   format: .cloudtrailDelivery, provenance: Provenance(file: "", line: nil, offset: 0, sha256: ""))
                if !filter.resources.isEmpty {
                    let seq: Int64 = row["seq"]
                    e.resources = try String.fetchAll(resourceStatement, arguments: [seq]).map { Resource(type: "", id: $0) }
                }
                guard filter.matchesRest(e) else { continue }
                count += 1
                try body(row["json"])
            }
            return count
        }
    }
}
