import CrossTrailIngest
import CrossTrailInventory
import CrossTrailModel
import CrossTrailRules
import Foundation
import Testing

@testable import CrossTrailAnalysis

/// The counting detections: positive cases and the near misses that must stay quiet.
@Suite struct DistinctBurstTests {
    func scan(_ events: [AuditEvent], rules: RuleSet? = nil) -> [Finding] {
        let observer = EventObserver(classification: Classification(), rules: rules)
        for e in events { observer.accept(e) }
        return Analyzer.scan(Inventory(), observer.observations, rules: rules).findings
    }

    func secretRead(_ i: Int, _ secret: String, actor: Actor, second: Int = 0, ip: String = "198.51.100.7")
        -> AuditEvent
    {
        var e = event(
            "s\(i)", 0, plane: .aws, service: "secretsmanager", action: "GetSecretValue", actor: actor,
            params: #"{"secretId":"\#(secret)"}"#)
        e.time = Timestamp(millis: e.time.millis + Int64(second) * 1000)
        e.sourceIPAddress = ip
        return e
    }

    /// Ten different secrets in two seconds is a burst; one secret read a hundred times is a busy job.
    @Test func secretsCountDistinct() {
        let thief = session("app", "stolen")
        let burst = (0..<10).map { secretRead($0, "prod/db-\($0)", actor: thief, second: $0 / 5) }
        let f = scan(burst).filter { $0.rule == "secret-read-burst" }
        #expect(f.count == 1)
        #expect(f.first?.evidence.events.count == 10)
        #expect(f.first?.resources.contains("prod/db-3") == true)
        let busy = (0..<100).map { secretRead($0, "prod/db", actor: session("app", "worker")) }
        #expect(scan(busy).filter { $0.rule == "secret-read-burst" }.isEmpty)
        // ECS pulling a task's secrets is the platform at work.
        let ecs = (0..<10).map {
            secretRead($0, "prod/db-\($0)", actor: session("task-exec", "t1"), ip: "ecs-tasks.amazonaws.com")
        }
        #expect(scan(ecs).filter { $0.rule == "secret-read-burst" }.isEmpty)
        // Seven different secrets stay under the default threshold (10).
        #expect(scan(Array(burst.prefix(7))).filter { $0.rule == "secret-read-burst" }.isEmpty)
    }

    /// Enumeration: many different read calls, several of them denied.
    @Test func enumerationNeedsDenials() {
        let key = session("ci", "leaked")
        var calls = [AuditEvent]()
        let services = ["iam", "s3", "ec2", "lambda", "rds"]
        for i in 0..<25 {
            var e = event("r\(i)", 1, plane: .aws, service: services[i % 5], action: "List\(i)", actor: key)
            e.readOnly = true
            if i % 4 == 0 { e.outcome = Outcome(status: .failure, errorCode: "AccessDenied") }
            calls.append(e)
        }
        #expect(scan(calls).filter { $0.rule == "enumeration-burst" }.count == 1)
        // A console user (or Terraform) reading as much, with the permissions to do it.
        let allowed = calls.map { e -> AuditEvent in
            var e = e
            e.outcome = Outcome(status: .success)
            return e
        }
        #expect(scan(allowed).filter { $0.rule == "enumeration-burst" }.isEmpty)
    }

    @Test func bulkDestruction() {
        let actor = session("ops", "mallory")
        let deletes = (0..<12).map { i in
            event(
                "d\(i)", 2, plane: .aws, service: "ec2", action: "DeleteSnapshot", actor: actor,
                params: #"{"snapshotId":"snap-\#(i)"}"#)
        }
        #expect(scan(deletes).filter { $0.rule == "destruction-burst" }.first?.severity == .high)
        // Data Lifecycle Manager rotating snapshots acts as an AWS service.
        var dlm = Actor(kind: .awsService, key: "service:dlm.amazonaws.com", displayName: "dlm.amazonaws.com")
        dlm.runAs = nil
        let rotation = deletes.map { e -> AuditEvent in
            var e = e
            e.actor = dlm
            return e
        }
        #expect(scan(rotation).filter { $0.rule == "destruction-burst" }.isEmpty)
        // The same snapshot deleted (and failing) twelve times is one snapshot.
        let retries = (0..<12).map { i in
            event(
                "x\(i)", 2, plane: .aws, service: "ec2", action: "DeleteSnapshot", actor: actor,
                params: #"{"snapshotId":"snap-1"}"#)
        }
        #expect(scan(retries).filter { $0.rule == "destruction-burst" }.isEmpty)
    }

    /// Instance-profile credentials used from a second public address: copied off the instance.
    @Test func instanceCredentialsElsewhere() {
        let node = session("web-role", "i-0abc1234def567890")
        func call(_ id: String, _ ip: String, ua: String = "aws-sdk-go/1.44 (go1.21; linux; amd64)") -> AuditEvent {
            var e = event(id, 3, plane: .aws, service: "s3", action: "ListBuckets", actor: node)
            e.sourceIPAddress = ip
            e.userAgent = ua
            return e
        }
        let stolen = [
            call("a", "52.1.2.3"), call("b", "10.0.1.5"),
            call("c", "198.51.100.66", ua: "aws-cli/2.15 Python/3.11 Darwin/23.1"),
        ]
        let f = scan(stolen).filter { $0.rule == "ec2-instance-credentials-elsewhere" }
        #expect(f.count == 1)
        #expect(f.first?.title.contains("198.51.100.66") == true && f.first?.evidence.events.contains("c") == true)
        // Its NAT address and its private address (through VPC endpoints), and a dual-stack IPv6 one, are its own.
        let home = [
            call("a", "52.1.2.3"), call("b", "10.0.1.5"), call("d", "2600:1f18:1234:5600::10"),
            call("e", "2600:1f18:1234:5600::11"),
        ]
        #expect(scan(home).filter { $0.rule == "ec2-instance-credentials-elsewhere" }.isEmpty)
        // A role session not named after an instance is not judged this way.
        let person = session("web-role", "alice").self
        let moving = ["52.1.2.3", "198.51.100.66"].enumerated().map { i, ip -> AuditEvent in
            var e = event("p\(i)", 3, plane: .aws, service: "s3", action: "ListBuckets", actor: person)
            e.sourceIPAddress = ip
            return e
        }
        #expect(scan(moving).filter { $0.rule == "ec2-instance-credentials-elsewhere" }.isEmpty)
    }

    /// Findings name who obtained the session's credentials.
    @Test func sessionChainFromAssumeRole() throws {
        var assume = event(
            "ar", 0, plane: .aws, service: "sts", action: "AssumeRole", actor: session("ci", "runner"),
            params: #"{"roleArn":"arn:aws:iam::111122223333:role/admin","roleSessionName":"x"}"#)
        assume.responseElements =
            #"{"credentials":{"accessKeyId":"ASIAEXAMPLEKEY000001","expiration":"Aug 1, 2026 11:00:00 AM"}}"#
        var admin = session("admin", "x")
        admin.accessKeyId = "ASIAEXAMPLEKEY000001"
        let stop = event(
            "st", 5, plane: .aws, service: "cloudtrail", action: "StopLogging", actor: admin,
            params: #"{"name":"main"}"#)
        let rules = RuleSet.load()
        let f = try #require(scan([assume, stop], rules: rules).first { $0.rule == "ct-logging-stopped" })
        #expect(
            f.evidence.chain.first?.contains("AssumeRole by arn:aws:sts::111122223333:assumed-role/ci/runner") == true)
        #expect(f.evidence.chain.first?.contains("event ar") == true)
        #expect(f.evidence.details["requestParameters.name"] == "main", "the rule's fields name the trail")
        #expect(f.evidence.details["outcome"] == "succeeded")
    }

    /// Denied calls at sensitive actions: one is noise, a run of them across rules is probing.
    @Test func deniedAttempts() throws {
        let rules = RuleSet.load()
        let prober = session("dev", "probe")
        func denied(_ i: Int, _ service: String, _ action: String, _ params: String) -> AuditEvent {
            var e = event("t\(i)", i, plane: .aws, service: service, action: action, actor: prober, params: params)
            e.outcome = Outcome(status: .failure, errorCode: "AccessDenied")
            return e
        }
        let one = [denied(0, "cloudtrail", "StopLogging", #"{"name":"main"}"#)]
        #expect(scan(one, rules: rules).isEmpty, "a single denied call is not a finding, and never the success finding")
        let many = [
            denied(0, "cloudtrail", "StopLogging", #"{"name":"main"}"#),
            denied(1, "cloudtrail", "DeleteTrail", #"{"name":"main"}"#),
            denied(2, "guardduty", "DeleteDetector", #"{"detectorId":"d1"}"#),
            denied(3, "kms", "ScheduleKeyDeletion", #"{"keyId":"k"}"#),
            denied(4, "cloudtrail", "StopLogging", #"{"name":"other"}"#),
        ]
        let f = scan(many, rules: rules)
        #expect(f.map(\.rule) == ["denied-sensitive-attempts"])
        #expect(f.first?.severity == .medium && f.first?.evidence.events.count == 5)
    }
}

@Suite struct CoverageTests {
    /// Every stateful detection has a row in the coverage table, and every built-in rule maps to ATT&CK.
    @Test func everyDetectionIsMapped() throws {
        #expect(Set(Analyzer.statefulCoverage.map(\.id)) == Set(Analyzer.statefulRuleIDs))
        let set = RuleSet.load()
        #expect(set.errors.isEmpty, "\(set.errors)")
        let unmapped = set.rules.filter { $0.mitre.isEmpty && $0.severity >= .medium }.map(\.id)
        #expect(unmapped.isEmpty, "rules at medium or above without an ATT&CK technique: \(unmapped)")
        let table = RuleCoverage.markdown(set, extra: Analyzer.statefulCoverage)
        #expect(table.contains("| [T1562.008](https://attack.mitre.org/techniques/T1562/008/) |"))
        #expect(table.contains("`ec2-instance-credentials-elsewhere`"))
        // Every built-in rule carries what pySigma's validators and crosstrail's own conventions require.
        for r in set.rules {
            #expect(
                r.metadata.uuid?.count == 36 && r.metadata.status != nil && r.metadata.author != nil
                    && r.metadata.date != nil
                    && r.description != nil && !r.metadata.references.isEmpty, "\(r.file)")
            #expect(r.matchExamples.count >= 1 && r.nomatchExamples.count >= 1, "\(r.file): examples")
        }
        #expect(Set(set.rules.compactMap(\.metadata.uuid)).count == set.rules.count, "rule UUIDs are unique")
    }
}

@Suite struct BurstBoundaryTests {
    /// Twelve secrets in 22 seconds across a 10-minute boundary are one burst, not 5 + 7.
    @Test func burstAcrossABucketBoundary() {
        let thief = session("app", "stolen")
        let observer = EventObserver(classification: Classification())
        let boundary: Int64 = 1_785_575_400_000  // a multiple of 10 minutes
        for i in 0..<12 {
            var e = event(
                "b\(i)", 0, plane: .aws, service: "secretsmanager", action: "GetSecretValue", actor: thief,
                params: #"{"secretId":"s\#(i)"}"#)
            e.time = Timestamp(millis: boundary - 10_000 + Int64(i) * 2_000)
            e.sourceIPAddress = "198.51.100.7"
            observer.accept(e)
        }
        let f = Analyzer.scan(Inventory(), observer.observations).findings.filter { $0.rule == "secret-read-burst" }
        #expect(f.count == 1 && f.first?.evidence.events.count == 12)
    }

    /// A read-only console user's pages are browsing, not enumeration.
    @Test func consoleBrowsingIsNotEnumeration() {
        let viewer = session("AWSReservedSSO_ViewOnly_1", "ann@corp.example")
        let observer = EventObserver(classification: Classification())
        for i in 0..<30 {
            var e = event(
                "c\(i)", 1, plane: .aws, service: ["ec2", "s3", "iam", "rds"][i % 4], action: "Describe\(i)",
                actor: viewer)
            e.readOnly = true
            e.userAgent = "AWS Internal"
            if i % 3 == 0 { e.outcome = Outcome(status: .failure, errorCode: "AccessDenied") }
            observer.accept(e)
        }
        #expect(
            Analyzer.scan(Inventory(), observer.observations).findings.filter { $0.rule == "enumeration-burst" }.isEmpty
        )
    }
}
