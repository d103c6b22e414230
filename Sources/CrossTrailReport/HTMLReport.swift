import CrossTrailAnalysis
import CrossTrailModel
import Crypto
import Foundation

/// `index.html`: one self-contained page that works offline. Every log string is escaped for its
/// context; the page's own script and style are allowed by hash in a Content-Security-Policy that
/// forbids everything else (no other script, no network, no frames), so even a missed escape
/// could not run code or reach the network.
public enum HTMLReport {
    public static func render(_ p: EvidencePack) -> String {
        var h = HTML()
        let script = Self.script
        let style = Self.style
        h.raw("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        h.raw(
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src '\(hash(script))'; style-src '\(hash(style))'; img-src data:; base-uri 'none'; form-action 'none'\">\n"
        )
        h.raw(
            "<meta name=\"referrer\" content=\"no-referrer\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        )
        h.raw("<title>"); h.text(p.meta.title + " — " + (p.meta.period?.label ?? "events")); h.raw("</title>\n")
        h.raw("<style>" + style + "</style>\n</head>\n<body>\n")
        header(p, &h)
        summary(p, &h)
        coverage(p, &h)
        findings(p, &h)
        controls(p, &h)
        checks(p, &h)
        identities(p, &h)
        timeline(p, &h)
        inputs(p, &h)
        h.raw(
            "<footer><p>Check this pack with <code>crosstrail verify</code> on its folder: it recomputes every file's SHA-256 against manifest.json, checks the signature when there is one, and validates the XML against its schemas.</p></footer>\n"
        )
        data(p, &h)
        h.raw("<script>" + script + "</script>\n</body>\n</html>\n")
        return h.out
    }

    static func hash(_ s: String) -> String {
        "sha256-" + Data(SHA256.hash(data: Data(s.utf8))).base64EncodedString()
    }

    // MARK: sections

    static func header(_ p: EvidencePack, _ h: inout HTML) {
        h.raw("<header><h1>"); h.text(p.meta.title); h.raw("</h1>\n<dl class=\"meta\">")
        h.dt("Period", p.meta.spanText)
        h.dt("Generated", p.meta.generatedAt.iso8601)
        h.dt("Tool", "crosstrail " + p.meta.toolVersion)
        h.dt("Rules hash", p.meta.rulesHash)
        h.dt("Command", p.meta.command)
        h.raw(
            "</dl>\n<nav class=\"no-print\"><a href=\"#coverage\">Coverage</a> <a href=\"#findings\">Findings</a> <a href=\"#controls\">Controls</a> <a href=\"#checks\">Checks</a> <a href=\"#identities\">Identities</a> <a href=\"#timeline\">Timeline</a> <a href=\"#inputs\">Inputs</a></nav></header>\n"
        )
    }

    static func summary(_ p: EvidencePack, _ h: inout HTML) {
        h.raw("<section id=\"summary\"><h2>Summary</h2><div class=\"cards\">\n")
        func card(_ value: String, _ label: String, _ cls: String = "") {
            h.raw("<div class=\"card \(cls)\"><div class=\"value\">"); h.text(value);
            h.raw("</div><div class=\"label\">"); h.text(label); h.raw("</div></div>\n")
        }
        card(String(p.timelineTotal), "events in the timeline")
        card(String(p.sources.count), "sources (accounts/regions, workspaces)")
        let open = p.findings.filter { $0.status != "suppressed" }
        card(String(open.count), "open findings", open.contains { $0.severity >= .high } ? "bad" : "")
        for s in Severity.allCases.reversed() {
            let n = open.filter { $0.severity == s }.count
            if n > 0 { card(String(n), s.rawValue, "sev-" + s.rawValue) }
        }
        let summary = ControlSummary(p.controls)
        var attributes = "data-total=\"\(summary.total)\""
        for s in ControlStatus.allCases { attributes += " data-\(s.rawValue)=\"\(summary[s])\"" }
        h.raw("<div class=\"card\" id=\"control-summary\" \(attributes)><div class=\"value\">")
        h.text(ControlStatus.allCases.map { String(summary[$0]) }.joined(separator: " / "))
        h.raw("</div><div class=\"label\">")
        h.text(
            "of \(summary.total) controls: " + ControlStatus.allCases.map(\.label).joined(separator: " / "))
        h.raw("</div></div>\n")
        card(
            "\(p.run.recordsRead)",
            "records read; \(p.run.duplicates) duplicates, \(p.run.rejected) rejected, \(p.run.diagnostics) diagnostics",
            p.run.diagnostics > 0 ? "warn" : "")
        if let i = p.integrity {
            card(
                i.problems.isEmpty ? "intact" : "\(i.problems.count) problems",
                "CloudTrail digest validation (\(i.logFiles) log files)", i.problems.isEmpty ? "" : "bad")
        }
        h.raw("</div>\n")
        h.raw("<div class=\"charts\">")
        severityChart(open, &h)
        controlChart(p.controls, &h)
        h.raw("</div></section>\n")
    }

    static func coverage(_ p: EvidencePack, _ h: inout HTML) {
        h.raw("<section id=\"coverage\"><h2>Coverage</h2>\n")
        eventsChart(p.days, &h)
        h.raw(
            "<table class=\"data\"><thead><tr><th>Source</th><th>Plane</th><th>Events</th><th>First day</th><th>Last day</th><th>Days with events</th><th>Days without events</th><th>Silent spans</th></tr></thead><tbody>\n"
        )
        for s in p.sources {
            h.raw("<tr>"); h.td(s.id); h.td(s.plane); h.td(String(s.events), cls: "num");
            h.td(s.firstDay, cls: "nowrap"); h.td(s.lastDay, cls: "nowrap")
            h.td(String(s.daysWithEvents), cls: "num")
            let silent =
                s.silentDays.isEmpty
                ? "none"
                : "\(s.silentDays.count): " + s.silentDays.prefix(12).joined(separator: ", ")
                    + (s.silentDays.count > 12 ? ", …" : "")
            h.td(silent, cls: s.silentDays.isEmpty ? "" : "warn")
            let spans =
                s.cadence == .sparse
                ? "not judged (sparse source: fewer than \(SourceCoverage.denseDaily) events a day)"
                : s.gaps.isEmpty
                    ? "none (logs \(s.cadence.rawValue))"
                    : s.gaps.prefix(8).map(\.span).joined(separator: "; ")
                        + (s.gaps.count > 8 ? "; and \(s.gaps.count - 8) more" : "")
            h.td(spans, cls: s.gaps.isEmpty ? "" : "warn")
            h.raw("</tr>\n")
        }
        if p.sources.isEmpty { h.raw("<tr><td colspan=\"8\">No events in the period.</td></tr>\n") }
        h.raw("</tbody></table>\n")
        let gaps = p.findings.filter { $0.rule == "source-gap" }
        if !gaps.isEmpty {
            h.raw("<h3>Gaps in event streams</h3><ul>")
            for g in gaps { h.raw("<li>"); h.text(g.title); h.raw("</li>") }
            h.raw("</ul>\n")
        }
        h.raw("</section>\n")
    }

    static func findings(_ p: EvidencePack, _ h: inout HTML) {
        h.raw("<section id=\"findings\"><h2>Findings</h2>\n")
        if p.findings.isEmpty { h.raw("<p>No findings.</p>\n") }
        for s in Severity.allCases.reversed() {
            let fs = p.findings.filter { $0.severity == s }
            guard !fs.isEmpty else { continue }
            h.raw("<h3 class=\"sev-\(s.rawValue)\">"); h.text("\(s.rawValue.capitalized) (\(fs.count))");
            h.raw("</h3>\n")
            for f in fs { finding(f, &h) }
        }
        h.raw("</section>\n")
    }

    static func finding(_ f: Finding, _ h: inout HTML) {
        h.raw("<details class=\"finding\" id=\""); h.text(f.id);
        h.raw("\"><summary><span class=\"badge sev-\(f.severity.rawValue)\">")
        h.text(f.severity.rawValue); h.raw("</span> ")
        if let st = f.status { h.raw("<span class=\"badge status\">"); h.text(st); h.raw("</span> ") }
        h.raw("<code>"); h.text(f.rule); h.raw("</code> "); h.text(f.title); h.raw("</summary>\n<dl>")
        h.dt("Finding", f.id)
        if !f.subjects.isEmpty {
            h.dt(
                "Subjects",
                f.subjects.map { s in
                    "\(s.kind) \(s.name)" + (s.arn.map { " (\($0))" } ?? "")
                        + (s.person.map { " — person: \($0)" } ?? "")
                }.joined(separator: "; "))
        }
        if !f.resources.isEmpty { h.dt("Resources", f.resources.joined(separator: ", ")) }
        if let m = f.mitre { h.dt("MITRE ATT&CK", m) }
        h.dt("Controls", f.controls.map(\.description).joined(separator: ", "))
        h.dt("Remediation", f.remediation)
        for (k, v) in f.evidence.details.sorted(by: { $0.key < $1.key }) { h.dt(k, v) }
        h.raw("</dl>\n")
        if !f.evidence.chain.isEmpty {
            h.raw("<p class=\"label\">Chain</p><ol class=\"chain\">")
            for c in f.evidence.chain { h.raw("<li>"); h.text(c); h.raw("</li>") }
            h.raw("</ol>\n")
        }
        if !f.evidence.inventory.isEmpty {
            h.raw("<p class=\"label\">Inventory evidence</p><ul>")
            for c in f.evidence.inventory { h.raw("<li>"); h.text(c); h.raw("</li>") }
            h.raw("</ul>\n")
        }
        if !f.evidence.events.isEmpty {
            h.raw("<p class=\"label\">Evidence events</p><p class=\"events\">")
            eventLinks(f.evidence.events, &h)
            h.raw("</p>\n")
        }
        h.raw("</details>\n")
    }

    static func eventLinks(_ ids: [String], _ h: inout HTML) {
        for id in ids {
            h.raw("<a href=\"#timeline\" class=\"event\" data-event=\""); h.text(id); h.raw("\">"); h.text(id);
            h.raw("</a> ")
        }
    }

    static func controls(_ p: EvidencePack, _ h: inout HTML) {
        h.raw("<section id=\"controls\"><h2>Controls</h2>\n")
        let summary = ControlSummary(p.controls)
        h.raw(
            "<div class=\"filters no-print\"><label for=\"status\">Status</label> <select id=\"status\"><option value=\"\">all \(summary.total)</option>"
        )
        for s in ControlStatus.allCases {
            h.raw("<option value=\"\(s.rawValue)\">"); h.text("\(s.label) (\(summary[s]))"); h.raw("</option>")
        }
        h.raw(
            "</select> <a href=\"controls.csv\" download>controls.csv</a> (every control with status, reasons, evidence and findings)</div>\n"
        )
        let byID = Dictionary(p.findings.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for fw in p.frameworks {
            let rows = p.controls.filter { $0.framework == fw.name }
            h.raw("<h3>"); h.text(fw.name + " — " + fw.title); h.raw("</h3>\n")
            h.raw(
                "<table class=\"data controls\"><thead><tr><th>Control</th><th>Status</th><th>Evidence collected</th><th>Findings</th></tr></thead><tbody>\n"
            )
            for c in rows {
                h.raw("<tr data-status=\"\(c.status.rawValue)\"><td><strong>"); h.text(c.id); h.raw("</strong><br>");
                h.text(c.title); h.raw("</td>")
                h.raw("<td><span class=\"badge st-\(c.status.rawValue)\">"); h.text(c.status.label);
                h.raw("</span><ul class=\"reasons\">")
                for r in c.reasons { h.raw("<li><small>"); h.text(r); h.raw("</small></li>") }
                h.raw("</ul></td><td><ul>")
                for e in c.evidence {
                    h.raw("<li>"); h.text(e.description + (e.kind.hasPrefix("events:") ? ": \(e.count)" : ""))
                    if !e.events.isEmpty { h.raw("<br>"); eventLinks(Array(e.events.prefix(5)), &h) }
                    h.raw("</li>")
                }
                h.raw("</ul></td><td>")
                func links(_ label: String?, _ ids: [String]) {
                    guard !ids.isEmpty else { return }
                    if let label { h.raw("<br><small>"); h.text(label); h.raw("</small> ") }
                    for id in ids {
                        h.raw("<a href=\"#"); h.text(id); h.raw("\">"); h.text(id); h.raw("</a>")
                        if let f = byID[id] {
                            let confidence = p.confidence(ofRule: f.rule).map { ", confidence \($0.rawValue)" } ?? ""
                            h.raw(" <small>"); h.text("(\(f.severity.rawValue), \(f.rule)\(confidence))");
                            h.raw("</small>")
                        }
                        h.raw(" ")
                    }
                }
                links(nil, c.findings)
                links("observations (informational):", c.informational)
                links("accepted risk (suppressed):", c.suppressed)
                h.raw("</td></tr>\n")
            }
            h.raw("</tbody></table>\n")
        }
        h.raw("</section>\n")
    }

    /// Every check that ran: those that raised findings, those that passed, those that could not run.
    static func checks(_ p: EvidencePack, _ h: inout HTML) {
        guard !p.checks.isEmpty else { return }
        let raised = p.checks.filter { $0.findings > 0 }
        let skipped = p.checks.filter { $0.findings == 0 && $0.skipped }
        let passed = p.checks.filter { $0.findings == 0 && !$0.skipped }
        h.raw("<section id=\"checks\"><h2>Checks</h2>\n<p>")
        h.text(
            "\(p.checks.count) checks ran (Sigma rules, correlations and built-in detections): \(raised.count) raised findings, \(passed.count) passed, \(skipped.count) could not run on these inputs."
        )
        h.raw("</p>\n")
        func table(_ summary: String, _ list: [EvidencePack.Check], open: Bool) {
            guard !list.isEmpty else { return }
            h.raw(open ? "<details open>" : "<details>"); h.raw("<summary>"); h.text(summary); h.raw("</summary>")
            h.raw(
                "<table class=\"data\"><thead><tr><th>Check</th><th>Kind</th><th>Title</th><th>Confidence</th><th>Findings</th></tr></thead><tbody>\n"
            )
            for c in list {
                h.raw("<tr>"); h.td(c.id); h.td(c.kind.rawValue); h.td(c.title ?? "built-in (Docs/rules.md)");
                h.td(c.confidence.rawValue); h.td(String(c.findings), cls: "num"); h.raw("</tr>\n")
            }
            h.raw("</tbody></table></details>\n")
        }
        table("Raised findings (\(raised.count))", raised, open: true)
        table("Passed: ran and found nothing (\(passed.count))", passed, open: false)
        table("Could not run on these inputs (\(skipped.count))", skipped, open: false)
        h.raw("</section>\n")
    }

    static func identities(_ p: EvidencePack, _ h: inout HTML) {
        h.raw("<section id=\"identities\"><h2>Identities</h2>\n")
        if p.people.isEmpty {
            h.raw("<p>No person in the identity graph (give --inventory, or events with user emails).</p></section>\n")
            return
        }
        h.raw("<p class=\"no-print\"><label for=\"person\">Person</label> <select id=\"person\">")
        for (i, g) in p.people.enumerated() {
            h.raw("<option value=\"\(i)\">"); h.text(g.person + " (\(g.nodes.count - 1) linked identities)");
            h.raw("</option>")
        }
        h.raw(
            "</select></p>\n<div id=\"graph\"></div>\n<table class=\"data\" id=\"graph-links\"><thead><tr><th>From</th><th>Link</th><th>To</th><th>Confidence</th></tr></thead><tbody></tbody></table>\n</section>\n"
        )
    }

    static func timeline(_ p: EvidencePack, _ h: inout HTML) {
        h.raw("<section id=\"timeline\"><h2>Timeline</h2>\n<p class=\"print-only\">")
        h.text(
            "A printed page shows one page of the timeline at most. The full timeline, \(p.timelineTotal) events, is timeline.jsonl in this pack (its SHA-256 is in manifest.json)."
        )
        h.raw("</p>\n")
        if p.timelineTotal > p.timeline.count {
            h.raw("<p class=\"warn\">");
            h.text(
                "This page holds the first \(p.timeline.count) of \(p.timelineTotal) events; timeline.jsonl in the pack has all of them."
            ); h.raw("</p>\n")
        }
        h.raw(
            """
            <div class="filters no-print"><input id="q" type="search" placeholder="Filter: text in any column (actor, action, IP, id…)" size="50">
            <select id="plane"><option value="">both planes</option><option value="aws">aws</option><option value="databricks">databricks</option></select>
            <label><input type="checkbox" id="failures"> failures only</label>
            <button id="prev" type="button">◀</button> <span id="page"></span> <button id="next" type="button">▶</button></div>
            <table class="data timeline"><thead><tr><th>Time (UTC)</th><th>Plane</th><th>Service</th><th>Action</th><th>Actor</th><th>Person</th><th>Source IP</th><th>Outcome</th><th>Resources</th><th>Event id</th></tr></thead>
            <tbody id="rows"></tbody></table>
            <noscript><p>The timeline needs JavaScript; timeline.jsonl in the pack has every event.</p></noscript>
            </section>

            """)
    }

    /// The pack's other files, each named in manifest.json with its SHA-256.
    static let packFiles: [(String, String)] = [
        ("timeline.jsonl", "every event of the period"), ("findings.json", "the findings"),
        ("findings.ocsf.jsonl", "the findings as OCSF 1.6.0 Detection Findings (Security Hub, SIEMs)"),
        ("controls.csv", "every control with status, reasons and evidence"),
        ("evidence.xml", "this report as XML (schema evidence.xsd)"),
        ("oscal-assessment-results.json", "OSCAL 1.2.3 assessment results (also .xml)"),
        ("oscal-assessment-plan.json", "the OSCAL plan the results import"),
        ("oscal-ssp.json", "the OSCAL system description the plan imports"),
        ("oscal-catalog.json", "the controls cited, as an OSCAL catalog"), ("inputs.json", "every input file"),
        ("manifest.json", "SHA-256 of every file (signed: manifest.sig)"),
    ]

    static func inputs(_ p: EvidencePack, _ h: inout HTML) {
        h.raw("<section id=\"inputs\"><h2>Inputs and run</h2>\n<p>Files of this pack: ")
        for (i, f) in packFiles.enumerated() {
            if i > 0 { h.raw(" · ") }
            h.raw("<a href=\"\(f.0)\">\(f.0)</a> <small>"); h.text(f.1); h.raw("</small>")
        }
        h.raw("</p>\n<dl class=\"meta\">")
        let r = p.run
        h.dt(
            "Records",
            "\(r.recordsRead) read in \(r.files) files: \(r.events) events, \(r.duplicates) duplicates, \(r.filtered) outside the period, \(r.rejected) rejected"
        )
        h.dt("Diagnostics", String(r.diagnostics))
        h.raw("</dl>\n")
        if !r.diagnosticLines.isEmpty {
            h.raw("<details><summary>Diagnostics (first \(r.diagnosticLines.count))</summary><ul class=\"mono\">")
            for d in r.diagnosticLines { h.raw("<li>"); h.text(d); h.raw("</li>") }
            h.raw("</ul></details>\n")
        }
        if let i = p.integrity {
            h.raw("<h3>CloudTrail log file integrity</h3><p>")
            h.text(
                "\(i.digestFiles) digest files, \(i.logFiles) log files listed, \(i.verified) verified, \(i.problems.count) problems."
            )
            h.raw("</p>")
            if !i.problems.isEmpty {
                h.raw("<ul class=\"mono\">")
                for pr in i.problems.prefix(500) { h.raw("<li>"); h.text(pr); h.raw("</li>") }
                h.raw("</ul>")
            }
        }
        h.raw(
            "<details><summary>\(p.inputs.count) input files with SHA-256</summary><table class=\"data mono\"><thead><tr><th>Kind</th><th>File</th><th>Bytes</th><th>SHA-256</th></tr></thead><tbody>\n"
        )
        for f in p.inputs {
            h.raw("<tr>"); h.td(f.kind); h.td(f.path); h.td(String(f.bytes), cls: "num"); h.td(f.sha256);
            h.raw("</tr>\n")
        }
        h.raw("</tbody></table></details></section>\n")
    }

    /// The timeline rows and person graphs as JSON inside a data block (never executed).
    static func data(_ p: EvidencePack, _ h: inout HTML) {
        var j = "{\"rows\":["
        for (i, r) in p.timeline.enumerated() {
            if i > 0 { j += "," }
            j += "["
            for (k, v) in [r.time, r.plane, r.service, r.action, r.actor, r.person, r.ip, r.outcome, r.resources, r.id]
                .enumerated()
            {
                if k > 0 { j += "," }
                Escape.jsonString(v, into: &j)
            }
            j += "]"
        }
        j += "],\"people\":["
        for (i, g) in p.people.enumerated() {
            if i > 0 { j += "," }
            j += "{\"nodes\":["
            for (k, n) in g.nodes.enumerated() {
                if k > 0 { j += "," }
                j += "["; Escape.jsonString(n.id, into: &j); j += ","; Escape.jsonString(n.kind, into: &j); j += ","
                Escape.jsonString(n.label, into: &j); j += ",\(n.depth)]"
            }
            j += "],\"links\":["
            for (k, l) in g.links.enumerated() {
                if k > 0 { j += "," }
                j += "["; Escape.jsonString(l.from, into: &j); j += ","; Escape.jsonString(l.to, into: &j); j += ","
                Escape.jsonString(l.kind, into: &j); j += ","; Escape.jsonString(l.confidence, into: &j); j += "]"
            }
            j += "],\"truncated\":\(g.truncated)}"
        }
        j += "]}"
        h.raw("<script type=\"application/json\" id=\"data\">" + j + "</script>\n")
    }

    // MARK: charts (inline SVG, drawn here so they print and need no script)

    static func eventsChart(_ days: [EvidencePack.Day], _ h: inout HTML) {
        guard !days.isEmpty else { return }
        let width = 960.0, height = 180.0, left = 50.0, bottom = 20.0
        let maxTotal = max(1, days.map { $0.aws + $0.databricks }.max() ?? 1)
        let bar = min(40, (width - left) / Double(days.count))
        h.raw(
            "<figure><svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height + bottom))\" role=\"img\" aria-label=\"Events per day per plane\">"
        )
        h.raw(
            "<text x=\"0\" y=\"12\" class=\"axis\">\(maxTotal)</text><text x=\"0\" y=\"\(Int(height))\" class=\"axis\">0</text>"
        )
        for (i, d) in days.enumerated() {
            let x = left + Double(i) * bar
            let ha = height * Double(d.aws) / Double(maxTotal)
            let hd = height * Double(d.databricks) / Double(maxTotal)
            let w = max(0.5, bar - (bar > 3 ? 1 : 0))
            h.raw("<g><title>"); h.text("\(d.day): \(d.aws) AWS, \(d.databricks) Databricks"); h.raw("</title>")
            h.raw(
                "<rect class=\"aws\" x=\"\(f2(x))\" y=\"\(f2(height - ha))\" width=\"\(f2(w))\" height=\"\(f2(ha))\"/>")
            h.raw(
                "<rect class=\"dbx\" x=\"\(f2(x))\" y=\"\(f2(height - ha - hd))\" width=\"\(f2(w))\" height=\"\(f2(hd))\"/></g>"
            )
        }
        // Two date labels need about 150 units side by side; a narrower chart gets one label for both.
        let span = bar * Double(days.count)
        h.raw("<text x=\"\(Int(left))\" y=\"\(Int(height + bottom - 4))\" class=\"axis\">")
        h.text(days.count == 1 ? days[0].day : span < 150 ? days.first!.day + " – " + days.last!.day : days.first!.day)
        h.raw("</text>")
        if days.count > 1 && span >= 150 {
            h.raw(
                "<text x=\"\(f2(left + span))\" y=\"\(Int(height + bottom - 4))\" class=\"axis\" text-anchor=\"end\">"
            ); h.text(days.last!.day); h.raw("</text>")
        }
        h.raw(
            "</svg><figcaption>Events per day: <span class=\"key aws\">AWS</span> <span class=\"key dbx\">Databricks</span></figcaption></figure>\n"
        )
    }

    static func severityChart(_ open: [Finding], _ h: inout HTML) {
        let bars = Severity.allCases.reversed().map { s in
            (s.rawValue, open.filter { $0.severity == s }.count, "sev-" + s.rawValue)
        }
        barChart("Open findings by severity", bars, &h)
    }

    static func controlChart(_ controls: [ControlAssessment], _ h: inout HTML) {
        let hit = controls.filter { !$0.findings.isEmpty }.sorted { a, b in
            a.findings.count != b.findings.count
                ? a.findings.count > b.findings.count : (a.framework, a.id) < (b.framework, b.id)
        }.prefix(12)
        barChart(
            "Controls with the most open findings", hit.map { ("\($0.framework) \($0.id)", $0.findings.count, "bar") },
            &h)
    }

    static func barChart(_ title: String, _ bars: [(String, Int, String)], _ h: inout HTML) {
        let maxValue = max(1, bars.map(\.1).max() ?? 1)
        let row = 20.0, labelWidth = 190.0, width = 460.0
        h.raw(
            "<figure><svg class=\"chart bars\" viewBox=\"0 0 \(Int(width)) \(Int(row * Double(max(1, bars.count)) + 4))\" role=\"img\" aria-label=\""
        )
        h.text(title); h.raw("\">")
        for (i, b) in bars.enumerated() {
            let y = Double(i) * row
            let w = (width - labelWidth - 40) * Double(b.1) / Double(maxValue)
            h.raw("<text x=\"0\" y=\"\(f2(y + 14))\" class=\"axis\">"); h.text(b.0); h.raw("</text>")
            h.raw(
                "<rect class=\"\(b.2)\" x=\"\(f2(labelWidth))\" y=\"\(f2(y + 3))\" width=\"\(f2(w))\" height=\"14\"/>")
            h.raw("<text x=\"\(f2(labelWidth + w + 4))\" y=\"\(f2(y + 14))\" class=\"axis\">\(b.1)</text>")
        }
        h.raw("</svg><figcaption>"); h.text(title); h.raw("</figcaption></figure>")
    }

    static func f2(_ v: Double) -> String {
        let r = (v * 100).rounded() / 100
        return r == r.rounded() ? String(Int(r)) : String(r)
    }
}

/// A string builder where text is always escaped and markup is explicit.
struct HTML {
    var out = ""
    mutating func raw(_ s: String) { out += s }
    mutating func text(_ s: String) { out += Escape.markup(s) }
    mutating func td(_ s: String, cls: String = "") {
        out += cls.isEmpty ? "<td>" : "<td class=\"\(cls)\">"
        text(s)
        out += "</td>"
    }
    mutating func dt(_ term: String, _ value: String) {
        out += "<dt>"; text(term); out += "</dt><dd>"; text(value); out += "</dd>"
    }
}
