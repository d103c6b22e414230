import CrossTrailIngest
import CrossTrailModel
import Foundation
import TestSupport
import Testing

@testable import CrossTrailRules

func rule(_ detection: String, product: String = "aws") throws -> SigmaRule {
    let (rules, errors) = RuleLoader.load(
        yaml: "title: t\nid: t\nlogsource: {product: \(product)}\ndetection:\n" + detection, file: "t.yml")
    if let e = errors.first { throw e }
    return try #require(rules.first)
}

func event(_ json: String) throws -> EventFields {
    switch RecordNormalizer().normalize(json) {
    case .success(let e): return EventFields(e, reader: JSONDocumentReader())
    case .failure(let e): throw e
    }
}

let trail =
    #"{"eventVersion":"1.08","eventTime":"2026-08-01T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"PutBucketAcl","eventID":"e1","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.9","userAgent":"aws-cli/2.15","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/Admin/bob","accountId":"1","sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::1:role/Admin","userName":"Admin"}}},"requestParameters":{"bucketName":"Acme-Data","x-amz-acl":["public-read"],"tags":[{"k":"a"},{"k":"b"}]}}"#

@Suite struct SigmaTests {
    @Test func fieldsAndModifiers() throws {
        let e = try event(trail)
        #expect(
            try rule("  s:\n    eventSource: s3.amazonaws.com\n    eventName: putbucketacl\n  condition: s").matches(e),
            "values compare case-insensitively")
        #expect(try rule("  s:\n    requestParameters.bucketName|startswith: acme-\n  condition: s").matches(e))
        #expect(try rule("  s:\n    requestParameters.bucketName|endswith: '-data'\n  condition: s").matches(e))
        #expect(try rule("  s:\n    userAgent|contains: cli\n  condition: s").matches(e))
        #expect(
            try rule("  s:\n    requestParameters.x-amz-acl: public-*\n  condition: s").matches(e),
            "wildcards in values")
        #expect(
            try rule("  s:\n    requestParameters.tags.k|all: [a, b]\n  condition: s").matches(e),
            "|all over an array's values")
        #expect(!(try rule("  s:\n    requestParameters.tags.k|all: [a, c]\n  condition: s").matches(e)))
        #expect(
            try rule(
                "  s:\n    userIdentity.type: AssumedRole\n    userIdentity.sessionContext.sessionIssuer.userName: Admin\n  condition: s"
            ).matches(e))
        #expect(try rule("  s:\n    sourceIPAddress|re: '^203\\.0\\.113\\.'\n  condition: s").matches(e))
        #expect(try rule("  s:\n    errorCode: null\n  condition: s").matches(e), "null: the field is absent")
        #expect(!(try rule("  s:\n    eventName: [DeleteBucket, PutBucketPolicy]\n  condition: s").matches(e)))
    }

    @Test func conditions() throws {
        let e = try event(trail)
        let sel =
            "  a:\n    eventName: PutBucketAcl\n  b:\n    awsRegion: us-east-1\n  c_1:\n    eventSource: s3.amazonaws.com\n  c_2:\n    eventSource: iam.amazonaws.com\n"
        func check(_ condition: String) throws -> Bool { try rule(sel + "  condition: " + condition).matches(e) }
        #expect(try check("a and not b"))
        #expect(try !check("a and b"))
        #expect(try check("b or (a and c_1)"))
        #expect(try check("1 of c_*"))
        #expect(try !check("all of c_*"))
        #expect(try !check("all of them"))
        #expect(try check("not (b or c_2)"))
        #expect(
            try rule("  s:\n    - eventName: DeleteBucket\n    - awsRegion: eu-west-1\n  condition: s").matches(e),
            "a list of maps is an OR")
    }

    @Test func invalidRulesNameFileAndLine() throws {
        let cases: [(String, String, Int)] = [
            (
                "title: x\ndetection:\n  s:\n    eventName|expand: '%admins%'\n  condition: s\n",
                "placeholder '%admins%' is not defined", 4
            ),
            ("title: x\ndetection:\n  s:\n    eventName: x\n", "detection has no condition", 3),
            ("title: x\ndetection:\n  s:\n    eventName: x\n  condition: s and t\n", "unknown selection 't'", 5),
            ("title: x\ndetection:\n  s:\n    eventName|re: '(['\n  condition: s\n", "invalid regular expression", 4),
            // Found by fuzzing (an index out of range before): keys without a field name.
            (
                "title: x\ndetection:\n  s:\n    '|contains': x\n  condition: s\n",
                "a selection key needs a field name", 4
            ),
            ("title: x\ndetection:\n  s:\n    &anchor: x\n  condition: s\n", "a selection key needs a field name", 4),
        ]
        for (yaml, reason, line) in cases {
            let (rules, errors) = RuleLoader.load(yaml: yaml, file: "bad.yml")
            #expect(rules.isEmpty)
            let e = try #require(errors.first)
            #expect(e.reason.contains(reason), "\(e)")
            #expect(e.line == line, "\(e)")
            #expect(e.description.hasPrefix("bad.yml:\(line): "))
        }
        let (_, yamlErrors) = RuleLoader.load(yaml: "title: [", file: "broken.yml")
        #expect(yamlErrors.first?.reason.hasPrefix("invalid YAML") == true)
    }

    @Test func builtinRulesPassTheirExamples() {
        let set = RuleSet.load()
        #expect(set.errors.isEmpty)
        #expect(set.rules.count >= 16)
        let results = set.test()
        #expect(results.allSatisfy { $0.failures.isEmpty }, "\(results.filter { !$0.failures.isEmpty })")
        #expect(results.allSatisfy { $0.passed >= 2 }, "every rule has a positive and a negative example")
        #expect(set.rules.allSatisfy { !$0.controls.isEmpty && !$0.remediation.isEmpty })
    }

    @Test func userRulesAddAndReplaceBuiltins() throws {
        let dir = try TestPaths.temporaryDirectory("rules")
        try Data(
            """
            title: Root login, tuned
            id: aws-root-use
            level: critical
            logsource: {product: aws, service: cloudtrail}
            detection:
              s:
                userIdentity.type: Root
              condition: s
            examples:
              match:
                - {eventVersion: "1.08", eventTime: "2026-08-01T10:00:00Z", eventSource: signin.amazonaws.com, eventName: ConsoleLogin, eventID: r1, userIdentity: {type: Root, arn: "arn:aws:iam::1:root", accountId: "1"}}
            ---
            title: Failing example
            id: my-failing
            logsource: {product: aws}
            detection:
              s:
                eventName: X
              condition: s
            examples:
              match:
                - {eventVersion: "1.08", eventTime: "2026-08-01T10:00:00Z", eventSource: s3.amazonaws.com, eventName: Y, eventID: r2, userIdentity: {type: Root, accountId: "1"}}
            """.utf8
        ).write(to: dir.appendingPathComponent("mine.yml"))
        let set = RuleSet.load(directories: [dir.path])
        #expect(set.rules.first { $0.id == "aws-root-use" }?.severity == .critical, "same id replaces the built-in")
        let results = Dictionary(uniqueKeysWithValues: set.test().map { ($0.rule, $0) })
        #expect(results["aws-root-use"]?.failures.isEmpty == true)
        #expect(results["my-failing"]?.failures == ["match example 1 did not match"])
    }
}

@Suite struct SigmaHQTests {
    static let dir = TestPaths.packageRoot.appendingPathComponent(
        "Tests/CrossTrailRulesTests/Fixtures/sigmahq/cloudtrail"
    ).path

    @Test func sigmaHQCloudTrailRulesLoadAndRunUnmodified() throws {
        let (rules, errors) = RuleLoader.load(directory: Self.dir)
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.dir).filter { $0.hasSuffix(".yml") }
        #expect(files.count == 57)
        #expect(errors.isEmpty, "\(errors)")
        #expect(rules.count == 57, "every SigmaHQ AWS CloudTrail rule loads")
        #expect(rules.allSatisfy { $0.product == "aws" && $0.applies(to: .aws) && !$0.applies(to: .databricks) })
        // Every field of every rule resolves (responseElements included, kept for analysis passes).
        let resolvable = rules.filter { $0.fields.allSatisfy(EventFields.isKnown) }
        #expect(
            resolvable.count == 57,
            "\(rules.count - resolvable.count) rules use unknown fields: \(rules.filter { !$0.fields.allSatisfy(EventFields.isKnown) }.map { $0.fields.filter { !EventFields.isKnown($0) } })"
        )
        // Run them over the real CloudTrail records of panther-analysis' test data.
        let panther = TestPaths.packageRoot.appendingPathComponent(
            "Tests/CrossTrailIngestTests/Fixtures/panther/panther_cloudtrail_unique_logs.json"
        ).path
        var d = [Diagnostic]()
        let inputs = Ingestor.discover([panther], diagnostics: &d)
        final class Collect: EventSink, @unchecked Sendable {
            let lock = NSLock()
            var events = [AuditEvent]()
            func accept(_ e: AuditEvent) { lock.lock(); events.append(e); lock.unlock() }
        }
        let sink = Collect()
        var ingestor = Ingestor(workers: 1)
        ingestor.detail.insert(.responseElements)
        _ = ingestor.run(files: inputs) { _ in sink }
        #expect(sink.events.count > 300)
        let set = RuleSet(rulesForTesting: rules)
        let matcher = RuleMatcher(set)
        for e in sink.events { matcher.evaluate(e) }
        let fired = Set(matcher.hits.keys.map(\.rule))
        #expect(fired.count >= 20, "SigmaHQ rules that fire on panther's samples: \(fired.sorted())")
    }

    /// A rule that reads `responseElements` fires on a real-shaped record, and not when the
    /// response says otherwise.
    @Test func responseElementsRulesFire() throws {
        let (rules, errors) = RuleLoader.load(directory: Self.dir)
        #expect(errors.isEmpty)
        let restore = try #require(rules.first { $0.title.contains("Restore Public AWS RDS Instance") })
        func record(_ publicly: Bool) throws -> AuditEvent {
            let json = """
                {"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/dba","accountId":"111122223333","userName":"dba"},"eventTime":"2026-08-02T10:00:00Z","eventSource":"rds.amazonaws.com","eventName":"RestoreDBInstanceFromDBSnapshot","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.4","requestParameters":{"dBInstanceIdentifier":"restored","dBSnapshotIdentifier":"snap-1"},"responseElements":{"dBInstanceIdentifier":"restored","publiclyAccessible":\(publicly),"engine":"postgres"},"eventID":"rds-\(publicly)","eventType":"AwsApiCall","recipientAccountId":"111122223333"}
                """
            return try RecordNormalizer().normalize(json).get()
        }
        let matcher = RuleMatcher(RuleSet(rulesForTesting: [restore]))
        for e in [try record(true), try record(false)] { matcher.evaluate(e) }
        #expect(matcher.hits.values.flatMap(\.sample.ids) == ["rds-true"])
    }
}
