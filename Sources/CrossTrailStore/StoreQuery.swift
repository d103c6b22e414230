import CrossTrailIngest
import CrossTrailModel
import Foundation
import GRDB

extension CaseStore {
    /// Streams stored events matching the filter, in timeline order (time, id, bytes), as their
    /// JSONL lines. The time range and literal actors use indexes; the rest of the filter is
    /// applied to the indexed columns of each candidate row.
    public func events(matching filter: EventFilter, _ body: (String) throws -> Void) throws -> Int {
        try db.read { db in
            var clauses = [String](), args = [any DatabaseValueConvertible]()
            if let since = filter.since { clauses.append("e.time >= ?"); args.append(since.millis) }
            if let until = filter.until { clauses.append("e.time < ?"); args.append(until.millis) }
            if !filter.planes.isEmpty {
                clauses.append("e.plane IN (" + filter.planes.map { _ in "?" }.joined(separator: ",") + ")")
                args += filter.planes.map(\.rawValue).sorted()
            }
            // Actor globs are evaluated on the distinct identities, then the actor index does the rest.
            if !filter.actors.isEmpty {
                var ids = [Int64]()
                for row in try Row.fetchAll(db, sql: "SELECT * FROM actors") {
                    var a = Actor(kind: .unknown, key: row["key"], displayName: row["name"])
                    a.email = row["email"]
                    a.arn = row["arn"]
                    a.sessionName = row["session_name"]
                    a.principalId = row["principal_id"]
                    a.accessKeyId = row["access_key"]
                    a.runAs = row["run_as"]
                    if filter.matchesActor(a) { ids.append(row["id"]) }
                }
                if ids.isEmpty { return 0 }
                clauses.append("e.actor IN (" + ids.map(String.init).joined(separator: ",") + ")")
            }
            let sql =
                "SELECT e.seq, e.id, e.time, e.plane, e.service, e.action, e.outcome, e.block, e.line_in_block FROM events e"
                + (clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND "))
                + " ORDER BY e.time, e.id, e.content_hash"
            var count = 0
            let resourceStatement = try db.cachedStatement(sql: "SELECT resource FROM event_resources WHERE event = ?")
            let blockStatement = try db.cachedStatement(sql: "SELECT data FROM blocks WHERE id = ?")
            var blocks = BlockCache()
            let rows = try Row.fetchCursor(db, sql: sql, arguments: StatementArguments(args))
            let anyone = Actor(kind: .unknown, key: "", displayName: "")
            while let row = try rows.next() {
                var e = AuditEvent(
                    id: row["id"], time: Timestamp(millis: row["time"]), plane: Plane(rawValue: row["plane"]) ?? .aws,
                    service: row["service"], action: row["action"],
                    outcome: Outcome(status: OutcomeStatus(rawValue: row["outcome"]) ?? .unknown), actor: anyone,
                    format: .cloudtrailDelivery, provenance: Provenance(file: "", line: nil, offset: 0, sha256: ""))
                if !filter.resources.isEmpty {
                    let seq: Int64 = row["seq"]
                    e.resources = try String.fetchAll(resourceStatement, arguments: [seq]).map {
                        Resource(type: "", id: $0)
                    }
                }
                guard filter.matchesRest(e) else { continue }
                let block: Int64 = row["block"], index: Int = row["line_in_block"]
                let lines = try blocks.lines(block) {
                    guard let gz = try Data.fetchOne(blockStatement, arguments: [block]),
                        let text = GzipCodec.decompress(Array(gz), limit: 1 << 30)
                    else {
                        throw CrossTrailError(.store, "\(path): block \(block) is missing or damaged")
                    }
                    return text.split(separator: 10, omittingEmptySubsequences: false).map {
                        String(decoding: $0, as: UTF8.self)
                    }
                }
                guard index >= 0, index < lines.count else {
                    throw CrossTrailError(
                        .store, "\(path): event \(e.id) points outside block \(block) (line \(index) of \(lines.count))"
                    )
                }
                count += 1
                try body(lines[index])
            }
            return count
        }
    }
}

/// Decompressed blocks, most recently used kept (events of one file are close in time).
struct BlockCache {
    private var entries: [Int64: [String]] = [:]
    private var order: [Int64] = []
    private let capacity = 64

    mutating func lines(_ id: Int64, load: () throws -> [String]) throws -> [String] {
        if let hit = entries[id] { return hit }
        let value = try load()
        entries[id] = value
        order.append(id)
        if order.count > capacity { entries[order.removeFirst()] = nil }
        return value
    }
}
