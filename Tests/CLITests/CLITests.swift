import Foundation
import TestSupport
import Testing

@Suite struct CLITests {
    static let fixtures = TestPaths.packageRoot.appendingPathComponent("Tests/CrossTrailIngestTests/Fixtures").path

    @Test func samplesAreDeterministicAndTheDemoRuns() throws {
        let a = try TestPaths.temporaryDirectory("samples-a"), b = try TestPaths.temporaryDirectory("samples-b")
        #expect(try runCrossTrail(["samples", "--out", a.path, "--events", "300"]).status == 0)
        #expect(try runCrossTrail(["samples", "--out", b.path, "--events", "300"]).status == 0)
        let files = FileManager.default.enumerator(atPath: a.path)!.compactMap { $0 as? String }.sorted()
        #expect(files.count > 10)
        for f in files {
            var isDir: ObjCBool = false
            FileManager.default.fileExists(atPath: a.appendingPathComponent(f).path, isDirectory: &isDir)
            if isDir.boolValue { continue }
            #expect(
                FileManager.default.contentsEqual(
                    atPath: a.appendingPathComponent(f).path, andPath: b.appendingPathComponent(f).path), "\(f)")
        }
        let r = try runCrossTrail(["timeline", a.appendingPathComponent("logs").path, "--format", "jsonl"])
        #expect(r.status == 0)
        #expect(r.stderr.contains("records read"))
        #expect(try #require(parseJSONLines(r.stdout)).count > 300)
        let table = try runCrossTrail([
            "timeline", a.appendingPathComponent("logs").path, "--format", "table", "--actor", "alice@acme.example",
            "--since", "2026-08-01T09:30Z", "--until", "2026-08-01T09:50Z",
        ])
        #expect(table.stdout.hasPrefix("TIME"))
        #expect(table.stdout.contains("workspaceConfEdit"))
    }

    /// Ctrl-C during a timeline that spills removes the spill files and the incomplete output.
    @Test func interruptedTimelineLeavesNoTemporaryFiles() throws {
        let dir = try TestPaths.temporaryDirectory("timeline-interrupt")
        let temp = dir.appendingPathComponent("tmp"), out = dir.appendingPathComponent("timeline.jsonl")
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
        let logs = TestPaths.packageRoot.appendingPathComponent("Samples/logs").path
        let p = Process()
        p.executableURL = TestPaths.executable
        // The Samples twenty times over (duplicates are dropped), with the smallest budget (8 MiB): it spills.
        p.arguments =
            ["timeline"] + Array(repeating: logs, count: 20) + [
                "--memory", "8", "--temp-dir", temp.path, "-o", out.path, "-q",
            ]
        let err = Pipe()
        p.standardError = err
        try p.run()
        var waited = 0
        while waited < 500, (try FileManager.default.contentsOfDirectory(atPath: temp.path)).isEmpty {
            usleep(5_000); waited += 1
        }
        usleep(50_000)
        p.interrupt()
        p.waitUntilExit()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.path).isEmpty, "no spill folder left")
        if p.terminationStatus == 130 {
            #expect(!FileManager.default.fileExists(atPath: out.path), "the incomplete output is removed")
            #expect(message.contains("interrupted; temporary files and the incomplete output removed"))
        } else {
            #expect(p.terminationStatus == 0, "finished before the signal: then the output is complete")
            #expect(try #require(parseJSONLines(String(contentsOf: out, encoding: .utf8))).count > 4000)
        }
    }

    @Test func strictExitsThreeAndStatsAccountForEveryRecord() throws {
        let dir = try TestPaths.temporaryDirectory("cli")
        let stats = dir.appendingPathComponent("stats.json").path
        let input = CLITests.fixtures + "/databricks-delivery.jsonl"
        let lenient = try runCrossTrail(["timeline", input, "--format", "jsonl", "--stats-json", stats])
        #expect(lenient.status == 0)
        #expect(lenient.stderr.contains("databricks-delivery.jsonl:4"))
        let strict = try runCrossTrail(["timeline", input, "--format", "jsonl", "--strict", "-q"])
        #expect(strict.status == 3)
        #expect(strict.stderr.isEmpty)
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: stats))) as? [String: Any])
        let read = json["recordsRead"] as! Int, accepted = json["accepted"] as! Int
        let rejected = json["rejected"] as! Int, filtered = json["filtered"] as! Int, dup = json["duplicates"] as! Int
        #expect(read == 6 && accepted == 3 && rejected == 3)
        #expect(read == accepted + rejected + filtered + dup)
        // Every input is listed with the SHA-256 of its bytes as stored.
        let inputs = try #require(json["inputs"] as? [[String: Any]])
        #expect(inputs.count == 1)
        let digest = try runProcess(URL(fileURLWithPath: "/usr/bin/sha256sum"), [input]).stdout.prefix(64)
        #expect(inputs[0]["sha256"] as? String == String(digest))
        #expect(inputs[0]["bytes"] as? Int == (try FileManager.default.attributesOfItem(atPath: input)[.size] as? Int))
        let diags = try #require(json["diagnostics"] as? [[String: Any]])
        #expect(diags.count == 3)
        #expect(
            diags.allSatisfy {
                ($0["file"] as? String)?.hasSuffix("databricks-delivery.jsonl") == true && $0["line"] is Int
                    && $0["reason"] is String
            })
    }

    @Test func standardInput() throws {
        let r = try runCrossTrail(
            ["timeline", "-", "--format", "jsonl"],
            stdin: try Data(contentsOf: URL(fileURLWithPath: CLITests.fixtures + "/lookup-events.json")))
        #expect(r.status == 0)
        let err = r.stderr
        let rows = try #require(parseJSONLines(r.stdout))
        #expect(rows.map { $0["action"] as? String } == ["StopLogging"])
        #expect((rows.first?["source"] as? [String: Any])?["file"] as? String == "(stdin)")
        #expect(err.contains("(stdin)"))
        // A gzip pipe that decompresses past --max-file-mib cannot be re-read to stream it: one clear error.
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/sh")
        gzip.arguments = ["-c", "yes '{\"eventName\":\"x\"}' | head -c 3000000 | gzip -c"]
        let gz = Pipe()
        gzip.standardOutput = gz
        try gzip.run()
        let compressed = gz.fileHandleForReading.readDataToEndOfFile()
        gzip.waitUntilExit()
        let big = try runCrossTrail(["timeline", "-", "--max-file-mib", "1", "--format", "jsonl"], stdin: compressed)
        #expect(big.status == 0)
        #expect(big.stdout.isEmpty)
        #expect(big.stderr.contains("(stdin): error: input stream decompresses to more than --max-file-mib (1 MiB)"))
    }

    @Test func usageErrorsExitTwo() throws {
        let r = try runCrossTrail(["timeline", ".", "--since", "yesterday"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("--since"))
        #expect(try runCrossTrail(["timeline", ".", "--format", "xml"]).status == 2)
        let badField = try runCrossTrail(["timeline", ".", "--fields", "id,nope"])
        #expect(badField.status == 2)
        #expect(badField.stderr.contains("unknown field 'nope'"))
        #expect(try runCrossTrail(["timeline", ".", "--fields", "id", "--format", "csv"]).status == 2)
    }

    @Test func outputFileAndHelp() throws {
        let dir = try TestPaths.temporaryDirectory("cli-out")
        let out = dir.appendingPathComponent("t.csv").path
        let r = try runCrossTrail([
            "timeline", CLITests.fixtures + "/cloudtrail-ndjson.jsonl.gz", "--format", "csv", "-o", out, "-q",
        ])
        #expect(r.status == 0)
        #expect(r.stdout.isEmpty)
        let text = try String(contentsOfFile: out, encoding: .utf8)
        #expect(text.split(separator: "\n").count == 4)
        let help = try runCrossTrail(["timeline", "--help"])
        #expect(help.stdout.contains("--stats-json"))
        #expect(help.stdout.contains("Examples"))
    }
}
