import CrossTrailModel
import Foundation
import GRDB

/// A row of `correlation_matches`: one `CarriedMatch`, its group and actor as JSON.
struct CarriedMatchRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "correlation_matches"
    var correlation: String
    var groupJSON: String
    var timeMs: Int64
    var event: String
    var rule: Int
    var value: String?
    var actorJSON: String?
    var run: Int64

    enum CodingKeys: String, CodingKey {
        case correlation, event, rule, value, run
        case groupJSON = "group_json"
        case timeMs = "time_ms"
        case actorJSON = "actor_json"
    }

    private static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }()

    init(_ m: CarriedMatch, run: Int64) throws {
        correlation = m.correlation
        groupJSON = String(decoding: try Self.encoder.encode(m.group), as: UTF8.self)
        timeMs = m.time.millis
        event = m.event
        rule = m.rule
        value = m.value
        actorJSON = try m.actor.map { String(decoding: try Self.encoder.encode($0), as: UTF8.self) }
        self.run = run
    }

    func match() throws -> CarriedMatch {
        let decoder = JSONDecoder()
        return CarriedMatch(
            correlation: correlation, group: try decoder.decode([String].self, from: Data(groupJSON.utf8)),
            time: Timestamp(millis: timeMs), event: event, rule: rule, value: value,
            actor: try actorJSON.map { try decoder.decode(Actor.self, from: Data($0.utf8)) })
    }
}

extension CaseStore {
    /// The correlation matches the last scan carried forward, in a stable order.
    public func carriedMatches() throws -> [CarriedMatch] {
        try db.read { db in
            try CarriedMatchRecord.order(sql: "correlation, group_json, time_ms, event, rule").fetchAll(db)
                .map { try $0.match() }
        }
    }

    /// Replaces the carried matches with `matches` (one transaction): what a scan carries is
    /// everything the next one needs, the earlier runs' included.
    public func replaceCarriedMatches(_ matches: [CarriedMatch], run: Int64) throws {
        try db.write { db in
            try CarriedMatchRecord.deleteAll(db)
            for m in matches { try CarriedMatchRecord(m, run: run).insert(db, onConflict: .ignore) }
        }
    }
}
