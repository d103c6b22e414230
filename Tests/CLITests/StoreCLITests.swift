import Foundation
import Testing
import TestSupport

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
        try runProcess(URL(fileURLWithPath: "/usr/bin/sqlite3"), [db, sql]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func killedMidIngestTheNextRunCompletesWithoutLossOrDuplicates() throws {
        let dir = try TestPaths.temporaryDirectory("crash")
        let logs = dir.appendingPathComponent("logs").path, db = dir.appendingPathComponent("case.db").path
        #expect(try runCrossTrail(["samples", "--logs-only", "--out", dir.path, "--events", "60000", "--days", "2", "--records-per-file", "500"]).status == 0)
        let timeline = try runCrossTrail(["timeline", logs, "--format", "jsonl", "-q", "--fields", "id"])
        let expected = timeline.stdout.split(separator: "\n").count
        #expect(expected > 60000)
        var kills = 0
        for delay in [0.6, 1.4, 2.2] {
            if try killed(after: delay, ["scan", logs, "--store", db, "--since-last", "-q", "--format", "json", "--lock-timeout", "5"]) { kills += 1 }
        }
        #expect(kills >= 1, "at least one run must have been killed mid-way")
        let partial = Int(try sqlite(db, "SELECT count(*) FROM events")) ?? -1
        #expect(partial >= 0 && partial <= expected)
        let final = try runCrossTrail(["scan", logs, "--store", db, "--since-last", "--format", "json", "--lock-timeout", "5"])
        #expect(final.status == 0, "\(final.stderr)")
        #expect(try sqlite(db, "PRAGMA integrity_check") == "ok")
        #expect(Int(try sqlite(db, "SELECT count(*) FROM events")) == expected, "every event once")
        let files = FileManager.default.enumerator(atPath: logs)!.compactMap { $0 as? String }.filter { $0.hasSuffix(".gz") }.count
        #expect(try sqlite(db, "SELECT count(*) FROM files") == String(files))
        #expect(try sqlite(db, "SELECT count(*) FROM (SELECT id, time, content_hash FROM events GROUP BY 1, 2, 3 HAVING count(*) > 1)") == "0")
        // Files stored before a kill are not read again.
        #expect(final.stderr.contains("unchanged files skipped"))
    }

    @Test func scanReportsWhatChangedAndFailsOnlyOnUnsuppressed() throws {
        let dir = try TestPaths.temporaryDirectory("lifecycle")
        let db = dir.appendingPathComponent("case.db").path
        let inventory = Self.samples.appendingPathComponent("inventory").path, logs = Self.samples.appendingPathComponent("logs").path
        let first = try runCrossTrail(["scan", logs, "--inventory", inventory, "--store", db, "--format", "json", "-q"])
        #expect(first.status == 0)
        #expect(first.stdout.contains("\"status\":\"new\""))
        #expect(try sqlite(db, "SELECT count(*) FROM links WHERE kind = 'launched-for' AND source = 'ec2-instance:i-0a1b2c3d4e5f60718'") == "1",
                "the identity graph is stored")
        let second = try runCrossTrail(["scan", "--inventory", inventory, "--store", db, "--format", "json"])
        #expect(!second.stdout.contains("\"status\":\"new\""))
        #expect(second.stdout.contains("\"status\":\"open\""))
        #expect(second.stderr.contains("0 new, 8 open, 0 resolved, 0 reopened, 0 suppressed"), "usage and event-rule findings need events and stay as they were: \(second.stderr)")
        let list = try runCrossTrail(["findings", "--store", db, "--status", "new,open", "--format", "json"])
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [String: Any])
        let findings = try #require(doc["findings"] as? [[String: Any]])
        #expect(findings.count == 17)
        #expect(findings.filter { $0["status"] as? String == "new" }.count == 9, "the usage, stateful and event-rule findings (2 flat access, 1 unused, 1 off-network, 1 sensitive data, 4 event rules) were not judged again")
        let critical = try #require(findings.first { $0["severity"] as? String == "critical" }?["id"] as? String)
        #expect(try runCrossTrail(["scan", "--inventory", inventory, "--store", db, "--fail-on", "critical", "-q", "--format", "json"]).status == 1)
        let suppress = try runCrossTrail(["findings", "suppress", critical, "--store", db, "--reason", "accepted for the pilot", "--until", "2999-01-01", "--author", "ciso"])
        #expect(suppress.status == 0, "\(suppress.stderr)")
        let after = try runCrossTrail(["scan", "--inventory", inventory, "--store", db, "--fail-on", "critical", "--format", "table"])
        #expect(after.status == 0, "a suppressed finding does not fail the job")
        #expect(after.stdout.contains("[suppressed]"))
        let table = try runCrossTrail(["findings", "--store", db, "--status", "suppressed", "--format", "table"])
        #expect(table.stdout.contains("suppressed by ciso until 2999-01-01: accepted for the pilot"))
        let unknown = try runCrossTrail(["findings", "suppress", "F-nope", "--store", db, "--reason", "x"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no finding F-nope"))
        #expect(try runCrossTrail(["findings", "suppress", critical, "--store", db, "--reason", "x", "--until", "soon"]).status == 2)
        let query = try runCrossTrail(["timeline", "--store", db, "--actor", "alice@acme.example", "--action", "StopLogging"])
        #expect(query.stdout.split(separator: "\n").count == 1)
        #expect(query.stderr.contains("1 event from"))
        #expect(try runCrossTrail(["timeline", "--store", dir.appendingPathComponent("missing.db").path]).status == 1)
    }
}
