import Foundation
import TestSupport
import Testing

/// The promises SECURITY.md makes about hostile input, kept end to end through the commands.
@Suite struct ExtremeTimeCLITests {
    /// A folder with every input format, each holding records with good times at the edges of the
    /// accepted range and records with impossible or extreme times.
    static func hostileLogs() throws -> (dir: URL, good: Int, bad: Int) {
        let dir = try TestPaths.temporaryDirectory("extreme-times")
        let logs = dir.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        func ct(_ t: String, _ id: String) -> String {
            "{\"eventVersion\":\"1.08\",\"eventTime\":\"\(t)\",\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"CreateUser\",\"eventID\":\"\(id)\",\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::1:user/u\",\"accountId\":\"1\",\"userName\":\"u\"}}"
        }
        func dbx(_ t: String, _ id: String) -> String {
            "{\"version\":\"2.0\",\"timestamp\":\(t),\"serviceName\":\"accounts\",\"actionName\":\"tokenLogin\",\"requestId\":\"\(id)\",\"userIdentity\":{\"email\":\"a@b.example\"},\"response\":{\"statusCode\":200}}"
        }
        func sys(_ t: String, _ id: String) -> String {
            "{\"event_time\":\(t),\"service_name\":\"clusters\",\"action_name\":\"create\",\"event_id\":\"\(id)\",\"user_identity\":{\"email\":\"a@b.example\"}}"
        }
        func az(_ t: String, _ id: String) -> String {
            "{\"time\":\"\(t)\",\"operationName\":\"Microsoft.Databricks/clusters/create\",\"category\":\"clusters\",\"properties\":{\"requestId\":\"\(id)\",\"serviceName\":\"clusters\",\"actionName\":\"create\"}}"
        }
        let badISO = [
            "2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "2026-08-01T25:00:00Z", "2026-08-01T00:00:00+25:00",
            "1969-12-31T23:59:59Z", "2100-01-01T00:00:00Z",
        ]
        let badEpoch = [
            "9223372036854775807", "-9223372036854775808", "1e30", "-1", "18446744073709551615",
            "\"99999999999999999999\"",
        ]
        var good = 0, bad = 0
        func write(_ name: String, _ lines: [String]) throws {
            try Data(lines.joined(separator: "\n").utf8).write(to: logs.appendingPathComponent(name))
        }
        // CloudTrail delivery file, gzip or not does not matter to the rules: plain here.
        let deliveryRecords =
            [ct("1970-01-01T00:00:00Z", "ct-early"), ct("2026-08-01T10:00:00Z", "ct-mid")]
            + badISO.enumerated().map { ct($1, "ct-bad-\($0)") }
        try write("delivery.json", ["{\"Records\":[" + deliveryRecords.joined(separator: ",") + "]}"])
        good += 2; bad += badISO.count
        try write(
            "cloudtrail.jsonl",
            [ct("2099-12-31T23:59:59.999Z", "nd-late")] + badISO.enumerated().map { ct($1, "nd-bad-\($0)") })
        good += 1; bad += badISO.count
        try write(
            "databricks.jsonl",
            [dbx("1785578400000", "db-ok"), dbx("0", "db-zero")] + badEpoch.enumerated().map { dbx($1, "db-bad-\($0)") }
        )
        good += 2; bad += badEpoch.count
        try write(
            "system.jsonl",
            [sys("\"2026-08-01 10:01:00+00:00\"", "st-ok"), sys("4102444799999", "st-last")]
                + (badEpoch + badISO.map { "\"\($0)\"" }).enumerated().map { sys($1, "st-bad-\($0)") })
        good += 2; bad += badEpoch.count + badISO.count
        var csv =
            "event_time,event_id,service_name,action_name,user_identity\n2026-08-01T11:00:00.000Z,cs-ok,clusters,create,\"{\"\"email\"\":\"\"a@b.example\"\"}\"\n"
        for (i, t) in (badISO + ["9223372036854775807"]).enumerated() {
            csv += "\(t),cs-bad-\(i),clusters,create,\"{\"\"email\"\":\"\"a@b.example\"\"}\"\n"
        }
        try Data(csv.utf8).write(to: logs.appendingPathComponent("export.csv"))
        good += 1; bad += badISO.count + 1
        try write(
            "azure.json",
            [
                "{\"records\":["
                    + ([az("2026-08-01T13:00:00.0000000Z", "az-ok")]
                    + badISO.enumerated().map { az($1, "az-bad-\($0)") }).joined(separator: ",") + "]}"
            ])
        good += 1; bad += badISO.count
        return (dir, good, bad)
    }

    static func expectAccounting(
        _ r: CommandResult, read: Int, kept: Int, rejected: Int, analyzed: Bool = false, _ what: String
    ) {
        let line =
            analyzed
            ? "records read \(read) = analyzed \(kept) + filtered 0 + rejected \(rejected)"
            : "records read \(read) = timeline \(kept) + filtered 0 + rejected \(rejected) + duplicates 0"
        #expect(r.stderr.contains(line), "\(what): \(r.stderr.prefix(2000))")
        #expect(!r.stderr.contains("does not add up"), "\(what)")
        #expect(
            !r.stderr.contains("Fatal error") && !r.stderr.contains("overflow"), "\(what): \(r.stderr.prefix(2000))")
    }

    @Test func timelineInEveryFormatRejectsExtremeTimesAndGoesOn() throws {
        let (dir, good, bad) = try Self.hostileLogs()
        defer { try? FileManager.default.removeItem(at: dir) }
        let logs = dir.appendingPathComponent("logs").path
        for format in ["jsonl", "table", "csv", "ocsf", "timesketch"] {
            let stats = dir.appendingPathComponent("stats-\(format).json")
            let r = try runCrossTrail(["timeline", logs, "--format", format, "--stats-json", stats.path], timeout: 120)
            #expect(r.status == 0, "\(format): \(r.stderr.prefix(2000))")
            Self.expectAccounting(r, read: good + bad, kept: good, rejected: bad, format)
            // Every diagnostic (the summary shows the first 20) names its file and line or byte.
            let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: stats)) as? [String: Any])
            let diags = try #require(json["diagnostics"] as? [[String: Any]])
            #expect(diags.count == bad)
            #expect(
                diags.allSatisfy {
                    ($0["file"] as? String)?.hasPrefix(logs + "/") == true && ($0["line"] != nil || $0["offset"] != nil)
                })
            let reasons = diags.map { "\($0["file"] ?? ""):\($0["line"] ?? "-") \($0["reason"] ?? "")" }
            #expect(
                reasons.contains(
                    logs
                        + "/databricks.jsonl:3 timestamp 9223372036854775807 is outside the accepted range (1970-01-01T00:00:00Z to 2100-01-01T00:00:00Z)"
                ), "\(reasons)")
            #expect(
                reasons.contains {
                    $0.contains(
                        "delivery.json:- invalid eventTime '2026-02-30T00:00:00Z': day 30 does not exist in 2026-02")
                }, "\(reasons)")
            #expect(
                reasons.contains {
                    $0.contains("export.csv:") && $0.contains("event_time '1969-12-31T23:59:59Z' is outside")
                }, "\(reasons)")
        }
        let jsonl = try runCrossTrail(["timeline", logs, "--format", "jsonl", "-q"])
        let rows = try #require(parseJSONLines(jsonl.stdout))
        #expect(rows.count == good)
        #expect(rows.first?["time"] as? String == "1970-01-01T00:00:00.000Z")
        #expect(rows.last?["time"] as? String == "2099-12-31T23:59:59.999Z")
        // Timesketch's microseconds at the last accepted instant.
        let sketch = try runCrossTrail(["timeline", logs, "--format", "timesketch", "-q"])
        #expect(sketch.stdout.contains("\"timestamp\":4102444799999000"))
        // --attribute widens the window by an hour each side: still no overflow at the edges.
        let attributed = try runCrossTrail([
            "timeline", logs, "--attribute", "--since", "1970-01-01", "--until", "9999-12-31", "--format", "jsonl",
        ])
        #expect(attributed.status == 0, "\(attributed.stderr.prefix(2000))")
        Self.expectAccounting(attributed, read: good + bad, kept: good, rejected: bad, "--attribute")
        let strict = try runCrossTrail(["timeline", logs, "--format", "jsonl", "--strict", "-q"])
        #expect(strict.status == 3)
    }

    @Test func scanAndReportRejectExtremeTimesAndGoOn() throws {
        let (dir, good, bad) = try Self.hostileLogs()
        defer { try? FileManager.default.removeItem(at: dir) }
        let logs = dir.appendingPathComponent("logs").path
        for format in ["json", "table"] {
            let scan = try runCrossTrail(["scan", logs, "--format", format], timeout: 120)
            #expect(scan.status == 0, "\(scan.stderr.prefix(2000))")
            Self.expectAccounting(scan, read: good + bad, kept: good, rejected: bad, analyzed: true, "scan \(format)")
        }
        let pack = dir.appendingPathComponent("pack").path
        let report = try runCrossTrail(
            ["report", logs, "--out", pack, "--generated-at", "2026-09-01T00:00Z"], timeout: 300)
        #expect(report.status == 0, "\(report.stderr.prefix(2000))")
        Self.expectAccounting(report, read: good + bad, kept: good, rejected: bad, "report")
        #expect(FileManager.default.fileExists(atPath: pack + "/index.html"))
        let verify = try runCrossTrail(["verify", pack])
        #expect(verify.status == 0, "\(verify.stdout)")
        // With a period, only its events; the rest are filtered, and the sum still holds.
        let period = dir.appendingPathComponent("pack-q3").path
        let q3 = try runCrossTrail(
            ["report", logs, "--out", period, "--period", "2026Q3", "--generated-at", "2026-10-01T00:00Z"], timeout: 300
        )
        #expect(q3.status == 0, "\(q3.stderr.prefix(2000))")
        #expect(q3.stderr.contains("records read \(good + bad) = timeline"), "\(q3.stderr.prefix(2000))")
        #expect(!q3.stderr.contains("does not add up"))
    }
}

/// Inputs that could block: a FIFO (or device) among the logs, the inventory or the rules is a
/// diagnostic naming it and its kind; the run goes on. Every run has a timeout, so a regression
/// fails the test instead of hanging the suite.
@Suite struct NonRegularInputCLITests {
    static let record =
        "{\"eventVersion\":\"1.08\",\"eventTime\":\"2026-08-01T10:00:00Z\",\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"CreateUser\",\"eventID\":\"ok-1\",\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::1:user/u\",\"accountId\":\"1\",\"userName\":\"u\"}}\n"

    /// logs/ with a good file and a FIFO; inventory/ and rules/ with a FIFO each.
    static func folders() throws -> (dir: URL, logs: String, fifo: String) {
        let dir = try TestPaths.temporaryDirectory("fifo")
        for sub in ["logs/nested", "inventory", "rules"] {
            try FileManager.default.createDirectory(
                at: dir.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        try Data(record.utf8).write(to: dir.appendingPathComponent("logs/a.jsonl"))
        let fifo = dir.appendingPathComponent("logs/nested/pipe.json").path
        #expect(mkfifo(fifo, 0o644) == 0)
        #expect(mkfifo(dir.appendingPathComponent("inventory/iam.json").path, 0o644) == 0)
        // One real export beside the FIFO (a folder with nothing readable is an error of its own: exit 4).
        try FileManager.default.copyItem(
            atPath: AnalysisCLITests.inventory + "/aws", toPath: dir.appendingPathComponent("inventory/aws").path)
        #expect(mkfifo(dir.appendingPathComponent("rules/rule.yml").path, 0o644) == 0)
        try FileManager.default.createSymbolicLink(
            atPath: dir.appendingPathComponent("logs/zero.json").path, withDestinationPath: "/dev/zero")
        return (dir, dir.appendingPathComponent("logs").path, fifo)
    }

    /// Files named by options (keys, tokens, CA bundles, CloudTrail's public keys) that are FIFOs
    /// are refused at once, never opened to block.
    @Test func optionFilesThatAreFifosAreRefused() throws {
        let (dir, logs, _) = try Self.folders()
        let fifo = dir.appendingPathComponent("option.pem").path
        #expect(mkfifo(fifo, 0o644) == 0)
        let out = dir.appendingPathComponent("out").path
        for (args, message) in [
            (["report", logs, "--out", out, "--sign", fifo], "cannot read --sign"),
            (["report", logs, "--out", out, "--public-keys", fifo], "cannot read --public-keys"),
            (
                [
                    "verify", TestPaths.packageRoot.appendingPathComponent("Reports/evidence-2026-08").path,
                    "--trusted-key", fifo,
                ], "cannot read --trusted-key"
            ),
            (
                [
                    "fetch", "databricks", "--host", "https://x.example", "--inventory", "--out", out, "--token-file",
                    fifo,
                ], "cannot read --token-file"
            ),
            (["fetch", "iam", "--out", out, "--ca-bundle", fifo], "--ca-bundle \(fifo) is not a regular file"),
            (
                ["rules", "update", "suzaku", "--ca-bundle", fifo, "--dir", out],
                "--ca-bundle \(fifo) is not a regular file"
            ),
        ] {
            let r = try runCrossTrail(args, timeout: 30)
            #expect(r.status == 4 && r.stderr.contains(message), "\(args): \(r.status) \(r.stderr)")
        }
    }

    @Test func timelineSkipsFifosInAFolderAndAsArguments() throws {
        let (dir, logs, fifo) = try Self.folders()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try runCrossTrail(["timeline", logs, "--format", "jsonl"], timeout: 60)
        #expect(!r.timedOut, "timeline blocked on a FIFO in the logs folder")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try #require(parseJSONLines(r.stdout)).map { $0["id"] as? String } == ["ok-1"])
        #expect(r.stderr.contains("\(fifo): error: a named pipe (FIFO), not a regular file: not read"), "\(r.stderr)")
        #expect(r.stderr.contains("\(logs)/zero.json: error: a character device, not a regular file"), "\(r.stderr)")
        #expect(r.stderr.contains("records read 1 = timeline 1 + filtered 0 + rejected 0 + duplicates 0"))
        // As a direct argument, next to a good file; --strict makes it exit 3.
        let direct = try runCrossTrail(
            ["timeline", fifo, logs + "/a.jsonl", "--format", "jsonl", "--strict"], timeout: 60)
        #expect(!direct.timedOut, "timeline blocked on a FIFO given as an argument")
        #expect(direct.status == 3)
        #expect(direct.stderr.contains("\(fifo): error: a named pipe (FIFO)"))
        #expect(try #require(parseJSONLines(direct.stdout)).count == 1)
        let alone = try runCrossTrail(["timeline", fifo, "--format", "jsonl"], timeout: 60)
        #expect(!alone.timedOut && alone.status == 0)
        #expect(alone.stderr.contains("records read 0"))
    }

    @Test func scanAndReportSkipFifosInLogsInventoryAndRules() throws {
        let (dir, logs, fifo) = try Self.folders()
        defer { try? FileManager.default.removeItem(at: dir) }
        let inventory = dir.appendingPathComponent("inventory").path, rules = dir.appendingPathComponent("rules").path
        let scan = try runCrossTrail(
            ["scan", logs, "--inventory", inventory, "--rules", rules, "--format", "json"], timeout: 60)
        #expect(!scan.timedOut, "scan blocked on a FIFO")
        #expect(scan.status == 0, "\(scan.stderr)")
        #expect(scan.stderr.contains("\(fifo): error: a named pipe (FIFO)"), "\(scan.stderr)")
        #expect(scan.stderr.contains("\(inventory)/iam.json: error: a named pipe (FIFO)"), "\(scan.stderr)")
        #expect(scan.stderr.contains("rule.yml") && scan.stderr.contains("a named pipe (FIFO)"), "\(scan.stderr)")
        let pack = dir.appendingPathComponent("pack").path
        let report = try runCrossTrail(["report", logs, "--inventory", inventory, "--out", pack], timeout: 120)
        #expect(!report.timedOut, "report blocked on a FIFO")
        #expect(report.status == 0, "\(report.stderr)")
        #expect(report.stderr.contains("\(fifo): error: a named pipe (FIFO)"))
        #expect(FileManager.default.fileExists(atPath: pack + "/manifest.json"))
        // verify-digests walks the same folder.
        let keys = dir.appendingPathComponent("keys.json")
        try Data("{\"PublicKeyList\":[]}".utf8).write(to: keys)
        let digests = try runCrossTrail(["verify-digests", logs, fifo, "--public-keys", keys.path], timeout: 60)
        #expect(!digests.timedOut, "verify-digests blocked on a FIFO")
    }

    @Test func standardInputAndProcessSubstitutionAreStillStreams() throws {
        let dir = try TestPaths.temporaryDirectory("streams")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("a.jsonl")
        try Data(Self.record.utf8).write(to: file)
        let piped = try runCrossTrail(
            ["timeline", "-", "--format", "jsonl"], stdin: Data(Self.record.utf8), timeout: 60)
        #expect(piped.status == 0 && piped.stdout.contains("\"ok-1\""))
        // bash's <(…) hands over /dev/fd/N, an anonymous pipe: read as a stream.
        let bash = try runProcess(
            URL(fileURLWithPath: "/bin/bash"),
            ["-c", "\"$0\" timeline <(cat \"$1\") --format jsonl", TestPaths.executable.path, file.path], timeout: 60)
        #expect(!bash.timedOut)
        #expect(bash.status == 0, "\(bash.stderr)")
        #expect(bash.stdout.contains("\"ok-1\""), "\(bash.stderr)")
        let inventory = try runProcess(
            URL(fileURLWithPath: "/bin/bash"),
            [
                "-c", "\"$0\" scan --inventory <(echo \"$1\") --format json -q", TestPaths.executable.path,
                OutputOverlapCLITests.oneUserExport,
            ], timeout: 60)
        #expect(!inventory.timedOut && inventory.status == 0, "\(inventory.stderr)")
    }
}

/// Records never vanish behind a repeated key, through every command that reads logs.
@Suite struct DuplicateKeyCLITests {
    static func record(_ id: String, name: String = "CreateUser", source: String = "iam") -> String {
        "{\"eventVersion\":\"1.08\",\"eventTime\":\"2026-08-01T10:00:00Z\",\"eventSource\":\"\(source).amazonaws.com\",\"eventName\":\"\(name)\",\"eventID\":\"\(id)\",\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::1:user/u\",\"accountId\":\"1\",\"userName\":\"u\"}}"
    }

    @Test func aSecondRecordsArrayIsReadByTimelineScanAndReport() throws {
        let dir = try TestPaths.temporaryDirectory("dup-records")
        defer { try? FileManager.default.removeItem(at: dir) }
        let logs = dir.appendingPathComponent("logs/AWSLogs/1/CloudTrail/us-east-1/2026/08/01")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let head = "{\"Records\":[" + Self.record("a1") + "],"
        let body =
            head + "\"Records\":[" + Self.record("b1") + ","
            + Self.record("b2", name: "StopLogging", source: "cloudtrail") + "]}"
        // Written gzip as CloudTrail delivers it.
        let gz = try runProcess(
            URL(fileURLWithPath: "/bin/sh"),
            [
                "-c", "printf '%s' \"$1\" | gzip -c > \"$2\"", "sh", body,
                logs.appendingPathComponent("1_CloudTrail_us-east-1_20260801T1000Z_x.json.gz").path,
            ])
        #expect(gz.status == 0)
        // A record with a repeated key next to it.
        try Data(
            ("{\"eventVersion\":\"1.08\",\"eventTime\":\"2026-08-01T11:00:00Z\",\"eventName\":\"CreateUser\",\"eventName\":\"StopLogging\",\"eventID\":\"r1\"}\n")
                .utf8
        )
        .write(to: dir.appendingPathComponent("logs/extra.jsonl"))
        let root = dir.appendingPathComponent("logs").path
        let t = try runCrossTrail(["timeline", root, "--format", "jsonl"], timeout: 60)
        #expect(t.status == 0, "\(t.stderr)")
        let rows = try #require(parseJSONLines(t.stdout))
        #expect(rows.compactMap { $0["id"] as? String }.sorted() == ["a1", "b1", "b2", "r1"])
        #expect(rows.first { $0["id"] as? String == "r1" }?["action"] as? String == "CreateUser")
        #expect(
            t.stderr.contains("records read 4 = timeline 4 + filtered 0 + rejected 0 + duplicates 0"), "\(t.stderr)")
        #expect(
            t.stderr.contains(
                "x.json.gz (byte \(head.utf8.count)): warning: duplicate key \"Records\" in the top-level object: every \"Records\" array is read (3 records in all)"
            ), "\(t.stderr)")
        #expect(
            t.stderr.contains(
                "extra.jsonl:1 (byte 0): warning: duplicate key \"eventName\" in the record: its first value (\"CreateUser\") is used"
            ), "\(t.stderr)")
        #expect(try runCrossTrail(["timeline", root, "--format", "jsonl", "--strict", "-q"]).status == 3)
        let scan = try runCrossTrail(["scan", root, "--format", "json"], timeout: 60)
        #expect(scan.status == 0)
        #expect(
            scan.stderr.contains("records read 4 = analyzed 4 + filtered 0 + rejected 0 + duplicates 0"),
            "\(scan.stderr)")
        // The StopLogging in the second array is seen by the rules.
        #expect(scan.stdout.contains("\"b2\""), "\(scan.stdout.prefix(500))")
        let pack = dir.appendingPathComponent("pack").path
        let report = try runCrossTrail(["report", root, "--out", pack], timeout: 120)
        #expect(report.status == 0, "\(report.stderr)")
        #expect(report.stderr.contains("records read 4 = timeline 4"), "\(report.stderr)")
        let timeline = try String(contentsOfFile: pack + "/timeline.jsonl", encoding: .utf8)
        #expect(try #require(parseJSONLines(timeline)).count == 4)
    }
}

/// No command writes over, into or around its inputs: an overlapping output is a usage error
/// (exit 2) naming both paths, given before anything is read or written.
@Suite struct OutputOverlapCLITests {
    /// case/logs/a.json (+ logs/sub/), case/inventory/iam.json, case/rules/r.yml, case/token.
    /// The smallest IAM export that is not empty (an empty one is an error, exit 4).
    static let oneUserExport =
        #"{"UserDetailList":[{"UserName":"alice","UserId":"AIDAEXAMPLE","Arn":"arn:aws:iam::111122223333:user/alice"}],"#
        + #""RoleDetailList":[],"GroupDetailList":[],"Policies":[]}"#

    static func caseFolder() throws -> URL {
        let dir = try TestPaths.temporaryDirectory("overlap")
        let fm = FileManager.default
        for sub in ["logs/sub", "inventory", "rules"] {
            try fm.createDirectory(at: dir.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        try fm.copyItem(
            atPath: CLITests.fixtures + "/cloudtrail-ndjson.jsonl",
            toPath: dir.appendingPathComponent("logs/a.json").path)
        try Data(Self.oneUserExport.utf8).write(to: dir.appendingPathComponent("inventory/iam.json"))
        try Data(
            "title: t\nid: t\nlogsource: {product: aws}\ndetection:\n  s:\n    eventName: X\n  condition: s\n".utf8
        ).write(to: dir.appendingPathComponent("rules/r.yml"))
        try Data("dapi0123456789abcdef0123456789abcdef\n".utf8).write(to: dir.appendingPathComponent("token"))
        return dir
    }

    /// Every file under `dir` with its content.
    static func snapshot(_ dir: URL) -> [String: Data] {
        var out: [String: Data] = [:]
        for case let rel as String in FileManager.default.enumerator(atPath: dir.path)
            ?? FileManager.DirectoryEnumerator()
        {
            let path = dir.appendingPathComponent(rel).path
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue {
                out[rel] = FileManager.default.contents(atPath: path)
            }
        }
        return out
    }

    @Test func everyOutputOptionRefusesToOverlapAnInput() throws {
        let dir = try Self.caseFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createSymbolicLink(
            atPath: dir.appendingPathComponent("alias.json").path, withDestinationPath: "logs/a.json")
        let cases: [(args: [String], option: String, output: String, input: String)] = [
            (["timeline", "logs/a.json", "-o", "logs/a.json"], "--output", "logs/a.json", "logs/a.json"),
            (["timeline", "logs/a.json", "--output", "alias.json"], "--output", "alias.json", "logs/a.json"),
            (["timeline", "logs/a.json", "-o", "logs/sub/../a.json"], "--output", "logs/sub/../a.json", "logs/a.json"),
            (["timeline", "logs", "-o", "logs/x.json"], "--output", "logs/x.json", "logs"),
            (["timeline", "logs", "-o", "logs/new/deeper/x.json"], "--output", "logs/new/deeper/x.json", "logs"),
            (["timeline", "logs", "--stats-json", "logs/stats.json"], "--stats-json", "logs/stats.json", "logs"),
            (
                ["timeline", "logs", "--attribute", "--inventory", "inventory", "-o", "inventory/x.jsonl"], "--output",
                "inventory/x.jsonl", "inventory"
            ),
            (["timeline", "--store", "logs/a.json", "-o", "logs/a.json"], "--output", "logs/a.json", "logs/a.json"),
            (["scan", "logs", "-o", "logs/x.json"], "--output", "logs/x.json", "logs"),
            (
                ["scan", "--inventory", "inventory", "-o", "inventory/iam.json"], "--output", "inventory/iam.json",
                "inventory"
            ),
            (["scan", "logs", "--rules", "rules", "-o", "rules/r.yml"], "--output", "rules/r.yml", "rules"),
            (["scan", "logs", "--store", "logs/case.db"], "--store", "logs/case.db", "logs"),
            (["scan", "logs", "--store", "case.db", "-o", "case.db"], "--output", "case.db", "case.db"),
            (["report", "logs", "--out", "logs", "--force"], "--out", "logs", "logs"),
            (["report", "logs/a.json", "--out", "logs", "--force"], "--out", "logs", "logs/a.json"),
            (["report", "logs", "--out", ".", "--force"], "--out", ".", "logs"),
            (["report", "logs", "--out", "logs/sub/pack"], "--out", "logs/sub/pack", "logs"),
            (["report", "logs", "--inventory", "inventory", "--out", "inventory"], "--out", "inventory", "inventory"),
            (
                ["report", "logs", "--rules", "rules", "--out", "pack", "--sign", "pack/key.pem"], "--out", "pack",
                "pack/key.pem"
            ),
            (["report", "logs", "alias.zip", "--out", "alias", "--zip"], "--zip", "alias.zip", "alias.zip"),
            (
                ["fetch", "databricks", "--audit", "--since", "2026-08-01", "--token-file", "token", "--out", "token"],
                "--out", "token", "token"
            ),
            (["store", "merge", "--into", "case.db", "case.db"], "--into", "case.db", "case.db"),
        ]
        try Data("PK".utf8).write(to: dir.appendingPathComponent("alias.zip"))
        let before = Self.snapshot(dir)
        for c in cases {
            let r = try runCrossTrail(c.args, cwd: dir, timeout: 60)
            let line = c.args.joined(separator: " ")
            #expect(r.status == 2, "\(line): \(r.status) \(r.stderr)")
            #expect(
                r.stderr.contains("\(c.option) '\(c.output)'") && r.stderr.contains("input '\(c.input)'"),
                "\(line): \(r.stderr)")
            #expect(r.stdout.isEmpty, "\(line)")
            #expect(Self.snapshot(dir) == before, "\(line): the case folder changed")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("case.db").path))
    }

    @Test func aHardLinkToAnInputIsThatInput() throws {
        let dir = try Self.caseFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(link(dir.appendingPathComponent("logs/a.json").path, dir.appendingPathComponent("out.jsonl").path) == 0)
        let before = Self.snapshot(dir)
        let r = try runCrossTrail(["timeline", "logs", "-o", "out.jsonl"], cwd: dir)
        #expect(r.status == 2)
        #expect(
            r.stderr.contains("--output 'out.jsonl' is the input '") && r.stderr.contains("is a hard link to"),
            "\(r.stderr)")
        #expect(Self.snapshot(dir) == before)
    }

    @Test func outputsBesideTheInputsStillWork() throws {
        let dir = try Self.caseFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(
            at: dir.appendingPathComponent("logs2"), withIntermediateDirectories: true)
        // A sibling whose name starts like the input's is not inside it.
        let t = try runCrossTrail(
            ["timeline", "logs", "-o", "logs2/x.jsonl", "--stats-json", "logs.stats.json", "-q"], cwd: dir)
        #expect(t.status == 0, "\(t.stderr)")
        #expect(
            try #require(
                parseJSONLines(String(contentsOf: dir.appendingPathComponent("logs2/x.jsonl"), encoding: .utf8))
            ).count == 3)
        let s = try runCrossTrail(
            [
                "scan", "logs", "--inventory", "inventory", "--store", "case.db", "-o", "findings.json", "--format",
                "json", "-q",
            ], cwd: dir)
        #expect(s.status == 0, "\(s.stderr)")
        let r = try runCrossTrail(
            ["report", "logs", "--inventory", "inventory", "--out", "pack", "--zip", "-q"], cwd: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("pack.zip").path))
        // Replacing a previous pack with --force is still allowed.
        #expect(try runCrossTrail(["report", "logs", "--out", "pack", "--force", "-q"], cwd: dir).status == 0)
        let piped = try runCrossTrail(
            ["timeline", "-", "-o", "stdin.jsonl", "-q"], cwd: dir,
            stdin: try Data(contentsOf: dir.appendingPathComponent("logs/a.json")))
        #expect(piped.status == 0)
    }
}

/// Option values at the edges: numbers that would overflow or allocate without end are usage
/// errors; short and relative output names work; outputs that must not be replaced are not.
@Suite struct OptionEdgeCLITests {
    static let logs = TestPaths.packageRoot.appendingPathComponent("Samples/logs").path

    @Test func hugeNumbersAreUsageErrors() throws {
        for (args, message) in [
            (["timeline", Self.logs, "--workers", "9223372036854775807"], "--workers must be between 1 and 1024"),
            (["timeline", Self.logs, "--max-depth", "9223372036854775807"], "--max-depth must be between"),
            (["timeline", Self.logs, "--max-file-mib", "9223372036854775807"], "--max-file-mib must be between"),
            (["timeline", Self.logs, "--max-record-mib", "99999999"], "--max-record-mib must be between"),
            (["timeline", Self.logs, "--memory", "99999999999"], "--memory must be between"),
            (["scan", Self.logs, "--workers", "0"], "--workers must be between 1 and 1024"),
            (["scan", Self.logs, "--store", "/tmp/x.db", "--lock-timeout", "1e300"], "--lock-timeout must be between"),
            (["report", Self.logs, "--out", "/tmp/never", "--workers", "100000"], "--workers must be between"),
            (["samples", "--events", "99999999999"], "--events must be 0 to"),
            (["fetch", "iam", "--out", "/tmp/never", "--retries", "99999999999"], "--retries must be between"),
        ] {
            let r = try runCrossTrail(args)
            #expect(r.status == 2 && r.stderr.contains(message), "\(args): \(r.stderr)")
        }
    }

    @Test func shortOutputNamesWorkAndTheCurrentFolderIsRefused() throws {
        let dir = try TestPaths.temporaryDirectory("short-out")
        let r = try runCrossTrail(["report", Self.logs, "--out", "x", "-q"], cwd: dir)
        #expect(r.status == 0, "a one-letter --out: \(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("x/manifest.json").path))
        let t = try runCrossTrail(["timeline", Self.logs, "-o", "y", "-q"], cwd: dir)
        #expect(t.status == 0 && FileManager.default.fileExists(atPath: dir.appendingPathComponent("y").path))
        for out in [".", "..", "", "./"] {
            let refused = try runCrossTrail(["report", Self.logs, "--out", out, "--force", "-q"], cwd: dir)
            // A folder above may also hold the logs (a checkout under /tmp): then the overlap check names them first.
            #expect(
                refused.status == 2
                    && (refused.stderr.contains("current folder or one above it")
                        || refused.stderr.contains("contains the input")),
                "\(out): \(refused.stderr)")
        }
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("x/manifest.json").path))
    }

    @Test func keysAndZipsAreNeverReplacedSilently() throws {
        let dir = try TestPaths.temporaryDirectory("no-replace")
        let pub = dir.appendingPathComponent("k.pub")
        try Data("a key auditors trust\n".utf8).write(to: pub)
        let k = try runCrossTrail(["keygen", "--out", dir.appendingPathComponent("k.pem").path])
        #expect(k.status == 2 && k.stderr.contains("k.pub: it exists"), "\(k.stderr)")
        #expect(try String(contentsOf: pub, encoding: .utf8) == "a key auditors trust\n")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("k.pem").path))

        let zip = dir.appendingPathComponent("pack.zip")
        try Data("precious".utf8).write(to: zip)
        let out = dir.appendingPathComponent("pack").path
        let r = try runCrossTrail(["report", Self.logs, "--out", out, "--zip", "-q"])
        #expect(r.status == 2 && r.stderr.contains("pack.zip already exists"), "\(r.stderr)")
        #expect(try Data(contentsOf: zip) == Data("precious".utf8))
        #expect(!FileManager.default.fileExists(atPath: out), "refused before anything is written")
        let forced = try runCrossTrail(["report", Self.logs, "--out", out, "--zip", "--force", "-q"])
        let written = try Data(contentsOf: zip)
        #expect(forced.status == 0 && written.starts(with: [0x50, 0x4B]), "\(forced.stderr)")
    }
}

/// Case stores that were tampered with, damaged, written by a newer crosstrail or only
/// readable: refused or read, never a crash, a silent loss or a write through a planted link.
@Suite struct HostileStoreCLITests {
    static let logs = TestPaths.packageRoot.appendingPathComponent("Samples/logs").path

    /// A fresh shard store of the Samples at `name` in `dir`.
    static func shard(_ dir: URL, _ name: String) throws -> String {
        let path = dir.appendingPathComponent(name).path
        let r = try runCrossTrail(["scan", logs, "--store", path, "-q", "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        return path
    }

    static func sql(_ db: String, _ statement: String) throws {
        let (rc, out) = try runPython(
            "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()",
            [db, statement])
        #expect(rc == 0, "\(out)")
    }

    @Test func damagedShardsAreRefusedWholeAndRemergingAddsNothing() throws {
        let dir = try TestPaths.temporaryDirectory("hostile-shards")
        let good = try Self.shard(dir, "good.db")
        let into = dir.appendingPathComponent("into.db").path
        #expect(try runCrossTrail(["store", "merge", "--into", into, good]).status == 0)
        // The same shard again: no new event, no new block.
        let again = try runCrossTrail(["store", "merge", "--into", into, good])
        #expect(again.status == 0 && again.stderr.contains("0 new events"), "\(again.stderr)")
        let info1 = try runCrossTrail(["store", "info", into]).stdout
        let (rc, blocks) = try runPython(
            "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from blocks').fetchone()[0])",
            [into])
        let (_, shardBlocks) = try runPython(
            "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from blocks').fetchone()[0])",
            [good])
        #expect(rc == 0 && blocks == shardBlocks, "blocks \(blocks) after re-merging, shard has \(shardBlocks)")

        for (name, damage, why) in [
            (
                "past.db", "update events set line_in_block = line_in_block + 100000 where seq % 7 = 0",
                "point outside their blocks"
            ),
            ("negative.db", "update events set line_in_block = -5 where seq % 7 = 0", "point outside their blocks"),
            ("noblock.db", "update events set block = 999999 where seq % 7 = 0", "(no such block)"),
            ("rotten.db", "update blocks set data = x'1f8b0800deadbeef' where id = 1", "block 1 does not decompress"),
            ("newer.db", "insert into grdb_migrations values ('v9-future-thing')", "written by a newer crosstrail"),
        ] {
            let bad = try Self.shard(dir, name)
            try Self.sql(bad, damage)
            let r = try runCrossTrail(["store", "merge", "--into", into, bad])
            #expect(r.status == 6 && r.stderr.contains("not merged") && r.stderr.contains(why), "\(name): \(r.stderr)")
            #expect(try runCrossTrail(["store", "info", into]).stdout == info1, "\(name): nothing of it was merged")
        }
        let q = try runCrossTrail(["timeline", "--store", into])
        #expect(q.status == 0 && q.stdout.split(separator: "\n").count == 4038, "the merged store still reads whole")
    }

    @Test func aDamagedOrNewerStoreIsAnErrorNotACrash() throws {
        let dir = try TestPaths.temporaryDirectory("hostile-store")
        let store = try Self.shard(dir, "s.db")
        try Self.sql(store, "update events set line_in_block = -5 where seq = 10")
        let q = try runCrossTrail(["timeline", "--store", store])
        #expect(q.status == 6 && q.stderr.contains("points outside block"), "\(q.status) \(q.stderr)")
        let newer = try Self.shard(dir, "newer.db")
        try Self.sql(newer, "insert into grdb_migrations values ('v9-future-thing')")
        for args in [
            ["store", "info", newer], ["scan", Self.logs, "--store", newer, "-q"], ["findings", "--store", newer],
        ] {
            let r = try runCrossTrail(args)
            #expect(r.status == 6 && r.stderr.contains("written by a newer crosstrail"), "\(args): \(r.stderr)")
        }
    }

    @Test func theLockFileIsNeverFollowedThroughALink() throws {
        let dir = try TestPaths.temporaryDirectory("lock-link")
        let victim = dir.appendingPathComponent("victim.txt")
        try Data("keep me\n".utf8).write(to: victim)
        let store = dir.appendingPathComponent("x.db").path
        try FileManager.default.createSymbolicLink(atPath: store + ".lock", withDestinationPath: victim.path)
        let r = try runCrossTrail(["scan", Self.logs, "--store", store, "-q"])
        #expect(r.status == 6 && r.stderr.contains("symbolic link"), "\(r.stderr)")
        #expect(try String(contentsOf: victim, encoding: .utf8) == "keep me\n")
        try FileManager.default.removeItem(atPath: store + ".lock")
        try FileManager.default.createSymbolicLink(
            atPath: store + ".lock", withDestinationPath: dir.appendingPathComponent("new").path)
        #expect(try runCrossTrail(["scan", Self.logs, "--store", store, "-q"]).status == 6)
        #expect(
            !FileManager.default.fileExists(atPath: dir.appendingPathComponent("new").path),
            "a dangling link creates nothing")
    }

    /// A store in a folder its reader may not write (an evidence copy): read as immutable.
    @Test func aReadOnlyStoreIsStillReadable() throws {
        let dir = try TestPaths.temporaryDirectory("ro-store")
        let store = try Self.shard(dir, "r.db")
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: store + suffix) }
        chmod(store, 0o444)
        chmod(dir.path, 0o555)
        defer { chmod(dir.path, 0o755) }
        // Root ignores permissions: read as the unprivileged `nobody` then.
        func run(_ args: [String]) throws -> CommandResult {
            guard getuid() == 0 else { return try runCrossTrail(args) }
            let line = ([TestPaths.executable.path] + args).map { "'\($0)'" }.joined(separator: " ")
            return try runProcess(
                URL(fileURLWithPath: "/usr/sbin/runuser"), ["-u", "nobody", "--", "/bin/sh", "-c", line])
        }
        let info = try run(["store", "info", store])
        #expect(info.status == 0 && info.stdout.contains("4038 events"), "\(info.stderr)")
        let t = try run(["timeline", "--store", store])
        #expect(t.status == 0 && t.stdout.split(separator: "\n").count == 4038, "\(t.stderr)")
    }
}

/// Values built to read as something else — bidi overrides, zero-width characters, a huge value,
/// a file name that is not UTF-8 — are shown for what they are in the terminal and the HTML.
@Suite struct DisplaySpoofingCLITests {
    static let spoofing: [Character] = ["\u{202E}", "\u{2066}", "\u{2069}", "\u{200B}", "\u{200D}", "\u{FEFF}"]

    @Test func bidiAndZeroWidthCharactersAreShownNotApplied() throws {
        let dir = try TestPaths.temporaryDirectory("spoof")
        let logs = dir.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        func record(_ id: String, user: String, name: String = "StopLogging", key: String = "k") -> String {
            let escapedUser = user.unicodeScalars.map {
                $0.value > 127 ? String(format: "\\u%04x", $0.value) : String($0)
            }
            .joined()
            return
                #"{"eventVersion":"1.08","eventTime":"2026-08-01T10:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"\#(name)","eventID":"\#(id)","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/\#(escapedUser)","accountId":"111122223333","userName":"\#(escapedUser)"},"requestParameters":{"name":"trail","key":"\#(key)"},"recipientAccountId":"111122223333"}"#
        }
        let lines = [
            record("e1", user: "admin\u{202E}gnp.exe"), record("e2", user: "al\u{200B}i\u{200D}ce\u{FEFF}"),
            record("e3", user: "\u{2066}root\u{2069}"),
            record("e4", user: "bob", name: "GetObject", key: String(repeating: "x", count: 100_000)),
        ]
        try Data(lines.joined(separator: "\n").utf8).write(to: logs.appendingPathComponent("spoof.jsonl"))
        let table = try runCrossTrail(["timeline", logs.path, "--format", "table"])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(!table.stdout.contains(where: Self.spoofing.contains), "no raw spoofing character in the table")
        #expect(table.stdout.contains("admin<U+202E>gnp.exe"), "\(table.stdout.prefix(600))")
        #expect(table.stdout.split(separator: "\n").allSatisfy { $0.count < 400 }, "a 100 KB value is cut")
        let scan = try runCrossTrail(["scan", logs.path, "--format", "table"])
        #expect(
            !scan.stdout.contains(where: Self.spoofing.contains) && scan.stdout.contains("<U+202E>"), "\(scan.stdout)")
        let pack = dir.appendingPathComponent("pack")
        let report = try runCrossTrail(["report", logs.path, "--out", pack.path, "-q"])
        #expect(report.status == 0, "\(report.stderr)")
        let html = try String(contentsOf: pack.appendingPathComponent("index.html"), encoding: .utf8)
        #expect(!html.contains(where: Self.spoofing.contains), "no raw spoofing character in the page")
        #expect(html.contains("&lt;U+202E&gt;") || html.contains("\\u003cU+202E\\u003e"))
        #expect(try runCrossTrail(["verify", pack.path]).status == 0)
    }

    @Test func aFileNameThatIsNotUTF8IsNamedNotLost() throws {
        let dir = try TestPaths.temporaryDirectory("non-utf8")
        let record =
            #"{"eventVersion":"1.08","eventTime":"2026-08-01T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventID":"n1","awsRegion":"us-east-1","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/a","accountId":"1"}}"#
        let name: [UInt8] = Array((dir.path + "/b").utf8) + [0xFF, 0xFE] + Array(".json".utf8) + [0]
        let fd = name.withUnsafeBufferPointer {
            open(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), O_WRONLY | O_CREAT, 0o644)
        }
        #expect(fd >= 0)
        _ = Array(record.utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        let r = try runCrossTrail(["timeline", dir.path, "--format", "jsonl"])
        #expect(r.stderr.contains("b\\xFF\\xFE.json") && r.stderr.contains("not valid UTF-8"), "\(r.stderr)")
        #expect(try runCrossTrail(["timeline", dir.path, "--strict", "-q"]).status == 3, "a diagnostic, counted")
    }
}

/// Leftovers of a run that was killed outright (SIGKILL, OOM, a full disk) are removed by the
/// next run writing there; those of a run still alive are not.
@Suite struct StaleLeftoverCLITests {
    @Test func theNextRunRemovesDeadRunsLeftovers() throws {
        let dir = try TestPaths.temporaryDirectory("stale")
        var dead: Int32 = 4_000_000
        while kill(dead, 0) == 0 || errno != ESRCH { dead -= 1 }
        let alive = getpid()
        let fm = FileManager.default
        for name in [".pack.partial-\(dead)", ".pack.partial-\(dead).abandoned"] {
            try fm.createDirectory(at: dir.appendingPathComponent(name + "/sub"), withIntermediateDirectories: true)
        }
        try Data("x".utf8).write(to: dir.appendingPathComponent(".out.jsonl.tmp-\(dead)-3"))
        try fm.createDirectory(
            at: dir.appendingPathComponent(".pack.partial-\(alive)"), withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: dir.appendingPathComponent(".notes.tmp-backup"))
        let logs = TestPaths.packageRoot.appendingPathComponent("Samples/logs").path
        #expect(
            try runCrossTrail(["report", logs, "--out", dir.appendingPathComponent("pack").path, "-q"]).status == 0)
        let left = Set(try fm.contentsOfDirectory(atPath: dir.path))
        #expect(left == ["pack", ".pack.partial-\(alive)", ".notes.tmp-backup"], "\(left.sorted())")
    }
}
