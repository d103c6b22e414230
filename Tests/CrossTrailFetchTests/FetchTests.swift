import CrossTrailModel
import CrossTrailXML
import Foundation
import TestSupport
import Testing

@testable import CrossTrailFetch
@testable import CrossTrailHTTP

@Suite struct SigV4Tests {
    static let example = AWSCredentials(
        accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", source: "test")

    static func signature(_ r: HTTPRequest) -> String? {
        r.header("Authorization")?.components(separatedBy: "Signature=").last
    }

    /// AWS's published examples: the SigV4 test suite's get-vanilla and the IAM ListUsers request.
    @Test func awsPublishedExamples() {
        let vanilla = SigV4.sign(
            AWSRequest(endpoint: "https://example.amazonaws.com", service: "service", region: "us-east-1", label: "t"),
            credentials: Self.example, amzDate: "20150830T123600Z")
        #expect(Self.signature(vanilla) == "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
        #expect(
            vanilla.header("Authorization")?.hasPrefix(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, "
            ) == true)
        let listUsers = SigV4.sign(
            AWSRequest(
                endpoint: "https://iam.amazonaws.com", query: [("Action", "ListUsers"), ("Version", "2010-05-08")],
                headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
                service: "iam", region: "us-east-1", label: "t"),
            credentials: Self.example, amzDate: "20150830T123600Z")
        #expect(Self.signature(listUsers) == "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7")
        #expect(listUsers.url == "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08")
    }

    /// The same inputs through botocore's signers (SigV4Auth, and S3SigV4Auth for S3).
    @Test func matchesBotocore() throws {
        struct Case { var r: AWSRequest; var token: String? }
        let cases = [
            Case(
                r: AWSRequest(
                    endpoint: "https://acme-trail.s3.us-east-1.amazonaws.com",
                    path: "/AWSLogs/1/CloudTrail/us-east-1/2026/08/01/a b+c~ü.json.gz",
                    service: "s3", region: "us-east-1", label: "t"), token: nil),
            Case(
                r: AWSRequest(
                    endpoint: "https://s3.eu-west-1.amazonaws.com", path: "/acme-trail/",
                    query: [
                        ("list-type", "2"), ("prefix", "AWSLogs/o-abc/1/CloudTrail/"),
                        ("continuation-token", "1/a+b=c"), ("max-keys", "1000"),
                    ],
                    service: "s3", region: "eu-west-1", label: "t"), token: "FQoGZXIvYXdzEXAMPLE//token=="),
            Case(
                r: AWSRequest(
                    method: "POST", endpoint: "https://iam.amazonaws.com",
                    headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
                    body: Array("Action=GetAccountAuthorizationDetails&Version=2010-05-08&Marker=abc%2Fdef".utf8),
                    service: "iam", region: "us-east-1", label: "t"), token: nil),
            Case(
                r: AWSRequest(
                    method: "POST", endpoint: "https://cloudtrail.us-west-2.amazonaws.com",
                    headers: [
                        ("Content-Type", "application/x-amz-json-1.1"),
                        ("X-Amz-Target", "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"),
                    ],
                    body: Array("{\"MaxResults\":50}".utf8), service: "cloudtrail", region: "us-west-2", label: "t"),
                token: "tok"),
        ]
        let script = """
            import json, sys
            from botocore.auth import SigV4Auth, S3SigV4Auth
            from botocore.awsrequest import AWSRequest
            from botocore.credentials import Credentials
            out = []
            for c in json.loads(sys.stdin.read()):
                r = AWSRequest(method=c["method"], url=c["url"], headers=c["headers"], data=bytes(c["body"]))
                r.context["timestamp"] = "20260801T093000Z"
                cls = S3SigV4Auth if c["service"] == "s3" else SigV4Auth
                a = cls(Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", c["token"]), c["service"], c["region"])
                a.add_auth(r)
                out.append(r.headers["Authorization"])
            print(json.dumps(out))
            """
        var ours: [String] = []
        var inputs: [[String: Any]] = []
        for c in cases {
            var creds = Self.example
            creds.sessionToken = c.token
            let signed = SigV4.sign(c.r, credentials: creds, amzDate: "20260801T093000Z")
            ours.append(signed.header("Authorization") ?? "")
            inputs.append([
                "method": c.r.method, "url": signed.url,
                "headers": Dictionary(uniqueKeysWithValues: c.r.headers.map { ($0.0, $0.1) }),
                "body": c.r.body.map(Int.init), "service": c.r.service, "region": c.r.region, "token": c.token as Any,
            ])
        }
        // botocore's add_auth reads the clock: pin it to the same instant.
        let pinned =
            "import datetime, botocore.auth as b\nclass D(datetime.datetime):\n    @classmethod\n    def utcnow(cls): return cls(2026,8,1,9,30,0)\n    @classmethod\n    def now(cls, tz=None): return cls(2026,8,1,9,30,0, tzinfo=tz)\nb.datetime.datetime = D\n"
        let p = try runProcess(
            URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", pinned + script],
            stdin: try JSONSerialization.data(withJSONObject: inputs))
        #expect(p.status == 0, "\(p.stderr)")
        let theirs = try #require(try JSONSerialization.jsonObject(with: Data(p.stdout.utf8)) as? [String])
        #expect(theirs.count == ours.count)
        for (a, b) in zip(ours, theirs) { #expect(a == b) }
    }

    @Test func secretsNeverPrint() {
        let c = AWSCredentials(
            accessKeyId: "AKIAEXAMPLE123", secretAccessKey: "supersecretvalue", sessionToken: "tokenvalue",
            source: "environment")
        #expect(
            !"\(c)".contains("supersecretvalue") && !"\(c)".contains("tokenvalue") && !"\(c)".contains("EXAMPLE123"))
        let r = HTTPRequest(
            url: "https://bucket.s3.amazonaws.com/key?X-Amz-Signature=abc&X-Amz-Credential=AKIA", label: "t")
        #expect(r.redactedURL == "https://bucket.s3.amazonaws.com/key?…")
    }
}

@Suite struct SafePathTests {
    @Test func keysStayInside() throws {
        #expect(
            SafePath.relative("AWSLogs/1/CloudTrail/us-east-1/2026/08/01/f.json.gz")
                == "AWSLogs/1/CloudTrail/us-east-1/2026/08/01/f.json.gz")
        #expect(SafePath.relative("../../etc/passwd") == "%2E%2E/%2E%2E/etc/passwd")
        #expect(SafePath.relative("/abs//x/./y") == "%00empty/abs/%00empty/x/%2E/y")
        #expect(SafePath.relative("a\u{0}b\\c%d/.hidden") == "a%00b%5Cc%25d/%2Ehidden")
        let long = String(repeating: "x", count: 400)
        #expect(SafePath.segment(long).utf8.count < 255)
        let root = try TestPaths.temporaryDirectory("safe").path
        for key in ["../x", "a/../../x", "/etc/passwd", "..", "a/./../b", String(repeating: "../", count: 50)] {
            let p = try SafePath.join(root, SafePath.relative(key))
            #expect(p.hasPrefix(root + "/"), "\(key) → \(p)")
        }
        #expect(throws: FetchError.self) { try SafePath.join(root, "../outside") }
    }
}

@Suite struct AWSConfigTests {
    static func files(credentials: String, config: String = "") throws -> [String: String] {
        let dir = try TestPaths.temporaryDirectory("aws-config")
        try Data(credentials.utf8).write(to: dir.appendingPathComponent("credentials"))
        try Data(config.utf8).write(to: dir.appendingPathComponent("config"))
        return [
            "AWS_SHARED_CREDENTIALS_FILE": dir.appendingPathComponent("credentials").path,
            "AWS_CONFIG_FILE": dir.appendingPathComponent("config").path,
            "HOME": dir.path,
        ]
    }

    @Test func environmentThenProfiles() throws {
        var env = try Self.files(
            credentials:
                "[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = s1\n\n[prod]\naws_access_key_id=AKIAPROD\naws_secret_access_key=s2\naws_session_token=t2\n",
            config: "[default]\nregion = eu-west-1\n[profile prod]\nregion = us-west-2\n")
        var c = try AWSConfig.resolve(profile: nil, region: nil, endpointURL: nil, pathStyle: false, environment: env)
        #expect(c.credentials.accessKeyId == "AKIADEFAULT" && c.region == "eu-west-1" && !c.pathStyle)
        c = try AWSConfig.resolve(profile: "prod", region: nil, endpointURL: nil, pathStyle: false, environment: env)
        #expect(
            c.credentials.accessKeyId == "AKIAPROD" && c.credentials.sessionToken == "t2" && c.region == "us-west-2")
        env["AWS_ACCESS_KEY_ID"] = "AKIAENV"
        env["AWS_SECRET_ACCESS_KEY"] = "s3"
        env["AWS_REGION"] = "ap-south-1"
        c = try AWSConfig.resolve(
            profile: nil, region: nil, endpointURL: "https://127.0.0.1:9000/", pathStyle: false, environment: env)
        #expect(
            c.credentials.accessKeyId == "AKIAENV" && c.credentials.source == "environment" && c.region == "ap-south-1")
        #expect(c.endpointURL == "https://127.0.0.1:9000" && c.pathStyle, "IP endpoints use path-style addressing")
        // --profile wins over the environment, as in the AWS CLI.
        c = try AWSConfig.resolve(
            profile: "prod", region: "us-east-2", endpointURL: nil, pathStyle: false, environment: env)
        #expect(c.credentials.accessKeyId == "AKIAPROD" && c.region == "us-east-2")
        #expect(c.endpoint("iam") == "https://iam.amazonaws.com" && c.signingRegion("iam") == "us-east-1")
        #expect(c.endpoint("cloudtrail") == "https://cloudtrail.us-east-2.amazonaws.com")
    }

    @Test func credentialProcessAndClearErrors() throws {
        let dir = try TestPaths.temporaryDirectory("credproc")
        let script = dir.appendingPathComponent("creds.sh")
        try Data(
            "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"AKIAPROC\", \"SecretAccessKey\": \"sp\", \"SessionToken\": \"tp\"}'\n"
                .utf8
        ).write(to: script)
        chmod(script.path, 0o755)
        let env = try Self.files(
            credentials: "",
            config:
                "[profile ci]\ncredential_process = \(script.path) --role 'read only'\n[profile sso]\nsso_session = corp\nsso_account_id = 1\n"
        )
        let c = try AWSConfig.resolve(profile: "ci", region: nil, endpointURL: nil, pathStyle: false, environment: env)
        #expect(c.credentials.accessKeyId == "AKIAPROC" && c.credentials.sessionToken == "tp")
        #expect(
            INI.splitArguments("/bin/tool --role 'read only' \"x y\"") == ["/bin/tool", "--role", "read only", "x y"])
        do {
            _ = try AWSConfig.resolve(profile: "sso", region: nil, endpointURL: nil, pathStyle: false, environment: env)
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("AWS SSO") && "\(error)".contains("export-credentials"))
        }
        #expect(throws: AWSConfig.ConfigError.self) {
            try AWSConfig.resolve(profile: "missing", region: nil, endpointURL: nil, pathStyle: false, environment: env)
        }
        #expect(throws: AWSConfig.ConfigError.self) {
            try AWSConfig.resolve(
                profile: "ci", region: nil, endpointURL: "ftp://x", pathStyle: false, environment: env)
        }
    }
}

@Suite struct QueryXMLTests {
    @Test func iamXMLBecomesTheCLIShape() throws {
        let xml = """
            <GetAccountAuthorizationDetailsResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
              <GetAccountAuthorizationDetailsResult>
                <IsTruncated>false</IsTruncated>
                <UserDetailList>
                  <member>
                    <UserName>alice</UserName><Arn>arn:aws:iam::1:user/alice</Arn>
                    <GroupList><member>admins</member></GroupList>
                    <AttachedManagedPolicies/>
                    <UserPolicyList><member><PolicyName>inline</PolicyName>
                      <PolicyDocument>%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3A%2A%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D</PolicyDocument>
                    </member></UserPolicyList>
                  </member>
                </UserDetailList>
                <Policies><member><PolicyName>p</PolicyName><AttachmentCount>2</AttachmentCount><IsAttachable>true</IsAttachable>
                  <PolicyVersionList><member><VersionId>v1</VersionId><IsDefaultVersion>true</IsDefaultVersion></member></PolicyVersionList></member></Policies>
              </GetAccountAuthorizationDetailsResult>
            </GetAccountAuthorizationDetailsResponse>
            """
        let doc = try XMLNode.parse(Array(xml.utf8), source: "t")
        let result = try #require(doc["GetAccountAuthorizationDetailsResult"])
        let userList = try #require(result["UserDetailList"])
        let users = try #require(QueryXML.value(userList) as? [[String: Any]])
        #expect(users.first?["UserName"] as? String == "alice")
        #expect(users.first?["GroupList"] as? [String] == ["admins"])
        #expect((users.first?["AttachedManagedPolicies"] as? [Any])?.isEmpty == true)
        let inline = (users.first?["UserPolicyList"] as? [[String: Any]])?.first
        let statement = ((inline?["PolicyDocument"] as? [String: Any])?["Statement"] as? [[String: Any]])?.first
        #expect(statement?["Action"] as? String == "s3:*")
        let policies = try #require(result["Policies"])
        let policy = try #require((QueryXML.value(policies) as? [[String: Any]])?.first)
        #expect(policy["AttachmentCount"] as? Int == 2 && policy["IsAttachable"] as? Bool == true)
        #expect(((policy["PolicyVersionList"] as? [[String: Any]])?.first?["IsDefaultVersion"]) as? Bool == true)
    }

    @Test func hostileXMLIsRefusedOrInert() throws {
        #expect(throws: XMLParseError.self) { try XMLNode.parse(Array("<a><b></a>".utf8), source: "t") }
        // External entities are not loaded; the entity stays unexpanded.
        let xxe = "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><a>&x;</a>"
        let doc = try? XMLNode.parse(Array(xxe.utf8), source: "t")
        #expect(doc?.text.contains("root:") != true)
    }
}

@Suite struct DayRangeTests {
    @Test func foldersAndKeys() throws {
        let r = DayRange(
            since: try #require(Timestamp(iso: "2026-07-30")), until: try #require(Timestamp(iso: "2026-08-02")))
        #expect(r.folders == ["2026/07/30", "2026/07/31", "2026/08/01"])
        #expect(r.forDigests.folders.last == "2026/08/02")
        #expect(r.contains(key: "AWSLogs/1/CloudTrail/us-east-1/2026/08/01/x.json.gz"))
        #expect(!r.contains(key: "AWSLogs/1/CloudTrail/us-east-1/2026/08/02/x.json.gz"))
        #expect(r.contains(key: "exports/no-date/x.json"), "keys without a date folder are kept")
    }
}

/// The HTTP client's retry policy without a network: delays honour Retry-After and grow with jitter.
@Suite struct RetryPolicyTests {
    @Test func backoff() throws {
        var o = HTTPOptions()
        o.baseDelay = 0.5
        o.maxDelay = 8
        let c = try HTTPClient(options: o)
        #expect(c.delay(0, retryAfter: "3") == 3)
        for attempt in 0..<8 {
            let d = c.delay(attempt, retryAfter: nil)
            let cap = min(8, 0.5 * pow(2, Double(attempt)))
            #expect(d >= cap / 2 && d <= cap)
        }
        #expect(HTTPClient.isThrottle("ThrottlingException: Rate exceeded") && !HTTPClient.isThrottle("AccessDenied"))
        #expect(!HTTPClient.retryableTransport("SSL certificate problem: unable to get local issuer certificate"))
        #expect(HTTPClient.retryableTransport("Connection reset by peer"))
        #expect(
            HTTPClient.errorMessage(Array("<Error><Code>AccessDenied</Code><Message>no\u{1}way</Message></Error>".utf8))
                == "AccessDenied: no way")
    }
}

/// Bucket names and regions from a ListBuckets response go into host names: only what S3 allows.
@Suite struct ListBucketsNameTests {
    @Test func onlyValidNamesAndRegionsPass() {
        for good in ["acme-trail", "a.b-c", "abc", "logs.2026"] { #expect(AWSClient.isBucketName(good), "\(good)") }
        for bad in [
            "ab", "Acme", "a_b", "host:443/", "-abc", "abc-", "a b", String(repeating: "a", count: 64),
            "evil.example/x",
        ] {
            #expect(!AWSClient.isBucketName(bad), "\(bad)")
        }
        #expect(AWSClient.isRegion("us-east-1") && AWSClient.isRegion("cn-north-1"))
        #expect(
            !AWSClient.isRegion("us-east-1.evil.example") && !AWSClient.isRegion("") && !AWSClient.isRegion("US-EAST-1")
        )
    }
}
