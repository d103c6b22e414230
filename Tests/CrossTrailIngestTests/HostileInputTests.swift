import CrossTrailIngest
import CrossTrailModel
import Foundation
import TestSupport
import Testing

/// The hostile-input corpus: each input gives a clear diagnostic within bounded time and memory,
/// and the good records around it are kept.
@Suite struct HostileInputTests {
    static func record(_ id: String, _ extra: String = "") -> String {
        "{\"eventVersion\":\"1.08\",\"eventTime\":\"2026-08-01T00:00:00Z\",\"eventName\":\"E\",\"eventID\":\"\(id)\"\(extra)}"
    }

    @Test func gzipBombStopsAtTheLimit() throws {
        let dir = try TemporaryFiles()
        // 64 MiB of zeros compresses to ~64 KiB; the reader must stop at --max-file-mib, not allocate it all.
        let bomb = GzipCodec.compress([UInt8](repeating: 0x20, count: 64 << 20), level: 9)
        #expect(bomb.count < 200_000)
        let path = dir.dir.appendingPathComponent("bomb.json.gz").path
        try Data(bomb).write(to: URL(fileURLWithPath: path))
        let good = try dir.write("good.jsonl", Self.record("g-1") + "\n")
        var limits = IngestLimits()
        limits.maxFileBytes = 8 << 20
        let (events, stats) = ingest([path, good], limits: limits)
        #expect(events.map(\.id) == ["g-1"])
        #expect(stats.diagnostics.contains { $0.file.hasSuffix("bomb.json.gz") })
        #expect(stats.reconciles)
    }

    @Test func emptyFilesAndEmptyGzip() throws {
        let dir = try TemporaryFiles()
        let empty = try dir.write("empty.json", "")
        let gz = dir.dir.appendingPathComponent("empty.json.gz").path
        try Data(GzipCodec.compress([])).write(to: URL(fileURLWithPath: gz))
        let (events, stats) = ingest([empty, gz])
        #expect(events.isEmpty)
        #expect(stats.diagnostics.count == 2, "\(stats.diagnostics)")
        #expect(
            stats.diagnostics.allSatisfy {
                $0.reason.contains("empty") || $0.reason.contains("no records") || $0.reason.contains("not")
            })
    }

    @Test func invalidUTF8NulBytesHugeNumbersDuplicateKeys() throws {
        let dir = try TemporaryFiles()
        var bytes = [UInt8]()
        bytes += Array((Self.record("ok-1") + "\n").utf8)
        // Invalid UTF-8 inside a string value.
        bytes +=
            Array("{\"eventVersion\":\"1.08\",\"eventTime\":\"2026-08-01T00:00:00Z\",\"eventName\":\"Bad".utf8) + [
                0xFF, 0xFE, 0xC3,
            ] + Array("\",\"eventID\":\"bad-utf8\"}\n".utf8)
        // NUL bytes between records and inside a line.
        bytes += [0, 0, 0, 0x0A]
        bytes += Array("{\"eventVersion\":\"1.08\",\u{0}\"eventID\":\"nul\"}\n".utf8)
        // Huge numbers and duplicate keys.
        bytes += Array((Self.record("huge", ",\"readOnly\":1e999999,\"n\":123456789012345678901234567890") + "\n").utf8)
        bytes += Array(
            "{\"eventVersion\":\"1.08\",\"eventTime\":\"2026-08-01T00:00:00Z\",\"eventName\":\"D\",\"eventID\":\"dup-1\",\"eventID\":\"dup-2\"}\n"
                .utf8)
        bytes += Array((Self.record("ok-2") + "\n").utf8)
        let path = dir.dir.appendingPathComponent("hostile.jsonl").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let (events, stats) = ingest([path])
        let ids = Set(events.map(\.id))
        #expect(ids.contains("ok-1") && ids.contains("ok-2"), "the good records around the bad ones are kept: \(ids)")
        #expect(stats.reconciles)
        #expect(
            stats.diagnostics.allSatisfy { $0.file.hasSuffix("hostile.jsonl") && ($0.line ?? 0) > 0 },
            "every diagnostic names file and line")
        #expect(stats.rejected >= 2, "the NUL line and the invalid UTF-8 record are rejected: \(stats.diagnostics)")
    }

    @Test func symlinkLoopsUnreadableAndMixedFormats() throws {
        let dir = try TemporaryFiles()
        let sub = dir.dir.appendingPathComponent("tree/a")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: sub.appendingPathComponent("loop").path,
            withDestinationPath: dir.dir.appendingPathComponent("tree").path)
        // Mixed formats in one folder: CloudTrail, Databricks JSON lines, a CSV export, a stray text file.
        try Data(("{\"Records\":[" + Self.record("ct-1") + "]}").utf8).write(to: sub.appendingPathComponent("ct.json"))
        try Data(
            "{\"version\":\"2.0\",\"timestamp\":1785542400000,\"serviceName\":\"clusters\",\"actionName\":\"create\",\"requestId\":\"dbx-1\",\"userIdentity\":{\"email\":\"a@b.c\"}}\n"
                .utf8
        )
        .write(to: sub.appendingPathComponent("dbx.json"))
        try Data(
            "event_time,event_id,service_name,action_name,user_identity\n2026-08-01T00:00:00Z,csv-1,clusters,create,\"{\"\"email\"\":\"\"a@b.c\"\"}\"\n"
                .utf8
        )
        .write(to: sub.appendingPathComponent("export.csv"))
        try Data("just some notes\n".utf8).write(to: sub.appendingPathComponent("notes.txt"))
        let locked = sub.appendingPathComponent("locked.json")
        try Data(("{\"Records\":[" + Self.record("locked") + "]}").utf8).write(to: locked)
        chmod(locked.path, 0o000)
        defer { chmod(locked.path, 0o644) }
        let (events, stats) = ingest([dir.dir.appendingPathComponent("tree").path])
        #expect(Set(events.map(\.id)).isSuperset(of: ["ct-1", "dbx-1", "csv-1"]), "\(events.map(\.id))")
        #expect(stats.diagnostics.contains { $0.reason.contains("symlink loop") })
        #expect(stats.diagnostics.contains { $0.file.hasSuffix("notes.txt") })
        // Root can read a mode-000 file; anyone else gets a diagnostic for it.
        if getuid() != 0 { #expect(stats.diagnostics.contains { $0.file.hasSuffix("locked.json") }) }
        #expect(stats.reconciles)
    }

    @Test func fileVanishingOrChangingWhileRead() throws {
        let dir = try TemporaryFiles()
        let vanish = try dir.write("vanish.jsonl", Self.record("v-1") + "\n")
        let stay = try dir.write("stay.jsonl", Self.record("s-1") + "\n")
        var discovery: [Diagnostic] = []
        let files = Ingestor.discover([dir.dir.path], diagnostics: &discovery)
        // Discovered, then removed before reading.
        try FileManager.default.removeItem(atPath: vanish)
        var stats = Ingestor(workers: 1).run(files: files) { _ in Collect() }
        #expect(stats.diagnostics.contains { $0.file.hasSuffix("vanish.jsonl") }, "\(stats.diagnostics)")
        #expect(stats.files >= 1)
        // Growing while read: a file truncated mid-record gives a diagnostic, not a crash.
        try Data((Self.record("s-1") + "\n" + "{\"eventVersion\":\"1.08\",\"event").utf8).write(
            to: URL(fileURLWithPath: stay))
        stats = Ingestor(workers: 1).run(files: Ingestor.discover([stay], diagnostics: &discovery)) { _ in Collect() }
        #expect(stats.accepted == 1 && stats.rejected == 1 && stats.reconciles)
    }

    final class Collect: EventSink {
        func accept(_ e: AuditEvent) {}
    }
}

/// Found by the fuzzer (Tests/FuzzRegressions/ingest/oom-*): every reader thread used to keep its
/// gzip decompressor forever, so a process that starts many short ingests grew without bound.
@Suite struct GzipThreadLeakTests {
    @Test func shortLivedReaderThreadsFreeTheirDecompressor() throws {
        let dir = try TemporaryFiles()
        let path = dir.dir.appendingPathComponent("one.json.gz").path
        let body =
            "{\"Records\":[{\"eventVersion\":\"1.08\",\"eventTime\":\"2026-08-01T00:00:00Z\",\"eventName\":\"E\",\"eventID\":\"x\"}]}"
        try Data(GzipCodec.compress(Array(body.utf8))).write(to: URL(fileURLWithPath: path))
        var discovery: [Diagnostic] = []
        let files = Ingestor.discover([path], diagnostics: &discovery)
        // Each run reads on a new thread. Counted directly (not by resident memory, which the tests
        // running alongside move): live decompressors stay bounded by the threads alive, not by the runs.
        for _ in 0..<1000 { _ = Ingestor(workers: 1).run(files: files) { _ in HostileInputTests.Collect() } }
        var live = GzipCodec.liveDecompressors
        for _ in 0..<50 where live >= 100 {  // threads finish exiting shortly after their run returns
            usleep(20_000)
            live = GzipCodec.liveDecompressors
        }
        #expect(live < 100, "\(live) decompressors alive after 1,000 short ingests")
    }
}

/// Records reshaped by log shippers keep their address, time and parameters.
@Suite struct ShippedRecordTests {
    func normalize(_ json: String) throws -> AuditEvent {
        try RecordNormalizer().normalize(json).get()
    }

    @Test func datadogAndElasticAddresses() throws {
        let nested = try normalize(
            #"{"@timestamp":"2026-08-01T10:00:00.000Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","eventID":"d1","network":{"client":{"ip":"198.51.100.9"}},"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/u","accountId":"1"}}"#
        )
        #expect(nested.sourceIPAddress == "198.51.100.9" && nested.time.iso8601 == "2026-08-01T10:00:00.000Z")
        let flat = try normalize(
            #"{"@timestamp":"2026-08-01T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","eventID":"d2","network.client.ip":"198.51.100.11","userIdentity":{"type":"Root","arn":"arn:aws:iam::1:root"}}"#
        )
        #expect(flat.sourceIPAddress == "198.51.100.11")
        let ecs = try normalize(
            #"{"@timestamp":"2026-08-01T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","eventID":"d3","source":{"ip":"2001:db8::7"},"userIdentity":{"type":"Root","arn":"arn:aws:iam::1:root"}}"#
        )
        #expect(ecs.sourceIPAddress == "2001:db8::7")
        let own = try normalize(
            #"{"eventTime":"2026-08-01T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","eventID":"d4","sourceIPAddress":"203.0.113.1","network":{"client":{"ip":"10.0.0.1"}},"userIdentity":{"type":"Root"}}"#
        )
        #expect(own.sourceIPAddress == "203.0.113.1", "the record's own address wins")
    }

    /// Athena's CloudTrail table (and Splunk/CSV exports) lower-case every key and give request parameters as JSON text.
    @Test func lowerCaseKeysAndParametersAsText() throws {
        let e = try normalize(
            #"{"eventtime":"2026-08-01T10:01:00Z","eventsource":"cloudtrail.amazonaws.com","eventname":"DeleteTrail","eventid":"a1","sourceipaddress":"198.51.100.10","errorcode":"AccessDenied","useridentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/R/s","accountid":"1","accesskeyid":"ASIAXXXX","sessioncontext":{"sessionissuer":{"arn":"arn:aws:iam::1:role/R"}}},"requestparameters":"{\"name\":\"main\"}"}"#
        )
        #expect(e.action == "DeleteTrail" && e.service == "cloudtrail" && e.id == "a1")
        #expect(e.outcome.status == .failure && e.outcome.errorCode == "AccessDenied")
        #expect(
            e.actor.kind == .assumedRole && e.actor.sessionIssuer == "arn:aws:iam::1:role/R"
                && e.actor.accessKeyId == "ASIAXXXX")
        #expect(e.requestParameters == #"{"name":"main"}"#)
        // Text that is not an object stays a JSON string.
        let s = try normalize(
            #"{"eventTime":"2026-08-01T10:01:00Z","eventSource":"s3.amazonaws.com","eventName":"X","eventID":"a2","userIdentity":{"type":"Root"},"requestParameters":"not json"}"#
        )
        #expect(s.requestParameters == #""not json""#)
    }
}

@Suite struct JSONTextFieldTests {
    /// Parameters given as JSON text are re-serialised: a newline inside cannot forge a timeline row.
    @Test func jsonTextCannotForgeRows() throws {
        let forged = #"{\"a\":1}\n{\"id\":\"forged\",\"x\":{\"y\":{}}"#
        let e = try RecordNormalizer().normalize(
            #"{"eventTime":"2026-08-01T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"X","eventID":"t1","userIdentity":{"type":"Root"},"requestParameters":"\#(forged)"}"#
        ).get()
        #expect(e.requestParameters?.contains("\n") == false)
        let ok = try RecordNormalizer().normalize(
            #"{"eventTime":"2026-08-01T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"X","eventID":"t2","userIdentity":{"type":"Root"},"requestParameters":"{ \"b\" :\n 2 }"}"#
        ).get()
        #expect(ok.requestParameters == #"{"b":2}"#)
    }
}
