import CrossTrailModel

/// `evidence.xml`: the pack's content as XML, valid against `evidence.xsd` (shipped in the
/// package and copied into every pack).
public enum EvidenceXML {
    public static let namespace = "urn:crosstrail:evidence:1"

    public static func render(_ p: EvidencePack) -> String {
        var x = XMLText()
        x.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<evidence xmlns=\"\(namespace)\" version=\"1\">\n")
        x.raw("<meta>")
        x.element("title", p.meta.title)
        x.empty("tool", ["name": "crosstrail", "version": p.meta.toolVersion])
        x.element("generated-at", p.meta.generatedAt.iso8601)
        if let period = p.meta.period {
            x.empty("period", ["label": period.label, "start": period.start.iso8601, "end": period.end.iso8601])
        }
        if let f = p.meta.first { x.element("first-event", f.iso8601) }
        if let l = p.meta.last { x.element("last-event", l.iso8601) }
        x.element("command", p.meta.command)
        x.element("rules-hash", p.meta.rulesHash)
        x.raw("</meta>\n<coverage>\n")
        for s in p.sources {
            x.open(
                "source",
                [
                    "id": s.id, "plane": s.plane, "events": String(s.events), "first-day": s.firstDay,
                    "last-day": s.lastDay,
                    "days-with-events": String(s.daysWithEvents), "cadence": s.cadence.rawValue,
                ])
            for d in s.silentDays { x.element("silent-day", d) }
            for g in s.gaps {
                x.empty(
                    "gap",
                    [
                        "from": Timestamp(millis: g.start * 3_600_000).iso8601,
                        "to": Timestamp(millis: g.end * 3_600_000).iso8601, "hours": String(g.hours),
                        "unit": g.hourly ? "hour" : "day",
                    ])
            }
            x.raw("</source>\n")
        }
        for d in p.days {
            x.empty("day", ["date": d.day, "aws": String(d.aws), "databricks": String(d.databricks)]); x.raw("\n")
        }
        x.raw("</coverage>\n")
        let r = p.run
        x.open(
            "run",
            [
                "files": String(r.files), "records-read": String(r.recordsRead), "events": String(r.events),
                "duplicates": String(r.duplicates),
                "filtered": String(r.filtered), "rejected": String(r.rejected), "diagnostics": String(r.diagnostics),
            ])
        for d in r.diagnosticLines { x.element("diagnostic", d) }
        x.raw("</run>\n")
        if let i = p.integrity {
            x.open(
                "integrity",
                [
                    "digest-files": String(i.digestFiles), "log-files": String(i.logFiles),
                    "verified": String(i.verified),
                ])
            for pr in i.problems { x.element("problem", pr) }
            x.raw("</integrity>\n")
        }
        x.open("findings", ["count": String(p.findings.count)])
        x.raw("\n")
        for f in p.findings { finding(f, &x) }
        x.raw("</findings>\n")
        let summary = ControlSummary(p.controls)
        var counts = ["total": String(summary.total)]
        for s in ControlStatus.allCases { counts[s.rawValue] = String(summary[s]) }
        x.open("controls", counts)
        x.raw("\n")
        for fw in p.frameworks {
            x.open("framework", ["name": fw.name, "title": fw.title])
            x.raw("\n")
            for c in p.controls where c.framework == fw.name {
                x.open(
                    "control", ["id": c.id, "status": c.status.rawValue, "in-catalog": c.inCatalog ? "true" : "false"])
                x.element("title", c.title)
                x.element("reason", c.reason)
                for e in c.evidence {
                    x.open("evidence", ["kind": e.kind, "count": String(e.count)])
                    x.element("description", e.description)
                    for id in e.events { x.empty("event", ["id": id]) }
                    x.raw("</evidence>")
                }
                for id in c.findings { x.empty("finding", ["ref": id]) }
                for id in c.informational { x.empty("informational", ["ref": id]) }
                for id in c.suppressed { x.empty("suppressed", ["ref": id]) }
                x.raw("</control>\n")
            }
            x.raw("</framework>\n")
        }
        x.raw("</controls>\n<identities>\n")
        for g in p.people {
            x.open("person", ["name": g.person, "truncated": g.truncated ? "true" : "false"])
            for n in g.nodes {
                x.empty("node", ["id": n.id, "kind": n.kind, "label": n.label, "depth": String(n.depth)])
            }
            for l in g.links {
                x.empty("link", ["from": l.from, "to": l.to, "kind": l.kind, "confidence": l.confidence])
            }
            x.raw("</person>\n")
        }
        x.raw("</identities>\n")
        x.open(
            "timeline",
            ["total": String(p.timelineTotal), "included": String(p.timeline.count), "file": "timeline.jsonl"])
        x.raw("\n")
        for e in p.timeline {
            var a = [
                "id": e.id, "time": e.time, "plane": e.plane, "service": e.service, "action": e.action,
                "actor": e.actor, "outcome": e.outcome,
            ]
            if !e.person.isEmpty { a["person"] = e.person }
            if !e.ip.isEmpty { a["ip"] = e.ip }
            if !e.resources.isEmpty { a["resources"] = e.resources }
            x.empty("event", a)
            x.raw("\n")
        }
        x.raw("</timeline>\n<inputs>\n")
        for f in p.inputs {
            x.empty("file", ["path": f.path, "kind": f.kind, "bytes": String(f.bytes), "sha256": f.sha256]); x.raw("\n")
        }
        x.raw("</inputs>\n</evidence>\n")
        return x.out
    }

    static func finding(_ f: Finding, _ x: inout XMLText) {
        var attrs = ["id": f.id, "rule": f.rule, "severity": f.severity.rawValue]
        if let s = f.status { attrs["status"] = s }
        x.open("finding", attrs)
        x.element("title", f.title)
        for s in f.subjects {
            var a = ["kind": s.kind, "name": s.name]
            if let v = s.arn { a["arn"] = v }
            if let v = s.email { a["email"] = v }
            if let v = s.person { a["person"] = v }
            x.empty("subject", a)
        }
        for r in f.resources { x.element("resource", r) }
        if let m = f.mitre { x.element("mitre", m) }
        for c in f.controls { x.empty("control", ["framework": c.framework, "id": c.id]) }
        x.element("remediation", f.remediation)
        x.raw("<evidence>")
        for id in f.evidence.events { x.empty("event", ["id": id]) }
        for i in f.evidence.inventory { x.element("inventory", i) }
        for s in f.evidence.chain { x.element("step", s) }
        for (k, v) in f.evidence.details.sorted(by: { $0.key < $1.key }) {
            x.raw("<detail key=\"" + Escape.markup(k) + "\">" + Escape.markup(v) + "</detail>")
        }
        x.raw("</evidence></finding>\n")
    }
}

/// An XML string builder: element and attribute names are constants of this module; every value
/// goes through `Escape.markup`. Attributes are written in sorted order (deterministic output).
struct XMLText {
    var out = ""
    mutating func raw(_ s: String) { out += s }
    private mutating func attributes(_ a: [String: String]) {
        for (k, v) in a.sorted(by: { $0.key < $1.key }) { out += " \(k)=\"" + Escape.markup(v) + "\"" }
    }
    mutating func open(_ name: String, _ a: [String: String] = [:]) {
        out += "<" + name
        attributes(a)
        out += ">"
    }
    mutating func empty(_ name: String, _ a: [String: String] = [:]) {
        out += "<" + name
        attributes(a)
        out += "/>"
    }
    mutating func element(_ name: String, _ text: String, _ a: [String: String] = [:]) {
        open(name, a)
        out += Escape.markup(text)
        out += "</" + name + ">"
    }
}
