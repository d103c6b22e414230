import CrossTrailModel
import CrossTrailReport

/// `--format ocsf`: one OCSF 1.6.0 Detection Finding (class 2004) per line, the class AWS
/// Security Hub and Security Lake consume (also `findings.ocsf.jsonl` in evidence packs).
/// Mapping: Docs/formats.md.
public struct OCSFFindingsReporter: FindingsReporter {
    public static let identifier = "ocsf"
    public static let summary = "OCSF 1.6.0 Detection Finding (2004) JSON Lines"
    /// Evidence entries per finding (the finding's own sample is at most 100 events).
    static let evidenceCap = 100

    public init() {}

    public func write(_ doc: FindingsDocument, to write: (String) -> Void) throws {
        for f in doc.all {
            write(try FindingsFormatting.json(Self.finding(f, doc)) + "\n")
        }
    }

    static func finding(_ f: Finding, _ doc: FindingsDocument) -> FindingsFormatting.Object {
        let severity = OCSF.severity(f.severity)
        // The store's lifecycle: new → Create/New, still seen → Update, resolved → Close/Resolved.
        let (activity, activityName): (Int, String) =
            switch f.lifecycle {
            case .open?, .reopened?, .suppressed?: (2, "Update")
            case .resolved?: (3, "Close")
            case .new?, nil: (1, "Create")
            }
        let (status, statusName): (Int, String) =
            switch f.lifecycle {
            case .suppressed?: (3, "Suppressed")
            case .resolved?: (4, "Resolved")
            default: (1, "New")
            }
        let check = doc.check(f.rule)
        var info: FindingsFormatting.Object = [
            "uid": f.id,
            "title": f.title,
            "desc": f.summaryText,
            "types": [check.map { "crosstrail/" + $0.kind.rawValue } ?? "crosstrail/detection"],
            "analytic": [
                "uid": f.rule, "name": check?.title ?? f.rule, "type_id": 1, "type": "Rule",
            ] as FindingsFormatting.Object,
            "created_time": doc.generatedAt.millis,
            "created_time_dt": doc.generatedAt.iso8601,
            "product": ["name": "crosstrail", "vendor_name": "crosstrail", "version": CrossTrailVersion.current],
        ]
        if let technique = f.mitre { info["attacks"] = [attack(technique, tactic: check?.tactics.first)] }
        if let seen = f.observed {
            info["first_seen_time"] = seen.first.millis
            info["first_seen_time_dt"] = seen.first.iso8601
            info["last_seen_time"] = seen.last.millis
            info["last_seen_time_dt"] = seen.last.iso8601
        }
        if !f.evidence.events.isEmpty {
            info["related_events"] = f.evidence.events.prefix(evidenceCap).map { ["uid": $0] }
            info["related_events_count"] = f.evidence.events.count
        }
        var evidences: [FindingsFormatting.Object] = f.subjects.map { s in
            let type = OCSF.userType(s.kind)
            var user: FindingsFormatting.Object = ["name": s.name, "type_id": type.id, "type": type.caption]
            if let arn = s.arn { user["uid"] = arn }
            if let email = s.email, OCSF.isEmail(email) { user["email_addr"] = email }
            var e: FindingsFormatting.Object = ["name": "subject", "actor": ["user": user]]
            if let person = s.person { e["data"] = ["person": person] }
            return e
        }
        evidences += f.evidence.events.prefix(evidenceCap).map { id in
            ["uid": id, "name": "event", "data": ["event_id": id]]
        }
        if !f.evidence.inventory.isEmpty {
            evidences.append(["name": "inventory", "data": ["entries": f.evidence.inventory]])
        }
        if !f.evidence.chain.isEmpty {
            evidences.append(["name": "chain", "data": ["steps": f.evidence.chain]])
        }
        var out: FindingsFormatting.Object = [
            "class_uid": 2004, "class_name": "Detection Finding",
            "category_uid": 2, "category_name": "Findings",
            "activity_id": activity, "activity_name": activityName,
            "type_uid": 200400 + activity, "type_name": "Detection Finding: \(activityName)",
            "time": doc.generatedAt.millis, "time_dt": doc.generatedAt.iso8601,
            "severity_id": severity.id, "severity": severity.caption,
            "status_id": status, "status": statusName,
            "message": f.title,
            // Informational findings are observations, not alerts (Docs/reports.md).
            "is_alert": f.severity > .info && f.lifecycle != .resolved,
            "finding_info": info,
            "metadata": [
                "version": OCSF.version, "profiles": ["datetime"], "uid": f.id,
                "product": ["name": "crosstrail", "vendor_name": "crosstrail", "version": CrossTrailVersion.current],
            ] as FindingsFormatting.Object,
            "remediation": ["desc": f.remediation.isEmpty ? "See Docs/rules.md for \(f.rule)." : f.remediation],
            "unmapped": unmapped(f),
        ]
        if !evidences.isEmpty { out["evidences"] = evidences }
        if let confidence = check?.confidence.ocsf { (out["confidence_id"], out["confidence"]) = confidence }
        if !f.resources.isEmpty { out["resources"] = f.resources.map { ["uid": $0] } }
        return out
    }

    /// ATT&CK technique (`T1078`) or sub-technique (`T1555.006`, with its parent technique),
    /// with the rule's tactic when it names one.
    static func attack(_ id: String, tactic: String?) -> FindingsFormatting.Object {
        let parent = id.split(separator: ".").first.map(String.init) ?? id
        var a: FindingsFormatting.Object = [
            "technique": ["uid": parent, "src_url": "https://attack.mitre.org/techniques/\(parent)/"]
        ]
        if let t = tactic.flatMap(ATTACKTactic.named) {
            a["tactic"] = ["uid": t.id, "name": t.name, "src_url": "https://attack.mitre.org/tactics/\(t.id)/"]
        }
        if parent != id {
            a["sub_technique"] = [
                "uid": id,
                "src_url": "https://attack.mitre.org/techniques/\(id.replacingOccurrences(of: ".", with: "/"))/",
            ]
        }
        return a
    }

    static func unmapped(_ f: Finding) -> FindingsFormatting.Object {
        var u: FindingsFormatting.Object = ["rule": f.rule]
        if !f.controls.isEmpty { u["controls"] = f.controls.map(\.description) }
        if !f.evidence.details.isEmpty { u["details"] = f.evidence.details }
        if let status = f.status { u["store_status"] = status }
        return u
    }
}

extension EvidencePack.Confidence {
    /// OCSF confidence_id and caption (1 Low, 2 Medium, 3 High; unrated rules: 0 Unknown).
    var ocsf: (Int, String) {
        switch self {
        case .low: (1, "Low")
        case .medium: (2, "Medium")
        case .high: (3, "High")
        case .unrated: (0, "Unknown")
        }
    }
}
