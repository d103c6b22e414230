import Foundation
import TestSupport
import Testing

/// Every machine output checked by the format's own validator (Tests/Fixtures/*/validate.py:
/// ocsf-json-schema for OCSF 1.6.0, the OASIS SARIF 2.1.0 schema, the Jenkins JUnit XSD and
/// junitparser, botocore's Security Hub model), on Samples, on hand-written records of every
/// OCSF class with their near misses, and on hostile input.
@Suite struct OutputFormatsCLITests {
    static let fixtures = TestPaths.packageRoot.appendingPathComponent("Tests/Fixtures")
    static var logs: String { ReportCLITests.logs }
    static var inventory: String { ReportCLITests.inventory }

    static func validate(_ format: String, _ arguments: [String]) throws -> CommandResult {
        let script = fixtures.appendingPathComponent(format).appendingPathComponent("validate.py").path
        return try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", script] + arguments)
    }

    static func lines(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    @Test func ocsfTimelineOfSamplesValidatesStrictly() throws {
        let dir = try TestPaths.temporaryDirectory("ocsf-samples")
        let out = dir.appendingPathComponent("timeline.ocsf.jsonl").path
        let r = try runCrossTrail(["timeline", Self.logs, "--format", "ocsf", "-o", out])
        #expect(r.status == 0, "\(r.stderr)")
        let v = try Self.validate("ocsf-1.6.0", ["--expect-classes", "3002,6003,6005", out])
        #expect(v.status == 0, "\(v.stdout)\(v.stderr)")
        #expect(v.stdout.contains("4038 lines valid of 4038"), "\(v.stdout)")
        #expect(!v.stdout.contains("deprecated"), "\(v.stdout)")
        // Not a rubber stamp: a cloud attribute without the cloud profile declared, and a key
        // outside `unmapped`, each fail.
        var rows = try Self.lines(out)
        var meta = try #require(rows[0]["metadata"] as? [String: Any])
        meta["profiles"] = ["datetime"]
        rows[0]["metadata"] = meta
        rows[1]["idShared"] = "pair"
        let bad = dir.appendingPathComponent("bad.jsonl").path
        try rows.prefix(2).map { String(decoding: try JSONSerialization.data(withJSONObject: $0), as: UTF8.self) }
            .joined(separator: "\n").write(toFile: bad, atomically: true, encoding: .utf8)
        let rejected = try Self.validate("ocsf-1.6.0", [bad])
        #expect(rejected.status == 1, "\(rejected.stdout)")
        #expect(rejected.stdout.contains("0 lines valid of 2"), "\(rejected.stdout)")
    }

    /// One record per OCSF class crosstrail maps, each beside a near miss that lacks what the
    /// class requires (and so stays API Activity): messy but real shapes, failed calls included.
    @Test func ocsfClassesAndTheirNearMisses() throws {
        let dir = try TestPaths.temporaryDirectory("ocsf-classes")
        func ct(_ id: String, _ source: String, _ name: String, _ params: String, error: String? = nil) -> String {
            """
            {"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE1","arn":"arn:aws:iam::012345678901:user/alice","accountId":"012345678901","accessKeyId":"AKIAEXAMPLEKEY000001","userName":"alice"},"eventTime":"2026-08-01T10:00:00Z","eventSource":"\(source).amazonaws.com","eventName":"\(name)","awsRegion":"us-east-1","sourceIPAddress":"\(id.hasSuffix("svc") ? "cloudformation.amazonaws.com" : "198.51.100.1")","userAgent":"aws-cli/2.15","requestParameters":\(params),\(error.map { "\"errorCode\":\"\($0)\",\"errorMessage\":\"denied\"," } ?? "")"eventID":"\(id)","eventType":"AwsApiCall","recipientAccountId":"012345678901"}
            """
        }
        func dbx(_ id: String, _ service: String, _ action: String, _ params: String, status: Int = 200) -> String {
            """
            {"version":"2.0","auditLevel":"ACCOUNT_LEVEL","timestamp":1785578400000,"sourceIPAddress":"10.1.1.1","userAgent":"Mozilla/5.0","userIdentity":{"email":"admin@acme.example"},"serviceName":"\(service)","actionName":"\(action)","requestId":"\(id)","requestParams":\(params),"response":{"statusCode":\(status)}}
            """
        }
        let records = [
            ct("create-user", "iam", "CreateUser", #"{"userName":"bob"}"#),
            ct("create-user-no-params", "iam", "CreateUser", "null"),
            ct(
                "attach-user-policy", "iam", "AttachUserPolicy",
                #"{"userName":"bob","policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}"#),
            ct("change-password", "iam", "ChangePassword", "null"),
            ct("add-to-group", "iam", "AddUserToGroup", #"{"groupName":"admins","userName":"bob"}"#),
            ct("add-to-group-no-group", "iam", "AddUserToGroup", #"{"userName":"bob"}"#),
            ct("get-object", "s3", "GetObject", #"{"bucketName":"acme-pii","key":"customers/1.csv"}"#),
            ct(
                "delete-object-denied", "s3", "DeleteObject", #"{"bucketName":"acme-pii","key":"a b.csv"}"#,
                error: "AccessDenied"),
            ct("get-object-no-bucket", "s3", "GetObject", "{}"),
            ct("get-bucket-acl", "s3", "GetBucketAcl", #"{"bucketName":"acme-pii"}"#),
            ct("describe-svc", "ec2", "DescribeInstances", "null"),
        ].joined(separator: "\n")
        let dbxRecords = [
            dbx("dbx-add", "accounts", "add", #"{"targetUserName":"eve@acme.example","endpoint":"scim"}"#),
            dbx(
                "dbx-add-to-group", "accounts", "addPrincipalToGroup",
                #"{"targetGroupName":"admins","targetUserName":"eve@acme.example"}"#),
            dbx("dbx-set-admin", "accounts", "setAdmin", #"{"targetUserName":"eve@acme.example"}"#),
            dbx("dbx-set-admin-no-user", "accounts", "setAdmin", "{}"),
            dbx(
                "dbx-grant", "unityCatalog", "updatePermissions",
                #"{"securable_type":"table","securable_full_name":"main.sales.customers","changes":"[{\"principal\":\"account users\",\"add\":[\"SELECT\"]}]"}"#
            ),
            dbx(
                "dbx-grant-mixed", "unityCatalog", "updatePermissions",
                #"{"securable_full_name":"main.sales","changes":[{"principal":"a","add":["SELECT"]},{"principal":"b","remove":["MODIFY"]}]}"#
            ),
            dbx("dbx-saml", "accounts", "samlLogin", #"{"user":"eve@acme.example"}"#),
            dbx("dbx-logout", "accounts", "logout", "{}"),
            dbx(
                "dbx-table-read", "unityCatalog", "generateTemporaryTableCredential",
                #"{"table_id":"7d1c","operation":"READ"}"#, status: 403),
            dbx("dbx-empty-target", "accounts", "add", #"{"targetUserName":""}"#),
            // Values OCSF's types refuse: a non-ASCII "email", an IPv4-mapped address with a
            // leading zero (both stay names).
            #"{"version":"2.0","timestamp":1785578400000,"sourceIPAddress":"::ffff:010.1.2.3","userIdentity":{"email":"jürgen@acme.example"},"serviceName":"accounts","actionName":"setAdmin","requestId":"dbx-odd","requestParams":{"targetUserName":"bob@corp"},"response":{"statusCode":200}}"#,
        ].joined(separator: "\n")
        let logs = dir.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        try records.write(to: logs.appendingPathComponent("cloudtrail.jsonl"), atomically: true, encoding: .utf8)
        try dbxRecords.write(to: logs.appendingPathComponent("databricks.jsonl"), atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out.jsonl").path
        let r = try runCrossTrail(["timeline", logs.path, "--format", "ocsf", "-o", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("rejected 0"), "\(r.stderr)")
        let v = try Self.validate("ocsf-1.6.0", ["--expect-classes", "3001,3002,3005,3006,6003,6005", out])
        #expect(v.status == 0, "\(v.stdout)\(v.stderr)")
        #expect(!v.stdout.contains("deprecated"), "\(v.stdout)")
        var classOf = [String: (Int, String)]()
        for row in try Self.lines(out) {
            let meta = try #require(row["metadata"] as? [String: Any])
            classOf[try #require(meta["uid"] as? String)] = (row["class_uid"] as! Int, row["activity_name"] as! String)
        }
        let expected: [String: (Int, String)] = [
            "create-user": (3001, "Create"), "create-user-no-params": (6003, "Create"),
            "attach-user-policy": (3001, "Attach Policy"), "change-password": (3001, "Password Change"),
            "add-to-group": (3006, "Add User"), "add-to-group-no-group": (6003, "Create"),
            "get-object": (6005, "Read"), "delete-object-denied": (6005, "Delete"),
            "get-object-no-bucket": (6003, "Read"), "get-bucket-acl": (6003, "Read"),
            "describe-svc": (6003, "Read"),
            "dbx-add": (3001, "Create"), "dbx-add-to-group": (3006, "Add User"),
            "dbx-set-admin": (3005, "Assign Privileges"), "dbx-set-admin-no-user": (6003, "Update"),
            "dbx-grant": (3005, "Assign Privileges"), "dbx-grant-mixed": (6003, "Update"),
            "dbx-saml": (3002, "Logon"), "dbx-logout": (3002, "Logoff"), "dbx-table-read": (6005, "Read"),
            "dbx-empty-target": (6003, "Create"), "dbx-odd": (3005, "Assign Privileges"),
        ]
        for (id, want) in expected {
            let got = classOf[id]
            #expect(got?.0 == want.0 && got?.1 == want.1, "\(id): \(String(describing: got)), want \(want)")
        }
        let rows = Dictionary(
            try Self.lines(out).map { (($0["metadata"] as! [String: Any])["uid"] as! String, $0) },
            uniquingKeysWith: { a, _ in a })
        let denied = try #require(rows["delete-object-denied"])
        #expect(denied["status"] as? String == "Failure" && denied["status_code"] as? String == "AccessDenied")
        let odd = try #require(rows["dbx-odd"])
        #expect((odd["src_endpoint"] as? [String: Any])?["name"] as? String == "::ffff:010.1.2.3")
        let oddUser = try #require((odd["actor"] as? [String: Any])?["user"] as? [String: Any])
        #expect(oddUser["name"] as? String == "jürgen@acme.example" && oddUser["email_addr"] == nil)
        #expect((odd["user"] as? [String: Any])?["email_addr"] == nil)
        let grant = try #require(rows["dbx-grant"])
        #expect(grant["privileges"] as? [String] == ["SELECT"])
        #expect((grant["user"] as? [String: Any])?["name"] as? String == "account users")
        // A service name in place of an address is a name, not an `ip`.
        let svc = try #require(rows["describe-svc"]?["src_endpoint"] as? [String: Any])
        #expect(svc["name"] as? String == "cloudformation.amazonaws.com" && svc["ip"] == nil)
        let cloud = try #require(rows["create-user"]?["cloud"] as? [String: Any])
        #expect((cloud["account"] as? [String: Any])?["uid"] as? String == "012345678901")
    }

    /// Real records nobody here wrote (Panther's rule-test samples: trimmed, placeholder ids,
    /// addresses like `06.237.252.245`): every accepted one validates, across the classes.
    @Test func ocsfOfRealPublicSamplesValidates() throws {
        let dir = try TestPaths.temporaryDirectory("ocsf-panther")
        let panther = TestPaths.packageRoot.appendingPathComponent("Tests/CrossTrailIngestTests/Fixtures/panther")
        for (file, classes) in [
            ("panther_cloudtrail_unique_logs.json", "3001,3002,3006,6003,6005"),
            ("panther_databricks_unique_logs.json", "3001,3002,3006,6003"),
        ] {
            let out = dir.appendingPathComponent(file + ".ocsf").path
            let r = try runCrossTrail(
                ["timeline", panther.appendingPathComponent(file).path, "--format", "ocsf", "-o", out])
            #expect(r.status == 0, "\(file): \(r.stderr.prefix(1000))")
            let v = try Self.validate("ocsf-1.6.0", ["--expect-classes", classes, out])
            #expect(v.status == 0, "\(file): \(v.stdout.prefix(3000))")
            #expect(!v.stdout.contains("deprecated"), "\(v.stdout)")
        }
    }

    @Test func ocsfOfHostileInputValidates() throws {
        let (dir, good, _) = try ExtremeTimeCLITests.hostileLogs()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("hostile.ocsf.jsonl").path
        let r = try runCrossTrail(
            ["timeline", dir.appendingPathComponent("logs").path, "--format", "ocsf", "-o", out], timeout: 120)
        #expect(r.status == 0, "\(r.stderr.prefix(2000))")
        let v = try Self.validate("ocsf-1.6.0", [out])
        #expect(v.status == 0, "\(v.stdout.prefix(3000))")
        #expect(v.stdout.contains("\(good) lines valid of \(good)"), "\(v.stdout.prefix(3000))")
    }

    /// Findings drawn from hostile records (control characters, markup, huge and odd values)
    /// still validate in every findings format.
    @Test func findingsOfHostileInputValidateInEveryFormat() throws {
        let (dir, _, _) = try ExtremeTimeCLITests.hostileLogs()
        defer { try? FileManager.default.removeItem(at: dir) }
        let logs = dir.appendingPathComponent("logs").path
        // A record whose strings try to break each format: markup, quotes, control characters.
        let nasty = #"</failure><x a=\"]]>\u0001\u001b[31m\" & \u202e"#
        let record = """
            {"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAX","arn":"arn:aws:iam::012345678901:user/\(nasty)","accountId":"012345678901","userName":"\(nasty)"},"eventTime":"2026-08-01T10:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","sourceIPAddress":"\(nasty)","requestParameters":{"name":"arn:aws:cloudtrail:us-east-1:012345678901:trail/\(nasty)"},"eventID":"nasty-1","eventType":"AwsApiCall","recipientAccountId":"012345678901"}
            """
        try record.write(toFile: logs + "/nasty.jsonl", atomically: true, encoding: .utf8)
        for (format, validator, extra) in [
            ("ocsf", "ocsf-1.6.0", [String]()), ("sarif", "sarif-2.1.0", []), ("junit", "junit", []),
            ("asff", "asff", ["--asff-account", "111122223333", "--asff-region", "us-east-1"]),
        ] {
            let out = dir.appendingPathComponent("findings.\(format)").path
            let r = try runCrossTrail(
                ["scan", logs, "--format", format, "-o", out, "--quiet", "--generated-at", "2026-09-01T00:00:00Z"]
                    + extra, timeout: 120)
            #expect(r.status == 0, "\(format): \(r.stderr.prefix(2000))")
            let text = try String(contentsOfFile: out, encoding: .utf8)
            #expect(text.contains("StopLogging") || text.contains("ct-logging-stopped"), "\(format)")
            let v = try Self.validate(validator, [out])
            #expect(v.status == 0, "\(format): \(v.stdout.prefix(3000))\(v.stderr.prefix(2000))")
        }
    }

    static func scan(_ format: String, _ out: String, _ extra: [String] = []) throws -> CommandResult {
        try runCrossTrail(
            [
                "scan", Self.logs, "--inventory", Self.inventory, "--format", format, "-o", out, "--quiet",
                "--generated-at", "2026-09-01T00:00:00Z",
            ] + extra)
    }

    @Test func findingsAsOCSFDetectionFindings() throws {
        let dir = try TestPaths.temporaryDirectory("findings-ocsf")
        let out = dir.appendingPathComponent("findings.ocsf.jsonl").path
        let json = dir.appendingPathComponent("findings.json").path
        #expect(try Self.scan("ocsf", out).status == 0)
        #expect(try Self.scan("json", json).status == 0)
        let v = try Self.validate("ocsf-1.6.0", ["--expect-classes", "2004", out])
        #expect(v.status == 0, "\(v.stdout)\(v.stderr)")
        let rows = try Self.lines(out)
        let doc = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        let findings = try #require(doc["findings"] as? [[String: Any]])
        #expect(rows.count == findings.count && !rows.isEmpty)
        for (row, f) in zip(rows, findings) {
            let info = try #require(row["finding_info"] as? [String: Any])
            #expect(info["uid"] as? String == f["id"] as? String)
            #expect((info["analytic"] as? [String: Any])?["uid"] as? String == f["rule"] as? String)
            let events = ((f["evidence"] as? [String: Any])?["events"] as? [String]) ?? []
            let evidences = (row["evidences"] as? [[String: Any]]) ?? []
            #expect(Set(evidences.compactMap { $0["uid"] as? String }) == Set(events.prefix(100)))
            if let technique = f["mitre"] as? String {
                let attacks = try #require(info["attacks"] as? [[String: Any]])
                #expect(
                    (attacks[0]["technique"] as? [String: Any])?["uid"] as? String
                        == String(technique.split(separator: ".")[0]))
            }
        }
    }

    @Test func sarifHasOneLocatedResultPerFindingAndBaselineStates() throws {
        let dir = try TestPaths.temporaryDirectory("findings-sarif")
        let out = dir.appendingPathComponent("scan.sarif").path
        #expect(try Self.scan("sarif", out).status == 0)
        let v = try Self.validate("sarif-2.1.0", [out])
        #expect(v.status == 0, "\(v.stdout)\(v.stderr)")
        let log = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any])
        let run = try #require((log["runs"] as? [[String: Any]])?.first)
        let results = try #require(run["results"] as? [[String: Any]])
        #expect(!results.isEmpty)
        // Every result has a file and line; evidence events point at the log file they were read
        // from, with their offset in the decompressed records (a region would address the gzip bytes).
        let located = results.compactMap {
            (($0["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])
        }
        #expect(located.count == results.count)
        #expect(located.allSatisfy { ($0["region"] as? [String: Any])?["startLine"] is Int })
        let eventLocated = located.filter { ($0["properties"] as? [String: Any])?["decompressedByteOffset"] != nil }
        #expect(!eventLocated.isEmpty)
        for l in eventLocated {
            let uri = try #require((l["artifactLocation"] as? [String: Any])?["uri"] as? String)
            #expect(uri.hasPrefix("file://" + Self.logs) && uri.hasSuffix(".gz"), "\(uri)")
            #expect((l["region"] as? [String: Any])?["byteOffset"] == nil)
        }
        #expect(results.allSatisfy { $0["baselineState"] == nil }, "no store: no baseline")

        // With a case store: the first scan's results are new, the second's unchanged.
        let store = dir.appendingPathComponent("case.db").path
        let first = dir.appendingPathComponent("first.sarif").path
        let second = dir.appendingPathComponent("second.sarif").path
        #expect(try Self.scan("sarif", first, ["--store", store]).status == 0)
        #expect(try Self.scan("sarif", second, ["--store", store]).status == 0)
        for (file, state) in [(first, "new"), (second, "unchanged")] {
            #expect(try Self.validate("sarif-2.1.0", [file]).status == 0)
            let rs = try #require(
                ((try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file)))
                    as? [String: Any])?["runs"] as? [[String: Any]])?.first?["results"] as? [[String: Any]])
            #expect(!rs.isEmpty && rs.allSatisfy { $0["baselineState"] as? String == state }, "\(file)")
        }
    }

    @Test func junitFailsOnlyChecksWithFindingsAtTheThreshold() throws {
        let dir = try TestPaths.temporaryDirectory("findings-junit")
        let low = dir.appendingPathComponent("low.xml").path
        let critical = dir.appendingPathComponent("critical.xml").path
        #expect(try Self.scan("junit", low).status == 0)
        let r = try Self.scan("junit", critical, ["--fail-on", "critical"])
        #expect(r.status == 1, "findings at critical fail the job as the exit status says")
        let json = dir.appendingPathComponent("findings.json").path
        #expect(try Self.scan("json", json).status == 0)
        let findings = try #require(
            (try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])?[
                "findings"] as? [[String: Any]])
        let rulesAtLow = Set(
            findings.filter { $0["severity"] as? String != "info" }.compactMap { $0["rule"] as? String })
        let rulesAtCritical = Set(
            findings.filter { $0["severity"] as? String == "critical" }.compactMap { $0["rule"] as? String })
        #expect(!rulesAtCritical.isEmpty && rulesAtCritical.count < rulesAtLow.count)
        let a = try Self.validate("junit", ["--expect-failures", String(rulesAtLow.count), low])
        #expect(a.status == 0, "\(a.stdout)\(a.stderr)")
        let b = try Self.validate("junit", ["--expect-failures", String(rulesAtCritical.count), critical])
        #expect(b.status == 0, "\(b.stdout)\(b.stderr)")
    }

    @Test func asffPassesBotocoreAndSecurityHubRules() throws {
        let dir = try TestPaths.temporaryDirectory("findings-asff")
        let out = dir.appendingPathComponent("asff.json").path
        let missing = try Self.scan("asff", out)
        #expect(missing.status == 2 && missing.stderr.contains("--asff-account"), "\(missing.stderr)")
        let badAccount = try Self.scan("asff", out, ["--asff-account", "12345", "--asff-region", "us-east-1"])
        #expect(badAccount.status == 2)
        let r = try Self.scan("asff", out, ["--asff-account", "111122223333", "--asff-region", "us-east-1"])
        #expect(r.status == 0, "\(r.stderr)")
        let v = try Self.validate("asff", [out])
        #expect(v.status == 0, "\(v.stdout)\(v.stderr)")
        let findings = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [[String: Any]])
        #expect(!findings.isEmpty)
        #expect(
            findings.allSatisfy {
                $0["ProductArn"] as? String == "arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default"
            })
    }

    @Test func csvKeepsIdentifiersAsTextAndResourcesAsJSON() throws {
        let dir = try TestPaths.temporaryDirectory("csv-types")
        let out = dir.appendingPathComponent("t.csv").path
        #expect(try runCrossTrail(["timeline", Self.logs, "--format", "csv", "-o", out]).status == 0)
        // Account and workspace ids are quoted in the file (readers that honour quoting keep them
        // as text, leading zeros included); resources is one cell holding a JSON array.
        let script = """
            import csv, io, json, sys
            text = open(sys.argv[1], newline="").read()
            rows = list(csv.DictReader(io.StringIO(text)))
            raw = text.splitlines()[1:]
            assert len(raw) == len(rows)
            accounts = 0
            for line, r in zip(raw, rows):
                for column in ("account", "workspace"):
                    if r[column]:
                        assert '"' + r[column] + '"' in line, (column, line[:200])
                        accounts += 1
            lists = [json.loads(r["resources"]) for r in rows if r["resources"] != ""]
            assert lists and all(isinstance(l, list) and all(isinstance(x, str) for x in l) for l in lists)
            print(len(rows), "rows", accounts, "quoted ids", len(lists), "resource lists")
            """
        let p = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script, out])
        #expect(p.status == 0, "\(p.stdout)\(p.stderr)")
        #expect(p.stdout.contains("4038 rows"), "\(p.stdout)")
    }
}

/// `-o` naming a device or a pipe writes into it: renaming a finished file over it would replace
/// the device (run as root, `scan -o /dev/null` used to turn /dev/null into a regular file).
@Suite struct OutputIntoPipesCLITests {
    @Test func findingsWrittenIntoAFifoLeaveItAFifo() throws {
        let dir = try TestPaths.temporaryDirectory("out-fifo")
        let fifo = dir.appendingPathComponent("out.fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let copy = dir.appendingPathComponent("copy.sarif").path
        // A reader on the other end, as a shell pipeline would have.
        let reader = Process()
        reader.executableURL = URL(fileURLWithPath: "/bin/sh")
        reader.arguments = ["-c", "exec cat \"$0\" > \"$1\"", fifo, copy]
        reader.standardOutput = FileHandle.nullDevice
        reader.standardError = FileHandle.nullDevice
        try reader.run()
        let r = try runCrossTrail(
            ["scan", ReportCLITests.logs, "--format", "sarif", "-o", fifo, "--quiet"], timeout: 120)
        var st = stat()
        let stillFifo = lstat(fifo, &st) == 0 && (st.st_mode & S_IFMT) == S_IFIFO
        // Replaced, the FIFO never gets a writer: stop the reader rather than wait forever.
        if !stillFifo { kill(reader.processIdentifier, SIGKILL) }
        reader.waitUntilExit()
        #expect(r.status == 0, "\(r.stderr)")
        #expect(stillFifo, "the FIFO is still a FIFO")
        let text = try String(contentsOfFile: copy, encoding: .utf8)
        #expect(text.contains("\"version\" : \"2.1.0\""))
    }
}
