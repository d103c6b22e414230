import Foundation
import TestSupport
import Testing

/// `crosstrail fetch` against real servers on loopback over TLS: moto's server for S3 and IAM,
/// and a local HTTPS server for Databricks and CloudTrail LookupEvents (Tests/Servers/fake_apis.py).
@Suite(.serialized) struct FetchCLITests {
    static let samples = TestPaths.packageRoot.appendingPathComponent("Samples")
    static let awsEnv = [
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzSECRETzz",
        "AWS_SESSION_TOKEN": "FwoGZXIvYXdzEXAMPLESESSIONTOKENzzSECRETzz", "AWS_REGION": "us-east-1",
        "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
    ]
    static let dbxOAuth = [
        "DATABRICKS_CLIENT_ID": "sp-client-id", "DATABRICKS_CLIENT_SECRET": "sp-client-secret-do-not-print",
    ]

    /// Puts the Samples' CloudTrail files (digests with their signature metadata) and a small IAM
    /// account into moto, with boto3 (verifying the test CA).
    static func seedMoto(_ server: TestServer, _ tls: TestTLS) throws {
        let script = """
            import boto3, glob, json, os, sys
            kw = dict(endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
                      aws_secret_access_key="x", verify=sys.argv[2])
            s3 = boto3.client("s3", **kw)
            s3.create_bucket(Bucket="acme-trail")
            root = sys.argv[3]
            for path in sorted(glob.glob(root + "/AWSLogs/**/*.json.gz", recursive=True)):
                extra = {}
                if os.path.exists(path + ".s3meta.json"):
                    extra["Metadata"] = json.load(open(path + ".s3meta.json"))["metadata"]
                s3.put_object(Bucket="acme-trail", Key=os.path.relpath(path, root), Body=open(path, "rb").read(), **extra)
            # Keys an attacker with bucket access could plant: they must never escape --out.
            s3.put_object(Bucket="acme-trail", Key="AWSLogs/../../escaped.json", Body=b"{}")
            s3.put_object(Bucket="acme-trail", Key="AWSLogs/x/.hidden/../..//etc/passwd", Body=b"{}")
            iam = boto3.client("iam", **kw)
            iam.create_user(UserName="alice")
            iam.create_group(GroupName="admins"); iam.add_user_to_group(GroupName="admins", UserName="alice")
            doc = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
            arn = iam.create_policy(PolicyName="everything", PolicyDocument=doc)["Policy"]["Arn"]
            iam.attach_group_policy(GroupName="admins", PolicyArn=arn)
            trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
            iam.create_role(RoleName="reader", AssumeRolePolicyDocument=trust)
            iam.put_role_policy(RoleName="reader", PolicyName="s3-read", PolicyDocument=json.dumps({"Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-pii-customers/*"}]}))
            for i in range(3):
                iam.create_user(UserName=f"user{i}")
            print("seeded")
            """
        let (status, output) = try runPython(script, [server.url, tls.ca, samples.appendingPathComponent("logs").path])
        #expect(status == 0, "\(output)")
    }

    @Test func s3AndIAMFromMotoOverTLS() throws {
        let tls = try TestTLS.make()
        let moto = try TestServer.moto(tls)
        try Self.seedMoto(moto, tls)
        let out = try TestPaths.temporaryDirectory("fetch-s3").appendingPathComponent("logs")
        let args = [
            "fetch", "s3://acme-trail/AWSLogs/", "--since", "2026-08-01", "--until", "2026-08-03", "--out", out.path,
            "--endpoint-url", moto.url, "--ca-bundle", tls.ca, "--jobs", "4",
        ]
        let r = try runCrossTrail(args, environment: Self.awsEnv)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("39 listed, 39 fetched"), "\(r.stderr)")
        // What was fetched is a valid, complete digest chain, and reads as a timeline.
        let v = try runCrossTrail([
            "verify-digests", out.path, "--public-keys",
            Self.samples.appendingPathComponent("keys/cloudtrail-public-keys.json").path,
        ])
        #expect(
            v.status == 0
                && v.stdout.contains(
                    "8 digest files (8 signatures verified), 31 log files listed, 31 verified; 0 problems"),
            "\(v.stdout)")
        let t = try runCrossTrail([
            "timeline", out.path, "--format", "jsonl", "-o",
            out.deletingLastPathComponent().appendingPathComponent("t.jsonl").path,
        ])
        #expect(t.status == 0 && t.stderr.contains("diagnostics") == false, "\(t.stderr)")

        // The provenance manifest lists the requests and every file with its SHA-256; no secret anywhere.
        let manifestURL = out.appendingPathComponent(".crosstrail-fetch/fetch-manifest.json")
        let manifest = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: manifestURL)) as? [String: Any])
        let recorded = try #require(manifest["files"] as? [String: [String: Any]])
        #expect(recorded.count == 39)
        #expect(recorded.values.allSatisfy { ($0["sha256"] as? String)?.count == 64 })
        let requests = try #require(manifest["requests"] as? [[String: Any]])
        #expect(
            requests.contains {
                ($0["label"] as? String)?.hasPrefix("S3 GetObject s3://acme-trail/AWSLogs/111122223333/CloudTrail/")
                    == true && $0["status"] as? Int == 200
            })
        // Rerun: nothing new.
        let again = try runCrossTrail(args, environment: Self.awsEnv)
        #expect(
            again.status == 0 && again.stderr.contains("0 fetched") && again.stderr.contains("39 already up to date"),
            "\(again.stderr)")

        // Without the date range the planted keys are listed too: they land inside --out, encoded.
        let all = try runCrossTrail(
            ["fetch", "s3://acme-trail/", "--out", out.path, "--endpoint-url", moto.url, "--ca-bundle", tls.ca],
            environment: Self.awsEnv)
        #expect(all.status == 0, "\(all.stderr)")
        #expect(
            FileManager.default.fileExists(
                atPath: out.appendingPathComponent("AWSLogs/%2E%2E/%2E%2E/escaped.json").path))
        #expect(
            !FileManager.default.fileExists(
                atPath: out.deletingLastPathComponent().appendingPathComponent("escaped.json").path))
        let files = try FileManager.default.subpathsOfDirectory(atPath: out.path)
        #expect(!files.contains { $0.contains("..") && !$0.contains("%2E%2E") })
        #expect(!files.contains { $0.contains(".part-") }, "no partial file left")

        try Self.expectNoSecrets(
            in: out, outputs: [r, again, all],
            secrets: Array(Self.awsEnv.values.filter { $0.contains("SECRET") || $0.hasPrefix("wJal") }))

        // IAM through the Query protocol → the AWS CLI's JSON, which the inventory reader takes.
        let inv = out.deletingLastPathComponent().appendingPathComponent("inventory")
        let iam = try runCrossTrail(
            ["fetch", "iam", "--out", inv.path, "--endpoint-url", moto.url, "--ca-bundle", tls.ca],
            environment: Self.awsEnv)
        #expect(iam.status == 0, "\(iam.stderr)")
        let who = try runCrossTrail([
            "who-can", "s3://acme-pii-customers/", "--inventory", inv.path, "--format", "json",
        ])
        #expect(who.status == 0, "\(who.stderr)")
        #expect(who.stdout.contains("user/alice") && who.stdout.contains("role/reader"), "\(who.stdout)")
        #expect(!who.stdout.contains("user/user1"))
        #expect(who.stderr.contains("4 IAM users, 1 roles, 1 managed policies"), "\(who.stderr)")

        // An evidence pack over fetched inputs carries their provenance, hashed like every file.
        let pack = out.deletingLastPathComponent().appendingPathComponent("pack")
        let rep = try runCrossTrail(["report", out.path, "--inventory", inv.path, "--out", pack.path, "-q"])
        #expect(rep.status == 0, "\(rep.stderr)")
        #expect(FileManager.default.fileExists(atPath: pack.appendingPathComponent("fetch-manifest.json").path))
        #expect(FileManager.default.fileExists(atPath: pack.appendingPathComponent("fetch-manifest-2.json").path))
        #expect(try runCrossTrail(["verify", pack.path]).status == 0)
    }

    /// AWS Organizations (JSON 1.1) and resource policies (S3 REST, S3 Control, KMS JSON 1.1, STS
    /// Query) from moto over TLS, read back by the inventory and judged: a public bucket policy, a
    /// public ACL that Block Public Access does not ignore, a KMS key granted to an outside account,
    /// and the management account, which SCPs never bound.
    @Test func organizationsAndResourcePoliciesFromMotoOverTLS() throws {
        let tls = try TestTLS.make()
        let moto = try TestServer.moto(tls)
        let script = """
            import boto3, json, sys
            kw = dict(endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
                      aws_secret_access_key="x", verify=sys.argv[2])
            org = boto3.client("organizations", **kw)
            org.create_organization(FeatureSet="ALL")
            root = org.list_roots()["Roots"][0]["Id"]
            ou = org.create_organizational_unit(ParentId=root, Name="Workloads")["OrganizationalUnit"]["Id"]
            acct = org.create_account(Email="a@example.com", AccountName="prod")["CreateAccountStatus"]["AccountId"]
            org.move_account(AccountId=acct, SourceParentId=root, DestinationParentId=ou)
            org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
            org.enable_policy_type(RootId=root, PolicyType="RESOURCE_CONTROL_POLICY")
            deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]}
            p = org.create_policy(Content=json.dumps(deny), Description="d", Name="DenyIAM", Type="SERVICE_CONTROL_POLICY")
            org.attach_policy(PolicyId=p["Policy"]["PolicySummary"]["Id"], TargetId=ou)
            iam = boto3.client("iam", **kw)
            iam.create_user(UserName="admin")
            iam.put_user_policy(UserName="admin", PolicyName="all", PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
            s3 = boto3.client("s3", **kw)
            s3.create_bucket(Bucket="acme-web"); s3.create_bucket(Bucket="acme-acl"); s3.create_bucket(Bucket="acme-quiet")
            s3.put_bucket_policy(Bucket="acme-web", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-web/*"}]}))
            s3.put_bucket_acl(Bucket="acme-acl", ACL="public-read")
            s3.put_public_access_block(Bucket="acme-acl", PublicAccessBlockConfiguration={"BlockPublicAcls": True,
                "IgnorePublicAcls": False, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
            s3.put_bucket_policy(Bucket="acme-quiet", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::acme-quiet/*",
                 "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))
            kms = boto3.client("kms", **kw)
            kms.create_key(Policy=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "kms:Decrypt", "Resource": "*"}]}))
            print("seeded")
            """
        let (status, output) = try runPython(script, [moto.url, tls.ca])
        #expect(status == 0, "\(output)")
        let inv = try TestPaths.temporaryDirectory("fetch-policies")
        for source in ["organizations", "resource-policies", "iam"] {
            let r = try runCrossTrail(
                ["fetch", source, "--out", inv.path, "--endpoint-url", moto.url, "--ca-bundle", tls.ca],
                environment: Self.awsEnv)
            #expect(r.status == 0, "\(source): \(r.stderr)")
        }
        let org = try String(contentsOf: inv.appendingPathComponent("organizations.json"), encoding: .utf8)
        #expect(org.contains("DenyIAM") && org.contains("RCPFullAWSAccess") && org.contains("\"ParentId\""))
        let findingsFile = inv.deletingLastPathComponent().appendingPathComponent(inv.lastPathComponent + ".json")
        let scan = try runCrossTrail(["scan", "--inventory", inv.path, "--format", "json", "-o", findingsFile.path])
        #expect(scan.status == 0, "\(scan.stderr)")
        #expect(!scan.stderr.contains("warning"), "every file is read: \(scan.stderr)")
        let doc = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: findingsFile)) as? [String: Any])
        let findings = try #require(doc["findings"] as? [[String: Any]])
        let titles = Set(findings.compactMap { $0["title"] as? String })
        #expect(titles.contains("S3 bucket acme-web is open to everyone"), "\(titles)")
        #expect(titles.contains("S3 bucket acme-acl is open to everyone"), "\(titles)")
        #expect(!titles.contains { $0.contains("acme-quiet") }, "a Deny-only policy opens nothing")
        #expect(
            titles.contains {
                $0.hasPrefix("KMS key arn:aws:kms:us-east-1:")
                    && $0.hasSuffix("grants account 444455556666 outside the organisation")
            }, "\(titles)")
        #expect(
            titles.contains("user admin is administrator-equivalent"), "the management account is not bounded by SCPs")
    }

    @Test func untrustedCertificatesFail() throws {
        let tls = try TestTLS.make()
        let moto = try TestServer.moto(tls)
        let out = try TestPaths.temporaryDirectory("untrusted")
        // No --ca-bundle: the test CA is not trusted, and crosstrail does not fall back to no verification.
        let r = try runCrossTrail(
            ["fetch", "s3://acme-trail/", "--out", out.path, "--endpoint-url", moto.url, "--retries", "3"],
            environment: Self.awsEnv)
        #expect(r.status == 5)
        #expect(
            r.stderr.contains("S3 ListObjectsV2 s3://acme-trail/") && r.stderr.contains("certificate"), "\(r.stderr)")
        #expect(!r.stderr.contains("gave up after"), "certificate errors are not retried")
        // Another CA is no better.
        let other = try TestTLS.make()
        let r2 = try runCrossTrail(
            ["fetch", "iam", "--out", out.path, "--endpoint-url", moto.url, "--ca-bundle", other.ca],
            environment: Self.awsEnv)
        #expect(r2.status == 5 && r2.stderr.contains("certificate"), "\(r2.stderr)")
    }

    @Test func databricksAuditAndInventoryWithOAuth() throws {
        let tls = try TestTLS.make()
        let server = try TestServer.fakeAPIs(tls)
        let dir = try TestPaths.temporaryDirectory("dbx")
        let logs = dir.appendingPathComponent("logs"), inv = dir.appendingPathComponent("inventory")
        for external in [true, false] {
            let out = logs.appendingPathComponent(external ? "links" : "inline")
            let r = try runCrossTrail(
                [
                    "fetch", "databricks", "--host", server.url, "--audit", "--warehouse-id", "wh1", "--since",
                    "2026-08-01",
                    "--until", "2026-08-02", "--out", out.path, "--ca-bundle", tls.ca,
                ] + (external ? [] : ["--inline"]),
                environment: Self.dbxOAuth)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stderr.contains("system.access.audit: 7 listed"), "\(r.stderr)")
            let t = try runCrossTrail(["timeline", out.path, "--format", "jsonl"])
            let rows = try #require(parseJSONLines(t.stdout))
            #expect(rows.count == 7)
            #expect((rows.first?["actor"] as? [String: Any])?["email"] as? String == "user0@acme.example")
        }
        let r = try runCrossTrail(
            [
                "fetch", "databricks", "--host", server.url, "--inventory", "--warehouse-id", "wh1", "--out", inv.path,
                "--ca-bundle", tls.ca,
            ], environment: Self.dbxOAuth)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(
            r.stderr.contains("permissions of clusters 0801-0000-c2") && r.stderr.contains("404"),
            "a deleted object is a warning: \(r.stderr)")
        // 150 SCIM users over two pages, clusters over two pages, grants and column tags: the inventory reader takes it all.
        let scan = try runCrossTrail(["scan", "--inventory", inv.path, "--format", "json"])
        #expect(scan.stderr.contains("150 Databricks users, 2 groups"), "\(scan.stderr)")
        #expect(scan.stderr.contains("3 clusters") && scan.stderr.contains("1 classified tables"), "\(scan.stderr)")
        #expect(!scan.stderr.contains("warning"), "every fetched file is a recognised export: \(scan.stderr)")
        #expect(scan.stdout.contains("dbx-broad-group-data-grant"))

        let log = try Self.serverLog(server, tls)
        // Presigned result links never carry the workspace token; every API call does.
        let presigned = log.filter { ($0["path"] as? String)?.hasPrefix("/presigned/") == true }
        #expect(!presigned.isEmpty && presigned.allSatisfy { $0["auth"] as? Bool == false })
        #expect(
            log.filter { ($0["path"] as? String)?.hasPrefix("/api/") == true }.allSatisfy {
                $0["auth"] as? Bool == true
            })
        try Self.expectNoSecrets(in: dir, outputs: [r], secrets: ["sp-client-secret-do-not-print"])
    }

    @Test func patExpiredTokenIsAClearError() throws {
        let tls = try TestTLS.make()
        let server = try TestServer.fakeAPIs(tls)
        let out = try TestPaths.temporaryDirectory("pat")
        let ok = try runCrossTrail(
            ["fetch", "databricks", "--host", server.url, "--inventory", "--out", out.path, "--ca-bundle", tls.ca],
            environment: ["DATABRICKS_TOKEN": "dapi-test-token-0123456789abcdef"])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stderr.contains("column tags not fetched"), "no warehouse: said, not silently skipped")
        let expired = try runCrossTrail(
            ["fetch", "databricks", "--host", server.url, "--inventory", "--out", out.path, "--ca-bundle", tls.ca],
            environment: ["DATABRICKS_TOKEN": "dapi-expired-0000"])
        #expect(expired.status == 5)
        #expect(
            expired.stderr.contains("HTTP 401") && expired.stderr.contains("DATABRICKS_TOKEN")
                && expired.stderr.contains("Databricks SCIM Users"), "\(expired.stderr)")
        #expect(!expired.stderr.contains("dapi-expired-0000"))
        let none = try runCrossTrail(
            ["fetch", "databricks", "--host", server.url, "--inventory", "--out", out.path],
            environment: ["DATABRICKS_TOKEN": "", "DATABRICKS_CLIENT_ID": ""])
        #expect(none.status == 5 && none.stderr.contains("no Databricks credentials"))
    }

    @Test func faultsAreRetriedOrFailClearly() throws {
        let tls = try TestTLS.make()
        let server = try TestServer.fakeAPIs(tls)
        let env = ["DATABRICKS_TOKEN": "dapi-test-token-0123456789abcdef"]
        func arm(_ path: String, _ kind: String, _ times: Int) throws {
            let (status, output) = try runPython(
                """
                import json, ssl, sys, urllib.request
                ctx = ssl.create_default_context(cafile=sys.argv[2])
                req = urllib.request.Request(sys.argv[1] + "/_faults", data=json.dumps({"path": sys.argv[3], "kind": sys.argv[4], "times": int(sys.argv[5])}).encode(), method="POST")
                print(urllib.request.urlopen(req, context=ctx).read().decode())
                """, [server.url, tls.ca, path, kind, String(times)])
            #expect(status == 0, "\(output)")
        }
        func fetch(_ extra: [String] = []) throws -> (CommandResult, URL) {
            let out = try TestPaths.temporaryDirectory("faults")
            return (
                try runCrossTrail(
                    [
                        "fetch", "databricks", "--host", server.url, "--inventory", "--out", out.path, "--ca-bundle",
                        tls.ca,
                    ] + extra,
                    environment: env), out
            )
        }
        // 500 twice, 429 once, then fine: retried with backoff, and the manifest shows every attempt.
        try arm("/api/2.0/preview/scim/v2/Groups", "500", 2)
        try arm("/api/2.1/jobs/list", "429", 1)
        // A body cut short (Content-Length not reached) and a connection dropped mid-body: retried.
        try arm("/api/2.0/preview/scim/v2/ServicePrincipals", "truncate", 1)
        try arm("/api/2.0/instance-profiles/list", "drop", 1)
        let (r, out) = try fetch()
        #expect(r.status == 0, "\(r.stderr)")
        let manifest = try #require(
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: out.appendingPathComponent(".crosstrail-fetch/fetch-manifest.json")))
                as? [String: Any])
        let requests = try #require(manifest["requests"] as? [[String: Any]])
        let groups = requests.filter { ($0["label"] as? String)?.hasPrefix("Databricks SCIM Groups") == true }
        #expect(groups.map { $0["status"] as? Int } == [500, 500, 200])
        #expect(
            requests.contains {
                ($0["label"] as? String)?.hasPrefix("Databricks jobs") == true && $0["status"] as? Int == 429
            })
        #expect(
            requests.contains {
                ($0["label"] as? String)?.hasPrefix("Databricks SCIM ServicePrincipals") == true && $0["error"] != nil
            })
        let sps = try String(contentsOf: out.appendingPathComponent("scim-service-principals.json"), encoding: .utf8)
        #expect(sps.contains("etl-bot"), "the retried body is complete")

        // Still failing after the retries: the message names the request and the attempts.
        try arm("/api/2.0/preview/scim/v2/Users", "503", 10)
        let (r2, out2) = try fetch(["--retries", "2"])
        #expect(r2.status == 5)
        #expect(
            r2.stderr.contains("Databricks SCIM Users from 1") && r2.stderr.contains("HTTP 503")
                && r2.stderr.contains("gave up after 3 attempts"), "\(r2.stderr)")
        #expect(
            !FileManager.default.fileExists(atPath: out2.appendingPathComponent("scim-users.json").path),
            "nothing half-written")

        // Not retryable: 403 stops at once.
        try arm("/api/2.0/preview/scim/v2/Users", "403", 1)
        let (r3, _) = try fetch()
        #expect(r3.status == 5 && r3.stderr.contains("HTTP 403") && !r3.stderr.contains("gave up"), "\(r3.stderr)")

        // A server that stalls past the timeout.
        try arm("/api/2.0/preview/scim/v2/Users", "stall", 5)
        let (r4, _) = try fetch(["--stall-timeout", "1", "--retries", "1"])
        #expect(r4.status == 5 && r4.stderr.contains("Databricks SCIM Users"), "\(r4.stderr)")
        #expect(
            r4.stderr.lowercased().contains("timeout") || r4.stderr.lowercased().contains("timed out")
                || r4.stderr.contains("too slow"), "\(r4.stderr)")
    }

    @Test func lookupEventsAreSignedAndReadable() throws {
        let tls = try TestTLS.make()
        let server = try TestServer.fakeAPIs(tls)
        let out = try TestPaths.temporaryDirectory("lookup")
        let r = try runCrossTrail(
            [
                "fetch", "cloudtrail", "--since", "2026-08-01", "--until", "2026-08-02", "--out", out.path,
                "--endpoint-url", server.url, "--ca-bundle", tls.ca,
            ], environment: Self.awsEnv)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("CloudTrail LookupEvents: 6 listed, 2 fetched"), "\(r.stderr)")
        let t = try runCrossTrail(["timeline", out.path, "--format", "jsonl"])
        let rows = try #require(parseJSONLines(t.stdout))
        #expect(rows.count == 6 && rows.allSatisfy { $0["action"] as? String == "CreateAccessKey" })
        let log = try Self.serverLog(server, tls)
        #expect(log.filter { ($0["target"] as? String)?.hasSuffix("LookupEvents") == true }.count == 2)
        try Self.expectNoSecrets(
            in: out, outputs: [r],
            secrets: ["wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzSECRETzz", "FwoGZXIvYXdzEXAMPLESESSIONTOKENzzSECRETzz"])
    }

    /// A hostile statement API points its next chunk or its result links elsewhere: another port
    /// (another origin), a scheme-relative or `@`-prefixed path that moves the host, plain HTTP,
    /// `file://`. Each is refused with a message naming it; the token never reaches the other
    /// server, and nothing is requested from it at all.
    @Test func responseLinksNeverTakeTheTokenElsewhere() throws {
        let tls = try TestTLS.make()
        let server = try TestServer.fakeAPIs(tls)
        let other = try TestServer.fakeAPIs(tls)
        let otherPort = other.url.split(separator: ":").last.map(String.init) ?? ""
        let cases: [(kind: String, link: String, inline: Bool)] = [
            ("next", "https://127.0.0.1:\(otherPort)/api/2.0/sql/statements/st-0/result/chunks/1", true),
            ("next", "//127.0.0.1:\(otherPort)/api/2.0/sql/statements/st-0/result/chunks/1", true),
            ("next", "@127.0.0.1:\(otherPort)/api/2.0/sql/statements/st-0/result/chunks/1", true),
            ("next", "http://127.0.0.1:{port}/api/2.0/sql/statements/st-0/result/chunks/1", true),
            ("next", "https://user@127.0.0.1:{port}/api/2.0/sql/statements/st-0/result/chunks/1", true),
            ("next", "\\127.0.0.1:\(otherPort)/api", true),
            ("external", "file:///etc/passwd", false),
            ("external", "http://127.0.0.1:\(otherPort)/presigned/st-0/0", false),
        ]
        for (i, c) in cases.enumerated() {
            let (status, output) = try runPython(
                """
                import json, ssl, sys, urllib.request
                req = urllib.request.Request(sys.argv[1] + "/_hostile", data=json.dumps({sys.argv[3]: sys.argv[4]}).encode(), method="POST")
                urllib.request.urlopen(req, context=ssl.create_default_context(cafile=sys.argv[2])).read()
                """, [server.url, tls.ca, c.kind, c.link])
            #expect(status == 0, "\(output)")
            let out = try TestPaths.temporaryDirectory("hostile-link-\(i)")
            let r = try runCrossTrail(
                [
                    "fetch", "databricks", "--host", server.url, "--audit", "--warehouse-id", "wh1", "--since",
                    "2026-08-01", "--until", "2026-08-02", "--out", out.path, "--ca-bundle", tls.ca, "--retries", "0",
                ] + (c.inline ? ["--inline"] : []), environment: Self.dbxOAuth)
            #expect(r.status == 5, "\(c.link): \(r.stderr)")
            #expect(
                r.stderr.contains("refusing to send the token there") || r.stderr.contains("is not an https:// URL"),
                "\(c.link): \(r.stderr)")
            try Self.expectNoSecrets(in: out, outputs: [r], secrets: ["sp-client-secret-do-not-print"])
        }
        #expect(try Self.serverLog(other, tls).filter { ($0["path"] as? String) != "/_log" }.isEmpty, "never contacted")
        // Only the API (with the token) and nothing else was asked of the workspace.
        let log = try Self.serverLog(server, tls).filter { ($0["path"] as? String)?.hasPrefix("/_") == false }
        #expect(
            log.allSatisfy {
                ($0["path"] as? String)?.hasPrefix("/api/") == true
                    || ($0["path"] as? String)?.hasPrefix("/oidc/") == true
            }, "\(log)")
    }

    /// Servers that never end: a page token repeated forever (LookupEvents, Databricks lists, S3
    /// listings), a statement that stays pending, an object body longer than its listed size
    /// (endless). Each stops with an error naming the cause, quickly; nothing partial is kept. A
    /// key that is also a folder of other keys is a warning and the rest is fetched.
    @Test func hostileServersAreBounded() throws {
        let tls = try TestTLS.make()
        let server = try TestServer.fakeAPIs(tls)
        func hostile(_ settings: String) throws {
            let (status, output) = try runPython(
                """
                import ssl, sys, urllib.request
                req = urllib.request.Request(sys.argv[1] + "/_hostile", data=sys.argv[3].encode(), method="POST")
                urllib.request.urlopen(req, context=ssl.create_default_context(cafile=sys.argv[2])).read()
                """, [server.url, tls.ca, settings])
            #expect(status == 0, "\(output)")
        }
        let dir = try TestPaths.temporaryDirectory("hostile-servers")
        let aws = ["--endpoint-url", server.url, "--ca-bundle", tls.ca, "--retries", "0"]
        let dbx = ["--host", server.url, "--ca-bundle", tls.ca, "--retries", "0", "--warehouse-id", "wh1"]
        let cases: [(settings: String, args: [String], expect: String)] = [
            (
                #"{"lookup_loop": true}"#,
                ["fetch", "cloudtrail", "--since", "2026-08-01", "--until", "2026-08-02"] + aws,
                "returned page token \"0\" again"
            ),
            (
                #"{"clusters_loop": true}"#, ["fetch", "databricks", "--inventory"] + dbx,
                "returned page token \"p1\" again"
            ),
            (
                #"{"pending": true}"#,
                ["fetch", "databricks", "--audit", "--since", "2026-08-01", "--statement-timeout", "2"] + dbx,
                "after 2 s (--statement-timeout); cancelled"
            ),
            ("{}", ["fetch", "s3://loop-bucket/"] + aws, "returned page token \"same\" again"),
            ("{}", ["fetch", "s3://big-bucket/"] + aws, "longer than the 10 bytes expected"),
        ]
        for (i, c) in cases.enumerated() {
            try hostile(c.settings)
            let out = dir.appendingPathComponent("case-\(i)")
            let started = Date()
            let r = try runCrossTrail(
                c.args + ["--out", out.path], environment: Self.awsEnv.merging(Self.dbxOAuth) { a, _ in a },
                timeout: 120)
            #expect(r.status == 5, "\(c.args[1]): \(r.stderr)")
            #expect(r.stderr.contains(c.expect), "\(c.args[1]): \(r.stderr)")
            #expect(Date().timeIntervalSince(started) < 60, "bounded: \(c.args[1])")
        }
        #expect(
            !FileManager.default.fileExists(atPath: dir.appendingPathComponent("case-4/logs/big.json").path),
            "the cut-off body is not kept")
        try hostile("{}")
        let out = dir.appendingPathComponent("folder")
        let r = try runCrossTrail(["fetch", "s3://folder-bucket/", "--out", out.path] + aws, environment: Self.awsEnv)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("s3://folder-bucket/a/b: not fetched: the key is also the folder"), "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("a/b/c.json").path))
    }

    /// A workspace or endpoint given as plain HTTP (or with user information) is refused before
    /// any request: credentials never travel without TLS.
    @Test func credentialsNeverGoOverPlainHTTP() throws {
        let out = try TestPaths.temporaryDirectory("plain-http")
        for host in ["http://127.0.0.1:9", "https://user:pw@127.0.0.1:9", "https://127.0.0.1:9/path?x=1", "ftp://x"] {
            let r = try runCrossTrail(
                ["fetch", "databricks", "--host", host, "--inventory", "--out", out.path],
                environment: ["DATABRICKS_TOKEN": "dapi-0123456789abcdef0123456789abcdef"])
            #expect(r.status != 0 && r.stderr.contains("the token is never sent without TLS"), "\(host): \(r.stderr)")
            #expect(!r.stderr.contains("dapi-0123456789abcdef0123456789abcdef"))
        }
        for endpoint in ["http://127.0.0.1:9", "https://key:secret@127.0.0.1:9"] {
            let r = try runCrossTrail(
                ["fetch", "iam", "--out", out.path, "--endpoint-url", endpoint], environment: Self.awsEnv)
            #expect(r.status == 2 && r.stderr.contains("never sent without TLS"), "\(endpoint): \(r.stderr)")
        }
    }

    static func serverLog(_ server: TestServer, _ tls: TestTLS) throws -> [[String: Any]] {
        let (status, output) = try runPython(
            """
            import ssl, sys, urllib.request
            print(urllib.request.urlopen(sys.argv[1] + "/_log", context=ssl.create_default_context(cafile=sys.argv[2])).read().decode())
            """, [server.url, tls.ca])
        #expect(status == 0)
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        return doc["log"] as? [[String: Any]] ?? []
    }

    /// No secret in any file under `dir` nor in the command's output.
    static func expectNoSecrets(in dir: URL, outputs: [CommandResult], secrets: [String]) throws {
        for rel in try FileManager.default.subpathsOfDirectory(atPath: dir.path) {
            let path = dir.appendingPathComponent(rel).path
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue,
                let data = FileManager.default.contents(atPath: path)
            else { continue }
            let text = String(decoding: data, as: UTF8.self)
            for s in secrets { #expect(!text.contains(s), "secret in \(rel)") }
        }
        for o in outputs { for s in secrets { #expect(!o.stdout.contains(s) && !o.stderr.contains(s)) } }
    }
}
