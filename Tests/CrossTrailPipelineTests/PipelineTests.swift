import CrossTrailAnalysis
import CrossTrailIngest
import CrossTrailInventory
import CrossTrailModel
import CrossTrailReport
import CrossTrailRules
import CrossTrailStore
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
    func ruleErrors(_ errors: [RuleError]) { note("rule errors \(errors.count)") }
}

/// A value behind a lock, for closures the pipelines call from other threads.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<R>(_ body: (inout Value) -> R) -> R { lock.withLock { body(&value) } }
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

    /// A finding suppressed in the case store is accepted risk in the pack: listed under its
    /// controls with the reason, author and end date, and not counted against them; an expired
    /// suppression counts again.
    @Test func storeSuppressionsAreAcceptedRiskInThePack() throws {
        let dir = try TestPaths.temporaryDirectory("pipeline-accepted")
        let store = dir.appendingPathComponent("case.db").path
        var scan = ScanPipeline.Configuration(
            events: EventInput(paths: [Fixtures.logs]), inventory: InventoryInput(paths: [Fixtures.inventory]))
        scan.store = store
        let findings = try ScanPipeline(scan).run().result.findings
        // The finding that alone fails SOC 2 CC6.6.
        let target = try #require(
            findings.first { f in
                f.controls.contains(ControlRef("SOC 2", "CC6.6"))
                    && findings.filter { $0.controls.contains(ControlRef("SOC 2", "CC6.6")) }.count == 1
            })
        try CaseStore.using(store) {
            try $0.suppress(target.id, reason: "office egress range, reviewed", author: "ciso", until: "2026-12-31")
        }
        func pack(_ name: String, store: String?, at time: String) throws -> String {
            var config = ReportPipeline.Configuration(
                paths: [Fixtures.logs], inventory: InventoryInput(paths: [Fixtures.inventory]),
                out: dir.appendingPathComponent(name).path, generatedAt: try #require(Timestamp(iso: time)),
                toolVersion: "0.0.0-test")
            config.period = ReportPeriod.parse("2026-08-01..2026-08-03")
            config.store = store
            _ = try ReportPipeline(config).run()
            return try String(contentsOfFile: config.out + "/evidence.xml", encoding: .utf8)
        }
        func control(_ xml: String) throws -> String {
            let start = try #require(xml.range(of: "<control id=\"CC6.6\""))
            let end = try #require(xml.range(of: "</control>", range: start.upperBound..<xml.endIndex))
            return String(xml[start.lowerBound..<end.upperBound])
        }
        let without = try control(pack("plain", store: nil, at: "2026-09-01T00:00:00Z"))
        #expect(without.contains("status=\"not-satisfied\"") && without.contains("<finding ref=\"\(target.id)\"/>"))
        let with = try control(pack("accepted", store: store, at: "2026-09-01T00:00:00Z"))
        #expect(!with.contains("status=\"not-satisfied\""), "\(with)")
        #expect(with.contains("<suppressed ref=\"\(target.id)\"/>"))
        #expect(with.contains("office egress range, reviewed (by ciso, until 2026-12-31)"))
        let expired = try control(pack("expired", store: store, at: "2027-01-15T00:00:00Z"))
        #expect(expired.contains("status=\"not-satisfied\""), "the suppression ended on 2026-12-31")
        // A store that does not exist is an input error, not an empty list of suppressions.
        #expect(throws: CrossTrailError.self) {
            _ = try pack("missing", store: dir.appendingPathComponent("nope.db").path, at: "2026-09-01T00:00:00Z")
        }
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

    /// Each --inventory root must add principals, policies, ACLs, grants, clusters or data classes;
    /// the shapes users pass (a file, a trailing slash, a symlink) all count, noise and empty exports do not.
    @Test func everyInventoryRootMustAddEntries() throws {
        func load(_ paths: [String], classification: String? = nil) -> Result<Int, CrossTrailError> {
            do {
                return .success(
                    try InventoryInput(paths: paths, classification: classification).load(observer: SilentObserver()).0
                        .files.count)
            } catch let e as CrossTrailError { return .failure(e) } catch {
                return .failure(CrossTrailError(.usage, "unexpected \(error)"))
            }
        }
        func code(_ r: Result<Int, CrossTrailError>) -> CrossTrailError.Code? {
            if case .failure(let e) = r { return e.code } else { return nil }
        }
        let dir = try TestPaths.temporaryDirectory("inventory-roots")
        let iam = Fixtures.inventory + "/aws/iam-authorization-details.json"
        let yaml = Fixtures.inventory + "/classification.yaml"
        // Accepted: a single export, a folder with a trailing slash, a symlinked folder, a path with "./".
        #expect(code(load([iam])) == nil)
        #expect(code(load([Fixtures.inventory + "/"])) == nil)
        let link = dir.appendingPathComponent("linked").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: Fixtures.inventory)
        #expect(try load([link]).get() == load([Fixtures.inventory]).get(), "a symlinked root reads the same files")
        #expect(code(load([Fixtures.inventory + "/./aws"])) == nil)
        // A folder holding only a classification file is a classification, which adds data classes.
        let yamlOnly = dir.appendingPathComponent("yaml-only")
        try FileManager.default.createDirectory(at: yamlOnly, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: yaml, toPath: yamlOnly.appendingPathComponent("c.yaml").path)
        #expect(code(load([yamlOnly.path])) == nil)
        // Rejected: empty exports, a YAML file with no classes, noise, and a bad --classification file.
        let emptyExports = dir.appendingPathComponent("empty-exports")
        try FileManager.default.createDirectory(at: emptyExports, withIntermediateDirectories: true)
        try Data(#"{"UserDetailList": [], "RoleDetailList": [], "GroupDetailList": [], "Policies": []}"#.utf8)
            .write(to: emptyExports.appendingPathComponent("iam.json"))
        try Data(#"{"Resources": []}"#.utf8).write(to: emptyExports.appendingPathComponent("scim.json"))
        try Data("# nothing yet\n".utf8).write(to: emptyExports.appendingPathComponent("classes.yaml"))
        let failure = load([emptyExports.path])
        #expect(code(failure) == .inputEmpty)
        if case .failure(let e) = failure {
            #expect(e.message.contains("--inventory \(emptyExports.path) adds nothing to the inventory (3 files read"))
        }
        #expect(code(load([emptyExports.path + "/iam.json"])) == .inputEmpty)
        #expect(code(load([iam, emptyExports.path])) == .inputEmpty, "every root counts, not just the union")
        let badYAML = dir.appendingPathComponent("bad.yaml").path
        try Data("s3: [unclosed\n".utf8).write(to: URL(fileURLWithPath: badYAML))
        let bad = load([iam], classification: badYAML)
        #expect(code(bad) == .inputEmpty)
        if case .failure(let e) = bad { #expect(e.message.contains("--classification \(badYAML)"), "\(e.message)") }
        #expect(code(load([], classification: yaml)) == nil)
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
        #expect(r.controls.total > 0 && r.openFindings > 0)
        // The summary line's numbers are the pack's.
        let xml = try String(contentsOfFile: out + "/evidence.xml", encoding: .utf8)
        for s in ControlStatus.allCases { #expect(xml.contains(" \(s.rawValue)=\"\(r.controls[s])\""), "\(s)") }
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
        config.inventory = InventoryInput(paths: [Fixtures.inventory])
        config.frameworks = ["sox"]
        let observer = RecordingObserver()
        let error = #expect(throws: CrossTrailError.self) { try ReportPipeline(config).run(observer: observer) }
        #expect(error?.code == .usage && error?.message.contains("unknown --framework sox") == true)
        #expect(observer.calls.isEmpty, "neither the inventory nor a log was read")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty, "no pack, no staging folder")
    }

    /// A run that fails after the pack's staging folder exists leaves nothing behind; the cleanup
    /// it hands the caller (run on SIGINT, registered before the folder exists) removes the
    /// folder too, and is harmless afterwards.
    @Test func aFailedRunLeavesNoStagingFolder() throws {
        let dir = try TestPaths.temporaryDirectory("pipeline-report-staging")
        let empty = dir.appendingPathComponent("empty-inventory")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let config = ReportPipeline.Configuration(
            paths: [Fixtures.logs], inventory: InventoryInput(paths: [empty.path]),
            out: dir.appendingPathComponent("p").path, generatedAt: Timestamp(millis: 0), toolVersion: "0")
        let cleanups = Locked<[@Sendable () -> Void]>([])
        let error = #expect(throws: CrossTrailError.self) {
            try ReportPipeline(config).run(onStaging: { cleanup in cleanups.withLock { $0.append(cleanup) } })
        }
        #expect(error?.code == .inputEmpty)
        #expect(cleanups.withLock { $0.count } == 1, "the cleanup was offered")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["empty-inventory"])
        // The cleanup removes a staging folder however far the run got.
        let staging = PackWriter.stagingPath(for: config.out)
        try FileManager.default.createDirectory(atPath: staging + "/sub", withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: staging + "/sub/timeline.jsonl"))
        for cleanup in cleanups.withLock({ $0 }) { cleanup() }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["empty-inventory"])
    }
}

@Suite struct TextOutputTests {
    /// Output appears whole or not at all: an output dropped before `finish()` leaves no file,
    /// finished it replaces the destination in one move.
    @Test func outputsAppearWholeOrNotAtAll() throws {
        let dir = try TestPaths.temporaryDirectory("text-output")
        let path = dir.appendingPathComponent("out.txt").path
        do {
            let out = try TextOutput(path: path)
            out.write("partial")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).count == 1, "a temporary file")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty, "abandoned: nothing left")
        try TextOutput.write("whole\n", to: path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out.txt"])
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "whole\n")
        let error = #expect(throws: CrossTrailError.self) {
            try TextOutput(path: dir.appendingPathComponent("no/such/dir/x").path)
        }
        #expect(error?.code == .output)
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
        }
        // The fake workspace refuses this token with 401: authentication, the URL and status, never the token.
        let tls = try TestTLS.make()
        let server = try TestServer.fakeAPIs(tls)
        config.host = server.url
        config.http.caBundle = tls.ca
        config.environment = ["DATABRICKS_TOKEN": "dapi-expired-0000"]
        do { _ = try FetchPlan(config).run(); Issue.record("fetched with a refused token") } catch let e
            as CrossTrailError
        {
            #expect(e.code == .authentication && e.exitStatus == .network, "\(e)")
            #expect(e.description.contains(server.url) && e.description.contains("HTTP 401"), "\(e)")
            #expect(!e.description.contains("dapi-expired-0000") && !"\(e.underlying as Any)".contains("dapi-expired"))
        }
    }
}

/// `rules update` against a loopback HTTPS server: a GitHub-shaped archive is downloaded, checked
/// and installed; nothing outside the rules folder, nothing that climbs out, no link is installed.
@Suite struct RulePackUpdateTests {
    @Test func aRuleSetIsDownloadedCheckedAndInstalled() throws {
        let tls = try TestTLS.make()
        let server = try TestServer.fakeAPIs(tls)
        let root = try TestPaths.temporaryDirectory("rules-update")
        let dir = root.appendingPathComponent("rules/suzaku").path
        var config = RulePackUpdate.Configuration(source: server.url + "/archive/rules.tar.gz")
        config.folder = "suzaku/aws"
        config.directory = dir
        config.http.caBundle = tls.ca
        config.http.retries = 0
        let outcome = try RulePackUpdate(config).run()
        #expect(outcome.files == 6 && outcome.correlations == 5 && outcome.errors.isEmpty, "\(outcome)")
        #expect(outcome.rules == 8, "the eight base rules of the five correlation files, and the long-named one")
        let installed = try FileManager.default.subpathsOfDirectory(atPath: dir).sorted()
        #expect(installed.filter { $0.hasSuffix(".yml") }.count == 6 && installed.contains("SOURCE.json"))
        #expect(installed.allSatisfy { $0 == "SOURCE.json" || $0.hasPrefix("cloudtrail") }, "\(installed)")
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("escape.yml").path))
        #expect(!FileManager.default.fileExists(atPath: "/etc/crosstrail-absolute.yml"))
        // Where a climb from the staging folder would land: the test folder or the ones above it.
        let above = [
            root, root.deletingLastPathComponent(), root.deletingLastPathComponent().deletingLastPathComponent(),
        ]
        let climbed =
            above.flatMap { (try? FileManager.default.contentsOfDirectory(atPath: $0.path)) ?? [] }
            .filter { $0.contains("hidden-escape") || $0.unicodeScalars.contains { $0.value == 0x301 } }
            + ((try? FileManager.default.subpathsOfDirectory(atPath: root.path)) ?? []).filter {
                $0.contains("hidden-escape")
            }
        #expect(climbed.isEmpty, "a '..' hidden behind combining marks climbs nowhere: \(climbed)")
        // The digest is the archive's, as the server computes it.
        let (status, served) = try runPython(
            "import json, ssl, sys, urllib.request; ctx = ssl.create_default_context(cafile=sys.argv[2]); "
                + "print(json.load(urllib.request.urlopen(sys.argv[1], context=ctx))['sha256'])",
            [server.url + "/archive/rules.tar.gz.sha256", tls.ca])
        #expect(status == 0 && served.trimmingCharacters(in: .whitespacesAndNewlines) == outcome.sha256)
        let record = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/SOURCE.json")))
                as? [String: Any])
        #expect(record["sha256"] as? String == outcome.sha256 && record["url"] as? String == config.source)
        // The installed folder is a rule folder like any other.
        let set = RuleSet.load(directories: [dir], builtins: false)
        #expect(set.errors.isEmpty && set.correlations.count == 5, "\(set.errors)")

        // A pinned digest that does not match: refused, the installed copy untouched.
        var pinned = config
        pinned.sha256 = String(repeating: "0", count: 64)
        let mismatch = #expect(throws: CrossTrailError.self) { try RulePackUpdate(pinned).run() }
        #expect(mismatch?.code == .network && mismatch?.message.contains("SHA-256") == true)
        #expect(try FileManager.default.subpathsOfDirectory(atPath: dir).sorted() == installed)
        pinned.sha256 = outcome.sha256.uppercased()
        #expect(try RulePackUpdate(pinned).run().files == 6, "the right digest installs (a replacement)")
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("rules").path) == ["suzaku"]
        )

        // A folder that is not a previous install is never replaced (a user's own rules, a home).
        let own = root.appendingPathComponent("my-rules")
        try FileManager.default.createDirectory(at: own, withIntermediateDirectories: true)
        try Data("title: mine\n".utf8).write(to: own.appendingPathComponent("mine.yml"))
        var mine = config
        mine.directory = own.path
        let refused = #expect(throws: CrossTrailError.self) { try RulePackUpdate(mine).run() }
        #expect(refused?.code == .usage && refused?.message.contains("SOURCE.json") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: own.path) == ["mine.yml"])

        var empty = config
        empty.folder = "suzaku/gcp"
        #expect(throws: CrossTrailError.self) { try RulePackUpdate(empty).run() }
        let plain = #expect(throws: CrossTrailError.self) {
            try RulePackUpdate(.init(source: "http://127.0.0.1:9/rules.tar.gz")).run()
        }
        #expect(plain?.code == .usage)
    }
}

/// Correlation rules across hourly `--since-last` scans: the matches near the end of one scan are
/// carried in the case store, so a sequence split between two scans is still seen.
@Suite struct CorrelationAcrossScansTests {
    static let rules = """
        title: Caller identity checked
        name: whoami
        logsource: {product: aws, service: cloudtrail}
        detection:
          selection: {eventName: GetCallerIdentity}
          condition: selection
        ---
        title: Buckets listed
        name: list-buckets
        logsource: {product: aws, service: cloudtrail}
        detection:
          selection: {eventName: ListBuckets}
          condition: selection
        ---
        title: Recon after whoami
        name: whoami-then-list
        level: high
        correlation:
          type: temporal_ordered
          rules: [whoami, list-buckets]
          group-by: [userIdentity.arn]
          timespan: 10m
        """

    static func record(
        _ id: String, _ name: String, _ time: String, arn: String = "arn:aws:iam::111122223333:user/mallory"
    )
        -> String
    {
        """
        {"eventVersion":"1.08","eventID":"\(id)","eventTime":"\(time)","eventSource":"\(name == "ListBuckets" ? "s3" : "sts").amazonaws.com","eventName":"\(name)","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userIdentity":{"type":"IAMUser","arn":"\(arn)","accountId":"111122223333","userName":"mallory","principalId":"AIDAEXAMPLE"},"recipientAccountId":"111122223333"}
        """
    }

    @Test func aSequenceSplitBetweenTwoScansIsFoundOnceAndOnlyWithinItsTimespan() throws {
        let dir = try TestPaths.temporaryDirectory("carry")
        let logs = dir.appendingPathComponent("logs")
        let ruleDir = dir.appendingPathComponent("rules")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: ruleDir, withIntermediateDirectories: true)
        try Self.rules.write(to: ruleDir.appendingPathComponent("recon.yml"), atomically: true, encoding: .utf8)
        func add(_ file: String, _ lines: [String]) throws {
            try (lines.joined(separator: "\n") + "\n").write(
                to: logs.appendingPathComponent(file), atomically: true, encoding: .utf8)
        }
        var config = ScanPipeline.Configuration(events: EventInput(paths: [logs.path]), inventory: InventoryInput())
        config.store = dir.appendingPathComponent("case.db").path
        config.ruleDirectories = [ruleDir.path]
        config.sinceLast = true
        func recon(_ o: ScanPipeline.Outcome) -> [Finding] {
            o.result.findings.filter { $0.rule == "whoami-then-list" }
        }

        // Hour 1: only the first step.
        try add("h1.jsonl", [Self.record("e1", "GetCallerIdentity", "2026-11-02T09:58:00Z")])
        #expect(recon(try ScanPipeline(config).run()).isEmpty)
        // Hour 2 (only the new file is read): the second step, 4 minutes later.
        try add("h2.jsonl", [Self.record("e2", "ListBuckets", "2026-11-02T10:02:00Z")])
        let second = recon(try ScanPipeline(config).run())
        let found = try #require(second.first)
        #expect(second.count == 1 && found.status == FindingStatus.new.rawValue)
        #expect(found.evidence.events == ["e1", "e2"])
        #expect(found.evidence.details["matches from earlier scans"] == "1")
        #expect(found.subjects.first?.name.contains("mallory") == true)

        // Hour 3: nothing new for the sequence: the carried matches alone were hour 2's to judge.
        try add(
            "h3.jsonl",
            [Self.record("e3", "GetCallerIdentity", "2026-11-02T11:30:00Z", arn: "arn:aws:iam::111122223333:user/bob")])
        let third = try ScanPipeline(config).run()
        #expect(recon(third).isEmpty, "not re-reported from carried matches")
        // Hour 4: bob lists buckets 20 minutes after his whoami: outside the timespan.
        try add(
            "h4.jsonl",
            [Self.record("e4", "ListBuckets", "2026-11-02T11:50:00Z", arn: "arn:aws:iam::111122223333:user/bob")])
        #expect(recon(try ScanPipeline(config).run()).isEmpty)

        // Without --since-last every file is read again: the same finding, the events the scan's own.
        config.sinceLast = false
        let full = recon(try ScanPipeline(config).run())
        #expect(full.count == 1 && full.first?.id == found.id && full.first?.status == FindingStatus.reopened.rawValue)
        #expect(full.first?.evidence.details["matches from earlier scans"] == nil)

        // What is carried is bounded by the timespan (plus the delivery slack) before the latest event.
        let carried = try CaseStore.using(config.store!, readOnly: true) { try $0.carriedMatches() }
        #expect(Set(carried.map(\.event)) == ["e3", "e4"], "e1 and e2 are more than 10m + 1h before 11:50")
        #expect(carried.allSatisfy { $0.correlation == "whoami-then-list" })
    }
}

/// Every control a built-in rule or detection cites is in the catalog, so a pack never shows a
/// control it cannot describe (and never leaves one out of its headline).
@Suite struct CitedControlsTests {
    @Test func everyCitedControlIsInTheCatalog() throws {
        let catalog = try ControlCatalog.builtin()
        var cited = Set<ControlRef>()
        let rules = RuleSet.load(monitoring: true)
        #expect(rules.errors.isEmpty)
        for r in rules.rules { cited.formUnion(r.controls) }
        for c in rules.correlations { cited.formUnion(c.controls) }
        // The detections written in Swift cite controls as literals or through Controls' constants.
        let names = [
            "soc2": "SOC 2", "iso": "ISO 27001:2022", "pci": "PCI DSS 4.0", "hipaa": "HIPAA", "nist": "NIST 800-53",
        ]
        let pattern = try Regex(
            #"(?:ControlRef|\.init)\(\s*(?:"([^"]+)"|(?:Controls\.)?(soc2|iso|pci|hipaa|nist))\s*,\s*"([^"]+)"\s*\)"#)
        let dir = TestPaths.packageRoot.appendingPathComponent("Sources/CrossTrailAnalysis")
        var literals = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) where name.hasSuffix(".swift") {
            let text = try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
            for m in text.matches(of: pattern) {
                let framework = m.output[1].substring.map(String.init) ?? names[String(m.output[2].substring!)]!
                cited.insert(ControlRef(framework, String(m.output[3].substring!)))
                literals += 1
            }
        }
        #expect(literals > 30, "the scan of the Swift detections found their citations")
        #expect(cited.count > 100)
        let missing = cited.filter { !catalog.contains($0) }.map(\.description).sorted()
        #expect(missing.isEmpty, "cited but not in controls.yaml: \(missing)")
    }
}

/// The pack's list of checks is complete: every detection written in Swift is in it, and it
/// shows the checks that passed besides those that raised findings.
@Suite struct PackChecksTests {
    @Test func everyBuiltInDetectionIsListed() throws {
        #expect(Set(Analyzer.statefulRuleIDs).isDisjoint(with: Analyzer.permissionRuleIDs))
        let known = Set(Analyzer.statefulRuleIDs + Analyzer.permissionRuleIDs)
        let dir = TestPaths.packageRoot.appendingPathComponent("Sources/CrossTrailAnalysis")
        let literal = try Regex(#"rule: "([a-z0-9-]+)""#)
        var found = Set<String>()
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) where name.hasSuffix(".swift") {
            let text = try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
            for m in text.matches(of: literal) { found.insert(String(m.output[1].substring!)) }
        }
        // rule-regex-time-limit reports a rule that hit its time limit: not a check of the estate.
        found.remove("rule-regex-time-limit")
        #expect(found.count > 25)
        #expect(
            found.subtracting(known).isEmpty, "detections missing from the lists: \(found.subtracting(known).sorted())")
    }

    @Test func checksThatPassedAreListed() throws {
        let rules = RuleSet.load(monitoring: true)
        var discovery = [Diagnostic]()
        let files = Ingestor.discover([Fixtures.logs], diagnostics: &discovery)
        let (inv, _) = Inventory.load(paths: [Fixtures.inventory])
        let (obs, _) = ObservationPass.run(
            Ingestor(workers: 2), files: files, classification: inv.classification, rules: rules)
        let scan = Analyzer.scan(inv, obs, rules: rules)
        let checks = ReportPipeline.checks(rules, scan)
        #expect(Set(checks.map(\.id)).count == checks.count)
        #expect(checks.filter { $0.findings > 0 }.map(\.findings).reduce(0, +) == scan.findings.count)
        #expect(checks.contains { $0.findings == 0 && !$0.skipped && $0.kind == .sigma })
        #expect(checks.contains { $0.id == "iam-admin-equivalent" && $0.kind == .detection && $0.findings > 0 })
        #expect(!checks.contains { rules.correlationOnly.contains($0.id) }, "base rules of correlations are not checks")
        // Confidence: Sigma's status for rules, the weakest base rule for correlations.
        let byID = Dictionary(uniqueKeysWithValues: checks.map { ($0.id, $0) })
        for r in rules.rules where byID[r.id] != nil {
            let expected =
                ["stable": "high", "test": "medium", "experimental": "low"][r.metadata.status ?? ""] ?? "unrated"
            #expect(byID[r.id]?.confidence.rawValue == expected, "\(r.id)")
        }
        #expect(byID["iam-admin-equivalent"]?.confidence == .high && byID["s3-mass-delete"]?.confidence == .medium)
        #expect(checks.contains { $0.kind == .correlation && $0.confidence != .unrated })
        #expect(EvidencePack.Confidence.low < .unrated && EvidencePack.Confidence.medium < .high)
    }
}
