import CrossTrailAnalysis
import CrossTrailModel
import CrossTrailXML
import Foundation
import TestSupport
import Testing

@testable import CrossTrailReport

@Suite struct EscapingTests {
    @Test func markupEscapesEveryMetaCharacter() {
        #expect(Escape.markup(#"<script>alert("x")</script>"#) == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;")
        #expect(Escape.markup(#""><img src=x onerror='a()'>"#) == "&quot;&gt;&lt;img src=x onerror=&#39;a()&#39;&gt;")
        #expect(Escape.markup("a&b ]]> c") == "a&amp;b ]]&gt; c")
    }

    @Test func controlCharactersBecomeVisible() {
        #expect(Escape.markup("nul\u{0}bel\u{7}esc\u{1B}") == "nul\u{2400}bel\u{2407}esc\u{241B}")
        #expect(Escape.markup("del\u{7F}c1\u{85}\u{FFFE}") == "del\u{2421}c1\u{FFFD}\u{FFFD}")
        #expect(Escape.markup("tab\tnl\n") == "tab\tnl\n")
    }

    @Test func jsonInScriptCannotCloseTheElement() {
        var out = ""
        Escape.jsonString("</script><!-- \u{2028}'&\"\\\u{1}", into: &out)
        #expect(!out.contains("<") && !out.contains(">") && !out.contains("&") && !out.contains("'"))
        #expect(out == #""\u003c/script\u003e\u003c!-- \u2028\u0027\u0026\"\\\u0001""#)
        // And it is still the same string for a JSON parser.
        let back = try? JSONSerialization.jsonObject(with: Data(out.utf8), options: .fragmentsAllowed) as? String
        #expect(back == "</script><!-- \u{2028}'&\"\\\u{1}")
    }
}

@Suite struct PeriodTests {
    @Test func quartersMonthsYearsAndRanges() throws {
        let q = try #require(ReportPeriod.parse("2026Q3"))
        #expect(q.start.iso8601.hasPrefix("2026-07-01T00:00:00") && q.end.iso8601.hasPrefix("2026-10-01T00:00:00"))
        let q4 = try #require(ReportPeriod.parse("2026q4"))
        #expect(q4.end.iso8601.hasPrefix("2027-01-01"))
        let m = try #require(ReportPeriod.parse("2026-12"))
        #expect(m.start.iso8601.hasPrefix("2026-12-01") && m.end.iso8601.hasPrefix("2027-01-01"))
        let y = try #require(ReportPeriod.parse("2025"))
        #expect(y.end.iso8601.hasPrefix("2026-01-01"))
        let r = try #require(ReportPeriod.parse("2026-08-01T09:00Z..2026-08-02"))
        #expect(r.start.iso8601.hasPrefix("2026-08-01T09:00") && r.end.iso8601.hasPrefix("2026-08-02T00:00"))
        for bad in ["2026Q5", "2026-13", "26", "2026-08-02..2026-08-01", "soon", ""] {
            #expect(ReportPeriod.parse(bad) == nil, "\(bad)")
        }
    }
}

@Suite struct ControlCatalogTests {
    @Test func catalogHasEveryRequiredControl() throws {
        let c = try ControlCatalog.builtin()
        let ids = Set(c.frameworks.flatMap { fw in fw.controls.map { "\(fw.name) \($0.id)" } })
        let required =
            ["SOC 2 CC6.1", "SOC 2 CC6.2", "SOC 2 CC6.3", "SOC 2 CC7.2", "SOC 2 CC7.3"]
            + ["A.5.15", "A.5.16", "A.5.18", "A.5.28", "A.8.2", "A.8.3", "A.8.15", "A.8.16", "A.8.17"].map {
                "ISO 27001:2022 \($0)"
            }
            + [
                "7.2.1", "7.2.2", "7.2.3", "7.2.4", "7.2.5", "7.2.6", "10.2.1", "10.2.1.1", "10.2.1.2", "10.2.1.3",
                "10.2.1.4", "10.2.1.5",
                "10.2.1.6", "10.2.1.7", "10.2.2", "10.3.4",
            ].map { "PCI DSS 4.0 \($0)" }
            + ["164.312(b)", "164.312(a)(1)", "164.308(a)(1)(ii)(D)", "164.312(c)(1)"].map { "HIPAA \($0)" }
            + ["AU-2", "AU-3", "AU-6", "AU-9", "AU-12", "AC-2", "AC-3", "AC-6"].map { "NIST 800-53 \($0)" }
        #expect(Set(required).subtracting(ids).isEmpty, "missing \(Set(required).subtracting(ids).sorted())")
        // Titles with commas survive YAML flow style.
        let iso = try #require(c.frameworks.first { $0.name == "ISO 27001:2022" })
        #expect(iso.controls.first { $0.id == "A.8.15" }?.title == "Production, protection and review of logs")
    }

    @Test func frameworkSelection() throws {
        let c = try ControlCatalog.builtin()
        let (pci, unknown) = c.selecting(["pci", "NIST", "cobit"])
        #expect(pci.frameworks.map(\.name) == ["PCI DSS 4.0", "NIST 800-53"])
        #expect(unknown == ["cobit"])
        // The monitoring benchmarks are in a pack only when asked for.
        #expect(
            c.selecting([]).0.frameworks.map(\.name) == [
                "SOC 2", "ISO 27001:2022", "PCI DSS 4.0", "HIPAA", "NIST 800-53",
            ])
        #expect(c.selecting(["cis"]).0.frameworks.map(\.name) == ["CIS AWS 1.5", "CIS AWS 3.0"])
        #expect(
            c.selecting(["cis-aws-3.0", "securityhub"]).0.frameworks.map(\.name) == ["CIS AWS 3.0", "AWS Security Hub"])
    }

    @Test func catalogErrorsNameTheProblem() {
        #expect(throws: ControlCatalog.LoadError.self) {
            try ControlCatalog.parse(
                "frameworks: [{name: X, controls: [{id: A, title: T, requires: [magic]}]}]", file: "c.yaml")
        }
        #expect(throws: ControlCatalog.LoadError.self) { try ControlCatalog.parse("nothing: here", file: "c.yaml") }
    }

    @Test func statusFollowsFindingsAndEvidence() throws {
        let c = try ControlCatalog.parse(
            """
            frameworks:
              - {name: SOC 2, controls: [{id: CC6.1, title: a, requires: [inventory]}, {id: CC7.2, title: b, requires: [logging]}, {id: CC7.3, title: c, requires: [logging]}]}
            """, file: "t")
        let facts = PackFacts(
            events: 10, sources: 1, iamPrincipals: 0, databricksPrincipals: 0, classified: 0, integrity: nil,
            categories: [:], judgedSources: 1)
        var open = Finding(
            rule: "r", severity: .high, title: "t", subjects: [], resources: ["x"], evidence: Evidence(),
            controls: [ControlRef("SOC 2", "CC7.2"), ControlRef("SOC 2", "CC9.9")], remediation: "")
        var suppressed = Finding(
            rule: "s", severity: .high, title: "t", subjects: [], resources: ["y"], evidence: Evidence(),
            controls: [ControlRef("SOC 2", "CC7.3")], remediation: "")
        suppressed.status = "suppressed"
        open.status = "open"
        let a = c.assess(facts, findings: [open, suppressed])
        let by = Dictionary(uniqueKeysWithValues: a.map { ($0.id, $0) })
        #expect(by["CC6.1"]?.status == .notAssessed && by["CC6.1"]?.reason.contains("--inventory") == true)
        #expect(by["CC7.2"]?.status == .notSatisfied && by["CC7.2"]?.findings == [open.id])
        #expect(by["CC7.3"]?.status == .satisfied && by["CC7.3"]?.suppressed == [suppressed.id])
        // A control only a finding names still shows, after the catalog's own.
        #expect(a.last?.id == "CC9.9" && a.last?.inCatalog == false && a.last?.status == .notSatisfied)
    }
}

@Suite struct OSCALTokenTests {
    @Test func controlIDsAreOSCALTokens() {
        #expect(OSCALReport.controlID("NIST 800-53", "AC-2") == "ac-2")
        #expect(OSCALReport.controlID("HIPAA", "164.308(a)(1)(ii)(D)") == "hipaa-164.308.a.1.ii.d")
        #expect(OSCALReport.controlID("PCI DSS 4.0", "10.2.1.1") == "pcidss-10.2.1.1")
        #expect(OSCALReport.controlID("ISO 27001:2022", "A.5.15") == "iso27001-a.5.15")
    }

    @Test func uuidsAreStableVersion5() throws {
        let a = OSCALReport.uuid("x"), b = OSCALReport.uuid("x"), c = OSCALReport.uuid("y")
        #expect(a == b && a != c)
        let re = try Regex("^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
        #expect(a.wholeMatch(of: re) != nil)
        // RFC 4122's algorithm, checked against Python's uuid.uuid5 (DNS namespace, "www.example.com").
        let dns: [UInt8] = [
            0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8,
        ]
        #expect(OSCALReport.uuid5(namespace: dns, name: "www.example.com") == "2ed6657d-e927-568b-95e1-2665a8aea6a2")
        // and crosstrail's own namespace: uuid5(uuid5(NAMESPACE_URL, "urn:crosstrail:oscal"), "crosstrail|x").
        #expect(a == "ff3e97da-c40b-530c-a3d6-195415745f99")
    }
}

/// Renders a pack whose every string is hostile and validates the XML with libxml2.
@Suite struct HostileContentTests {
    static let payloads = [
        "<script>document.body.setAttribute('data-pwned','1')</script>",
        "\"><img src=x onerror=\"document.body.setAttribute('data-pwned','2')\">",
        "javascript:document.body.setAttribute('data-pwned','3')",
        "<svg onload=\"document.body.setAttribute('data-pwned','4')\"></svg>",
        "]]></evidence><!-- x -->&amp;",
        "</script><script>document.body.setAttribute('data-pwned','5')</script>",
        "ctl\u{0}\u{1}\u{8}\u{B}\u{1F}\u{7F}\u{85}\u{FFFE} \u{2028}end",
    ]

    static func hostilePack() -> EvidencePack {
        let p = payloads.joined(separator: " ")
        var meta = EvidencePack.Meta(
            title: "t " + p, toolVersion: "0", generatedAt: Timestamp(millis: 1_785_000_000_000), period: nil,
            command: "crosstrail " + p, rulesHash: String(repeating: "a", count: 64))
        meta.first = Timestamp(millis: 1_785_000_000_000)
        meta.last = Timestamp(millis: 1_785_000_100_000)
        var f = Finding(
            rule: "r" + p, severity: .critical, title: p,
            subjects: [Subject(kind: p, name: p, arn: p, email: p, person: p)],
            resources: [p], evidence: Evidence(events: [p], inventory: [p], chain: [p], details: [p: p]),
            controls: [ControlRef("SOC 2", "CC6.1")], remediation: p, mitre: p)
        f.status = "open"
        let row = EvidencePack.Row(
            id: p, time: "2026-08-01T09:30:00.000Z", plane: "aws", service: p, action: p, actor: p, person: p, ip: p,
            outcome: p, resources: p)
        let graph = EvidencePack.PersonGraph(
            person: p,
            nodes: [
                .init(id: "person:" + p, kind: "person", label: p, depth: 0), .init(id: p, kind: p, label: p, depth: 1),
            ],
            links: [.init(from: "person:" + p, to: p, kind: p, confidence: p)], truncated: false)
        let catalog = (try? ControlCatalog.builtin()) ?? ControlCatalog(frameworks: [])
        let facts = PackFacts(
            events: 1, sources: 1, iamPrincipals: 1, databricksPrincipals: 0, classified: 0, integrity: nil,
            categories: [:])
        return EvidencePack(
            meta: meta,
            sources: [
                .init(
                    id: p, plane: "aws", events: 1, firstDay: "2026-08-01", lastDay: "2026-08-01", daysWithEvents: 1,
                    silentDays: [], cadence: .sparse,
                    gaps: [SourceCoverage.Gap(source: p, start: 1, end: 5, hourly: true)])
            ],
            days: [.init(day: "2026-08-01", aws: 1, databricks: 0)], findings: [f],
            controls: catalog.assess(facts, findings: [f]),
            frameworks: catalog.frameworks, people: [graph], timeline: [row], timelineTotal: 1,
            inputs: [.init(path: p, kind: "log", bytes: 1, sha256: String(repeating: "b", count: 64))], run: .init(),
            integrity: .init(digestFiles: 1, logFiles: 1, verified: 0, problems: [p]), categories: [:])
    }

    func validate(_ xml: String, schema: String) throws -> [XMLIssue] {
        let dir = try TestPaths.temporaryDirectory("xml")
        let file = dir.appendingPathComponent("doc.xml")
        try Data(xml.utf8).write(to: file)
        return try XMLSchema(path: ReportResources.path(schema)).validate(document: file.path)
    }

    @Test func evidenceXMLStaysValid() throws {
        let xml = EvidenceXML.render(Self.hostilePack())
        #expect(try validate(xml, schema: "evidence.xsd").isEmpty)
        #expect(!xml.contains("<script") && !xml.contains("<img") && !xml.contains("<svg"))
    }

    @Test func oscalStaysValid() throws {
        let xml = OSCALReport.render(Self.hostilePack())
        let issues = try validate(xml, schema: "oscal_assessment-results_schema.xsd")
        #expect(issues.isEmpty, "\(issues.prefix(3))")
    }

    @Test func htmlCarriesNoLiveMarkupFromTheLog() {
        let html = HTMLReport.render(Self.hostilePack())
        for p in Self.payloads {
            #expect(!html.contains(p), "raw payload in HTML: \(p)")
        }
        // Only the page's own two script elements exist: the data block and the code.
        #expect(html.components(separatedBy: "<script").count - 1 == 2)
        // The CSP names the hash of the one script it allows, and nothing else may run or load.
        #expect(html.contains("script-src '\(HTMLReport.hash(HTMLReport.script))'"))
        #expect(html.contains("default-src 'none'"))
    }

    @Test func invalidDocumentsAreReportedWithLines() throws {
        let issues = try validate(
            "<evidence xmlns=\"urn:crosstrail:evidence:1\" version=\"1\"><meta/></evidence>", schema: "evidence.xsd")
        #expect(!issues.isEmpty && issues.allSatisfy { $0.line == 1 })
        let broken = try validate("<evidence", schema: "evidence.xsd")
        #expect(!broken.isEmpty)
        // External entities are not loaded (no network, no local files).
        let xxe = try validate(
            "<?xml version=\"1.0\"?><!DOCTYPE e [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><evidence>&x;</evidence>",
            schema: "evidence.xsd")
        #expect(!xxe.isEmpty && !xxe.contains { $0.message.contains("root:") })
    }
}
