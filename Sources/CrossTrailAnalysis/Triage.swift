import CrossTrailModel

/// The responder's first view: actors ranked by how many distinct attack families (ATT&CK
/// tactics) their findings touch. One noisy detection is one family; an actor who disabled
/// logging, read secrets and shared a snapshot touched three.
public struct ActorRank: Sendable, Hashable, Codable {
    /// The person behind the actor where the identity graph knows it, else the actor.
    public var actor: String
    public var tactics: [String]
    public var rules: [String]
    public var findings: [String]
    public var highest: Severity
}

public enum Triage {
    /// ATT&CK tactic of the techniques crosstrail's own detections report (event rules carry
    /// their tactics in `details["tactics"]`).
    static let tacticOfTechnique: [String: String] = [
        "T1110": "credential-access", "T1555": "credential-access", "T1555.006": "credential-access",
        "T1552": "credential-access",
        "T1552.005": "credential-access", "T1580": "discovery", "T1526": "discovery", "T1490": "impact",
        "T1485": "impact",
        "T1496": "impact", "T1530": "collection", "T1537": "exfiltration", "T1562.008": "defense-evasion",
        "T1098.001": "persistence",
        "T1078": "initial-access", "T1078.004": "initial-access",
    ]

    /// Actors with findings from event evidence (permission findings describe what could happen, not who acted).
    public static func rank(_ findings: [Finding]) -> [ActorRank] {
        var by = [String: (tactics: Set<String>, rules: Set<String>, ids: [String], highest: Severity)]()
        for f in findings where !f.evidence.events.isEmpty && f.status != "suppressed" {
            guard let s = f.subjects.first else { continue }
            let who = s.person ?? s.email ?? s.arn ?? s.name
            var tactics = Set(
                (f.evidence.details["tactics"] ?? "").split(separator: ",").map {
                    $0.trimmingCharacters(in: .whitespaces)
                }.filter { !$0.isEmpty })
            if tactics.isEmpty, let t = f.mitre.flatMap({ tacticOfTechnique[$0] }) { tactics.insert(t) }
            if tactics.isEmpty { tactics.insert(f.rule) }
            var entry = by[who] ?? ([], [], [], .info)
            entry.tactics.formUnion(tactics)
            entry.rules.insert(f.rule)
            entry.ids.append(f.id)
            entry.highest = max(entry.highest, f.severity)
            by[who] = entry
        }
        return by.map {
            ActorRank(
                actor: $0.key, tactics: $0.value.tactics.sorted(), rules: $0.value.rules.sorted(),
                findings: $0.value.ids.sorted(),
                highest: $0.value.highest)
        }
        .sorted { a, b in
            if a.tactics.count != b.tactics.count { return a.tactics.count > b.tactics.count }
            if a.highest != b.highest { return a.highest > b.highest }
            if a.rules.count != b.rules.count { return a.rules.count > b.rules.count }
            return a.actor < b.actor
        }
    }
}
