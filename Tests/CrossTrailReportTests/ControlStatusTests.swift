import CrossTrailAnalysis
import CrossTrailIngest
import CrossTrailInventory
import CrossTrailModel
import CrossTrailXML
import Foundation
import TestSupport
import Testing

@testable import CrossTrailReport

/// Control status from evidence sufficiency, on crafted quarters: continuous logging, a 3-day
/// gap, events on 2 of 92 days, sparse sources, no events, no logs. Zero evidence is never
/// "satisfied", and every view of the pack counts the same statuses.
@Suite struct ControlStatusTests {
    static let quarter = ReportPeriod.parse("2026Q3")!
    static var firstHour: Int64 { quarter.start.millis / 3_600_000 }
    static var hours: Int64 { (quarter.end.millis - quarter.start.millis) / 3_600_000 }

    /// Observations with `perHour` events in every hour of the quarter for each source, except
    /// the hours `silent` says.
    static func observations(
        sources: [String] = ["aws:111122223333:us-east-1", "databricks:1234567890123456"], perHour: Int = 20,
        silent: (String, Int64) -> Bool = { _, _ in false }
    ) -> Observations {
        var o = Observations()
        for s in sources {
            for h in firstHour..<(firstHour + hours) where !silent(s, h) {
                o.sourceHours[s, default: []].insert(h)
                o.sourceDays[s, default: [:]][h / 24, default: 0] += perHour
                o.events += perHour
                let t = Timestamp(millis: h * 3_600_000)
                if o.first.map({ t < $0 }) ?? true { o.first = t }
                if o.last.map({ t > $0 }) ?? true { o.last = t }
            }
        }
        return o
    }

    static func day(_ text: String) -> Int64 { Timestamp(iso: text + "T00:00:00Z")!.millis / 86_400_000 }

    /// Permissions to evaluate: the Samples inventory.
    static let inventory: Inventory = Inventory.load(paths: [
        TestPaths.packageRoot.appendingPathComponent("Samples/inventory").path
    ]).0

    static func pack(
        _ obs: Observations, logsGiven: Bool = true, findings: [Finding] = [], integrity: EvidencePack.Integrity? = nil,
        inventory: Bool = true
    ) throws -> EvidencePack {
        var meta = EvidencePack.Meta(
            title: "t", toolVersion: "0", generatedAt: Timestamp(millis: 1_790_000_000_000), period: quarter,
            command: "crosstrail report", rulesHash: String(repeating: "a", count: 64))
        meta.first = obs.first
        meta.last = obs.last
        let inv = inventory ? Self.inventory : Inventory()
        var scan = Analyzer.scan(Inventory(), Observations())
        scan.findings = findings
        return EvidencePack.assemble(
            meta: meta, scan: scan, observations: obs, inventory: inv, logsGiven: logsGiven, stats: nil, rows: [],
            timelineTotal: obs.events, inputs: [], catalog: try ControlCatalog.builtin().selecting([]).0,
            integrity: integrity)
    }

    static func status(_ p: EvidencePack, _ framework: String, _ id: String) throws -> ControlAssessment {
        try #require(p.controls.first { $0.framework == framework && $0.id == id }, "\(framework) \(id)")
    }

    static let loggingControls = [
        ("NIST 800-53", "AU-2"), ("NIST 800-53", "AU-3"), ("NIST 800-53", "AU-12"), ("PCI DSS 4.0", "10.2.1"),
        ("PCI DSS 4.0", "10.2.2"), ("ISO 27001:2022", "A.8.16"), ("SOC 2", "CC7.3"), ("HIPAA", "164.312(b)"),
    ]

    @Test func continuousLoggingSatisfiesLoggingControls() throws {
        let p = try Self.pack(Self.observations())
        for (fw, id) in Self.loggingControls {
            let c = try Self.status(p, fw, id)
            #expect(c.status == .satisfied, "\(fw) \(id): \(c.reason)")
            #expect(c.evidence.contains { $0.kind == "logging" && $0.count == p.timelineTotal })
        }
        #expect(p.sources.allSatisfy { $0.cadence == .hourly && $0.gaps.isEmpty })
        // A review control judged on the events is satisfied too; one that needs digests is not assessed.
        #expect(try Self.status(p, "NIST 800-53", "AU-6").status == .satisfied)
        #expect(try Self.status(p, "NIST 800-53", "AU-9").status == .notAssessed)
    }

    @Test func aThreeDayGapFailsEveryLoggingControl() throws {
        let (from, to) = (Self.day("2026-08-10") * 24, Self.day("2026-08-13") * 24)
        let p = try Self.pack(
            Self.observations { s, h in s.hasPrefix("aws:") && h >= from && h < to })
        for (fw, id) in Self.loggingControls {
            let c = try Self.status(p, fw, id)
            #expect(c.status == .notSatisfied, "\(fw) \(id)")
            #expect(
                c.reason.contains("aws:111122223333:us-east-1 silent 2026-08-10 to 2026-08-12 (3 days)"), "\(c.reason)")
        }
        // Controls that only use the events as evidence cannot conclude over a gap.
        let review = try Self.status(p, "NIST 800-53", "AU-6")
        #expect(review.status == .insufficientEvidence && review.reason.contains("do not cover the whole period"))
        let source = try #require(p.sources.first { $0.id.hasPrefix("aws:") })
        #expect(source.gaps.map(\.hours) == [72])
        #expect(source.silentDays == ["2026-08-10", "2026-08-11", "2026-08-12"])
    }

    @Test func aFewSilentHoursOfAnHourlySourceAreAGap() throws {
        let from = Self.day("2026-09-14") * 24 + 2
        let p = try Self.pack(Self.observations { s, h in s.hasPrefix("databricks:") && h >= from && h < from + 4 })
        let c = try Self.status(p, "NIST 800-53", "AU-12")
        #expect(c.status == .notSatisfied)
        #expect(
            c.reason.contains("databricks:1234567890123456 silent 2026-09-14 02:00Z to 2026-09-14 06:00Z (4 hours)"))
        // Two silent hours are under the 3-hour threshold the source-gap rule also uses.
        let short = try Self.pack(Self.observations { s, h in s.hasPrefix("databricks:") && h >= from && h < from + 2 })
        #expect(try Self.status(short, "NIST 800-53", "AU-12").status == .satisfied)
    }

    @Test func eventsOnTwoOf92DaysAreNeverSatisfied() throws {
        let end = Self.day("2026-07-03") * 24
        let p = try Self.pack(Self.observations { _, h in h >= end })
        #expect(p.sources.count == 2)
        for (fw, id) in Self.loggingControls {
            let c = try Self.status(p, fw, id)
            #expect(c.status == .notSatisfied, "\(fw) \(id)")
            #expect(c.reason.contains("silent 2026-07-03 to 2026-09-30 (90 days)"), "\(c.reason)")
        }
        #expect(
            p.controls.filter { $0.status == .satisfied }.allSatisfy { c in
                !c.evidence.contains { $0.kind == "logging" }
            })
    }

    @Test func sparseSourcesCannotShowContinuousLogging() throws {
        // Five events a day at most: a quiet day is not evidence of a gap, and not of coverage either.
        let p = try Self.pack(Self.observations(perHour: 1) { _, h in h % 24 >= 3 || h % 48 >= 24 })
        #expect(p.sources.allSatisfy { $0.cadence == .sparse && $0.gaps.isEmpty })
        let c = try Self.status(p, "NIST 800-53", "AU-2")
        #expect(c.status == .insufficientEvidence && c.reason.contains("densely"), "\(c.reason)")
    }

    @Test func noEventsAndNoLogsAreNeverSatisfied() throws {
        let empty = try Self.pack(Observations())
        let none = try Self.pack(Observations(), logsGiven: false, inventory: false)
        for (fw, id) in Self.loggingControls {
            #expect(try Self.status(empty, fw, id).status == .insufficientEvidence)
            #expect(try Self.status(none, fw, id).status == .notAssessed)
        }
        // With no evidence at all, not one control of any framework is satisfied.
        #expect(none.controls.allSatisfy { $0.status != .satisfied })
        let all = try ControlCatalog.builtin()
        let facts = PackFacts(
            logsGiven: false, events: 0, sources: 0, iamPrincipals: 0, databricksPrincipals: 0, classified: 0,
            integrity: nil, categories: [:])
        #expect(all.assess(facts, findings: []).allSatisfy { $0.status != .satisfied })
    }

    @Test func populationControlsNeedEventsOfTheirKind() throws {
        var obs = Self.observations()
        let p = try Self.pack(obs)
        let credentials = try Self.status(p, "PCI DSS 4.0", "10.2.1.5")
        #expect(credentials.status == .insufficientEvidence && credentials.reason.contains("no event of the kind"))
        #expect(try Self.status(p, "SOC 2", "CC6.2").status == .insufficientEvidence)
        let e = try RecordNormalizer().normalize(
            #"{"eventVersion":"1.08","eventTime":"2026-08-01T10:00:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey","eventID":"ck-1","awsRegion":"us-east-1","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333"}}"#
        ).get()
        obs.categories[.credentialChange, default: EventSample()].add(e)
        let q = try Self.pack(obs)
        let c = try Self.status(q, "PCI DSS 4.0", "10.2.1.5")
        #expect(c.status == .satisfied, "\(c.reason)")
        #expect(c.evidence.contains { $0.kind == "events:credential-change" && $0.events == ["ck-1"] })
    }

    @Test func digestProblemsFailIntegrityControls() throws {
        let bad = try Self.pack(
            Self.observations(),
            integrity: .init(digestFiles: 4, logFiles: 10, verified: 9, problems: ["a.json.gz: modified"]))
        let c = try Self.status(bad, "PCI DSS 4.0", "10.3.4")
        #expect(c.status == .notSatisfied && c.reason.contains("a.json.gz: modified"))
        let good = try Self.pack(
            Self.observations(), integrity: .init(digestFiles: 4, logFiles: 10, verified: 10, problems: []))
        #expect(try Self.status(good, "PCI DSS 4.0", "10.3.4").status == .satisfied)
        #expect(try Self.status(good, "NIST 800-53", "AU-9").status == .satisfied)
        #expect(try Self.status(Self.pack(Self.observations()), "PCI DSS 4.0", "10.3.4").status == .notAssessed)
    }

    @Test func findingsFailObserveOrAreAcceptedRisk() throws {
        func finding(_ rule: String, _ severity: Severity, _ status: String) -> Finding {
            var f = Finding(
                rule: rule, severity: severity, title: rule, subjects: [], resources: [rule], evidence: Evidence(),
                controls: [ControlRef("NIST 800-53", "AU-12"), ControlRef("NIST 800-53", "SI-4")], remediation: "")
            f.status = status
            return f
        }
        let info = finding("monitoring-change", .info, "open")
        let accepted = finding("accepted", .high, "suppressed")
        let quiet = try Self.pack(Self.observations(), findings: [info, accepted])
        let c = try Self.status(quiet, "NIST 800-53", "AU-12")
        #expect(c.status == .satisfied && c.informational == [info.id] && c.suppressed == [accepted.id])
        #expect(c.reason.contains("1 finding accepted as risk (suppressed)"))
        let high = finding("ct-logging-stopped", .high, "open")
        let failed = try Self.status(Self.pack(Self.observations(), findings: [high, info]), "NIST 800-53", "AU-12")
        #expect(failed.status == .notSatisfied && failed.findings == [high.id])
        #expect(failed.reason.contains("\(high.id) (high, ct-logging-stopped)"))
    }

    /// Controls with no evidence of their own are never satisfied by the absence of findings.
    @Test func violationOnlyControlsAreInsufficientWithoutFindings() throws {
        let p = try Self.pack(Self.observations())
        let c = try Self.status(p, "NIST 800-53", "SC-28")
        #expect(c.status == .insufficientEvidence && c.reason.contains("only through the rules"))
    }

    /// The headline on the page, in evidence.xml and in OSCAL equals the per-control rows.
    @Test func everyViewCountsTheSameStatuses() throws {
        let (from, to) = (Self.day("2026-08-10") * 24, Self.day("2026-08-13") * 24)
        var f = Finding(
            rule: "r", severity: .high, title: "t", subjects: [], resources: ["x"], evidence: Evidence(),
            controls: [ControlRef("SOC 2", "CC6.1"), ControlRef("SOC 2", "CC9.9")], remediation: "")
        f.status = "open"
        let p = try Self.pack(
            Self.observations { s, h in s.hasPrefix("aws:") && h >= from && h < to }, findings: [f])
        let summary = ControlSummary(p.controls)
        #expect(summary.total == p.controls.count)
        #expect(ControlStatus.allCases.map { summary[$0] }.reduce(0, +) == summary.total)
        #expect(ControlStatus.allCases.allSatisfy { s in summary[s] == p.controls.filter { $0.status == s }.count })
        #expect(p.controls.contains { $0.id == "CC9.9" && !$0.inCatalog }, "a control cited outside the catalog counts")

        let html = HTMLReport.render(p)
        for s in ControlStatus.allCases {
            #expect(html.contains("data-\(s.rawValue)=\"\(summary[s])\""), "\(s)")
        }
        #expect(html.contains("data-total=\"\(summary.total)\""))
        #expect(html.components(separatedBy: "<tr data-status=").count - 1 == summary.total)

        let xml = EvidenceXML.render(p)
        for s in ControlStatus.allCases {
            #expect(xml.contains(" \(s.rawValue)=\"\(summary[s])\""), "\(s)")
            #expect(xml.components(separatedBy: "status=\"\(s.rawValue)\"").count - 1 == summary[s], "\(s)")
        }

        // controls.csv: a header and one row per control, with the same statuses.
        let csv = ControlsCSV.render(p)
        let lines = csv.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.first == Substring(ControlsCSV.columns.joined(separator: ",")))
        #expect(lines.count == summary.total + 1)
        for s in ControlStatus.allCases {
            #expect(lines.dropFirst().filter { $0.contains(",\(s.rawValue),") }.count == summary[s], "\(s)")
        }
        #expect(csv.contains("\(f.id) (high, r)"))

        let oscal = OSCALReport.render(p)
        let satisfied = oscal.components(separatedBy: "<status reason=\"pass\" state=\"satisfied\">").count - 1
        let failed = oscal.components(separatedBy: "<status reason=\"fail\" state=\"not-satisfied\">").count - 1
        let other = oscal.components(separatedBy: "<status reason=\"other\" state=\"not-satisfied\">").count - 1
        #expect(satisfied == summary[.satisfied] && failed == summary[.notSatisfied])
        #expect(other == summary[.insufficientEvidence])
        #expect(oscal.contains("Controls: " + summary.text))
    }
}

@Suite struct ControlsCSVTests {
    /// A control's title or reason that a spreadsheet would run as a formula is defused, and a
    /// cell with a comma, quote or newline is quoted.
    @Test func hostileCellsAreQuotedAndDefused() throws {
        var f = Finding(
            rule: "=HYPERLINK(\"http://x\")", severity: .high, title: "t", subjects: [], resources: ["x"],
            evidence: Evidence(), controls: [ControlRef("SOC 2", "@SUM(1,2)")], remediation: "")
        f.status = "open"
        let p = try ControlStatusTests.pack(Observations(), findings: [f])
        let csv = ControlsCSV.render(p)
        #expect(csv.contains("\"'@SUM(1,2)\""))
        #expect(csv.contains("(high, =HYPERLINK(\"\"http://x\"\"))"), "a quote inside a cell is doubled")
        #expect(!csv.contains("\n=") && !csv.contains(",=") && !csv.contains(",@") && !csv.contains(",+"))
    }
}

/// `verify` follows the OSCAL chain: each import resolves in the pack and every reviewed
/// control is in the pack's catalog.
@Suite struct OSCALChainTests {
    @Test func brokenReferencesAreProblems() throws {
        var f = Finding(
            rule: "r", severity: .high, title: "t", subjects: [], resources: ["x"], evidence: Evidence(),
            controls: [ControlRef("SOC 2", "CC6.1")], remediation: "")
        f.status = "open"
        let p = try ControlStatusTests.pack(ControlStatusTests.observations(), findings: [f])
        let dir = try TestPaths.temporaryDirectory("oscal-chain")
        func write(_ name: String, _ doc: OSCALDocuments.Object) throws {
            try OSCALDocuments.text(doc).write(
                to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        try write(OSCALDocuments.resultsFile, OSCALDocuments.results(p))
        try write(OSCALDocuments.planFile, OSCALDocuments.plan(p))
        try write(OSCALDocuments.sspFile, OSCALDocuments.ssp(p))
        var catalog = OSCALDocuments.catalog(p)
        try write(OSCALDocuments.catalogFile, catalog)
        #expect(PackVerifier.oscalReferences(in: dir.path).isEmpty)
        // The plan points elsewhere, and the catalog lost SOC 2's controls.
        var plan = OSCALDocuments.plan(p)
        var body = plan["assessment-plan"] as! [String: Any]
        body["import-ssp"] = ["href": "https://example.invalid/ssp.json"]
        plan["assessment-plan"] = body
        try write(OSCALDocuments.planFile, plan)
        var c = catalog["catalog"] as! [String: Any]
        c["groups"] = (c["groups"] as! [[String: Any]]).filter { ($0["id"] as? String) != "soc2" }
        catalog["catalog"] = c
        try write(OSCALDocuments.catalogFile, catalog)
        let problems = PackVerifier.oscalReferences(in: dir.path)
        #expect(
            problems.contains { $0.contains("import-ssp is 'https://example.invalid/ssp.json', not oscal-ssp.json") })
        #expect(
            problems.contains { $0.contains("not in oscal-catalog.json") && $0.contains("soc2-cc6.1") }, "\(problems)")
        // A hash in the results' back-matter that does not match its file.
        try "[]".write(to: dir.appendingPathComponent("findings.json"), atomically: true, encoding: .utf8)
        try write(
            OSCALDocuments.resultsFile,
            OSCALDocuments.results(p, hashes: ["findings.json": String(repeating: "0", count: 64)]))
        #expect(
            PackVerifier.oscalReferences(in: dir.path).contains {
                $0.contains("the SHA-256 it gives for findings.json does not match the file")
            })
    }
}
