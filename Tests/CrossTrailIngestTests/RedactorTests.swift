import CrossTrailIngest
import Foundation
import TestSupport
import Testing

@Suite struct RedactorTests {
    @Test func findsAndRedactsEachKind() throws {
        let text =
            #"{"userName":"bob","password":"hunter2!","accessKeyId":"AKIAIOSFODNN7EXAMPLE","note":"mail ann.lee+x@corp.example.com, ssn 123-45-6789, card 4111 1111 1111 1111","token":"dapi0123456789abcdef0123456789abcdef-2","tokenId":"tok-1"}"#
        let r = try #require(Redactor.redact(text))
        #expect(r.kinds == ["aws-access-key", "aws-access-key-id", "card", "email", "secret", "ssn"])
        for leaked in [
            "hunter2!", "AKIAIOSFODNN7EXAMPLE", "ann.lee+x@corp.example.com", "123-45-6789", "4111 1111 1111 1111",
            "dapi0123",
        ] {
            #expect(!r.text.contains(leaked), "\(leaked) leaked")
        }
        #expect(r.text.contains(#""tokenId":"tok-1""#), "names of secrets are not secrets")
        #expect(r.text.contains(#""userName":"bob""#))
        #expect(try JSONSerialization.jsonObject(with: Data(r.text.utf8)) is [String: Any], "still valid JSON")
        // Keyed hashes: equal values give equal tokens, so they stay linkable.
        let again = try #require(Redactor.redact(#"{"to":"ann.lee+x@corp.example.com"}"#))
        let token = try #require(
            again.text.range(of: #"\[redacted:email:[0-9a-f]{12}\]"#, options: .regularExpression).map {
                String(again.text[$0])
            })
        #expect(r.text.contains(token))
    }

    /// Credentials quoted in free text (user agents, error messages, object keys) and inside JSON
    /// given as text; words that only look like assignments stay.
    @Test func freeTextAndNestedJSON() throws {
        let ua = try #require(
            Redactor.redactText("curl/8 Authorization: Bearer dapi0123456789abcdef0123456789abcdef x=1"))
        #expect(!ua.contains("dapi0123") && ua.hasPrefix("curl/8 Authorization: Bearer [redacted:"))
        let key = try #require(
            Redactor.redactText("exports/aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY.txt"))
        #expect(!key.contains("wJalrXUtnFEMI") && !key.contains("K7MDENG"), "\(key)")
        let bare = try #require(Redactor.redactText("AccessDenied for wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY here"))
        #expect(!bare.contains("wJalrXUtnFEMI"), "a bare 40-character secret key shape")
        let between = try #require(Redactor.redactText("dumps/wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY/part-1.json"))
        #expect(
            !between.contains("K7MDENG") && between.hasPrefix("dumps/[redacted:") && between.hasSuffix("/part-1.json"))
        let inParams = try #require(
            Redactor.redact(#"{"bucketName":"b","key":"x/wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY/y"}"#))
        #expect(
            !inParams.text.contains("K7MDENG") && inParams.kinds == ["secret-key-shape"], "redacted, no finding alone")
        #expect(
            try #require(Redactor.redactText("login failed: password=Hunter2Secret!")).contains(
                "password=[redacted:secret:"))
        #expect(try #require(Redactor.redactText("Basic dXNlcjpwYXNzd29yZA==")).hasPrefix("Basic [redacted:"))
        for plain in [
            "aws-cli/2.15.0 Python/3.11 Linux/6.1 exe/x86_64 prompt/off command/s3.cp",
            "The password: required field is missing", "token: expired", "Invalid NextToken=AAAABBBB1111",
            "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: s3:GetObject",
            "2026/08/01/111122223333_CloudTrail_us-east-1_20260801T1000Z_abc.json.gz",
        ] {
            #expect(Redactor.redactText(plain) == nil, "\(plain)")
        }
        let nested = try #require(
            Redactor.redact(#"{"policy":"{\"Version\":\"2012-10-17\",\"password\":\"Hunter2Secret!\"}","name":"x"}"#))
        #expect(!nested.text.contains("Hunter2Secret!") && nested.kinds == ["secret"])
        let outer = try #require(try JSONSerialization.jsonObject(with: Data(nested.text.utf8)) as? [String: Any])
        let inner = try #require(outer["policy"] as? String)
        #expect(try JSONSerialization.jsonObject(with: Data(inner.utf8)) is [String: Any], "still JSON text inside")
        #expect(Redactor.redact(#"{"Authorization":"Basic dXNlcjpwYXNzd29yZA=="}"#)?.kinds == ["secret"])
    }

    @Test func leavesOrdinaryParametersAlone() {
        for text in [
            #"{"bucketName":"acme-logs","key":"2026/08/01/part-0001.parquet","eventTime":1785577320000}"#,
            #"{"workspace_id":"6543210987654321","metastore_id":"bd0c51d3-29ad-4045-adf4-6cbc7e085639"}"#,
            #"{"accountId":"111122223333","instanceType":"m5.large","privateIpAddress":"10.0.0.1"}"#,
            #"{"cardNumberId":"4111111111111111","amount":"4111111111111112"}"#,
        ] {
            #expect(Redactor.redact(text) == nil, "\(text)")
        }
    }

    /// Values that look like secrets to a naive scanner but are not: paging cursors, idempotency
    /// tokens, values CloudTrail already masked, key ids IAM's own calls name, emails that name users.
    @Test func noFalseSecrets() {
        for text in [
            #"{"nextToken":"AAMA-EFRSURBSGl3T0F2MjJpSmpQeXB6ZVl3PT0","maxResults":50}"#,
            #"{"clientToken":"3f1c2a9e-7d7e-4b54-9f0b-6b6f8c0d2e11","instanceType":"t3.micro"}"#,
            #"{"NextToken":"eyJOZXh0VG9rZW4iOiBudWxsLCAiYm90b190cnVuY2F0ZV9hbW91bnQiOiAxfQ=="}"#,
            #"{"password":"HIDDEN_DUE_TO_SECURITY_REASONS","userName":"bob"}"#,
            #"{"secretString":"****","secretId":"prod/db"}"#,
            #"{"continuationToken":"1vJpQ6w0f8cQ","marker":"abc/def"}"#,
        ] {
            #expect(Redactor.redact(text) == nil, "\(text)")
        }
        // IAM key management names key ids: redacted in outputs, but no leak without the secret beside it.
        let keyOnly = Redactor.redact(#"{"userName":"bob","accessKeyId":"AKIAIOSFODNN7EXAMPLE","status":"Inactive"}"#)
        #expect(keyOnly?.kinds == ["aws-access-key-id"])
        let pair = Redactor.redact(
            #"{"cmd":"export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}"#
        )
        #expect(pair?.kinds.contains("aws-access-key") == true)
        // Adding a user to a group names the user: an identity, not leaked personal data.
        #expect(
            Redactor.redact(#"{"groupName":"admins","userName":"ann@corp.example.com"}"#)?.kinds == ["email-identity"])
        #expect(
            Redactor.redact(#"{"commandText":"select * from t where mail = 'ann@corp.example.com'"}"#)?.kinds == [
                "email"
            ])
        // Real credentials in other shapes.
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
        #expect(Redactor.redact(#"{"header":"Bearer \#(jwt)"}"#)?.kinds == ["jwt"])
        let pem = Redactor.redact(
            #"{"content":"-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"}"#)
        #expect(pem?.kinds == ["private-key"])
        #expect(pem?.text.contains("MIIEow") == false)
        let url = Redactor.redact(#"{"url":"postgres://app:S3cretPw@db.internal:5432/prod"}"#)
        #expect(url?.kinds == ["connection-string"])
        #expect(url?.text.contains("S3cretPw") == false && url?.text.contains("postgres://app:") == true)
        #expect(Redactor.redact(#"{"url":"https://example.com:8443/path"}"#) == nil)
    }

    @Test func timelineOutputsNeverCarryThem() throws {
        let dir = try TestPaths.temporaryDirectory("secrets")
        let record =
            #"{"eventVersion":"1.08","eventTime":"2026-08-01T10:00:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateLoginProfile","eventID":"s1","awsRegion":"us-east-1","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/admin","accountId":"1"},"requestParameters":{"userName":"victim","password":"Sup3rS3cret!","note":"key AKIAIOSFODNN7EXAMPLE"}}"#
        try Data((record + "\n").utf8).write(to: dir.appendingPathComponent("trail.jsonl"))
        let jsonl = try runCrossTrail(["timeline", dir.path, "--format", "jsonl", "-q"])
        #expect(jsonl.status == 0)
        #expect(!jsonl.stdout.contains("Sup3rS3cret!") && !jsonl.stdout.contains("AKIAIOSFODNN7EXAMPLE"))
        #expect(jsonl.stdout.contains("[redacted:secret:"))
        let scan = try runCrossTrail(["scan", dir.path, "--format", "json", "-q"])
        #expect(!scan.stdout.contains("Sup3rS3cret!") && !scan.stdout.contains("AKIAIOSFODNN7EXAMPLE"))
        #expect(scan.stdout.contains("\"rule\":\"sensitive-data-in-logs\""))
        #expect(scan.stdout.contains("\"severity\":\"high\""))
    }
}
