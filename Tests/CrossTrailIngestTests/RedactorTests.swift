import CrossTrailIngest
import Foundation
import Testing
import TestSupport

@Suite struct RedactorTests {
    @Test func findsAndRedactsEachKind() throws {
        let text = #"{"userName":"bob","password":"hunter2!","accessKeyId":"AKIAIOSFODNN7EXAMPLE","note":"mail ann.lee+x@corp.example.com, ssn 123-45-6789, card 4111 1111 1111 1111","token":"dapi0123456789abcdef0123456789abcdef-2","tokenId":"tok-1"}"#
        let r = try #require(Redactor.redact(text))
        #expect(r.kinds == ["aws-access-key", "card", "email", "secret", "ssn"])
        for leaked in ["hunter2!", "AKIAIOSFODNN7EXAMPLE", "ann.lee+x@corp.example.com", "123-45-6789", "4111 1111 1111 1111", "dapi0123"] {
            #expect(!r.text.contains(leaked), "\(leaked) leaked")
        }
        #expect(r.text.contains(#""tokenId":"tok-1""#), "names of secrets are not secrets")
        #expect(r.text.contains(#""userName":"bob""#))
        #expect(try JSONSerialization.jsonObject(with: Data(r.text.utf8)) is [String: Any], "still valid JSON")
        // Keyed hashes: equal values give equal tokens, so they stay linkable.
        let again = try #require(Redactor.redact(#"{"to":"ann.lee+x@corp.example.com"}"#))
        let token = try #require(again.text.range(of: #"\[redacted:email:[0-9a-f]{12}\]"#, options: .regularExpression).map { String(again.text[$0]) })
        #expect(r.text.contains(token))
    }

    @Test func leavesOrdinaryParametersAlone() {
        for text in [#"{"bucketName":"acme-logs","key":"2026/08/01/part-0001.parquet","eventTime":1785577320000}"#,
                     #"{"workspace_id":"6543210987654321","metastore_id":"bd0c51d3-29ad-4045-adf4-6cbc7e085639"}"#,
                     #"{"accountId":"111122223333","instanceType":"m5.large","privateIpAddress":"10.0.0.1"}"#,
                     #"{"cardNumberId":"4111111111111111","amount":"4111111111111112"}"#] {
            #expect(Redactor.redact(text) == nil, "\(text)")
        }
    }

    @Test func timelineOutputsNeverCarryThem() throws {
        let dir = try TestPaths.temporaryDirectory("secrets")
        let record = #"{"eventVersion":"1.08","eventTime":"2026-08-01T10:00:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateLoginProfile","eventID":"s1","awsRegion":"us-east-1","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/admin","accountId":"1"},"requestParameters":{"userName":"victim","password":"Sup3rS3cret!","note":"key AKIAIOSFODNN7EXAMPLE"}}"#
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
