import Foundation
import TestSupport
import Testing

@Suite struct StoreCLITests {
    static let samples = TestPaths.packageRoot.appendingPathComponent("Samples")

    /// Runs crosstrail and kills it with SIGKILL after `seconds`; true if it was still running.
    func killed(after seconds: Double, _ args: [String]) throws -> Bool {
        let p = Process()
        p.executableURL = TestPaths.executable
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        Thread.sleep(forTimeInterval: seconds)
        let running = p.isRunning
        if running { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        return running
    }

    func sqlite(_ db: String, _ sql: String) throws -> String {
        try runProcess(URL(fileURLWithPath: "/usr/bin/sqlite3"), [db, sql]).stdout.trimmingCharacters(
            in: .whitespacesAndNewlines)
    }

    @Test func killedMidIngestTheNextRunCompletesWithoutLossOrDuplicates() throws {
        let dir = try TestPaths.temporaryDirectory("crash")
        let logs = dir.appendingPathComponent("logs").path, db = dir.appendingPathComponent("case.db").path
        #expect(
            try runCrossTrail([
                "samples", "--logs-only", "--out", dir.path, "--events", "60000", "--days", "2", "--records-per-file",
                "500",
            ]).status == 0)
        let timeline = try runCrossTrail(["timeline", logs, "--format", "jsonl", "-q", "--fields", "id"])
        let expected = timeline.stdout.split(separator: "\n").count
        #expect(expected > 60000)
        var kills = 0
        for delay in [0.6, 1.4, 2.2] {
            if try killed(
                after: delay,
                ["scan", logs, "--store", db, "--since-last", "-q", "--format", "json", "--lock-timeout", "5"])
            {
                kills += 1
            }
        }
        #expect(kills >= 1, "at least one run must have been killed mid-way")
        // A run killed before it created the store's tables (a loaded machine) stored nothing.
        let created =
            try FileManager.default.fileExists(atPath: db)
            && sqlite(db, "SELECT count(*) FROM sqlite_master WHERE name = 'events'") == "1"
        let partial = created ? Int(try sqlite(db, "SELECT count(*) FROM events")) ?? -1 : 0
        #expect(partial >= 0 && partial <= expected)
        let storedBefore = created ? Int(try sqlite(db, "SELECT count(*) FROM files")) ?? -1 : 0
        let final = try runCrossTrail([
            "scan", logs, "--store", db, "--since-last", "--format", "json", "--lock-timeout", "5",
        ])
        #expect(final.status == 0, "\(final.stderr)")
        #expect(try sqlite(db, "PRAGMA integrity_check") == "ok")
        #expect(Int(try sqlite(db, "SELECT count(*) FROM events")) == expected, "every event once")
        let files = FileManager.default.enumerator(atPath: logs)!.compactMap { $0 as? String }.filter {
            $0.hasSuffix(".gz")
        }.count
        #expect(try sqlite(db, "SELECT count(*) FROM files") == String(files))
        #expect(
            try sqlite(
                db,
                "SELECT count(*) FROM (SELECT id, time, content_hash FROM events GROUP BY 1, 2, 3 HAVING count(*) > 1)")
                == "0")
        // Files stored before a kill are not read again (however few a loaded machine got to).
        #expect(
            final.stderr.contains("\(storedBefore) unchanged file\(storedBefore == 1 ? "" : "s") skipped"),
            "\(storedBefore) stored before: \(final.stderr)")
    }

    @Test func scanReportsWhatChangedAndFailsOnlyOnUnsuppressed() throws {
        let dir = try TestPaths.temporaryDirectory("lifecycle")
        let db = dir.appendingPathComponent("case.db").path
        let inventory = Self.samples.appendingPathComponent("inventory").path,
            logs = Self.samples.appendingPathComponent("logs").path
        let first = try runCrossTrail(["scan", logs, "--inventory", inventory, "--store", db, "--format", "json", "-q"])
        #expect(first.status == 0)
        #expect(first.stdout.contains("\"status\":\"new\""))
        #expect(
            try sqlite(
                db,
                "SELECT count(*) FROM links WHERE kind = 'launched-for' AND source = 'ec2-instance:i-0a1b2c3d4e5f60718'"
            ) == "1",
            "the identity graph is stored")
        let second = try runCrossTrail(["scan", "--inventory", inventory, "--store", db, "--format", "json"])
        #expect(!second.stdout.contains("\"status\":\"new\""))
        #expect(second.stdout.contains("\"status\":\"open\""))
        #expect(
            second.stderr.contains("0 new, 13 open, 0 resolved, 0 reopened, 0 suppressed"),
            "usage and event-rule findings need events and stay as they were: \(second.stderr)")
        let list = try runCrossTrail(["findings", "--store", db, "--status", "new,open", "--format", "json"])
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [String: Any])
        let findings = try #require(doc["findings"] as? [[String: Any]])
        #expect(findings.count == 21)
        #expect(
            findings.filter { $0["status"] as? String == "new" }.count == 8,
            "the usage, stateful and event-rule findings (2 flat access, 1 unused, 1 off-network, 4 event rules) were not judged again"
        )
        let critical = try #require(findings.first { $0["severity"] as? String == "critical" }?["id"] as? String)
        #expect(
            try runCrossTrail([
                "scan", "--inventory", inventory, "--store", db, "--fail-on", "critical", "-q", "--format", "json",
            ]).status == 1)
        let suppress = try runCrossTrail([
            "findings", "suppress", critical, "--store", db, "--reason", "accepted for the pilot", "--until",
            "2999-01-01", "--author", "ciso",
        ])
        #expect(suppress.status == 0, "\(suppress.stderr)")
        let after = try runCrossTrail([
            "scan", "--inventory", inventory, "--store", db, "--fail-on", "critical", "--format", "table",
        ])
        #expect(after.status == 0, "a suppressed finding does not fail the job")
        #expect(after.stdout.contains("[suppressed]"))
        let table = try runCrossTrail(["findings", "--store", db, "--status", "suppressed", "--format", "table"])
        #expect(table.stdout.contains("suppressed by ciso until 2999-01-01: accepted for the pilot"))
        let unknown = try runCrossTrail(["findings", "suppress", "F-nope", "--store", db, "--reason", "x"])
        #expect(unknown.status == 2, "an id the store does not hold is a usage error")
        #expect(unknown.stderr.contains("no finding F-nope"))
        #expect(
            try runCrossTrail(["findings", "suppress", critical, "--store", db, "--reason", "x", "--until", "soon"])
                .status == 2)
        let query = try runCrossTrail([
            "timeline", "--store", db, "--actor", "alice@acme.example", "--action", "StopLogging",
        ])
        #expect(query.stdout.split(separator: "\n").count == 1)
        #expect(query.stderr.contains("1 event from"))
        #expect(
            try runCrossTrail(["timeline", "--store", dir.appendingPathComponent("missing.db").path]).status == 4,
            "a missing store is a missing input")
    }

    /// A CloudTrail file of S3 reads of s3://acme-pii/ by SSO users: (user, day of August 2026).
    static func reads(_ reads: [(user: String, day: Int)]) -> Data {
        let records = reads.enumerated().map { i, r in
            let day = String(format: "%02d", r.day)
            return """
                {"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLEANALYST:\(r.user)","arn":"arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Analyst_1/\(r.user)","accountId":"111122223333","accessKeyId":"ASIAEXAMPLE\(i)","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/AWSReservedSSO_Analyst_1","accountId":"111122223333","userName":"AWSReservedSSO_Analyst_1"},"attributes":{"mfaAuthenticated":"false"}}},"eventTime":"2026-08-\(day)T10:00:0\(i % 10)Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"10.0.0.5","vpcEndpointId":"vpce-1","userAgent":"aws-cli/2.15.0","requestParameters":{"bucketName":"acme-pii","key":"k\(i)"},"responseElements":null,"requestID":"R\(r.day)-\(i)","eventID":"e-\(r.day)-\(i)-\(r.user)","readOnly":true,"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::acme-pii/k\(i)"}],"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"111122223333","eventCategory":"Data"}
                """
        }
        return Data(("{\"Records\":[" + records.joined(separator: ",") + "]}").utf8)
    }

    @Test func scheduledScansJudgeNewReadersAgainstEarlierRuns() throws {
        let dir = try TestPaths.temporaryDirectory("baseline-cli")
        let logs = dir.appendingPathComponent("logs"), db = dir.appendingPathComponent("case.db").path
        let classes = dir.appendingPathComponent("classes.yaml")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        try Data("s3:\n  - prefix: s3://acme-pii/\n    class: pii\n".utf8).write(to: classes)
        func scan() throws -> (findings: [[String: Any]], stderr: String) {
            let r = try runCrossTrail([
                "scan", logs.path, "--classification", classes.path, "--store", db, "--since-last", "--format", "json",
            ])
            #expect(r.status == 0, "\(r.stderr)")
            let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            return (
                (doc["findings"] as? [[String: Any]] ?? []).filter {
                    $0["rule"] as? String == "classified-first-access"
                }, r.stderr
            )
        }
        // The first week: bob reads the data.
        try Self.reads([("bob@acme.example", 1), ("bob@acme.example", 4)]).write(
            to: logs.appendingPathComponent("week1.json"))
        #expect(try scan().findings.isEmpty)
        // A later hourly run reads only its new file: alice reads the data for the first time.
        try Self.reads([("bob@acme.example", 12), ("alice@acme.example", 12)]).write(
            to: logs.appendingPathComponent("day12.json"))
        let second = try scan()
        #expect(second.findings.count == 1, "\(second.stderr)")
        #expect(
            second.findings.first?["title"] as? String
                == "alice@acme.example first read s3://acme-pii/ on 2026-08-12, after the 7-day baseline")
        #expect(second.findings.first?["status"] as? String == "new")
        #expect(
            second.stderr.contains("1 unchanged file skipped"), "the first week was not read again: \(second.stderr)")
        // The store says what it keeps.
        let info = try runCrossTrail(["store", "info", db])
        #expect(info.stdout.contains("baseline facts"), "\(info.stdout)")
        #expect(Int(try sqlite(db, "SELECT count(*) FROM baseline WHERE kind = 'classified-read'")) == 2)
        // Alice reading again the next day is no first access: the finding is not found again and,
        // like every event finding of a --since-last run, is listed once as resolved.
        try Self.reads([("alice@acme.example", 13)]).write(to: logs.appendingPathComponent("day13.json"))
        #expect(try scan().findings.map { $0["status"] as? String } == ["resolved"])
    }
}
