import CrossTrailModel
import Foundation

/// Which JSONL keys to write (`--fields`): top-level keys of the schema, or single actor keys
/// as `actor.<key>`. Checked with bit masks on the rendering hot path.
public struct JSONLFields: Sendable, Equatable {
    public enum Top: Int, CaseIterable, Sendable {
        case id, time, plane, service, action, outcome, actor, sourceIPAddress, userAgent, vpcEndpointId, tlsVersion
        case account, region, workspace, resources, requestId, eventType, readOnly, requestParameters, format, source,
            person

        var name: String { String(describing: self) }
    }

    public enum ActorKey: Int, CaseIterable, Sendable {
        case kind, key, name, arn, email, principalId, accountId, sessionIssuer, sessionName, accessKeyId, mfa, runAs,
            onBehalfOf

        var name: String { String(describing: self) }
    }

    var top: UInt32
    var actor: UInt32

    /// Every key (the default).
    public static let all = JSONLFields(top: UInt32.max, actor: UInt32.max)

    init(top: UInt32, actor: UInt32) {
        self.top = top
        self.actor = actor
    }

    public struct UnknownField: Error, CustomStringConvertible {
        public let name: String
        public var description: String {
            "unknown field '\(name)'; known: "
                + (Top.allCases.map(\.name) + ActorKey.allCases.map { "actor." + $0.name }).joined(separator: ", ")
        }
    }

    /// Parses `id,time,actor.key,...`.
    public init(parsing list: String) throws(UnknownField) {
        top = 0
        actor = 0
        for raw in list.split(separator: ",") {
            let name = raw.trimmingCharacters(in: .whitespaces)
            if name.hasPrefix("actor.") {
                let sub = String(name.dropFirst(6))
                guard let k = ActorKey.allCases.first(where: { $0.name == sub }) else { throw UnknownField(name: name) }
                top |= 1 << Top.actor.rawValue
                actor |= 1 << k.rawValue
            } else {
                guard let t = Top.allCases.first(where: { $0.name == name }) else { throw UnknownField(name: name) }
                top |= 1 << t.rawValue
                if t == .actor { actor = UInt32.max }
            }
        }
    }

    @inline(__always) func has(_ t: Top) -> Bool { top & (1 << t.rawValue) != 0 }
    @inline(__always) func has(_ k: ActorKey) -> Bool { actor & (1 << k.rawValue) != 0 }

    /// The parts of events these keys need decoded.
    public var detail: EventDetail {
        var d: EventDetail = []
        if has(.userAgent) { d.insert(.userAgent) }
        if has(.vpcEndpointId) || has(.tlsVersion) { d.insert(.network) }
        if has(.account) || has(.region) || has(.workspace) { d.insert(.location) }
        if has(.resources) { d.insert(.resources) }
        if has(.requestParameters) { d.insert(.requestParameters) }
        if has(.requestId) || has(.eventType) || has(.readOnly) { d.insert(.request) }
        return d
    }
}
