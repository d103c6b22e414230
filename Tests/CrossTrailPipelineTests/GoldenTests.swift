import CrossTrailModel
import CrossTrailPipeline
import CrossTrailReport
import CrossTrailTimeline
import Foundation
import TestSupport
import Testing

/// Golden files: every output format on fixed inputs (the committed Samples) with the date and
/// version injected, compared byte for byte. On a difference the test names the first differing
/// line and leaves the actual output next to the golden file's name in the temporary folder (diff
/// them); `CROSSTRAIL_UPDATE_GOLDEN=1 swift test --filter GoldenTests` rewrites them after a
/// deliberate change (review the diff before committing).
@Suite(.serialized) struct GoldenTests {
    static let folder = TestPaths.packageRoot.appendingPathComponent("Tests/CrossTrailPipelineTests/Golden")
    static let window = ("2026-08-01T09:30Z", "2026-08-01T09:50Z")

    /// Paths in outputs start at the package root, which differs between checkouts.
    static func normalized(_ text: String) -> String {
        text.replacingOccurrences(of: TestPaths.packageRoot.path, with: "<root>")
    }

    static func check(_ name: String, _ actual: String) throws {
        let actual = normalized(actual)
        let url = folder.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["CROSSTRAIL_UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data(actual.utf8).write(to: url)
            return
        }
        guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
            Issue.record("no golden file \(url.path): run with CROSSTRAIL_UPDATE_GOLDEN=1")
            return
        }
        guard expected != actual else { return }
        let saved = try TestPaths.temporaryDirectory("golden").appendingPathComponent(name)
        try Data(actual.utf8).write(to: saved)
        let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
        let line = (0..<min(e.count, a.count)).first { e[$0] != a[$0] } ?? min(e.count, a.count)
        Issue.record(
            """
            \(name) differs from its golden file at line \(line + 1):
              expected: \(line < e.count ? String(e[line].prefix(300)) : "<end of file>")
              actual:   \(line < a.count ? String(a[line].prefix(300)) : "<end of file>")
            diff -u \(url.path) \(saved.path)
            """)
    }

    @Test func findingsFormats() throws {
        let config = ScanPipeline.Configuration(
            events: EventInput(paths: [Fixtures.logs]), inventory: InventoryInput(paths: [Fixtures.inventory]))
        let outcome = try ScanPipeline(config).run()
        for reporter in FindingsReporters.all {
            var text = ""
            var document = FindingsDocument(outcome, generatedAt: Timestamp(iso: "2026-09-01T00:00:00Z")!)
            document.failOn = .high
            document.securityHub = ("111122223333", "us-east-1")
            if reporter.needsLocations { document.locations = config.events.locate(document.evidenceEvents) }
            try reporter.init().write(document) { text += $0 }
            try Self.check("scan.\(reporter.identifier)", text)
        }
    }

    @Test func timelineFormats() throws {
        let dir = try TestPaths.temporaryDirectory("golden-timeline")
        for format in TimelineFormat.allCases {
            var options = TimelineOptions()
            options.format = format
            options.filter.since = Timestamp(iso: Self.window.0)
            options.filter.until = Timestamp(iso: Self.window.1)
            var config = AttributedTimeline.Configuration(paths: [Fixtures.logs], options: options)
            config.attribute = true
            config.inventory = InventoryInput(paths: [Fixtures.inventory])
            config.output = dir.appendingPathComponent(format.rawValue).path
            _ = try AttributedTimeline(config).run()
            try Self.check("timeline.\(format.rawValue)", try String(contentsOfFile: config.output!, encoding: .utf8))
        }
    }

    @Test func evidencePackFiles() throws {
        let dir = try TestPaths.temporaryDirectory("golden-pack")
        var config = ReportPipeline.Configuration(
            paths: [Fixtures.logs], inventory: InventoryInput(paths: [Fixtures.inventory]),
            out: dir.appendingPathComponent("pack").path,
            generatedAt: try #require(Timestamp(iso: "2026-09-01T00:00:00Z")), toolVersion: "0.0.0-golden")
        config.period = ReportPeriod.parse("\(Self.window.0)..\(Self.window.1)")
        config.command = "crosstrail report (golden)"
        _ = try ReportPipeline(config).run()
        for name in [
            "evidence.xml", "oscal-assessment-results.xml", "findings.json", "inputs.json", "index.html",
            "timeline.jsonl", "controls.csv", "oscal-assessment-results.json", "oscal-assessment-plan.json",
            "oscal-ssp.json", "oscal-catalog.json", "findings.ocsf.jsonl",
        ] {
            var text = try String(contentsOfFile: config.out + "/" + name, encoding: .utf8)
            if name == "oscal-assessment-results.json" {
                // The hashes of the pack's files cover their absolute input paths (which differ per
                // checkout); validate.py and verify check them against the files.
                text = text.replacing(try Regex(#""value" : "[0-9a-f]{64}""#), with: #""value" : "<sha256>""#)
            }
            try Self.check("pack.\(name)", text)
        }
    }
}
