import CrossTrailIngest
import CrossTrailModel
import CrossTrailSamples
import CrossTrailTimeline
import Foundation
import TestSupport
import Testing

/// One generated dataset shared by the suite (deterministic).
enum Dataset {
    static let root: URL = {
        let dir = try! TestPaths.temporaryDirectory("timeline")
        var g = SampleGenerator(options: SampleGenerator.Options(), outputDirectory: dir.path)
        _ = try! g.generate()
        return dir
    }()
    static var logs: String { root.appendingPathComponent("logs").path }
}

func buildTimeline(_ paths: [String], _ configure: (inout TimelineOptions) -> Void = { _ in }) throws -> (
    String, IngestStats
) {
    var options = TimelineOptions()
    configure(&options)
    if let w = ProcessInfo.processInfo.environment["CT_WORKERS"] { options.workers = Int(w)! }
    var diagnostics: [Diagnostic] = []
    let files = Ingestor.discover(paths, diagnostics: &diagnostics)
    let out = try TestPaths.temporaryDirectory("out").appendingPathComponent("timeline")
    let stats: IngestStats
    do {
        let sink = try OutputSink(path: out.path)
        stats = try Timeline.build(files: files, options: options, output: sink)
    }
    return (try String(contentsOf: out, encoding: .utf8), stats)
}

@Suite struct TimelineTests {
    @Test func sortedDeduplicatedAndAccountedFor() throws {
        let (text, stats) = try buildTimeline([Dataset.logs])
        let rows = try #require(parseJSONLines(text))
        #expect(rows.count == stats.accepted)
        #expect(stats.reconciles)
        // The re-delivered CloudTrail file (100 records) is dropped as duplicates.
        #expect(stats.duplicates == 100)
        #expect(stats.digestFiles == 16, "8 signed digests and their 8 S3 metadata sidecars")
        #expect(stats.diagnosticsTotal == 0)
        let times = rows.map { $0["time"] as! String }
        #expect(times == times.sorted())
        #expect(Set(rows.map { $0["id"] as! String }).count == rows.count - rows.filter { $0["idShared"] != nil }.count)
        // Every row carries the documented fields.
        for key in [
            "id", "time", "plane", "service", "action", "outcome", "actor", "sourceIPAddress", "resources", "source",
        ] {
            #expect(rows.allSatisfy { $0[key] != nil }, "missing \(key)")
        }
        #expect(rows.allSatisfy { ($0["time"] as! String).hasSuffix("Z") && ($0["time"] as! String).count == 24 })
        // All six source layouts are present.
        #expect(Set(rows.map { $0["format"] as! String }) == Set(SourceFormat.allCases.map(\.rawValue)))
    }

    /// The same CloudTrail event delivered by S3 (compact, in a `Records` file) and re-shipped as a
    /// JSON line (keys reordered, pretty whitespace, an escaped character, `1.0` for `1`) is one
    /// event; a copy that really differs is kept and marked as a conflict.
    @Test func reshapedCopiesAreDuplicatesAndRealDifferencesAreConflicts() throws {
        let dir = try TestPaths.temporaryDirectory("reshaped")
        let delivered = """
            {"Records":[{"eventVersion":"1.08","eventTime":"2026-03-01T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","eventID":"11111111-2222-3333-4444-555555555555","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333"},"requestParameters":{"bucketName":"b","key":"k"},"readOnly":true,"managementEvent":false,"sourceIPAddress":"198.51.100.7","recipientAccountId":"111122223333","additionalEventData":{"bytesTransferredOut":1}},
            {"eventVersion":"1.08","eventTime":"2026-03-01T10:00:05Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","eventID":"66666666-2222-3333-4444-555555555555","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333"},"requestParameters":{"bucketName":"b","key":"k"},"sourceIPAddress":"198.51.100.7"}]}
            """
        let reshipped = """
            {"userIdentity": {"accountId": "111122223333", "arn": "arn:aws:iam::111122223333:user/alice", "type": "IAMUser"}, "eventID": "11111111-2222-3333-4444-555555555555", "eventName": "GetObject", "eventSource": "s3.amazonaws.com", "eventTime": "2026-03-01T10:00:00Z", "eventVersion": "1.08", "awsRegion": "us-east-1", "requestParameters": {"key": "k", "bucketName": "\\u0062"}, "readOnly": true, "managementEvent": false, "sourceIPAddress": "198.51.100.7", "recipientAccountId": "111122223333", "additionalEventData": {"bytesTransferredOut": 1.0}}
            {"eventVersion":"1.08","eventTime":"2026-03-01T10:00:05Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","eventID":"66666666-2222-3333-4444-555555555555","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/mallory","accountId":"111122223333"},"requestParameters":{"bucketName":"b","key":"k"},"sourceIPAddress":"198.51.100.7"}

            """
        try delivered.write(to: dir.appendingPathComponent("delivered.json"), atomically: true, encoding: .utf8)
        try reshipped.write(to: dir.appendingPathComponent("reshipped.jsonl"), atomically: true, encoding: .utf8)
        let (text, stats) = try buildTimeline([dir.path])
        let rows = try #require(parseJSONLines(text))
        #expect(stats.recordsRead == 4)
        #expect(stats.duplicates == 1, "the reshaped copy of 1111… is the same event")
        #expect(stats.idConflicts == 1, "6666… names a different actor in its second copy")
        #expect(stats.reconciles)
        #expect(rows.count == 3)
        #expect(rows.filter { $0["id"] as? String == "11111111-2222-3333-4444-555555555555" }.count == 1)
        let conflict = rows.filter { $0["id"] as? String == "66666666-2222-3333-4444-555555555555" }
        #expect(conflict.count == 2)
        #expect(conflict.compactMap { $0["idShared"] as? String } == ["conflict"])
        #expect(stats.diagnostics.contains { $0.reason.contains("66666666-2222-3333-4444-555555555555") })
    }

    @Test func databricksRequestPairIsKeptAndMarked() throws {
        let (text, stats) = try buildTimeline([Dataset.logs]) { $0.filter.actions = [Glob("start")] }
        let rows = try #require(parseJSONLines(text)).filter { ($0["requestId"] as? String) == "incident-start-0001" }
        #expect(rows.count == 2)
        #expect(rows[0]["idShared"] == nil)
        #expect(rows[1]["idShared"] as? String == "pair")
        #expect(stats.databricksPairs >= 1)
    }

    @Test func incidentAcrossBothPlanesByActorAndWindow() throws {
        let (text, stats) = try buildTimeline([Dataset.logs]) {
            $0.filter.since = Timestamp(iso: "2026-08-01T09:30Z")
            $0.filter.until = Timestamp(iso: "2026-08-01T09:50Z")
            $0.filter.actors = [Glob("alice@acme.example"), Glob("*i-0a1b2c3d4e5f60718")]
        }
        let rows = try #require(parseJSONLines(text))
        let actions = rows.map { "\($0["plane"]!):\($0["action"]!)" }
        #expect(actions.contains("databricks:runCommand"))
        #expect(actions.contains("aws:GetObject"))
        #expect(actions.contains("databricks:downloadQueryResult"))
        #expect(actions.contains("databricks:workspaceConfEdit"))
        #expect(actions.contains("aws:StopLogging"))
        #expect(rows.filter { $0["action"] as? String == "GetObject" }.count == 12)
        #expect(stats.filtered > 3000)
        #expect(stats.reconciles)
    }

    @Test func spillingGivesTheSameBytesAsMemory() throws {
        let (inMemory, _) = try buildTimeline([Dataset.logs]) {
            $0.memoryBudget = 512 << 20; $0.workers = 1
        }
        let (spilled, _) = try buildTimeline([Dataset.logs]) {
            $0.memoryBudget = 1 << 20; $0.workers = 2
        }
        #expect(inMemory == spilled)
        #expect(!inMemory.isEmpty)
        // Many small runs merged through intermediate passes (fan-in 3) give the same bytes too.
        let (premerged, stats) = try buildTimeline([Dataset.logs]) {
            $0.memoryBudget = 1 << 20; $0.workers = 2; $0.maxFanIn = 3
        }
        #expect(premerged == inMemory)
        #expect(stats.reconciles)
    }

    @Test func lateFilters() throws {
        let (text, stats) = try buildTimeline([Dataset.logs]) {
            $0.filter.planes = [.aws]
            $0.filter.services = [Glob("s3")]
            $0.filter.outcomes = [.failure]
        }
        let rows = try #require(parseJSONLines(text))
        #expect(!rows.isEmpty)
        #expect(
            rows.allSatisfy {
                $0["plane"] as? String == "aws" && $0["service"] as? String == "s3"
                    && ($0["outcome"] as? [String: Any])?["status"] as? String == "failure"
            })
        #expect(stats.reconciles)
        let (byResource, _) = try buildTimeline([Dataset.logs]) {
            $0.filter.resources = [Glob("acme-pii-customers/customers/*")]
        }
        #expect(try #require(parseJSONLines(byResource)).count == 12)
    }
}

@Suite struct FormatTests {
    @Test func csvHasHeaderAndOneRowPerEvent() throws {
        let (text, stats) = try buildTimeline([Dataset.logs]) { $0.format = .csv }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(
            lines.first
                == "time,id,plane,service,action,outcome,errorCode,actorKind,actor,actorName,sourceIPAddress,userAgent,account,region,workspace,resources,requestId,sourceFile,sourceLine,sourceOffset,idShared"
        )
        // One multi-line field is quoted (the CSV export's "multi\nline" agent is not in the samples).
        #expect(lines.count - 2 == stats.accepted)
    }

    @Test func ocsfClassesAndRequiredAttributes() throws {
        let (text, _) = try buildTimeline([Dataset.logs]) { $0.format = .ocsf }
        let rows = try #require(parseJSONLines(text))
        #expect(
            rows.allSatisfy {
                $0["class_uid"] != nil && $0["activity_id"] != nil && $0["type_uid"] != nil && $0["actor"] != nil
                    && $0["metadata"] != nil && $0["src_endpoint"] != nil
            })
        #expect(
            rows.allSatisfy {
                ($0["type_uid"] as! Int) == ($0["class_uid"] as! Int) * 100 + ($0["activity_id"] as! Int)
            })
        let login = try #require(rows.first { ($0["api"] as? [String: Any])?["operation"] as? String == "tokenLogin" })
        #expect(login["class_uid"] as? Int == 3002)
        // An S3 object read with its bucket is Datastore Activity (Read); a bucket-level call is API Activity.
        let get = try #require(rows.first { ($0["api"] as? [String: Any])?["operation"] as? String == "GetObject" })
        #expect(get["class_uid"] as? Int == 6005)
        #expect(get["activity_id"] as? Int == 1)
        #expect((get["databucket"] as? [String: Any])?["type_id"] as? Int == 1)
        let stop = try #require(rows.first { ($0["api"] as? [String: Any])?["operation"] as? String == "StopLogging" })
        #expect(stop["activity_id"] as? Int == 3)
    }

    @Test func jsonlFieldSelection() throws {
        let (text, stats) = try buildTimeline([Dataset.logs]) {
            $0.fields = try! JSONLFields(parsing: "id,time, actor.key,outcome")
        }
        let rows = try #require(parseJSONLines(text))
        #expect(rows.count == stats.accepted)
        #expect(rows.allSatisfy { Set($0.keys).subtracting(["idShared"]) == ["id", "time", "actor", "outcome"] })
        #expect(rows.allSatisfy { Set(($0["actor"] as! [String: Any]).keys) == ["key"] })
        #expect(throws: JSONLFields.UnknownField.self) { try JSONLFields(parsing: "id,nope") }
        #expect(throws: JSONLFields.UnknownField.self) { try JSONLFields(parsing: "actor.bogus") }
    }

    @Test func timesketchFields() throws {
        let (text, _) = try buildTimeline([Dataset.logs]) { $0.format = .timesketch }
        let rows = try #require(parseJSONLines(text))
        #expect(
            rows.allSatisfy {
                $0["message"] is String && $0["datetime"] is String && $0["timestamp"] is Int
                    && $0["timestamp_desc"] as? String == "Event Time"
            })
    }

    @Test func csvQuotesAndDefusesFormulas() {
        var e = hostileEvent(
            id: "=HYPERLINK(\"http://evil.example\")", action: "a,b", actorKey: "@SUM(1)", actorName: "line\nbreak")
        e.sourceIPAddress = "-1"
        var out: [UInt8] = []
        CSVRenderer().render(e, into: &out)
        let text = String(decoding: out, as: UTF8.self)
        #expect(text.contains(#""'=HYPERLINK(""http://evil.example"")""#))
        #expect(text.contains(",'@SUM(1),"))
        #expect(text.contains(#","a,b","#))
        #expect(text.contains("\"line\nbreak\""))
        #expect(text.contains(",-1,"))
    }

    @Test func tableNeutralizesControlCharacters() {
        var e = hostileEvent(action: "Get\u{1B}[31mObject", actorName: "evil\u{7}")
        e.sourceIPAddress = "1.2.3.4"
        var out: [UInt8] = []
        TableRenderer().render(e, into: &out)
        #expect(!out.contains(0x1B))
        #expect(!out.contains(0x07))
    }

    @Test func jsonlEscapesHostileStrings() throws {
        var e = hostileEvent(id: "q\"\\\n\u{0}</script>")
        e.userAgent = "\u{7f}\t"
        var out: [UInt8] = []
        let r = JSONLRenderer()
        r.render(e, into: &out)
        r.finish(shared: nil, into: &out)
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(out)) as? [String: Any])
        #expect(obj["id"] as? String == "q\"\\\n\u{0}</script>")
        #expect(obj["userAgent"] as? String == "\u{7f}\t")
    }
}

/// An event with the given (possibly hostile) strings, for renderer tests.
func hostileEvent(id: String = "x", action: String = "a", actorKey: String = "k", actorName: String = "d") -> AuditEvent
{
    AuditEvent(
        id: id, time: Timestamp(millis: 0), plane: .aws, service: "s3", action: action,
        outcome: Outcome(status: .success), actor: Actor(kind: .iamUser, key: actorKey, displayName: actorName),
        format: .cloudtrailNDJSON, provenance: Provenance(file: "f", line: 1, offset: 0, sha256: ""))
}
