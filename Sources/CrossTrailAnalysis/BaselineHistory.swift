import CrossTrailModel

/// What earlier scans recorded in a case store, so that a scheduled scan of only the newest files
/// (`scan --store --since-last`) still judges first access, new sharing addresses and narrowed
/// trail selectors against everything seen before, not just its own hour.
public struct BaselineHistory: Sendable {
    /// When recorded observation began and ended.
    var observed: (first: Timestamp, last: Timestamp)?
    /// (classified resource, reader) → first read.
    var firstReads: [Observations.Pair: Timestamp] = [:]
    /// (Delta Sharing recipient or actor, source address) → first seen.
    var sharingAddresses: [Observations.Pair: Timestamp] = [:]
    /// Trail → the selector configurations it had, each with when it was last set.
    var selectors: [String: [(time: Timestamp, selectors: ChangeChecks.Selectors)]] = [:]

    /// The kinds of fact a scan records.
    enum Kind {
        static let observed = "observed"
        static let classifiedRead = "classified-read"
        static let sharingAddress = "sharing-address"
        static let trailSelectors = "trail-selectors"
    }

    public init() {}

    /// Reads recorded facts; kinds this version does not know are left out.
    public init(facts: [BaselineFact]) {
        for f in facts {
            switch f.kind {
            case Kind.observed:
                observed = (min(observed?.first ?? f.first, f.first), max(observed?.last ?? f.last, f.last))
            case Kind.classifiedRead:
                firstReads[Observations.Pair(f.subject, f.object)] = f.first
            case Kind.sharingAddress:
                sharingAddresses[Observations.Pair(f.subject, f.object)] = f.first
            case Kind.trailSelectors:
                if let s = ChangeChecks.Selectors(encoded: f.object) {
                    selectors[f.subject, default: []].append((f.last, s))
                }
            default:
                continue
            }
        }
    }

    /// The trail's selectors as last set before `time`, if recorded.
    func selectors(of trail: String, before time: Timestamp) -> ChangeChecks.Selectors? {
        selectors[trail]?.filter { $0.time < time }.max { $0.time < $1.time }?.selectors
    }

    /// What this run's observations add to the record.
    static func facts(_ obs: Observations, _ graph: IdentityGraph) -> [BaselineFact] {
        guard let first = obs.first, let last = obs.last else { return [] }
        var out = [BaselineFact(kind: Kind.observed, subject: "", object: "", first: first, last: last)]
        for (resource, readers) in StatefulRules.classifiedReaders(obs, graph) {
            for (reader, read) in readers {
                guard let f = read.sample.first, let l = read.sample.last else { continue }
                out.append(
                    BaselineFact(kind: Kind.classifiedRead, subject: resource, object: reader, first: f, last: l))
            }
        }
        for (pair, sample) in obs.sharingAddresses {
            guard let f = sample.first, let l = sample.last else { continue }
            out.append(BaselineFact(kind: Kind.sharingAddress, subject: pair.a, object: pair.b, first: f, last: l))
        }
        for (trail, changes) in obs.selectorChanges {
            for c in changes {
                out.append(
                    BaselineFact(
                        kind: Kind.trailSelectors, subject: trail, object: c.selectors.encoded, first: c.time,
                        last: c.time))
            }
        }
        return out.sorted { ($0.kind, $0.subject, $0.object) < ($1.kind, $1.subject, $1.object) }
    }
}
