/// What a rule set detects, as Markdown tables: ATT&CK techniques and Stratus Red Team
/// techniques, each with the rules that detect it (`crosstrail rules coverage`; Docs/rules.md).
public enum RuleCoverage {
    /// The rules that report findings (not those that only feed correlations), the correlation
    /// rules, and `extra`: detections outside the Sigma set (the stateful ones) as (id, techniques,
    /// stratus ids).
    public static func markdown(
        _ set: RuleSet, extra: [(id: String, techniques: [String], stratus: [String])] = []
    ) -> String {
        var byTechnique = [String: Set<String>]()
        var byStratus = [String: Set<String>]()
        for c in set.correlations {
            for t in c.mitre { byTechnique[t, default: []].insert(c.id) }
        }
        for r in set.rules where !set.correlationOnly.contains(r.id) {
            for t in r.mitre { byTechnique[t, default: []].insert(r.id) }
            for s in r.metadata.stratus { byStratus[s, default: []].insert(r.id) }
        }
        for x in extra {
            for t in x.techniques { byTechnique[t, default: []].insert(x.id) }
            for s in x.stratus { byStratus[s, default: []].insert(x.id) }
        }
        var out = "| ATT&CK technique | rules |\n|---|---|\n"
        for (t, ids) in byTechnique.sorted(by: { $0.key < $1.key }) {
            out +=
                "| [\(t)](https://attack.mitre.org/techniques/\(t.replacingOccurrences(of: ".", with: "/"))/) | "
                + ids.sorted().map { "`\($0)`" }.joined(separator: ", ") + " |\n"
        }
        out += "\n| Stratus Red Team technique | rules |\n|---|---|\n"
        for (s, ids) in byStratus.sorted(by: { $0.key < $1.key }) {
            out += "| `\(s)` | " + ids.sorted().map { "`\($0)`" }.joined(separator: ", ") + " |\n"
        }
        let reporting = set.rules.filter { !set.correlationOnly.contains($0.id) }
        let planes = Dictionary(grouping: reporting) { $0.product ?? "any" }.mapValues(\.count)
        let planeCounts = planes.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
        out +=
            "\n\(reporting.count) Sigma rules (" + planeCounts.joined(separator: ", ")
            + "), \(set.correlations.count) correlation rules and \(extra.count) stateful detections; \(byTechnique.count) ATT&CK techniques, \(byStratus.count) Stratus Red Team techniques.\n"
        return out
    }
}
