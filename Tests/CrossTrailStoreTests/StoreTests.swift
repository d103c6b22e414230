import CrossTrailIngest
import CrossTrailModel
import Foundation
import TestSupport
import Testing

@testable import CrossTrailStore

func freshStore(_ name: String = "store") throws -> (CaseStore, String) {
    let dir = try TestPaths.temporaryDirectory(name)
    let path = dir.appendingPathComponent("case.db").path
    return (try CaseStore(path: path, lockTimeout: 1), path)
}

func ingest(_ store: CaseStore, _ paths: [String], sinceLast: Bool = false) throws -> CaseStore.IngestResult {
    var d = [Diagnostic]()
    let files = Ingestor.discover(paths, diagnostics: &d)
    let (changed, _) = try store.changedFiles(files)
    let run = try store.beginRun(command: "test")
    return try store.ingest(sinceLast ? changed : files, storing: changed, ingestor: Ingestor(workers: 2), run: run)
}

func finding(_ rule: String, _ subject: String, _ severity: Severity = .high) -> Finding {
    Finding(
        rule: rule, severity: severity, title: "\(rule) \(subject)",
        subjects: [Subject(kind: "iamUser", name: subject)],
        resources: [], evidence: Evidence(), controls: [], remediation: "fix")
}

@Suite struct StoreTests {
    static let logs = TestPaths.packageRoot.appendingPathComponent("Samples/logs").path

    @Test func ingestIsIncrementalAndDeduplicated() throws {
        let (store, _) = try freshStore()
        #expect(
            try store.migrations() == [
                "v1-files-events-findings", "v2-identity-graph", "v3-baselines", "v4-correlation-matches",
            ])
        let first = try ingest(store, [Self.logs])
        // 39 files of events (one of them re-delivered), 16 digest files and signatures.
        #expect(first.filesStored == 55)
        #expect(first.eventsAdded == 4038, "4,138 records minus the 100 of the redelivered file")
        #expect(try store.counts() == CaseStore.Counts(files: 55, events: 4038, findings: 0))
        let again = try ingest(store, [Self.logs], sinceLast: true)
        #expect(again.stats.files == 0, "unchanged files are not read")
        #expect(again.eventsAdded == 0)
    }

    @Test func aChangedFileIsReReadAndOnlyItsNewEventsAdded() throws {
        let (store, path) = try freshStore("changed")
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let file = dir.appendingPathComponent("trail.jsonl")
        func record(_ i: Int) -> String {
            #"{"eventVersion":"1.08","eventTime":"2026-08-01T10:00:0\#(i)Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventID":"e-\#(i)","awsRegion":"us-east-1","sourceIPAddress":"10.0.0.1","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/u","accountId":"1"}}"#
                + "\n"
        }
        try Data((record(1) + record(2)).utf8).write(to: file)
        #expect(try ingest(store, [dir.path]).eventsAdded == 2)
        // The shipper appends to the file: it is re-read, the two known events are not stored twice.
        Thread.sleep(forTimeInterval: 0.01)
        try Data((record(1) + record(2) + record(3)).utf8).write(to: file)
        let second = try ingest(store, [dir.path], sinceLast: true)
        #expect(second.stats.files == 1)
        #expect(second.eventsAdded == 1)
        #expect(try store.counts().events == 3)
    }

    @Test func queriesUseTheSameFiltersAsTheTimeline() throws {
        let (store, _) = try freshStore("query")
        _ = try ingest(store, [Self.logs])
        var filter = EventFilter()
        filter.since = Timestamp(iso: "2026-08-01T09:30Z")
        filter.until = Timestamp(iso: "2026-08-01T09:50Z")
        filter.actors = [Glob("alice@acme.example")]
        var lines = [String]()
        let n = try store.events(matching: filter) { lines.append($0) }
        #expect(n == 11 && lines.count == 11)
        #expect(lines.allSatisfy { $0.contains("alice@acme.example") && $0.hasPrefix("{") && $0.hasSuffix("}") })
        #expect(lines.contains { $0.contains("\"StopLogging\"") })
        var resource = EventFilter()
        resource.resources = [Glob("*acme-pii-customers/customers/*")]
        resource.actions = [Glob("GetObject")]
        #expect(try store.events(matching: resource) { _ in } == 12)
        let times = lines.compactMap { line -> String? in
            guard let r = line.range(of: "\"time\":\"") else { return nil }
            return String(line[r.upperBound...].prefix(24))
        }
        #expect(times.count == 11 && times == times.sorted(), "timeline order")
    }

    @Test func findingLifecycle() throws {
        let (store, _) = try freshStore("lifecycle")
        let a = finding("iam-admin-equivalent", "ann"), b = finding("iam-broad-wildcard", "ben", .medium)
        let unused = finding("iam-unused-permissions", "cara", .low)
        var r = try store.reconcile([a, b, unused], run: try store.beginRun(command: "1"))
        #expect(r.current.map(\.status) == ["new", "new", "new"])
        r = try store.reconcile([a, unused], run: try store.beginRun(command: "2"))
        #expect(r.current.map(\.status) == ["open", "open"])
        #expect(r.resolved.map(\.id) == [b.id])
        #expect(r.resolved.first?.status == "resolved")
        // A scan without events cannot judge usage rules: their findings stay as they were.
        r = try store.reconcile(
            [a, b], run: try store.beginRun(command: "3"), notEvaluated: ["iam-unused-permissions"])
        #expect(r.current.map(\.status) == ["open", "reopened"])
        #expect(r.resolved.isEmpty)
        #expect(try store.findings(status: [.open]).map(\.id).sorted() == [a.id, unused.id].sorted())
        try store.suppress(a.id, reason: "approved break-glass role", author: "sec-team", until: "2999-12-31")
        r = try store.reconcile(
            [a, b], run: try store.beginRun(command: "4"), notEvaluated: ["iam-unused-permissions"])
        #expect(r.current.first?.status == "suppressed")
        #expect(try store.suppressions().first?.reason == "approved break-glass role")
        // An expired suppression no longer hides the finding.
        try store.suppress(a.id, reason: "temporary", author: "sec-team", until: "2020-01-01")
        r = try store.reconcile(
            [a, b], run: try store.beginRun(command: "5"), notEvaluated: ["iam-unused-permissions"])
        #expect(r.current.first?.status == "open")
        #expect(try store.history(a.id).map(\.status) == ["new", "open", "suppressed", "open"])
        #expect(throws: CrossTrailError.self) {
            try store.suppress("F-000000000000", reason: "x", author: "y", until: nil)
        }
    }

    @Test func aSecondWriterWaitsThenGivesUpWithAClearMessage() throws {
        let (first, path) = try freshStore("lock")
        let started = Date()
        do {
            _ = try CaseStore(path: path, lockTimeout: 0.3)
            Issue.record("a second writer opened a locked store")
        } catch let e as CrossTrailError {
            #expect(e.message.contains("in use by another crosstrail run (pid \(getpid())"))
            #expect(Date().timeIntervalSince(started) >= 0.3)
        }
        // Readers do not need the lock.
        #expect(try CaseStore(path: path, readOnly: true).counts().events == 0)
        _ = first
    }
}

@Suite struct ShardTests {
    @Test func shardsPartitionTheFilesByDirectoryAndMergeBackToOneStore() throws {
        var d = [Diagnostic]()
        let files = Ingestor.discover([StoreTests.logs], diagnostics: &d)
        let shards = (0..<3).map { Ingestor.shard(files, index: $0, count: 3) }
        #expect(shards.map(\.count).reduce(0, +) == files.count)
        #expect(Set(shards.flatMap { $0.map(\.path) }) == Set(files.map(\.path)), "every file in exactly one shard")
        for s in shards {
            let dirs = Set(s.map { URL(fileURLWithPath: $0.path).deletingLastPathComponent().path })
            for other in shards where other.map(\.path) != s.map(\.path) {
                #expect(
                    dirs.isDisjoint(with: other.map { URL(fileURLWithPath: $0.path).deletingLastPathComponent().path }),
                    "a directory is never split")
            }
        }
        let (merged, _) = try freshStore("merged")
        for (i, s) in shards.enumerated() {
            let (shardStore, shardPath) = try freshStore("shard\(i)")
            let run = try shardStore.beginRun(command: "shard")
            _ = try shardStore.ingest(s, storing: s, ingestor: Ingestor(workers: 2), run: run)
            _ = try merged.merge(from: shardPath)
        }
        _ = try merged.merge(from: try freshStore("empty").1)
        #expect(try merged.counts() == CaseStore.Counts(files: files.count, events: 4038, findings: 0))
        var filter = EventFilter()
        filter.resources = [Glob("*acme-pii-customers*")]
        let (single, _) = try freshStore("single")
        _ = try single.ingest(
            files, storing: files, ingestor: Ingestor(workers: 2), run: try single.beginRun(command: "all"))
        #expect(
            try merged.events(matching: filter) { _ in } == (try single.events(matching: filter) { _ in }),
            "resources survive the merge")
    }
}

@Suite struct BaselineStoreTests {
    static func fact(_ kind: String, _ subject: String, _ object: String, _ first: Int64, _ last: Int64) -> BaselineFact
    {
        BaselineFact(
            kind: kind, subject: subject, object: object, first: Timestamp(millis: first), last: Timestamp(millis: last)
        )
    }

    @Test func factsKeepTheEarliestFirstAndLatestLastAcrossRunsAndMerges() throws {
        let (store, path) = try freshStore("baseline")
        #expect(try store.baselineCount() == 0)
        try store.recordBaseline(
            [
                Self.fact("classified-read", "s3://acme-pii/", "bob@acme.example", 500, 900),
                Self.fact("observed", "", "", 100, 900),
            ], run: try store.beginRun(command: "one"))
        // A later run: bob again (earlier first from a late file, later last), a new reader.
        try store.recordBaseline(
            [
                Self.fact("classified-read", "s3://acme-pii/", "bob@acme.example", 400, 2_000),
                Self.fact("classified-read", "s3://acme-pii/", "alice@acme.example", 1_500, 1_600),
                Self.fact("observed", "", "", 1_000, 2_000),
            ], run: try store.beginRun(command: "two"))
        let expected = [
            Self.fact("classified-read", "s3://acme-pii/", "alice@acme.example", 1_500, 1_600),
            Self.fact("classified-read", "s3://acme-pii/", "bob@acme.example", 400, 2_000),
            Self.fact("observed", "", "", 100, 2_000),
        ]
        #expect(try store.baselineFacts() == expected)
        // The facts are on disk: a fresh connection reads the same.
        #expect(try CaseStore(path: path, readOnly: true).baselineFacts() == expected)
        // Merging a shard's store combines its baseline the same way.
        let (shard, shardPath) = try freshStore("baseline-shard")
        try shard.recordBaseline(
            [Self.fact("observed", "", "", 50, 60), Self.fact("sharing-address", "recipient:p", "192.0.2.1", 70, 80)],
            run: try shard.beginRun(command: "shard"))
        _ = try store.merge(from: shardPath)
        let merged = try store.baselineFacts()
        #expect(merged.count == 4)
        #expect(merged.contains(Self.fact("observed", "", "", 50, 2_000)))
        #expect(merged.contains(Self.fact("sharing-address", "recipient:p", "192.0.2.1", 70, 80)))
    }

    /// Carried correlation matches round-trip through the file (actor and group included), are
    /// replaced as a whole by the next scan, and a shard's join the merged store's.
    @Test func carriedCorrelationMatchesRoundTripAndMerge() throws {
        let (store, path) = try freshStore("carried")
        var actor = Actor(kind: .iamUser, key: "arn:aws:iam::1:user/a", displayName: "a")
        actor.arn = "arn:aws:iam::1:user/a"
        func match(_ event: String, _ ms: Int64, actor: Actor? = nil) -> CarriedMatch {
            CarriedMatch(
                correlation: "burst", group: ["arn:aws:iam::1:user/a", ""], time: Timestamp(millis: ms), event: event,
                rule: 0, value: event == "e2" ? "GetObject" : nil, actor: actor)
        }
        try store.replaceCarriedMatches([match("e2", 2_000), match("e1", 1_000, actor: actor)], run: 1)
        #expect(
            try CaseStore(path: path, readOnly: true).carriedMatches() == [
                match("e1", 1_000, actor: actor), match("e2", 2_000),
            ])
        try store.replaceCarriedMatches([match("e3", 3_000)], run: 2)
        #expect(try store.carriedMatches() == [match("e3", 3_000)])
        let (shard, shardPath) = try freshStore("carried-shard")
        try shard.replaceCarriedMatches([match("e3", 3_000), match("e4", 4_000)], run: 1)
        _ = try store.merge(from: shardPath)
        #expect(try store.carriedMatches().map(\.event) == ["e3", "e4"])
    }
}
