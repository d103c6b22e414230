import CrossTrailModel
import CrossTrailRules

extension Analyzer {
    /// One finding per correlation rule and group whose matches satisfy it within its timespan,
    /// with the matches of the first such window as evidence. A group whose matches went past
    /// the kept limit and did not satisfy the rule is reported as not fully evaluated (info),
    /// never as silence.
    static func correlationFindings(_ obs: Observations, _ rules: RuleSet, _ graph: IdentityGraph) -> [Finding] {
        let byID = Dictionary(rules.correlations.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var findings = [Finding]()
        for (key, stored) in obs.correlationGroups.sorted(by: { $0.key < $1.key }) {
            guard let correlation = byID[key.correlation] else { continue }
            var group = stored
            group.trim()
            let groupText = zip(correlation.groupBy, key.group).map { "\($0)=\($1.isEmpty ? "(none)" : $1)" }
                .joined(separator: ", ")
            let who = group.actor.flatMap { graph.attribution(for: $0) }
            let subjects = group.actor.map { [subject($0, person: who?.person)] }
            guard let window = correlation.firstWindow(group.hits, carried: group.carried) else {
                if group.dropped > 0 {
                    findings.append(
                        Finding(
                            rule: correlation.id, severity: .info,
                            title:
                                "\(correlation.title): not fully evaluated for \(groupText) (\(group.dropped) matches past the limit of \(CorrelationGroup.cap))",
                            subjects: subjects ?? [], resources: [],
                            evidence: Evidence(
                                events: Array(group.hits.prefix(EventSample.findingCap).map(\.event)),
                                details: [
                                    "correlation": correlation.kind.rawValue, "group": groupText,
                                    "matches kept": String(group.hits.count), "matches not kept": String(group.dropped),
                                ]),
                            controls: [], remediation: "Narrow the period (--since/--until) and scan again.",
                            mitre: nil, key: "truncated|" + key.group.joined(separator: "|")))
                }
                continue
            }
            let first = window.hits.first?.time, last = window.hits.last?.time
            var details = [
                "correlation": correlation.kind.rawValue,
                "rules": correlation.ruleIDs.joined(separator: ", "),
                "timespan": correlation.timespan,
                "group": groupText,
                "first": first?.iso8601 ?? "", "last": last?.iso8601 ?? "",
                "rule file": correlation.file,
            ]
            switch correlation.kind {
            case .eventCount: details["events in window"] = String(window.measured)
            case .valueCount:
                details["distinct \(correlation.condition?.field ?? "values")"] = String(window.measured)
                let values = Set(window.hits.compactMap(\.value)).sorted()
                details["values"] = values.prefix(RuleMatcher.Hits.valueCap).joined(separator: ", ")
            case .temporal, .temporalOrdered:
                details["sequence"] = window.hits.map { correlation.ruleIDs[$0.rule] }.joined(separator: " → ")
            }
            if let condition = correlation.condition, !condition.bounds.isEmpty {
                details["condition"] = condition.description
            }
            if !correlation.tactics.isEmpty { details["tactics"] = correlation.tactics.joined(separator: ", ") }
            let earlier = window.hits.filter { group.carried.contains($0.event) }.count
            if earlier > 0 { details["matches from earlier scans"] = String(earlier) }
            let events = Array(Set(window.hits.map(\.event))).sorted()
            findings.append(
                Finding(
                    rule: correlation.id, severity: correlation.severity,
                    title: "\(correlation.title): \(groupText)"
                        + (correlation.kind == .eventCount
                            ? " (\(window.measured) events in \(correlation.timespan))" : ""),
                    subjects: subjects ?? [], resources: [],
                    evidence: Evidence(
                        events: Array(events.prefix(EventSample.findingCap)),
                        chain: who?.chain ?? [], details: details),
                    controls: correlation.controls, remediation: correlation.remediation,
                    mitre: correlation.mitre.first,
                    key: key.group.joined(separator: "|")))
        }
        return findings
    }
}

extension Analyzer {
    /// Rules whose regular expressions stopped at the time limit on some values: those values
    /// were treated as not matching, so the rule may have missed events. Reported, never silent.
    static func regexLimitFindings(_ rules: RuleSet) -> [Finding] {
        rules.rules.compactMap { rule in
            let stopped = rule.regexTimeouts
            guard stopped > 0 else { return nil }
            return Finding(
                rule: "rule-regex-time-limit", severity: .low,
                title:
                    "Rule \(rule.id): its regular expression stopped at the time limit on \(stopped) value\(stopped == 1 ? "" : "s") (treated as no match)",
                subjects: [], resources: [],
                evidence: Evidence(details: ["rule": rule.id, "rule file": rule.file, "values": String(stopped)]),
                controls: [],
                remediation:
                    "Rewrite the expression without nested repetition (such as (a+)+), then scan again; a field value built to stall matching can also be an attempt to slip past detection.",
                mitre: nil, key: rule.id)
        }
    }
}
