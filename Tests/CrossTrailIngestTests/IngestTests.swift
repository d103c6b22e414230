import CrossTrailIngest
import CrossTrailModel
import Foundation
import Testing

final class CollectingSink: EventSink, @unchecked Sendable {
    private let lock = NSLock()
    private var items: [AuditEvent] = []
    func accept(_ event: AuditEvent) { lock.lock(); items.append(event); lock.unlock() }
    var events: [AuditEvent] {
        lock.lock(); defer { lock.unlock() }; return items.sorted { ($0.time, $0.id) < ($1.time, $1.id) }
    }
}

func fixture(_ name: String) -> String {
    Bundle.module.url(forResource: "Fixtures/" + name, withExtension: nil)!.path
}

func ingest(_ paths: [String], filter: EventFilter = EventFilter(), limits: IngestLimits = IngestLimits()) -> (
    [AuditEvent], IngestStats
) {
    var discovery: [Diagnostic] = []
    let files = Ingestor.discover(paths, diagnostics: &discovery)
    let sink = CollectingSink()
    var stats = Ingestor(filter: filter, limits: limits, workers: 2).run(files: files) { _ in sink }
    for d in discovery { stats.add(d) }
    return (sink.events, stats)
}

@Suite struct CloudTrailReaderTests {
    @Test func pantherDeliveryFileKeepsEveryTimedRecordAndExplainsTheRest() throws {
        let (events, stats) = ingest([fixture("panther/panther_cloudtrail_unique_logs.json")])
        #expect(stats.recordsRead == 432)
        // 66 records carry no time at all and one has eventTime "..." (seven more write Athena's
        // lower-case `eventtime`, read since keys are matched in any case).
        #expect(stats.accepted == 365)
        #expect(stats.rejected == 67)
        #expect(stats.reconciles)
        #expect(events.count == 365)
        #expect(stats.diagnostics.count == 67)
        #expect(
            stats.diagnostics.allSatisfy {
                $0.offset != nil && $0.file.hasSuffix("panther_cloudtrail_unique_logs.json")
            })
        #expect(stats.diagnostics.filter { $0.reason == "no eventTime or @timestamp" }.count == 66)
        #expect(stats.diagnostics.filter { $0.reason.hasPrefix("unparseable eventTime") }.count == 1)
        // Every record is attributed to its byte offset, and those offsets point at the record.
        let data = try Data(contentsOf: URL(fileURLWithPath: fixture("panther/panther_cloudtrail_unique_logs.json")))
        for e in events.prefix(50) {
            #expect(data[e.provenance.offset] == UInt8(ascii: "{"))
        }
        let first = try #require(events.first { $0.id == "1" && $0.action == "UpdateFunctionConfiguration20150331v2" })
        #expect(first.plane == .aws)
        #expect(first.service == "lambda")
        #expect(first.actor.kind == .iamUser)
        #expect(first.actor.displayName == "john.developer")
        #expect(first.actor.accessKeyId == "AKIAI123456789EXAMPLE")
        #expect(first.format == .cloudtrailDelivery)
        #expect(first.provenance.sha256.count == 64)
    }

    @Test func ndjsonWithTimestampFallbackAndGzip() throws {
        for name in ["cloudtrail-ndjson.jsonl", "cloudtrail-ndjson.jsonl.gz"] {
            let (events, stats) = ingest([fixture(name)])
            #expect(stats.accepted == 3, "\(name)")
            #expect(stats.diagnosticsTotal == 0)
            #expect(events.map(\.id) == ["ndjson-3", "ndjson-1", "ndjson-2"])
            let root = events[2]
            #expect(root.actor.kind == .root)
            #expect(root.time.iso8601 == "2026-08-01T10:05:00.250Z")
            #expect(root.outcome.status == .failure)
            #expect(root.provenance.line == 2)
            let sso = events[0]
            #expect(sso.actor.kind == .assumedRole)
            #expect(sso.actor.email == "carol@acme.example")
            #expect(sso.actor.mfa == true)
            #expect(sso.actor.sessionIssuer?.hasSuffix("AWSReservedSSO_Admin_abc") == true)
            #expect(sso.outcome == Outcome(status: .failure, errorCode: "AccessDenied", errorMessage: "Access Denied"))
            #expect(sso.vpcEndpointId == "vpce-0123")
            #expect(sso.tlsVersion == "TLSv1.3")
            #expect(sso.resources.contains(Resource(type: "s3Object", id: "acme-pii/customers/1.csv")))
            #expect(sso.provenance.line == 4)
            #expect(sso.requestParameters == #"{"bucketName":"acme-pii","key":"customers/1.csv"}"#)
        }
    }

    @Test func lookupEventsDecodesTheEmbeddedRecord() {
        let (events, stats) = ingest([fixture("lookup-events.json")])
        #expect(events.count == 1)
        #expect(events.first?.format == .cloudtrailLookup)
        #expect(events.first?.action == "StopLogging")
        #expect(stats.rejected == 1)
        #expect(stats.diagnostics.first?.reason.contains("CloudTrailEvent is not valid JSON") == true)
        #expect(stats.reconciles)
    }

    @Test func digestFilesAreCountedNotMixedIn() {
        let (events, stats) = ingest([fixture("digest.json")])
        #expect(events.isEmpty)
        #expect(stats.digestFiles == 1)
        #expect(stats.recordsRead == 0)
    }
}

@Suite struct DatabricksReaderTests {
    @Test func pantherArrayExport() {
        let (events, stats) = ingest([fixture("panther/panther_databricks_unique_logs.json")])
        #expect(stats.recordsRead == 111)
        #expect(stats.accepted == 84)
        #expect(stats.rejected == 27)
        #expect(stats.reconciles)
        #expect(events.allSatisfy { $0.plane == .databricks && $0.format == .databricksDelivery })
        let denied = events.first { $0.action == "IpAccessDenied" && $0.requestParameters == #"{"path":"/login"}"# }
        #expect(denied?.outcome.status == .failure)
        #expect(denied?.outcome.errorCode == "403")
        #expect(denied?.sourceIPAddress == "192.0.2.100")
    }

    @Test func deliveryLinesWithBadLines() throws {
        let (events, stats) = ingest([fixture("databricks-delivery.jsonl")])
        #expect(events.count == 3)
        #expect(stats.recordsRead == 6)
        #expect(stats.rejected == 3)
        let lines = Set(stats.diagnostics.compactMap(\.line))
        #expect(lines == [4, 5, 6])
        #expect(stats.diagnostics.contains { $0.line == 4 && $0.reason.contains("invalid JSON") })
        #expect(stats.diagnostics.contains { $0.line == 5 && $0.reason.contains("not a JSON object") })
        #expect(stats.diagnostics.contains { $0.line == 6 && $0.reason.contains("timestamp") })
        #expect(events[0].actor.key == "alice@acme.example")
        #expect(events[0].resources == [Resource(type: "cluster", id: "0801-abc")])
        let sp = try #require(events.first { $0.action == "runNow" })
        #expect(sp.actor.kind == .servicePrincipal)
        #expect(sp.outcome.status == .failure)
        #expect(sp.time.iso8601 == "2026-08-01T10:06:40.000Z")
    }

    @Test func systemTableJSONAndCSV() throws {
        let (events, stats) = ingest([fixture("system-access-audit.jsonl"), fixture("system-access-audit.csv")])
        #expect(events.count == 4)
        #expect(stats.rejected == 3)
        #expect(
            stats.diagnostics.contains {
                $0.file.hasSuffix("system-access-audit.jsonl") && $0.line == 3 && $0.reason.contains("invalid JSON")
            })
        #expect(stats.reconciles)
        let e1 = try #require(events.first { $0.id == "sys-e1" })
        #expect(e1.actor.runAs == "etl@acme.example")
        #expect(e1.resources == [Resource(type: "securable", id: "main.hr.salaries")])
        #expect(e1.time.iso8601 == "2026-08-01T10:00:00.123Z")
        let e2 = try #require(events.first { $0.id == "sys-e2" })
        #expect(e2.actor.email == "dave@acme.example")
        #expect(e2.outcome.errorCode == "500")
        #expect(e2.requestParameters == #"{"notebookId":"42","clusterId":"0801-x"}"#)
        let c1 = try #require(events.first { $0.id == "csv-e1" })
        #expect(c1.userAgent == "Databricks-SQL, v1")
        #expect(c1.actor.runAs == "sp-etl")
        #expect(c1.provenance.line == 2)
        let c2 = try #require(events.first { $0.id == "csv-e2" })
        #expect(c2.userAgent == "multi\nline agent")
        #expect(stats.diagnostics.contains { $0.line == 5 && $0.reason.contains("header has 17") })
        #expect(stats.diagnostics.contains { $0.line == 6 && $0.reason.contains("event_time") })
    }

    @Test func azureDiagnosticsWithJSONInStrings() throws {
        let (events, stats) = ingest([fixture("azure-diagnostics.json")])
        #expect(events.count == 2)
        #expect(stats.rejected == 1)
        #expect(stats.diagnostics.map(\.reason) == ["no time"])
        #expect(stats.diagnostics.first?.offset != nil)
        let create = try #require(events.first { $0.id == "az-1" })
        #expect(create.format == .databricksAzure)
        #expect(create.actor.email == "heidi@acme.example")
        #expect(create.workspace == "ACME-WS")
        #expect(create.resources.contains(Resource(type: "cluster", id: "0801-az")))
        let login = try #require(events.first { $0.id == "az-2" })
        #expect(login.actor.email == "ivan@acme.example")
        #expect(login.outcome.status == .failure)
        #expect(login.outcome.errorMessage == "bad token")
    }
}

@Suite struct BadInputTests {
    @Test func truncatedDeliveryFileKeepsTheGoodRecords() {
        let (events, stats) = ingest([fixture("truncated-records.json")])
        #expect(events.map(\.id) == ["trunc-1", "trunc-2"])
        #expect(stats.rejected == 1)
        #expect(stats.diagnostics.contains { $0.reason.contains("truncated record") && $0.offset != nil })
        #expect(stats.reconciles)
    }

    @Test func brokenRecordsAmongGoodOnes() {
        let (events, stats) = ingest([fixture("broken-records.json")])
        #expect(events.map(\.id) == ["bad-1", "bad-4"])
        #expect(stats.rejected == 2)
        #expect(stats.diagnostics.filter { $0.reason.contains("invalid JSON record") }.count == 2)
        #expect(stats.diagnostics.contains { $0.reason.contains("UTF-8") })
    }

    @Test func truncatedGzipKeepsTheDecodedPrefix() {
        let (events, stats) = ingest([fixture("truncated.jsonl.gz")])
        #expect(events.count >= 1)
        #expect(stats.diagnostics.contains { $0.reason.contains("gzip") })
        #expect(stats.reconciles)
    }

    @Test func unrecognizedEmptyAndUTF16Files() {
        let (events, stats) = ingest([
            fixture("not-json.txt"), fixture("empty.json"), fixture("utf16.json"), "/nonexistent/path",
        ])
        #expect(events.isEmpty)
        #expect(
            stats.diagnostics.contains {
                $0.file.hasSuffix("not-json.txt") && $0.reason.contains("not a recognized log format")
            })
        #expect(stats.diagnostics.contains { $0.file.hasSuffix("empty.json") && $0.reason.contains("empty") })
        #expect(stats.diagnostics.contains { $0.file.hasSuffix("utf16.json") && $0.reason.contains("UTF-16") })
        #expect(stats.diagnostics.contains { $0.file == "/nonexistent/path" })
    }

    @Test func emptyDirectoryIsReported() throws {
        let dir = try TemporaryFiles()
        let (events, stats) = ingest([dir.dir.path])
        #expect(events.isEmpty)
        #expect(stats.diagnostics.map(\.reason) == ["no files under this directory"])
    }

    @Test func byteOrderMarkIsSkipped() {
        let (events, _) = ingest([fixture("bom.jsonl")])
        #expect(events.map(\.id) == ["bom-1"])
    }

    @Test func hugeLineAndDeepNesting() throws {
        let dir = try TemporaryFiles()
        // A 100 MB single line: accepted under the default limit, a diagnostic under a smaller one.
        let big =
            "{\"eventVersion\":\"1.08\",\"eventTime\":\"2026-08-01T00:00:00Z\",\"eventName\":\"Big\",\"eventID\":\"big-1\",\"requestParameters\":{\"blob\":\""
            + String(repeating: "a", count: 100 << 20) + "\"}}\n"
        let small =
            "{\"eventVersion\":\"1.08\",\"eventTime\":\"2026-08-01T00:00:01Z\",\"eventName\":\"Small\",\"eventID\":\"small-1\"}\n"
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "\n"
        let path = try dir.write("hostile.jsonl", big + deep + small)
        let (events, stats) = ingest([path])
        #expect(events.map(\.id) == ["big-1", "small-1"])
        #expect(stats.diagnostics.contains { $0.line == 2 && $0.reason.contains("invalid JSON") })
        var limits = IngestLimits()
        limits.maxRecordBytes = 1 << 20
        let (limited, limitedStats) = ingest([path], limits: limits)
        #expect(limited.map(\.id) == ["small-1"])
        #expect(limitedStats.diagnostics.contains { $0.line == 1 && $0.reason.contains("exceeds") })
        #expect(limitedStats.reconciles)
    }

    @Test func filesLargerThanTheLimitAreStreamedLineByLine() throws {
        let dir = try TemporaryFiles()
        var text = ""
        for i in 0..<30_000 {
            text +=
                "{\"eventVersion\":\"1.08\",\"eventTime\":\"2026-08-01T00:00:00Z\",\"eventName\":\"E\(i)\",\"eventID\":\"s-\(i)\",\"pad\":\"\(String(repeating: "x", count: 40))\"}\n"
            if i == 20_000 { text += "{broken\n" }
        }
        let plain = try dir.write("big.jsonl", text)
        let gz = try dir.write("big.jsonl.gz", "")
        try Data(GzipCodec.compress(Array(text.utf8))).write(to: URL(fileURLWithPath: gz))
        let truncated = try dir.write("cut.jsonl.gz", "")
        let full = GzipCodec.compress(Array(text.utf8))
        try Data(full.prefix(full.count / 2)).write(to: URL(fileURLWithPath: truncated))
        var limits = IngestLimits()
        limits.maxFileBytes = 1 << 20  // the text is about 3.6 MB
        for path in [plain, gz] {
            let (events, stats) = ingest([path], limits: limits)
            #expect(events.count == 30_000)
            #expect(stats.rejected == 1)
            #expect(stats.diagnostics.map(\.line) == [20_002])
            #expect(stats.reconciles)
            #expect(stats.bytesDecompressed == Int64(text.utf8.count))
            #expect(stats.inputs.count == 1)
            let e = try #require(events.first { $0.id == "s-29999" })
            #expect(e.provenance.line == 30_001)
        }
        let (cut, cutStats) = ingest([truncated], limits: limits)
        #expect(cut.count > 1000 && cut.count < 30_000)
        #expect(cutStats.diagnostics.contains { $0.reason.contains("truncated gzip") })
        // A single document that large cannot be streamed: one clear diagnostic.
        let doc = try dir.write(
            "big.json",
            "{\"Records\":["
                + String(repeating: "{\"eventName\":\"x\",\"eventTime\":\"2026-08-01T00:00:00Z\"},", count: 40_000)
                + "{}]}")
        let (none, docStats) = ingest([doc], limits: limits)
        #expect(none.isEmpty)
        #expect(docStats.filesFailed == 1)
        #expect(docStats.diagnostics.first?.reason.contains("cannot be streamed") == true)
    }

    @Test func filtersDropRecordsBeforeBuildingEvents() {
        var f = EventFilter()
        f.since = Timestamp(iso: "2026-08-01T10:00:00Z")
        f.actors = [Glob("*alice*")]
        let (events, stats) = ingest([fixture("cloudtrail-ndjson.jsonl")], filter: f)
        #expect(events.map(\.id) == ["ndjson-1"])
        #expect(stats.filtered == 2)
        #expect(stats.reconciles)
    }
}

/// Temporary files removed at deinit.
final class TemporaryFiles {
    let dir: URL
    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("crosstrail-ingest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: dir) }
    func write(_ name: String, _ text: String) throws -> String {
        let url = dir.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }
}
