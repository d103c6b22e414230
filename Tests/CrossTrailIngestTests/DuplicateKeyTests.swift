import CrossTrailIngest
import CrossTrailModel
import Foundation
import Testing

/// Records never vanish behind a repeated key: every record array of a document is read (a
/// repeated "Records" included), each repeated top-level key is a diagnostic with its offset, and a
/// key repeated inside a record is a diagnostic for that record naming the key and the value used
/// (the first, everywhere).
@Suite struct DuplicateKeyTests {
    static func record(_ id: String, name: String = "E") -> String {
        "{\"eventVersion\":\"1.08\",\"eventTime\":\"2026-08-01T00:00:00Z\",\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"\(name)\",\"eventID\":\"\(id)\"}"
    }

    static func ids(_ events: [AuditEvent]) -> [String] { events.map(\.id).sorted() }

    @Test func everyRecordsArrayIsReadAndTheRepeatIsADiagnostic() throws {
        let dir = try TemporaryFiles()
        let head = "{\"Records\":[" + Self.record("a1") + "," + Self.record("a2") + "],"
        let text = head + "\"Records\":[" + Self.record("b1") + "," + Self.record("b2") + "," + Self.record("b3") + "]}"
        let second = head.utf8.count
        let plain = try dir.write("dup.json", text)
        let gz = dir.dir.appendingPathComponent("dup.json.gz").path
        try Data(GzipCodec.compress(Array(text.utf8))).write(to: URL(fileURLWithPath: gz))
        for path in [plain, gz] {
            let (events, stats) = ingest([path])
            #expect(Self.ids(events) == ["a1", "a2", "b1", "b2", "b3"], "\(path)")
            #expect(stats.recordsRead == 5 && stats.accepted == 5 && stats.reconciles)
            #expect(events.allSatisfy { $0.format == .cloudtrailDelivery })
            #expect(stats.diagnostics.count == 1, "\(stats.diagnostics)")
            let d = try #require(stats.diagnostics.first)
            #expect(d.file == path && d.offset == second && d.severity == .warning)
            #expect(
                d.reason
                    == "duplicate key \"Records\" in the top-level object: every \"Records\" array is read (5 records in all)"
            )
        }
    }

    @Test func manyArraysPrettyPrintedEscapedAndMixedKeys() throws {
        let dir = try TemporaryFiles()
        // Three arrays, pretty-printed, one key spelled with an escape (the same key once decoded).
        let pretty =
            "{\n  \"Records\": [\n    " + Self.record("p1") + "\n  ],\n  \"Rec\\u006frds\": [ " + Self.record("p2")
            + " ],\n  \"other\": 1,\n  \"Records\": [" + Self.record("p3") + "]\n}\n"
        var (events, stats) = ingest([try dir.write("pretty.json", pretty)])
        #expect(Self.ids(events) == ["p1", "p2", "p3"])
        #expect(stats.diagnostics.filter { $0.reason.hasPrefix("duplicate key ") }.count == 2, "\(stats.diagnostics)")
        #expect(stats.reconciles)
        // Records and records (Azure), Records and Events (lookup-events): all read, and said so.
        let lookup =
            "{\"EventId\":\"x\",\"CloudTrailEvent\":\"" + Self.record("l1").replacingOccurrences(of: "\"", with: "\\\"")
            + "\"}"
        let mixed =
            "{\"Records\":[" + Self.record("m1") + "],\"records\":[" + Self.record("m2") + "],\"Events\":[" + lookup
            + "]}"
        (events, stats) = ingest([try dir.write("mixed.json", mixed)])
        #expect(Self.ids(events) == ["l1", "m1", "m2"])
        #expect(events.first { $0.id == "l1" }?.format == .cloudtrailLookup)
        #expect(events.first { $0.id == "m1" }?.format == .cloudtrailDelivery)
        #expect(
            stats.diagnostics.map(\.reason) == [
                "the document has record arrays under \"Records\" and \"records\" and \"Events\"; the records of each are read"
            ])
        // Other repeated top-level keys are diagnostics too; the records are untouched.
        (events, stats) = ingest([
            try dir.write("other.json", "{\"Records\":[" + Self.record("o1") + "],\"x\":1,\"x\":2}")
        ])
        #expect(Self.ids(events) == ["o1"])
        #expect(
            stats.diagnostics.map(\.reason) == [
                "duplicate key \"x\" in the top-level object (not a record array; ignored)"
            ])
    }

    @Test func aRecordsValueThatIsNotAnArrayIsReported() throws {
        let dir = try TemporaryFiles()
        for (name, text) in [
            ("null.json", "{\"Records\":[" + Self.record("n1") + "],\"Records\":null}"),
            ("object.json", "{\"Records\":" + Self.record("lost") + ",\"Records\":[" + Self.record("n2") + "]}"),
            ("string.json", "{\"Records\":\"[]\"}"),
        ] {
            let (events, stats) = ingest([try dir.write(name, text)])
            #expect(events.count == (name == "string.json" ? 0 : 1), "\(name)")
            #expect(
                stats.diagnostics.contains {
                    $0.severity == .error
                        && $0.reason == "the value of \"Records\" is not an array of records: not read"
                        && $0.offset != nil
                },
                "\(name): \(stats.diagnostics)")
            #expect(stats.reconciles)
        }
    }

    /// A damaged first array must not hide a second one: recovery reads on past its `]`.
    @Test func aSecondArrayAfterADamagedOneIsStillRead() throws {
        let dir = try TemporaryFiles()
        for (name, text, good, bad) in [
            (
                "damaged-first.json",
                "{\"Records\":[" + Self.record("a1") + ",{\"broken\" 1}],\"x\":{\"y\":[1,\"]\"]},\"Records\":["
                    + Self.record("b1") + "," + Self.record("b2") + "]}", ["a1", "b1", "b2"], 1
            ),
            (
                "damaged-second.json",
                "{\"Records\":[" + Self.record("c1")
                    + "],\"note\":\"}\",\"Events\":[{\"EventId\":1,\"CloudTrailEvent\":tru}]}", ["c1"], 1
            ),
        ] {
            let (events, stats) = ingest([try dir.write(name, text)])
            #expect(Self.ids(events) == good, "\(name): \(stats.diagnostics)")
            #expect(stats.rejected == bad, "\(name)")
            #expect(stats.reconciles)
            if name == "damaged-first.json" {
                #expect(
                    stats.diagnostics.contains {
                        $0.reason == "another record array \"Records\" follows the damaged one: its records are read"
                    }, "\(stats.diagnostics)")
            }
        }
    }

    @Test func aKeyRepeatedInARecordUsesTheFirstValueAndSaysSo() throws {
        let dir = try TemporaryFiles()
        let lines = [
            "{\"eventVersion\":\"1.08\",\"eventTime\":\"2026-08-01T00:00:00Z\",\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"CreateUser\",\"eventName\":\"DeleteTrail\",\"eventID\":\"r1\"}",
            "{\"eventVersion\":\"1.08\",\"eventTime\":\"2026-08-01T00:00:00Z\",\"eventTime\":\"2030-01-01T00:00:00Z\",\"eventName\":\"E\",\"eventID\":\"r2\",\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::1:user/alice\",\"arn\":\"arn:aws:iam::1:user/mallory\",\"accountId\":\"1\"}}",
            "{\"eventVersion\":\"1.08\",\"eventTime\":\"2026-08-01T00:00:00Z\",\"eventName\":\"PutObject\",\"eventSource\":\"s3.amazonaws.com\",\"eventID\":\"r3\",\"requestParameters\":{\"bucketName\":\"first-bucket\",\"bucketName\":\"second-bucket\",\"key\":\"k\"}}",
            "{\"version\":\"2.0\",\"timestamp\":1785542400000,\"serviceName\":\"clusters\",\"actionName\":\"create\",\"actionName\":\"delete\",\"requestId\":\"r4\",\"userIdentity\":{\"email\":\"a@b.c\"}}",
            Self.record("r5"),
        ]
        let path = try dir.write("records.jsonl", lines.joined(separator: "\n"))
        let (events, stats) = ingest([path])
        #expect(Self.ids(events) == ["r1", "r2", "r3", "r4", "r5"])
        #expect(stats.reconciles && stats.rejected == 0)
        let byID = Dictionary(uniqueKeysWithValues: events.map { ($0.id, $0) })
        #expect(byID["r1"]?.action == "CreateUser")
        #expect(byID["r2"]?.time.iso8601 == "2026-08-01T00:00:00.000Z")
        #expect(byID["r2"]?.actor.arn == "arn:aws:iam::1:user/alice")
        #expect(byID["r3"]?.resources.map(\.id) == ["first-bucket/k"])
        #expect(byID["r4"]?.action == "create")
        let reasons = Dictionary(uniqueKeysWithValues: stats.diagnostics.map { ($0.line ?? 0, $0.reason) })
        #expect(stats.diagnostics.count == 4, "\(stats.diagnostics)")
        #expect(stats.diagnostics.allSatisfy { $0.severity == .warning && $0.file == path && $0.offset != nil })
        #expect(
            reasons[1]
                == "duplicate key \"eventName\" in the record: its first value (\"CreateUser\") is used, later ones are ignored"
        )
        #expect(
            reasons[2]
                == "duplicate key \"eventTime\" in the record: its first value (\"2026-08-01T00:00:00Z\") is used, later ones are ignored (1 more repeated key there, read the same way)"
        )
        #expect(
            reasons[3]
                == "duplicate key \"requestParameters.bucketName\" in the record: its first value (\"first-bucket\") is used, later ones are ignored"
        )
        #expect(
            reasons[4]
                == "duplicate key \"actionName\" in the record: its first value (\"create\") is used, later ones are ignored"
        )
    }

    @Test func repeatsInsideJSONTextFieldsAndDeepInsideAreFound() throws {
        let dir = try TemporaryFiles()
        // lookup-events: the record is JSON text in CloudTrailEvent.
        let inner =
            "{\"eventVersion\":\"1.08\",\"eventTime\":\"2026-08-01T00:00:00Z\",\"eventName\":\"A\",\"eventName\":\"B\",\"eventID\":\"lk\"}"
        let lookup =
            "{\"Events\":[{\"EventId\":\"lk\",\"CloudTrailEvent\":\""
            + inner.replacingOccurrences(of: "\"", with: "\\\"") + "\"}]}"
        var (events, stats) = ingest([try dir.write("lookup.json", lookup)])
        #expect(events.map(\.action) == ["A"])
        #expect(
            stats.diagnostics.map(\.reason) == [
                "duplicate key \"eventName\" in the record's CloudTrailEvent: its first value (\"A\") is used, later ones are ignored"
            ])
        // A system-table CSV export: user_identity is JSON text.
        let csv =
            "event_time,event_id,service_name,action_name,user_identity\n2026-08-01T00:00:00Z,c1,clusters,create,\"{\"\"email\"\":\"\"a@b.c\"\",\"\"email\"\":\"\"evil@b.c\"\"}\"\n"
        (events, stats) = ingest([try dir.write("export.csv", csv)])
        #expect(events.map(\.actor.key) == ["a@b.c"])
        #expect(
            stats.diagnostics.map(\.reason) == [
                "duplicate key \"email\" in the record's JSON-text field: its first value (\"a@b.c\") is used, later ones are ignored"
            ])
        #expect(stats.diagnostics.first?.line == 2)
        // Deep inside arrays and objects, with an object as the first value.
        let deep =
            "{\"eventVersion\":\"1.08\",\"eventTime\":\"2026-08-01T00:00:00Z\",\"eventName\":\"E\",\"eventID\":\"d\",\"resources\":[{\"ARN\":\"a\"},{\"ARN\":\"b\",\"x\":{\"y\":[1,{\"z\":{\"k\":1},\"z\":2}]}}]}"
        (events, stats) = ingest([try dir.write("deep.jsonl", deep)])
        #expect(events.count == 1)
        #expect(
            stats.diagnostics.map(\.reason) == [
                "duplicate key \"resources[1].x.y[1].z\" in the record: its first value ({\"k\":1}) is used, later ones are ignored"
            ])
    }

    @Test func hostileRecordsWithManyRepeatsStayFast() throws {
        let dir = try TemporaryFiles()
        // 200,000 members: 100,000 distinct keys each written twice, and one key written 100,000 times.
        var pairs = (0..<100_000).map { "\"k\($0)\":\($0),\"k\($0)\":0" }
        let twice =
            "{\"eventVersion\":\"1.08\",\"eventTime\":\"2026-08-01T00:00:00Z\",\"eventName\":\"E\",\"eventID\":\"t\","
            + pairs.joined(separator: ",") + "}"
        pairs = Array(repeating: "\"same\":1", count: 100_000)
        let same =
            "{\"eventVersion\":\"1.08\",\"eventTime\":\"2026-08-01T00:00:00Z\",\"eventName\":\"E\",\"eventID\":\"s\","
            + pairs.joined(separator: ",") + "}"
        let path = try dir.write("many.jsonl", twice + "\n" + same + "\n")
        let started = Date()
        let (events, stats) = ingest([path])
        #expect(Date().timeIntervalSince(started) < 20, "duplicate detection must not be quadratic")
        #expect(Self.ids(events) == ["s", "t"])
        #expect(stats.diagnostics.count == 2)
        #expect(
            stats.diagnostics.contains {
                $0.reason.hasPrefix("duplicate key \"k0\" in the record: its first value (0) is used")
                    && $0.reason.hasSuffix("(99999 more repeated keys there, read the same way)")
            },
            "\(stats.diagnostics.map(\.reason))")
        #expect(
            stats.diagnostics.contains {
                $0.reason.hasPrefix("duplicate key \"same\"")
                    && $0.reason.hasSuffix("(99998 more repeated keys there, read the same way)")
            })
    }

    @Test func recordsAFilterLeavesOutAreNotChecked() throws {
        let dir = try TemporaryFiles()
        let line =
            "{\"eventVersion\":\"1.08\",\"eventTime\":\"2026-08-01T00:00:00Z\",\"eventName\":\"A\",\"eventName\":\"B\",\"eventID\":\"f\"}"
        let path = try dir.write("filtered.jsonl", line)
        var filter = EventFilter()
        filter.since = Timestamp(iso: "2026-09-01")
        let (events, stats) = ingest([path], filter: filter)
        #expect(events.isEmpty && stats.filtered == 1 && stats.diagnostics.isEmpty)
        // Unfiltered, the same record is read with a diagnostic.
        #expect(ingest([path]).1.diagnostics.count == 1)
    }

    @Test func ownedDocumentsKeepTheFirstValueToo() throws {
        let doc = try JSON.parse(Array("{\"a\":1,\"a\":2,\"b\":{\"c\":\"x\",\"c\":\"y\"}}".utf8))
        #expect(doc["a"] == .number(1))
        #expect(doc["b"]?["c"] == .string("x"))
    }
}
