import Foundation
import TestSupport
import Testing

@Suite struct AnalysisCLITests {
    static let samples = TestPaths.packageRoot.appendingPathComponent("Samples")
    static var logs: String { samples.appendingPathComponent("logs").path }
    static var inventory: String { samples.appendingPathComponent("inventory").path }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func scanWritesDocumentedJSONDeterministically() throws {
        let a = try runCrossTrail(["scan", Self.logs, "--inventory", Self.inventory, "--format", "json"])
        #expect(a.status == 0, "\(a.stderr)")
        let b = try runCrossTrail([
            "scan", Self.logs, "--inventory", Self.inventory, "--format", "json", "--workers", "1",
        ])
        #expect(a.stdout == b.stdout, "same inputs, same bytes, whatever the worker count")
        let doc = try Self.json(a.stdout)
        let findings = try #require(doc["findings"] as? [[String: Any]])
        #expect(!findings.isEmpty)
        for f in findings {
            for key in ["id", "rule", "severity", "title", "subjects", "evidence", "controls", "remediation"] {
                #expect(f[key] != nil, "finding without \(key)")
            }
        }
        let cross = try #require(findings.first { $0["rule"] as? String == "cross-plane-instance-profile" })
        #expect(cross["severity"] as? String == "critical")
        let summary = try #require(doc["summary"] as? [String: Any])
        #expect(summary["events"] as? Int == 4038, "4,138 records less the 100 of the re-delivered file")
        #expect(a.stderr.contains("records read 4138 = analyzed 4038 + filtered 0 + rejected 0 + duplicates 100"))
        #expect((doc["inventory"] as? [[String: Any]])?.count == 8)
    }

    @Test func failOnSetsTheExitStatus() throws {
        let high = try runCrossTrail([
            "scan", "--inventory", Self.inventory, "--fail-on", "high", "-q", "--format", "json",
        ])
        #expect(high.status == 1)
        #expect(high.stderr.isEmpty)
        let table = try runCrossTrail([
            "scan", "--inventory", Self.inventory, "--format", "table", "--min-severity", "high",
        ])
        #expect(table.status == 0, "no --fail-on, no failure")
        #expect(table.stdout.contains("CRITICAL  cross-plane-instance-profile"))
        #expect(!table.stdout.contains("MEDIUM "))
        #expect(table.stderr.contains("inventory 8 files"))
    }

    @Test func usageAndInputErrors() throws {
        let none = try runCrossTrail(["scan"])
        #expect(none.status == 2)
        #expect(none.stderr.contains("give log PATHs, --inventory DIR, or both"))
        let badSeverity = try runCrossTrail(["scan", "--inventory", Self.inventory, "--fail-on", "severe"])
        #expect(badSeverity.status == 2)
        let dir = try TestPaths.temporaryDirectory("bad-inventory")
        try Data("{\"UserDetailList\": [".utf8).write(to: dir.appendingPathComponent("iam.json"))
        // Nothing usable in the folder: an error naming why, never "no permissions".
        let broken = try runCrossTrail(["scan", "--inventory", dir.path, "--format", "json"])
        #expect(broken.status == 4)
        #expect(broken.stderr.contains("iam.json: error: invalid JSON"), "\(broken.stderr)")
        // Next to a good export the broken file is a diagnostic: exit 3 under --strict.
        try FileManager.default.copyItem(atPath: Self.inventory, toPath: dir.appendingPathComponent("good").path)
        let strict = try runCrossTrail(["scan", "--inventory", dir.path, "--strict", "--format", "json"])
        #expect(strict.status == 3)
        #expect(strict.stderr.contains("iam.json: error: invalid JSON"))
        let whoCan = try runCrossTrail(["who-can", "s3:GetObject"])
        #expect(whoCan.status == 2)
        #expect(
            try runCrossTrail(["timeline", Self.logs, "--inventory", Self.inventory]).status == 2,
            "--inventory needs --attribute")
    }

    @Test func whoCanAndWhois() throws {
        let s3 = try runCrossTrail([
            "who-can", "s3://acme-pii-customers/", "--inventory", Self.inventory, "--format", "json", "-q",
        ])
        #expect(s3.status == 0)
        let answers = try #require(try Self.json(s3.stdout)["answers"] as? [[String: Any]])
        #expect(
            answers.contains {
                $0["principal"] as? String == "heidi@acme.example" && $0["plane"] as? String == "databricks"
            })
        let table = try runCrossTrail([
            "who-can", "main.sales.customers", "--inventory", Self.inventory, "--format", "table", "-q",
        ])
        #expect(table.stdout.contains("via USE_CATALOG,SELECT on catalog main via account users"))
        let nobody = try runCrossTrail([
            "who-can", "kms:ScheduleKeyDeletion", "--resource", "arn:aws:kms:us-east-1:111122223333:key/x",
            "--inventory", Self.inventory, "--format", "table", "-q",
        ])
        #expect(nobody.stdout.contains("user/ci-deployer"), "only the administrator")
        let whois = try runCrossTrail([
            "whois", "i-0a1b2c3d4e5f60718", Self.logs, "--inventory", Self.inventory, "--format", "table", "-q",
        ])
        #expect(whois.status == 0)
        #expect(whois.stdout.contains("person: alice@acme.example (time-window)"))
        #expect(whois.stdout.contains("launched-for → cluster:0801-093000-shared01"))
        let unknown = try runCrossTrail([
            "whois", "nobody@nowhere.example", "--inventory", Self.inventory, "--format", "table", "-q",
        ])
        #expect(unknown.stdout.contains("no identity matches"))
    }

    @Test func attributedTimelineFollowsThePerson() throws {
        let r = try runCrossTrail([
            "timeline", Self.logs, "--attribute", "--actor", "alice@acme.example", "--since", "2026-08-01T09:30Z",
            "--until", "2026-08-01T09:50Z", "--format", "jsonl", "-q",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let events = try #require(parseJSONLines(r.stdout))
        let s3 = events.filter { $0["service"] as? String == "s3" }
        #expect(s3.count == 12, "the instance session's reads are hers")
        let person = try #require(s3.first?["person"] as? [String: Any])
        #expect(person["email"] as? String == "alice@acme.example")
        #expect(person["confidence"] as? String == "time-window")
        #expect(events.contains { $0["action"] as? String == "StopLogging" })
        let plain = try runCrossTrail([
            "timeline", Self.logs, "--actor", "alice@acme.example", "--since", "2026-08-01T09:30Z",
            "--until", "2026-08-01T09:50Z", "--format", "jsonl", "-q",
        ])
        #expect(
            try #require(parseJSONLines(plain.stdout)).allSatisfy {
                $0["person"] == nil && $0["service"] as? String != "s3"
            })
    }
}

@Suite struct EventRuleCLITests {
    @Test func scanningLogsAloneFindsTheIncidentSteps() throws {
        let r = try runCrossTrail(["scan", AnalysisCLITests.logs, "--format", "json", "-q"])
        #expect(r.status == 0)
        let doc = try AnalysisCLITests.json(r.stdout)
        let findings = try #require(doc["findings"] as? [[String: Any]])
        let rules = findings.map { $0["rule"] as? String ?? "" }.sorted()
        // Every step of the planted incident that events alone can show; nothing else in ~4,100 routine events
        // (the Creator email tag of the cluster launch names a person: redacted in outputs, not a leak).
        #expect(
            rules == [
                "ct-logging-stopped", "dbx-cluster-no-isolation", "dbx-results-download", "dbx-verbose-audit-off",
            ])
        for f in findings {
            let subject = try #require((f["subjects"] as? [[String: Any]])?.first)
            #expect(
                subject["person"] as? String == "alice@acme.example",
                "attributed to the person, not just the role session")
            let events = (f["evidence"] as? [String: Any])?["events"] as? [String] ?? []
            #expect(events.count > 0)
        }
        #expect(findings.first { $0["rule"] as? String == "ct-logging-stopped" }?["mitre"] as? String == "T1562.008")
    }

    @Test func rulesCommands() throws {
        let list = try runCrossTrail(["rules", "list"])
        #expect(list.status == 0)
        #expect(list.stdout.contains("ct-logging-stopped"))
        #expect(list.stdout.contains("Stateful detections (counted over time; Docs/rules.md), "))
        #expect(list.stdout.contains("ec2-instance-credentials-elsewhere") && list.stdout.contains("secret-read-burst"))
        let settingsDir = try TestPaths.temporaryDirectory("rules-list-settings")
        try Data("stateful:\n  baseline_days: 9\n  trusted_accounts: ['999988887777']\n".utf8).write(
            to: settingsDir.appendingPathComponent("s.yml"))
        let withSettings = try runCrossTrail(["rules", "list", "--rules", settingsDir.path])
        #expect(withSettings.stdout.contains("Settings from --rules: baseline_days=9; trusted_accounts=[999988887777]"))
        let test = try runCrossTrail(["rules", "test"])
        #expect(test.status == 0)
        let counts = test.stdout.firstMatch(of: /(\d+) of (\d+) rules with examples pass\n/)
        #expect(
            counts != nil && counts?.1 == counts?.2 && Int(counts?.1 ?? "0") ?? 0 > 150,
            "every built-in rule passes its examples: \(test.stdout.suffix(200))")
        // A published rule without examples is untested, not failed; one without a match example is.
        let published = try TestPaths.temporaryDirectory("published-rules")
        try Data(
            "title: no examples\nname: plain\ndetection:\n  s: {eventName: X}\n  condition: s\n".utf8
        ).write(to: published.appendingPathComponent("plain.yml"))
        let untested = try runCrossTrail(["rules", "test", "--rules", published.path])
        #expect(
            untested.status == 0 && untested.stdout.contains("; 1 have no examples (not tested)"), "\(untested.stdout)")
        #expect(!untested.stdout.contains("FAIL  plain") && !untested.stdout.contains("ok    plain"))
        let dir = try TestPaths.temporaryDirectory("badrules")
        try Data("title: broken\ndetection:\n  s:\n    eventName|base64offset: x\n  condition: s\n".utf8).write(
            to: dir.appendingPathComponent("broken.yml"))
        let bad = try runCrossTrail(["rules", "test", "--rules", dir.path])
        #expect(bad.status == 1)
        #expect(bad.stdout.contains("broken.yml:4: field 'eventName': base64offset only works with contains"))
        let strict = try runCrossTrail([
            "scan", AnalysisCLITests.logs, "--rules", dir.path, "--strict", "--format", "json",
        ])
        #expect(strict.status == 3)
        #expect(strict.stderr.contains("rule error:"))
    }
}

@Suite struct AllowlistCLITests {
    @Test func allowlistedFindingsStayVisibleAsSuppressedUntilTheyExpire() throws {
        let dir = try TestPaths.temporaryDirectory("allow")
        try Data(
            """
            allowlist:
              - {rule: dbx-results-download, actor: "alice@*", reason: "quarterly export approved in CHG-123", until: 2999-12-31}
              - {rule: dbx-verbose-audit-off, actor: "*", reason: "expired approval", until: 2020-01-01}
            """.utf8
        ).write(to: dir.appendingPathComponent("accepted.yml"))
        let r = try runCrossTrail([
            "scan", AnalysisCLITests.logs, "--rules", dir.path, "--format", "json", "-q", "--fail-on", "medium",
        ])
        let findings = try #require(try AnalysisCLITests.json(r.stdout)["findings"] as? [[String: Any]])
        let download = try #require(findings.first { $0["rule"] as? String == "dbx-results-download" })
        #expect(download["status"] as? String == "suppressed")
        #expect(
            ((download["evidence"] as? [String: Any])?["details"] as? [String: String])?["allowlisted"]?.hasPrefix(
                "quarterly export approved in CHG-123 (until 2999-12-31)") == true)
        let audit = try #require(findings.first { $0["rule"] as? String == "dbx-verbose-audit-off" })
        #expect(audit["status"] == nil, "an expired entry no longer applies")
        #expect(r.status == 1, "the unsuppressed findings still fail the job")
        try Data("stateful:\n  failed_login_burst: many\n".utf8).write(to: dir.appendingPathComponent("bad.yml"))
        let bad = try runCrossTrail(["rules", "test", "--rules", dir.path])
        #expect(bad.status == 1)
        #expect(bad.stdout.contains("bad.yml:2: failed_login_burst must be a positive integer"))
    }
}

@Suite struct DocsTests {
    /// Docs/rules.md shows the coverage `crosstrail rules coverage` prints (scripts/update-rule-coverage.sh refreshes it).
    @Test func coverageTableIsCurrent() throws {
        let coverage = try runCrossTrail(["rules", "coverage"])
        #expect(coverage.status == 0)
        let doc = try String(contentsOf: TestPaths.packageRoot.appendingPathComponent("Docs/rules.md"), encoding: .utf8)
        let begin = try #require(doc.range(of: "<!-- coverage:begin -->\n")),
            end = try #require(doc.range(of: "<!-- coverage:end -->"))
        #expect(
            String(doc[begin.upperBound..<end.lowerBound]) == coverage.stdout, "run scripts/update-rule-coverage.sh")
    }
}

/// The shapes of real intrusions, end to end through `scan`: the finding names the attacker's session, and
/// the benign users around it stay quiet.
@Suite struct IntrusionScenarioTests {
    static func record(
        _ id: String, _ time: String, _ source: String, _ name: String, identity: String, ip: String, ua: String,
        params: String = "null", extra: String = ""
    ) -> String {
        #"{"eventVersion":"1.08","userIdentity":\#(identity),"eventTime":"2026-09-14T\#(time)Z","eventSource":"\#(source)","eventName":"\#(name)","awsRegion":"us-east-1","sourceIPAddress":"\#(ip)","userAgent":"\#(ua)","requestParameters":\#(params),"responseElements":null,"eventID":"\#(id)","readOnly":true,"eventType":"AwsApiCall","recipientAccountId":"111122223333"\#(extra)}"#
    }

    /// Instance-profile credentials stolen through SSRF and used from a laptop; a console user pages through
    /// instances with a NextToken in the same hour.
    @Test func stolenInstanceCredentials() throws {
        let node =
            #"{"type":"AssumedRole","principalId":"AROAEXAMPLEWEB:i-0a1b2c3d4e5f60718","arn":"arn:aws:sts::111122223333:assumed-role/web-app/i-0a1b2c3d4e5f60718","accountId":"111122223333","accessKeyId":"ASIAEXAMPLEWEBAPP001","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/web-app","accountId":"111122223333","userName":"web-app"},"attributes":{"mfaAuthenticated":"false"},"ec2RoleDelivery":"1.0"}}"#
        let person =
            #"{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_ReadOnly_0123/ann@corp.example","accountId":"111122223333","accessKeyId":"ASIAEXAMPLEANN00001","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_ReadOnly_0123","userName":"AWSReservedSSO_ReadOnly_0123"},"attributes":{"mfaAuthenticated":"false"}}}"#
        let sdk = "aws-sdk-java/1.12.638 Linux/5.15.0-1051-aws OpenJDK_64-Bit_Server_VM/25.392-b08 java/1.8.0_392"
        let laptop = "aws-cli/2.15.30 Python/3.11.8 Darwin/23.4.0 exe/x86_64 prompt/off command/s3.ls"
        let lines = [
            Self.record(
                "n1", "10:00:00", "s3.amazonaws.com", "GetObject", identity: node, ip: "52.94.1.20", ua: sdk,
                params: #"{"bucketName":"web-assets","key":"logo.png"}"#),
            Self.record(
                "n2", "10:05:00", "sts.amazonaws.com", "GetCallerIdentity", identity: node, ip: "52.94.1.20", ua: sdk),
            Self.record(
                "c1", "10:10:00", "ec2.amazonaws.com", "DescribeInstances", identity: person, ip: "198.51.100.20",
                ua: "console.amazonaws.com",
                params:
                    #"{"maxResults":50,"nextToken":"AAEAAcVOMvZZrR0kRsx0tDuXd8GZmlnqh0EzO9TXrEiGQUnAW7VBSgn7wbIlNN5fO+vF"}"#
            ),
            Self.record(
                "a1", "10:31:00", "s3.amazonaws.com", "ListBuckets", identity: node, ip: "203.0.113.99", ua: laptop),
            Self.record(
                "a2", "10:32:00", "s3.amazonaws.com", "GetObject", identity: node, ip: "203.0.113.99", ua: laptop,
                params: #"{"bucketName":"customer-exports","key":"2026/09/all.csv"}"#),
        ]
        let dir = try TestPaths.temporaryDirectory("ssrf")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: dir.appendingPathComponent("trail.jsonl"))
        let r = try runCrossTrail(["scan", dir.path, "--format", "json", "-q"])
        #expect(r.status == 0)
        let findings = try #require(try AnalysisCLITests.json(r.stdout)["findings"] as? [[String: Any]])
        let about = { (f: [String: Any]) in ((f["subjects"] as? [[String: Any]])?.first?["name"] as? String) ?? "" }
        // Nothing about the console user: a paging cursor is not a secret.
        #expect(!findings.contains { about($0).contains("ann@corp.example") }, "\(findings.map { $0["rule"] ?? "" })")
        // The theft is found and names the attacker's address and events.
        let elsewhere = try #require(findings.first { $0["rule"] as? String == "ec2-instance-credentials-elsewhere" })
        #expect((elsewhere["title"] as? String)?.contains("203.0.113.99") == true)
        #expect(elsewhere["severity"] as? String == "high")
        let events = Set(findings.flatMap { ($0["evidence"] as? [String: Any])?["events"] as? [String] ?? [] })
        #expect(events.contains("a1") && events.contains("a2"))
        #expect(findings.contains { $0["rule"] as? String == "aws-ec2-instance-credentials-desktop-client" })
    }

    /// An instance role attaching AdministratorAccess to a user, then a denied attempt to stop the trail.
    @Test func instanceRoleGrantsAdmin() throws {
        let node =
            #"{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/build/i-0feedfacecafe0001","accountId":"111122223333","accessKeyId":"ASIAEXAMPLEBUILD001","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/build","userName":"build"}}}"#
        let ua = "Boto3/1.34.0 Python/3.12.1 Linux/6.1 Botocore/1.34.0"
        let lines = [
            Self.record(
                "p1", "11:00:00", "iam.amazonaws.com", "AttachUserPolicy", identity: node, ip: "52.94.2.9", ua: ua,
                params: #"{"userName":"backup-svc","policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}"#),
            Self.record(
                "p2", "11:02:00", "cloudtrail.amazonaws.com", "StopLogging", identity: node, ip: "52.94.2.9", ua: ua,
                params: #"{"name":"org-trail"}"#, extra: #","errorCode":"AccessDenied","errorMessage":"not authorized""#
            ),
        ]
        let dir = try TestPaths.temporaryDirectory("admin-attach")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: dir.appendingPathComponent("trail.jsonl"))
        let r = try runCrossTrail(["scan", dir.path, "--format", "json", "-q"])
        let findings = try #require(try AnalysisCLITests.json(r.stdout)["findings"] as? [[String: Any]])
        let rules = Set(findings.compactMap { $0["rule"] as? String })
        #expect(rules.contains("aws-iam-admin-policy-attached") && rules.contains("aws-iam-write-by-ec2-instance-role"))
        #expect(!rules.contains("ct-logging-stopped"), "a denied StopLogging is an attempt, not logging stopped")
        let attach = try #require(findings.first { $0["rule"] as? String == "aws-iam-admin-policy-attached" })
        #expect((attach["resources"] as? [String])?.contains("arn:aws:iam::aws:policy/AdministratorAccess") == true)
    }
}

@Suite struct MissingResourcesTests {
    /// A binary copied away from its resource bundles refuses to scan instead of reporting a clean run.
    @Test func scanWithoutBuiltinRulesFails() throws {
        let dir = try TestPaths.temporaryDirectory("alone")
        let copy = dir.appendingPathComponent("crosstrail")
        try FileManager.default.copyItem(at: TestPaths.executable, to: copy)
        let r = try runProcess(
            copy, ["scan", AnalysisCLITests.logs, "-q"], environment: ["CROSSTRAIL_RESOURCES": dir.path])
        #expect(r.status == 4, "a missing input of the installation")
        #expect(
            r.stderr.contains("built-in rules: cannot find")
                && r.stderr.contains("crosstrail_CrossTrailRules.resources"))
    }
}

@Suite struct TimelineSelectionTests {
    /// A role's name selects all of its sessions; a bucket's name selects its objects.
    @Test func roleNamesAndBucketNames() throws {
        let byRole = try runCrossTrail([
            "timeline", AnalysisCLITests.logs, "--actor", "databricks-shared-broad", "--format", "jsonl", "-q",
        ])
        #expect(byRole.status == 0)
        let events = try #require(parseJSONLines(byRole.stdout))
        #expect(events.count == 12)
        #expect(
            events.allSatisfy {
                (($0["actor"] as? [String: Any])?["key"] as? String)?.contains("assumed-role/databricks-shared-broad/")
                    == true
            })
        let byBucket = try runCrossTrail([
            "timeline", AnalysisCLITests.logs, "--resource", "acme-pii-customers", "--format", "jsonl", "-q",
        ])
        #expect(try #require(parseJSONLines(byBucket.stdout)).count == 12)
        let table = try runCrossTrail([
            "timeline", AnalysisCLITests.logs, "--action", "StopLogging", "--format", "table", "-q",
        ])
        #expect(table.stdout.contains("alice@acme.example (AWSReservedSSO_"), "the session before the role")
    }
}

/// Every documented exit status, each produced by the situation it documents (Docs/guide.md).
@Suite struct ExitStatusTests {
    static var logs: String { AnalysisCLITests.logs }
    static var inventory: String { AnalysisCLITests.inventory }

    @Test func successAndFindingsAtThreshold() throws {
        #expect(try runCrossTrail(["scan", "--inventory", Self.inventory, "-q", "--format", "json"]).status == 0)
        let r = try runCrossTrail([
            "scan", Self.logs, "--inventory", Self.inventory, "-q", "--format", "json", "--fail-on", "high",
        ])
        #expect(r.status == 1, "the Samples hold HIGH findings")
    }

    @Test func usageErrorsExitTwo() throws {
        for args in [
            ["scan", "--no-such-option"], ["scan", Self.logs, "--since", "yesterday"], ["timeline"],
            ["fetch", "ftp://x", "--out", "/tmp/x"],
        ] {
            let r = try runCrossTrail(args)
            #expect(r.status == 2, "\(args): \(r.stderr)")
            #expect(!r.stderr.isEmpty)
        }
    }

    @Test func diagnosticsUnderStrictExitThree() throws {
        // Three of its six records are malformed.
        let r = try runCrossTrail([
            "scan", CLITests.fixtures + "/databricks-delivery.jsonl", "--strict", "-q", "--format", "json",
        ])
        #expect(r.status == 3, "\(r.stderr)")
        #expect(r.stdout.contains("\"findings\""), "the findings are still written")
    }

    /// A typo in a path is an error with its own exit code, never "0 findings".
    @Test func missingPathsExitFour() throws {
        for command in [
            ["scan"], ["timeline"], ["whois", "alice"], ["verify-digests", "--public-keys", "/dev/null"],
            ["report", "--out", try TestPaths.temporaryDirectory("missing-pack").appendingPathComponent("p").path],
        ] {
            let r = try runCrossTrail(command + ["/no/such/crosstrail-logs"])
            #expect(r.status == 4, "\(command): \(r.stderr)")
            #expect(
                r.stderr.contains("cannot read input /no/such/crosstrail-logs: no such file or directory"),
                "\(r.stderr)")
            #expect(r.stdout.isEmpty)
        }
    }

    /// An empty or unrecognizable inventory folder read as "no permissions" would report a clean estate.
    @Test func emptyOrMissingInventoryExitsFour() throws {
        let empty = try TestPaths.temporaryDirectory("empty-inventory")
        let r = try runCrossTrail(["scan", "--inventory", empty.path, "--format", "json"])
        #expect(r.status == 4, "\(r.stderr)")
        #expect(
            r.stderr.contains("--inventory \(empty.path) adds nothing to the inventory (0 files read"), "\(r.stderr)")
        #expect(r.stdout.isEmpty, "no findings document that could be mistaken for a clean result")
        let junk = try TestPaths.temporaryDirectory("junk-inventory")
        try Data("{\"hello\": 1}".utf8).write(to: junk.appendingPathComponent("x.json"))
        #expect(try runCrossTrail(["who-can", "s3://b/", "--inventory", junk.path]).status == 4)
        #expect(try runCrossTrail(["scan", "--inventory", "/no/such/inventory"]).status == 4)
        // A folder with one recognized export and some noise is fine (the noise is a diagnostic).
        try FileManager.default.copyItem(atPath: Self.inventory, toPath: junk.appendingPathComponent("real").path)
        #expect(try runCrossTrail(["scan", "--inventory", junk.path, "-q", "--format", "json"]).status == 0)
    }

    @Test func failedRequestsExitFive() throws {
        let out = try TestPaths.temporaryDirectory("refused")
        // Nothing listens on port 9 of loopback: the connection is refused.
        let r = try runCrossTrail(
            ["fetch", "iam", "--out", out.path, "--endpoint-url", "https://127.0.0.1:9", "--retries", "0"],
            environment: [
                "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
                "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "AWS_REGION": "us-east-1",
            ])
        #expect(r.status == 5, "\(r.stderr)")
        #expect(r.stderr.contains("fetch failed") && r.stderr.contains("127.0.0.1:9"), "\(r.stderr)")
        let none = try runCrossTrail(
            ["fetch", "databricks", "--host", "https://127.0.0.1:9", "--inventory", "--out", out.path],
            environment: ["DATABRICKS_TOKEN": "", "DATABRICKS_CLIENT_ID": ""])
        #expect(none.status == 5 && none.stderr.contains("no Databricks credentials"), "\(none.stderr)")
    }

    @Test func storeAndOutputFailuresExitSix() throws {
        let dir = try TestPaths.temporaryDirectory("six")
        let notADatabase = dir.appendingPathComponent("case.db")
        try Data(repeating: 0x41, count: 4096).write(to: notADatabase)
        let r = try runCrossTrail([
            "scan", "--inventory", Self.inventory, "--store", notADatabase.path, "-q", "--format", "json",
        ])
        #expect(r.status == 6, "\(r.stderr)")
        #expect(r.stderr.contains(notADatabase.path), "the message names the store")
        let out = try runCrossTrail([
            "scan", "--inventory", Self.inventory, "-q", "-o", dir.appendingPathComponent("no/such/dir/f.json").path,
        ])
        #expect(out.status == 6, "\(out.stderr)")
        #expect(out.stderr.contains("cannot write"))
    }

    /// Store and option inputs follow the same table: a store or file that is not there is 4, a
    /// bad option value 2, a store that cannot be read 6; none of them is 1 ("findings").
    @Test func storeCommandsAndOptionFilesUseTheTable() throws {
        let dir = try TestPaths.temporaryDirectory("store-statuses")
        let missing = dir.appendingPathComponent("none.db").path
        for args in [["findings", "--store", missing], ["store", "info", missing]] {
            let r = try runCrossTrail(args)
            #expect(r.status == 4, "\(args): \(r.stderr)")
            #expect(r.stderr.contains(missing), "\(args): the message names the store")
        }
        let garbage = dir.appendingPathComponent("garbage.db")
        try Data(repeating: 0x41, count: 4096).write(to: garbage)
        for args in [["findings", "--store", garbage.path], ["store", "info", garbage.path]] {
            let r = try runCrossTrail(args)
            #expect(r.status == 6, "\(args): \(r.stderr)")
            #expect(r.stderr.contains(garbage.path), "\(args): \(r.stderr)")
        }
        let store = dir.appendingPathComponent("case.db").path
        #expect(try runCrossTrail(["scan", "--inventory", Self.inventory, "--store", store, "-q"]).status == 0)
        let history = try runCrossTrail(["findings", "--store", store, "--history", "F-000000000000"])
        #expect(history.status == 2 && history.stderr.contains("no finding F-000000000000"), "\(history.stderr)")

        let key = try runCrossTrail([
            "report", Self.logs, "--out", dir.appendingPathComponent("pack").path, "--sign",
            dir.appendingPathComponent("no-key.pem").path,
        ])
        #expect(key.status == 4 && key.stderr.contains("no-key.pem"), "\(key.stderr)")
        let token = try runCrossTrail([
            "fetch", "databricks", "--host", "https://127.0.0.1:9", "--inventory", "--out",
            dir.appendingPathComponent("f").path, "--token-file", dir.appendingPathComponent("no-token").path,
        ])
        #expect(token.status == 4 && token.stderr.contains("no-token"), "\(token.stderr)")
        let endpoint = try runCrossTrail(
            ["fetch", "iam", "--out", dir.appendingPathComponent("g").path, "--endpoint-url", "ftp://127.0.0.1:9"],
            environment: ["AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "x"])
        #expect(endpoint.status == 2 && endpoint.stderr.contains("--endpoint-url"), "\(endpoint.stderr)")
    }

    @Test func helpDocumentsEveryStatus() throws {
        let help = try runCrossTrail(["--help"]).stdout
        for code in ["0", "1", "2", "3", "4", "5", "6", "130"] {
            #expect(
                help.contains("\n  \(code.padding(toLength: 4, withPad: " ", startingAt: 0)) "),
                "exit status \(code) in --help")
        }
    }
}

/// `rules update` from a loopback HTTPS server, then the installed folder as --rules.
@Suite struct RulesUpdateCLITests {
    @Test func updateInstallsAFolderScanCanUse() throws {
        let tls = try TestTLS.make()
        let server = try TestServer.fakeAPIs(tls)
        let dir = try TestPaths.temporaryDirectory("rules-update-cli").appendingPathComponent("suzaku").path
        let r = try runCrossTrail([
            "rules", "update", server.url + "/archive/rules.tar.gz", "--folder", "suzaku/aws", "--dir", dir,
            "--ca-bundle", tls.ca,
        ])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(
            r.stderr.contains("crosstrail: 8 rules and 5 correlation rules from \(server.url)/archive/rules.tar.gz"))
        #expect(r.stderr.contains("installed in \(dir) (use: --rules \(dir))"))
        let list = try runCrossTrail(["rules", "list", "--rules", dir])
        #expect(list.status == 0 && list.stdout.contains("7 correlation rules"), "2 built-in and 5: \(list.stdout)")
        // Without the test CA the server is not trusted: a network failure, nothing installed elsewhere.
        let untrusted = try runCrossTrail([
            "rules", "update", server.url + "/archive/rules.tar.gz", "--folder", "suzaku/aws", "--dir", dir + "-2",
        ])
        #expect(untrusted.status == 5, "\(untrusted.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "-2"))
        // Installed in the default place, a set is named by its name; a --rules path that does
        // not exist is an error, never a scan without those rules.
        let data = try TestPaths.temporaryDirectory("xdg-data").path
        let named = try runCrossTrail(
            [
                "rules", "update", server.url + "/archive/rules.tar.gz", "--folder", "suzaku/aws", "--ca-bundle",
                tls.ca, "-q",
            ], environment: ["XDG_DATA_HOME": data])
        #expect(named.status == 0, "\(named.stderr)")
        #expect(FileManager.default.fileExists(atPath: data + "/crosstrail/rules/custom/SOURCE.json"))
        let byName = try runCrossTrail(["rules", "list", "--rules", "custom"], environment: ["XDG_DATA_HOME": data])
        #expect(byName.status == 0 && byName.stdout.contains("7 correlation rules"), "\(byName.stderr)")
        for args in [
            ["rules", "list", "--rules", "/no/such/rules"],
            ["scan", ExitStatusTests.logs, "--rules", "nosuchset", "-q"],
        ] {
            let missing = try runCrossTrail(args)
            #expect(
                missing.status == 4 && missing.stderr.contains("no such file or directory"),
                "\(args): \(missing.stderr)")
        }
    }
}

/// `rules export` writes the built-in rules as Sigma that pySigma (the reference Sigma library)
/// parses and validates without an issue, and that crosstrail reads back unchanged.
@Suite struct RulesExportCLITests {
    static let pySigma = """
        import json, pathlib, sys
        from sigma.collection import SigmaCollection
        from sigma.validation import SigmaValidator
        from sigma.validators.core import validators
        # attacktag and d3_fendtag download MITRE data; tests never reach the internet.
        validator = SigmaValidator([v for k, v in validators.items() if k not in {"attacktag", "d3_fendtag"}])
        rules, problems = 0, []
        for path in sorted(pathlib.Path(sys.argv[1]).rglob("*.yml")):
            collection = SigmaCollection.from_yaml(path.read_text(), collect_errors=True)
            for rule in collection.rules:
                rules += 1
                problems += [f"{path.name}: {e}" for e in (rule.errors or [])]
            clean = [r for r in collection.rules if not r.errors]
            problems += [f"{path.name}: {type(i).__name__}: {i}" for i in validator.validate_rules(clean)]
        print(json.dumps({"rules": rules, "problems": problems[:20], "count": len(problems)}))
        """

    @Test func exportedRulesAreValidSigma() throws {
        let dir = try TestPaths.temporaryDirectory("rules-export").appendingPathComponent("rules").path
        let export = try runCrossTrail(["rules", "export", dir])
        #expect(export.status == 0, "\(export.stderr)")
        let builtins = try runCrossTrail(["rules", "list"]).stdout
        // "261 rules, 2 correlation rules"
        let counts = try #require(
            builtins.split(separator: "\n").first { $0.hasSuffix("correlation rules") }?.split(separator: " ")
                .compactMap { Int($0.trimmingCharacters(in: .punctuationCharacters)) })
        let (count, correlations) = (counts[0], counts[1])
        #expect(correlations >= 2)
        let files = (FileManager.default.enumerator(atPath: dir)?.compactMap { $0 as? String } ?? []).filter {
            $0.hasSuffix(".yml")
        }
        #expect(
            export.stderr.contains(
                "crosstrail: \(files.count) files (\(count) rules, \(correlations) correlation rules) written to \(dir)"
            ),
            "\(export.stderr)")

        let (status, output) = try runPython(Self.pySigma, [dir])
        #expect(status == 0, "\(output)")
        let report = try #require(
            try JSONSerialization.jsonObject(
                with: Data(output.split(separator: "\n").last.map(String.init)?.utf8 ?? "".utf8))
                as? [String: Any], "\(output)")
        #expect(report["rules"] as? Int == count + correlations, "pySigma read every rule and correlation")
        #expect(report["count"] as? Int == 0, "\(report["problems"] ?? "")")

        // Read back as --rules they replace the built-ins one for one: the same rules, no errors.
        let again = try runCrossTrail(["rules", "list", "--rules", dir])
        #expect(
            again.status == 0 && again.stdout.contains("\(count) rules, \(correlations) correlation rules"),
            "\(again.stdout)")
        // An existing export is not overwritten without --force.
        let refused = try runCrossTrail(["rules", "export", dir])
        #expect(refused.status == 2 && refused.stderr.contains("already exists"), "\(refused.stderr)")
        #expect(try runCrossTrail(["rules", "export", dir, "--force", "-q"]).status == 0)
    }
}
