import CrossTrailIngest
import CrossTrailInventory
import CrossTrailModel
import CrossTrailReport
import CrossTrailTimeline
import Foundation
import TestSupport
import Testing

@testable import CrossTrailPipeline

/// Records what a pipeline reports, in order (the CLI's TerminalObserver shows the same calls).
final class RecordingObserver: PipelineObserver, @unchecked Sendable {
    private let lock = NSLock()
    private var _calls: [String] = []
    var calls: [String] { lock.withLock { _calls } }
    private func note(_ s: String) { lock.withLock { _calls.append(s) } }

    func inventoryLoaded(_ inventory: Inventory, diagnostics: [Diagnostic]) {
        note("inventory \(inventory.files.count)")
    }
    func readingStarted(_ progress: IngestProgress) { note("started \(progress.totalFiles)") }
    func readingFinished(_ stats: IngestStats, elapsed: TimeInterval, deduplicated: Bool) {
        note("finished \(stats.recordsRead) \(deduplicated ? "dedup" : "analysis")")
    }
    func storeIngested(_ delta: StoreDelta) {
        note("store +\(delta.eventsAdded) stored \(delta.filesStored) unchanged \(delta.filesUnchanged)")
    }
}

enum Fixtures {
    static let samples = TestPaths.packageRoot.appendingPathComponent("Samples")
    static var logs: String { samples.appendingPathComponent("logs").path }
    static var inventory: String { samples.appendingPathComponent("inventory").path }
}

@Suite struct ScanPipelineTests {
    @Test func scanOfTheSamplesReturnsFindingsStatsAndTheInventory() throws {
        let observer = RecordingObserver()
        let config = ScanPipeline.Configuration(
            events: EventInput(paths: [Fixtures.logs]), inventory: InventoryInput(paths: [Fixtures.inventory]))
        let outcome = try ScanPipeline(config).run(observer: observer)
        let stats = try #require(outcome.stats)
        #expect(stats.reconciles)
        #expect(outcome.events == stats.accepted)
        #expect(outcome.result.findings.contains { $0.rule == "ct-logging-stopped" && $0.severity >= .high })
        #expect(outcome.fails(at: .high) && !outcome.hasDiagnostics)
        #expect(outcome.storeDelta == nil)
        #expect(observer.calls.first?.hasPrefix("inventory") == true)
        #expect(observer.calls.contains { $0.hasPrefix("finished") && $0.hasSuffix("analysis") })
        // The minimum severity narrows what is returned.
        var high = config
        high.minSeverity = .high
        let narrowed = try ScanPipeline(high).run()
        #expect(!narrowed.result.findings.isEmpty && narrowed.result.findings.allSatisfy { $0.severity >= .high })
    }

    @Test func aStoreRemembersFilesAndFindingsAcrossRuns() throws {
        let dir = try TestPaths.temporaryDirectory("pipeline-store")
        var config = ScanPipeline.Configuration(
            events: EventInput(paths: [Fixtures.logs]), inventory: InventoryInput(paths: [Fixtures.inventory]))
        config.store = dir.appendingPathComponent("case.db").path
        let first = try ScanPipeline(config).run()
        let delta1 = try #require(first.storeDelta)
        #expect(delta1.eventsAdded > 4000 && delta1.filesUnchanged == 0)
        #expect(first.result.findings.allSatisfy { $0.status == FindingStatus.new.rawValue })
        config.sinceLast = true
        let observer = RecordingObserver()
        let second = try ScanPipeline(config).run(observer: observer)
        let delta2 = try #require(second.storeDelta)
        #expect(
            delta2.eventsAdded == 0 && delta2.filesStored == 0 && delta2.filesUnchanged == delta1.filesStored
                && delta2.skippedUnchanged)
        #expect(observer.calls.contains("started 0"), "unchanged files are not read")
    }

    @Test func unusableInputsAreTypedErrors() throws {
        func code(_ config: ScanPipeline.Configuration) -> CrossTrailError.Code? {
            do { _ = try ScanPipeline(config).run(); return nil } catch let e as CrossTrailError { return e.code } catch
            { return nil }
        }
        #expect(code(.init(events: EventInput(paths: ["/no/such/logs"]), inventory: InventoryInput())) == .inputMissing)
        let empty = try TestPaths.temporaryDirectory("empty-inv")
        #expect(
            code(.init(events: EventInput(paths: []), inventory: InventoryInput(paths: [empty.path]))) == .inputEmpty)
        var badStore = ScanPipeline.Configuration(
            events: EventInput(paths: []), inventory: InventoryInput(paths: [Fixtures.inventory]))
        badStore.store = empty.path  // a folder, not a SQLite file
        #expect(code(badStore) == .store)
        #expect(CrossTrailError(.store, "x").exitStatus == .storage)
        #expect(CrossTrailError(.authentication, "x").exitStatus == .network)
    }
}

@Suite struct ReportPipelineTests {
    @Test func thePackIsWrittenVerifiedAndAccounted() throws {
        let dir = try TestPaths.temporaryDirectory("pipeline-report")
        let out = dir.appendingPathComponent("pack").path
        var config = ReportPipeline.Configuration(
            paths: [Fixtures.logs], inventory: InventoryInput(paths: [Fixtures.inventory]), out: out,
            generatedAt: try #require(Timestamp(iso: "2026-09-01T00:00:00Z")), toolVersion: "0.0.0-test")
        config.period = ReportPeriod.parse("2026-08")
        config.zip = true
        var cleanups = 0
        let r = try ReportPipeline(config).run(onStaging: { _ in cleanups += 1 })
        #expect(cleanups == 1, "the unfinished pack is offered for cleanup")
        #expect(r.destination == out && r.zip == out + ".zip")
        #expect(r.events == r.stats.accepted && r.events > 4000)
        #expect(r.controls.values.reduce(0, +) > 0 && r.openFindings > 0)
        let names = try FileManager.default.contentsOfDirectory(atPath: out)
        for artifact in PackArtifacts.all { #expect(names.contains(artifact.name), "\(artifact.name)") }
        #expect(r.files == names.count)
        #expect(PackVerifier.verify(pack: out, trustedKey: nil, requireSignature: false).ok)
        // Same inputs and time: the same bytes.
        config.out = dir.appendingPathComponent("again").path
        config.zip = false
        _ = try ReportPipeline(config).run()
        for name in ["evidence.xml", "findings.json", "oscal-assessment-results.xml"] {
            #expect(
                FileManager.default.contents(atPath: out + "/" + name)
                    == FileManager.default.contents(atPath: config.out + "/" + name), "\(name)")
        }
    }

    @Test func badOptionsFailBeforeReading() throws {
        let dir = try TestPaths.temporaryDirectory("pipeline-report-bad")
        var config = ReportPipeline.Configuration(
            paths: [Fixtures.logs], inventory: InventoryInput(), out: dir.appendingPathComponent("p").path,
            generatedAt: Timestamp(millis: 0), toolVersion: "0")
        config.frameworks = ["sox"]
        let observer = RecordingObserver()
        #expect(throws: CrossTrailError.self) { try ReportPipeline(config).run(observer: observer) }
        #expect(observer.calls.isEmpty, "nothing was read")
        #expect(!FileManager.default.fileExists(atPath: config.out))
    }
}

@Suite struct TimelinePipelineTests {
    @Test func attributedTimelineWritesTheFileAndCountsEveryRecord() throws {
        let dir = try TestPaths.temporaryDirectory("pipeline-timeline")
        var options = TimelineOptions()
        options.format = .jsonl
        options.filter.since = Timestamp(iso: "2026-08-01T09:30Z")
        options.filter.until = Timestamp(iso: "2026-08-01T09:50Z")
        options.filter.actors = [Glob("alice@acme.example")]
        var config = AttributedTimeline.Configuration(paths: [Fixtures.logs], options: options)
        config.attribute = true
        config.inventory = InventoryInput(paths: [Fixtures.inventory])
        config.output = dir.appendingPathComponent("t.jsonl").path
        let stats = try AttributedTimeline(config).run()
        #expect(stats.reconciles && stats.accepted > 0)
        let output = try #require(config.output)
        let rows = try #require(parseJSONLines(String(contentsOfFile: output, encoding: .utf8)))
        #expect(rows.count == stats.accepted)
        // --actor PERSON selects the role sessions traced to that person too.
        #expect(
            rows.contains { (($0["actor"] as? [String: Any])?["key"] as? String)?.contains("assumed-role/") == true })
    }

    @Test func sessionGlobsFollowTheRole() {
        #expect(
            AttributedTimeline.sessionGlob("arn:aws:iam::111122223333:role/path/etl|alice")?
                .matches("arn:aws:sts::111122223333:assumed-role/etl/alice") == true)
        #expect(AttributedTimeline.sessionGlob("not-an-arn|x") == nil)
    }
}

@Suite struct FetchPlanTests {
    @Test func sourcesParse() {
        #expect(FetchPlan.Source("s3://bucket/AWSLogs/1/") == .s3(bucket: "bucket", prefix: "AWSLogs/1/"))
        #expect(FetchPlan.Source("s3://") == nil && FetchPlan.Source("gs://x") == nil)
        #expect(FetchPlan.Source("iam") == .iam)
    }

    @Test func credentialsAndConnectionsFailWithTheirCodes() throws {
        let out = try TestPaths.temporaryDirectory("pipeline-fetch")
        var config = FetchPlan.Configuration(source: .databricks, out: out.path)
        config.host = "https://127.0.0.1:9"
        config.inventory = true
        config.environment = [:]
        do { _ = try FetchPlan(config).run(); Issue.record("fetched without credentials") } catch let e
            as CrossTrailError
        {
            #expect(e.code == .authentication && e.message.contains("no Databricks credentials"))
        }
        config.environment = ["DATABRICKS_TOKEN": "dapi-0000"]
        config.http.retries = 0
        do { _ = try FetchPlan(config).run(); Issue.record("fetched from a closed port") } catch let e
            as CrossTrailError
        {
            #expect(e.code == .network && e.exitStatus == .network)
            #expect(!e.description.contains("dapi-0000"), "never the token")
        }
    }
}
