import CrossTrailModel
import CrossTrailRules

extension Observations {
    /// How much earlier than the latest event a match is still carried, beyond its correlation's
    /// timespan: audit logs arrive late and out of order (CloudTrail within about 15 minutes,
    /// Databricks audit delivery within the hour), so the next scan's first events may be older
    /// than this one's last.
    public static let carrySlackMillis: Int64 = 3_600_000

    /// Adds the matches an earlier scan carried (`carriedMatches`) to this scan's own, for the
    /// correlations still loaded; a window made only of carried matches was that scan's to judge.
    public mutating func carry(_ matches: [CarriedMatch], correlations: [SigmaCorrelation]) {
        let rules = Dictionary(correlations.map { ($0.id, $0.references.count) }, uniquingKeysWith: { a, _ in a })
        let usable = matches.filter { m in rules[m.correlation].map { m.rule >= 0 && m.rule < $0 } ?? false }
        let byGroup = Dictionary(grouping: usable) {
            RuleMatcher.CorrelationKey(correlation: $0.correlation, group: $0.group)
        }
        for (key, carried) in byGroup {
            correlationGroups[key, default: CorrelationGroup()].carry(
                carried.map {
                    (CorrelationHit(time: $0.time, event: $0.event, rule: $0.rule, value: $0.value), $0.actor)
                }
            )
        }
    }

    /// What the next scan needs to see a correlation across the two: each group's matches within
    /// the correlation's timespan (plus `carrySlackMillis`) of the latest event this scan read or
    /// carried, at most `CorrelationGroup.cap` per group. Sorted, so the store writes the same rows
    /// for the same matches.
    public func carriedMatches(correlations: [SigmaCorrelation]) -> [CarriedMatch] {
        let spans = Dictionary(correlations.map { ($0.id, $0.timespanMillis) }, uniquingKeysWith: { a, _ in a })
        let latest = correlationGroups.values.compactMap { $0.hits.map(\.time.millis).max() }.max()
        guard let watermark = [latest, last?.millis].compactMap({ $0 }).max() else { return [] }
        var out = [CarriedMatch]()
        for (key, stored) in correlationGroups.sorted(by: { $0.key < $1.key }) {
            guard let span = spans[key.correlation] else { continue }
            var group = stored
            group.trim()
            let from = watermark - span - Self.carrySlackMillis
            for h in group.hits where h.time.millis >= from {
                out.append(
                    CarriedMatch(
                        correlation: key.correlation, group: key.group, time: h.time, event: h.event, rule: h.rule,
                        value: h.value, actor: group.actor))
            }
        }
        return out
    }
}
