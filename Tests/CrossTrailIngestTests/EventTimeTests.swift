import CrossTrailIngest
import CrossTrailModel
import Foundation
import Testing

/// One record must not crash a run or move in time: event times that are not real dates, or fall
/// outside 1970-01-01 ..< 2100-01-01, are rejected with a diagnostic naming the file, the line or
/// byte offset and the reason, in every input format; the records around them are kept and the
/// accounting adds up.
@Suite struct EventTimeTests {
    /// Times given as text (every format).
    static let badText = [
        "2026-02-30T00:00:00Z", "2025-02-29T12:00:00Z", "2026-04-31T00:00:00Z", "2026-13-01T00:00:00Z",
        "2026-00-10T00:00:00Z",
        "2026-08-00T00:00:00Z", "2026-08-01T25:00:00Z", "2026-08-01T24:00:00Z", "2026-08-01T10:60:00Z",
        "2026-08-01T10:00:61Z",
        "2026-08-01T00:00:00+25:00", "2026-08-01T00:00:00-24:00", "2026-08-01T00:00:00+05:99",
        "1969-12-31T23:59:59.999Z", "1900-01-01T00:00:00Z", "0000-01-01T00:00:00Z", "2100-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999Z",
        "1970-01-01T00:30:00+01:00",
    ]
    /// Times accepted at the edges of the range, and a leap day.
    static let goodText = [
        "1970-01-01T00:00:00Z", "2099-12-31T23:59:59.999Z", "2024-02-29T12:00:00Z", "2026-08-01T02:00:00+02:00",
    ]

    /// Epoch milliseconds as JSON numbers or digit strings (Databricks formats).
    static let badEpoch = [
        "9223372036854775807", "-9223372036854775808", "1e30", "-1e30", "1.7976931348623157e308",
        "18446744073709551615",
        "-1", "4102444800000", "\"9223372036854775807\"", "\"99999999999999999999999\"", "\"4102444800000\"",
    ]
    static let goodEpoch = ["0", "4102444799999", "1785542400000", "\"1785542400000\"", "1785542400000.0"]

    static func quoted(_ s: String) -> String { "\"" + s + "\"" }

    static func cloudTrail(_ time: String, _ id: String) -> String {
        "{\"eventVersion\":\"1.08\",\"eventTime\":\(time),\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"E\",\"eventID\":\"\(id)\"}"
    }

    static func databricks(_ time: String, _ id: String) -> String {
        "{\"version\":\"2.0\",\"timestamp\":\(time),\"serviceName\":\"clusters\",\"actionName\":\"create\",\"requestId\":\"\(id)\",\"userIdentity\":{\"email\":\"a@b.c\"}}"
    }

    static func systemTable(_ time: String, _ id: String) -> String {
        "{\"event_time\":\(time),\"service_name\":\"clusters\",\"action_name\":\"create\",\"event_id\":\"\(id)\",\"user_identity\":{\"email\":\"a@b.c\"}}"
    }

    static func azure(_ time: String, _ id: String) -> String {
        "{\"time\":\(time),\"operationName\":\"Microsoft.Databricks/clusters/create\",\"category\":\"clusters\",\"properties\":{\"requestId\":\"\(id)\",\"serviceName\":\"clusters\",\"actionName\":\"create\"}}"
    }

    /// Each layout as (file name, content, good ids, bad count).
    static func layouts() -> [(String, String, [String], Int)] {
        let text = goodText.map(quoted), bad = badText.map(quoted)
        func ids(_ prefix: String, _ n: Int) -> [String] { (0..<n).map { "\(prefix)-\($0)" } }
        func records(_ make: (String, String) -> String, _ good: [String], _ bad: [String], _ prefix: String)
            -> [String]
        {
            // Bad records between good ones, so the good ones around them must survive.
            var out: [String] = []
            for (i, t) in bad.enumerated() {
                out.append(make(t, "\(prefix)-bad-\(i)"))
                if i < good.count { out.append(make(good[i], "\(prefix)-\(i)")) }
            }
            for i in bad.count..<max(bad.count, good.count) { out.append(make(good[i], "\(prefix)-\(i)")) }
            return out
        }
        var out: [(String, String, [String], Int)] = []
        out.append(
            (
                "delivery.json", "{\"Records\":[" + records(cloudTrail, text, bad, "ct").joined(separator: ",") + "]}",
                ids("ct", text.count), bad.count
            ))
        out.append(
            (
                "cloudtrail.jsonl", records(cloudTrail, text, bad, "nd").joined(separator: "\n") + "\n",
                ids("nd", text.count), bad.count
            ))
        // lookup-events: the record is JSON text inside CloudTrailEvent.
        let lookup = records(cloudTrail, text, bad, "lk").enumerated().map { i, r -> String in
            let escaped = r.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return "{\"EventId\":\"e\(i)\",\"CloudTrailEvent\":\"\(escaped)\"}"
        }
        out.append(
            ("lookup.json", "{\"Events\":[" + lookup.joined(separator: ",") + "]}", ids("lk", text.count), bad.count))
        let epochGood = goodEpoch, epochBad = badEpoch + bad
        out.append(
            (
                "databricks.jsonl", records(databricks, epochGood, epochBad, "db").joined(separator: "\n") + "\n",
                ids("db", epochGood.count), epochBad.count
            ))
        let systemGood = goodEpoch + text
        out.append(
            (
                "system.jsonl", records(systemTable, systemGood, epochBad, "st").joined(separator: "\n") + "\n",
                ids("st", systemGood.count), epochBad.count
            ))
        out.append(
            (
                "azure.json", "{\"records\":[" + records(azure, text, bad, "az").joined(separator: ",") + "]}",
                ids("az", text.count), bad.count
            ))
        // system.access.audit CSV: every value is text.
        let csvGood = goodText + ["1785542400000"],
            csvBad = badText + ["9223372036854775807", "99999999999999999999", "-1"]
        var csv = "event_time,event_id,service_name,action_name,user_identity\n"
        for (i, t) in csvBad.enumerated() {
            csv += "\(t),cs-bad-\(i),clusters,create,\"{\"\"email\"\":\"\"a@b.c\"\"}\"\n"
            if i < csvGood.count { csv += "\(csvGood[i]),cs-\(i),clusters,create,\"{\"\"email\"\":\"\"a@b.c\"\"}\"\n" }
        }
        out.append(("export.csv", csv, ids("cs", csvGood.count), csvBad.count))
        return out
    }

    @Test func everyFormatRejectsImpossibleAndOutOfRangeTimesAndKeepsTheRest() throws {
        let dir = try TemporaryFiles()
        for (name, content, good, badCount) in Self.layouts() {
            let path = try dir.write(name, content)
            let (events, stats) = ingest([path])
            #expect(Set(events.map(\.id)) == Set(good), "\(name): \(events.map(\.id)) \(stats.diagnostics)")
            #expect(stats.rejected == badCount, "\(name): \(stats.diagnostics.map(\.reason))")
            #expect(stats.recordsRead == good.count + badCount, "\(name)")
            #expect(stats.reconciles, "\(name)")
            #expect(stats.diagnostics.count == badCount, "\(name)")
            for d in stats.diagnostics {
                #expect(d.file == path, "\(name): \(d)")
                #expect(d.line != nil || d.offset != nil, "\(name): \(d)")
                #expect(
                    d.reason.contains("outside the accepted range") || d.reason.hasPrefix("invalid "),
                    "\(name): \(d.reason)")
            }
            // Every accepted time is in range and formats back to text.
            for e in events {
                #expect(e.time.isEventTime, "\(name): \(e.id) \(e.time.millis)")
                #expect(e.time.iso8601.count == 24)
            }
        }
    }

    @Test func reasonsNameTheFieldTheValueAndWhy() throws {
        let dir = try TemporaryFiles()
        let path = try dir.write(
            "reasons.jsonl",
            [
                Self.cloudTrail("\"2026-02-30T00:00:00Z\"", "a"),
                Self.cloudTrail("\"2026-08-01T00:00:00+25:00\"", "b"),
                Self.databricks("9223372036854775807", "c"),
                Self.databricks("1e30", "d"),
                Self.systemTable("\"1969-07-20T20:17:00Z\"", "e"),
                Self.cloudTrail("\"yesterday\"", "f"),
            ].joined(separator: "\n"))
        let (_, stats) = ingest([path])
        let reasons = stats.diagnostics.sorted { ($0.line ?? 0) < ($1.line ?? 0) }.map(\.reason)
        #expect(reasons.count == 6)
        guard reasons.count == 6 else { return }
        #expect(reasons[0] == "invalid eventTime '2026-02-30T00:00:00Z': day 30 does not exist in 2026-02 (28 days)")
        #expect(
            reasons[1]
                == "invalid eventTime '2026-08-01T00:00:00+25:00': offset +25:00 is not a UTC offset (at most ±23:59)")
        #expect(
            reasons[2]
                == "timestamp 9223372036854775807 is outside the accepted range (1970-01-01T00:00:00Z to 2100-01-01T00:00:00Z)"
        )
        #expect(reasons[3].hasPrefix("timestamp 1e+30 is outside the accepted range"))
        #expect(reasons[4].hasPrefix("event_time '1969-07-20T20:17:00Z' is outside the accepted range"))
        #expect(reasons[5] == "unparseable eventTime 'yesterday'")
        #expect(stats.diagnostics.map(\.line).sorted { ($0 ?? 0) < ($1 ?? 0) } == [1, 2, 3, 4, 5, 6])
    }

    @Test func hostileTimeTextIsQuotedSafelyAndShort() throws {
        let dir = try TemporaryFiles()
        let long = String(repeating: "9", count: 5000)
        let path = try dir.write(
            "quoted.jsonl",
            [
                Self.cloudTrail("\"\\u001b[31m2026-08-01\"", "esc"),
                Self.databricks("\"\(long)\"", "long"),
            ].joined(separator: "\n"))
        let (_, stats) = ingest([path])
        #expect(stats.rejected == 2)
        for d in stats.diagnostics {
            #expect(!d.reason.unicodeScalars.contains { $0.value < 32 }, "\(d.reason)")
            #expect(d.reason.count < 200, "\(d.reason.count)")
        }
    }

    @Test func shippedTimestampIsUsedOnlyWithoutEventTime() throws {
        let dir = try TemporaryFiles()
        let path = try dir.write(
            "shipped.jsonl",
            [
                "{\"@timestamp\":\"2026-08-01T10:00:00Z\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\",\"eventID\":\"only-shipped\"}",
                // A broken eventTime is not papered over by the shipper's time.
                "{\"eventTime\":\"2026-02-31T10:00:00Z\",\"@timestamp\":\"2026-08-01T10:00:00Z\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\",\"eventID\":\"both\"}",
            ].joined(separator: "\n"))
        let (events, stats) = ingest([path])
        #expect(events.map(\.id) == ["only-shipped"])
        #expect(stats.rejected == 1 && stats.reconciles)
    }

    @Test func streamedLinesRejectTheSameWay() throws {
        // Above --max-file-mib a JSON-lines file is streamed: same rules.
        let dir = try TemporaryFiles()
        var lines: [String] = []
        for i in 0..<6000 {
            lines.append(
                i % 2 == 0
                    ? Self.databricks("1785542400000", "s-\(i)") : Self.databricks("9223372036854775807", "x-\(i)"))
        }
        let path = try dir.write("big.jsonl", lines.joined(separator: "\n") + "\n")
        var limits = IngestLimits()
        limits.maxFileBytes = 1 << 18
        let (events, stats) = ingest([path], limits: limits)
        #expect(events.count == 3000)
        #expect(stats.rejected == 3000)
        #expect(stats.reconciles)
    }

    @Test func singleRecordNormalizerRejectsToo() {
        let r = RecordNormalizer().normalize(Self.databricks("-9223372036854775808", "n"))
        guard case .failure(let e) = r else { Issue.record("accepted an impossible time"); return }
        #expect(e.reason.contains("outside the accepted range"))
    }
}
