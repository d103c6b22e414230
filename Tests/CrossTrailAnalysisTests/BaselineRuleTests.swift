import CrossTrailIngest
import CrossTrailInventory
import CrossTrailModel
import CrossTrailRules
import Foundation
import TestSupport
import Testing

@testable import CrossTrailAnalysis

/// The rules that judge a change against what came before or against the period's baseline,
/// each with events that must and must not fire, read through the real record normalizer.
@Suite struct BaselineRuleTests {
    /// A record as CloudTrail or Databricks writes it, normalized.
    static func normalized(_ json: String) throws -> AuditEvent {
        try RecordNormalizer().normalize(json).get()
    }

    static func scan(_ events: [AuditEvent], classification: Classification = Classification(), settings: String? = nil)
        throws -> [Finding]
    {
        try run(events, classification: classification, settings: settings).findings
    }

    /// One scan; `history` stands for what a case store recorded before it.
    static func run(
        _ events: [AuditEvent], classification: Classification = Classification(), settings: String? = nil,
        history: BaselineHistory = BaselineHistory()
    ) throws -> ScanResult {
        let observer = EventObserver(classification: classification)
        for e in events { observer.accept(e) }
        var inv = Inventory()
        inv.classification = classification
        var rules: RuleSet?
        if let settings {
            let dir = try TestPaths.temporaryDirectory("baseline-settings")
            try Data(settings.utf8).write(to: dir.appendingPathComponent("settings.yml"))
            rules = RuleSet.load(directories: [dir.path])
            #expect(rules?.errors.isEmpty == true)
        }
        return Analyzer.scan(inv, observer.observations, rules: rules, history: history)
    }

    static func cloudTrail(
        _ id: String, _ name: String, source: String, params: String, time: String = "2026-08-03T10:00:00Z"
    ) -> String {
        """
        {"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:ops@acme.example","arn":"arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_1/ops@acme.example","accountId":"111122223333","accessKeyId":"ASIAEXAMPLE","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLE","arn":"arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_1","accountId":"111122223333","userName":"AWSReservedSSO_Admin_1"},"attributes":{"creationDate":"2026-08-03T09:00:00Z","mfaAuthenticated":"false"}}},"eventTime":"\(time)","eventSource":"\(source)","eventName":"\(name)","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"aws-cli/2.15.0","requestParameters":\(params),"responseElements":null,"requestID":"r-\(id)","eventID":"\(id)","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}
        """
    }

    @Test func bucketPoliciesGrantingOtherAccounts() throws {
        let foreign = try Self.normalized(
            Self.cloudTrail(
                "p1", "PutBucketPolicy", source: "s3.amazonaws.com",
                params: #"""
                    {"bucketName":"acme-pii-customers","bucketPolicy":{"Version":"2012-10-17","Statement":[
                      {"Sid":"Partner","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::999988887777:root","111122223333"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-pii-customers/*"},
                      {"Sid":"DenyOther","Effect":"Deny","Principal":{"AWS":"arn:aws:iam::555566667777:root"},"Action":"s3:*","Resource":"*"}]},"Host":"acme-pii-customers.s3.amazonaws.com","policy":[""]}
                    """#))
        let own = try Self.normalized(
            Self.cloudTrail(
                "p2", "PutBucketPolicy", source: "s3.amazonaws.com",
                params: #"""
                    {"bucketName":"acme-logs","bucketPolicy":{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/reader"},"Action":"s3:GetObject","Resource":"*"}}}
                    """#))
        let f = try Self.scan([foreign, own]).filter { $0.rule == "s3-cross-account-policy" }
        #expect(
            f.map(\.title) == ["Bucket policy on acme-pii-customers grants access to other AWS account(s) 999988887777"]
        )
        #expect(f.first?.evidence.events == ["p1"])
        #expect(f.first?.subjects.first?.name.hasSuffix("assumed-role/AWSReservedSSO_Admin_1/ops@acme.example") == true)
        // A partner account listed in trusted_accounts is no finding.
        let trusted = try Self.scan([foreign, own], settings: "stateful:\n  trusted_accounts: ['999988887777']\n")
        #expect(!trusted.contains { $0.rule == "s3-cross-account-policy" })
        // A list setting that is not a list is an error naming the line.
        let dir = try TestPaths.temporaryDirectory("bad-list-settings")
        try Data("stateful:\n  trusted_accounts: 999988887777\n".utf8).write(
            to: dir.appendingPathComponent("settings.yml"))
        let bad = RuleSet.load(directories: [dir.path])
        #expect(
            bad.errors.contains { $0.line == 2 && $0.reason.contains("trusted_accounts must be a list of strings") })
        #expect(ChangeChecks.account(in: "arn:aws:iam::123456789012:user/x") == "123456789012")
        #expect(ChangeChecks.account(in: "*") == nil && ChangeChecks.account(in: "12345678901a") == nil)
    }

    @Test func eventSelectorsThatStopLoggingDataEvents() throws {
        let withData = try Self.normalized(
            Self.cloudTrail(
                "s1", "PutEventSelectors", source: "cloudtrail.amazonaws.com",
                params: #"""
                    {"trailName":"org-trail","eventSelectors":[{"readWriteType":"All","includeManagementEvents":true,"dataResources":[{"type":"AWS::S3::Object","values":["arn:aws:s3:::acme-pii-customers/"]}],"excludeManagementEventSources":[]}]}
                    """#, time: "2026-08-03T10:00:00Z"))
        let dropped = try Self.normalized(
            Self.cloudTrail(
                "s2", "PutEventSelectors", source: "cloudtrail.amazonaws.com",
                params: #"""
                    {"trailName":"org-trail","eventSelectors":[{"readWriteType":"WriteOnly","includeManagementEvents":true,"dataResources":[],"excludeManagementEventSources":[]}]}
                    """#, time: "2026-08-03T11:00:00Z"))
        let advanced = try Self.normalized(
            Self.cloudTrail(
                "s3", "PutEventSelectors", source: "cloudtrail.amazonaws.com",
                params: #"""
                    {"trailName":"data-trail","advancedEventSelectors":[{"name":"S3","fieldSelectors":[{"field":"eventCategory","equals":["Data"]},{"field":"resources.type","equals":["AWS::S3::Object"]}]},
                     {"name":"Mgmt","fieldSelectors":[{"field":"eventCategory","equals":["Management"]}]}]}
                    """#))
        let f = try Self.scan([dropped, withData, advanced]).filter { $0.rule == "ct-data-events-dropped" }
        #expect(f.count == 1)
        #expect(f.first?.evidence.events == ["s2"])
        #expect(f.first?.title.contains("data events no longer logged (1 selector(s) before)") == true)
        #expect(f.first?.title.contains("read/write type narrowed to WriteOnly") == true)
        #expect(f.first?.mitre == "T1562.008")
        // The first change seen for a trail has nothing to compare with: a trail without data events is the
        // AWS default (Control Tower's baseline trail), not a drop.
        let alone = try Self.scan([dropped]).filter { $0.rule == "ct-data-events-dropped" }
        #expect(alone.isEmpty)
    }

    static func clusterCreate(_ id: String, scripts: String) -> String {
        """
        {"version":"2.0","auditLevel":"WORKSPACE_LEVEL","timestamp":1785747600000,"orgId":"1234567890123456","shardName":"acme","accountId":"a1b2","sourceIPAddress":"198.51.100.9","userAgent":"databricks-cli","sessionId":null,"userIdentity":{"email":"dave@acme.example"},"serviceName":"clusters","actionName":"create","requestId":"\(id)","requestParams":{"cluster_name":"etl-\(id)","spark_version":"15.4.x-scala2.12","node_type_id":"i3.xlarge","num_workers":"2","init_scripts":\(scripts)},"response":{"statusCode":200,"result":"{\\"cluster_id\\":\\"0803-\(id)\\"}"}}
        """
    }

    @Test func initScriptsFromUnapprovedLocations() throws {
        let dbfs = try Self.normalized(
            Self.clusterCreate("c1", scripts: #""[{\"dbfs\":{\"destination\":\"dbfs:/databricks/init/setup.sh\"}}]""#))
        let volume = try Self.normalized(
            Self.clusterCreate("c2", scripts: #""[{\"volumes\":{\"destination\":\"/Volumes/ops/init/setup.sh\"}}]""#))
        let s3 = try Self.normalized(
            Self.clusterCreate(
                "c3", scripts: #""[{\"s3\":{\"destination\":\"s3://random-bucket/x.sh\",\"region\":\"us-east-1\"}}]""#))
        let defaults = try Self.scan([dbfs, volume, s3]).filter { $0.rule == "dbx-init-script-unapproved" }
        #expect(defaults.count == 1)  // without a list, only DBFS
        #expect(defaults.first?.evidence.details["locations"] == "dbfs:/databricks/init/setup.sh")
        let listed = try Self.scan(
            [dbfs, volume, s3], settings: "stateful:\n  approved_init_script_locations: ['volumes:/Volumes/ops/*']\n"
        )
        .filter { $0.rule == "dbx-init-script-unapproved" }
        #expect(
            Set(listed.compactMap { $0.evidence.details["locations"] }) == [
                "dbfs:/databricks/init/setup.sh", "s3://random-bucket/x.sh",
            ])
    }

    /// SSO sessions reading a classified prefix on given days of August 2026.
    static func reads(_ who: String, days: [Int]) -> [AuditEvent] {
        var actor = session("AWSReservedSSO_Analyst_1", who)
        actor.email = who
        return days.map { day in
            var e = event(
                "\(who)-\(day)", day * 1440, plane: .aws, service: "s3", action: "GetObject", actor: actor,
                resources: [Resource(type: "AWS::S3::Object", id: "arn:aws:s3:::acme-pii/k\(day)")])
            e.vpcEndpointId = "vpce-1"
            return e
        }
    }

    @Test func firstAccessAfterTheBaseline() throws {
        var c = Classification()
        try c.merge(yaml: "s3:\n  - prefix: s3://acme-pii/\n    class: pii\n", file: "c.yaml")
        let events =
            Self.reads("bob@acme.example", days: [0, 3, 10]) + Self.reads("alice@acme.example", days: [8, 10])
        let f = try Self.scan(events, classification: c).filter { $0.rule == "classified-first-access" }
        #expect(f.map(\.subjects.first?.name) == ["alice@acme.example"])
        #expect(Set(f.first?.evidence.events ?? []) == ["alice@acme.example-8", "alice@acme.example-10"])
        // A longer baseline covers alice's first read.
        let longer = try Self.scan(events, classification: c, settings: "stateful: {baseline_days: 9}\n")
        #expect(!longer.contains { $0.rule == "classified-first-access" })
        // A period shorter than the baseline judges nobody.
        #expect(
            try !Self.scan(Self.reads("alice@acme.example", days: [0, 2]), classification: c).contains {
                $0.rule == "classified-first-access"
            })
    }

    @Test func classifiedReadSpikesAgainstTheReadersOwnHours() throws {
        var c = Classification()
        try c.merge(yaml: "s3:\n  - prefix: s3://acme-pii/\n    class: pii\n", file: "c.yaml")
        var actor = session("etl", "nightly")
        actor.email = nil
        var events: [AuditEvent] = []
        func reads(_ n: Int, hour: Int) {
            for i in 0..<n {
                var e = event(
                    "h\(hour)-\(i)", hour * 60, plane: .aws, service: "s3", action: "GetObject", actor: actor,
                    resources: [Resource(type: "AWS::S3::Object", id: "arn:aws:s3:::acme-pii/k\(i)")])
                e.vpcEndpointId = "vpce-1"
                events.append(e)
            }
        }
        for h in 0..<6 { reads(20, hour: h * 24) }  // a typical hour: 20 reads
        reads(400, hour: 150)  // 20x the typical hour
        let f = try Self.scan(events, classification: c).filter { $0.rule == "classified-read-spike" }
        #expect(f.count == 1)
        #expect(f.first?.evidence.details["typical hour (median)"] == "20")
        #expect(f.first?.title.hasPrefix("400 reads of s3://acme-pii/ in one hour") == true)
        // 400 is under the fixed hourly threshold (1,000): only the baseline sees it.
        #expect(!(try Self.scan(events, classification: c)).contains { $0.rule == "classified-read-volume" })
        // A steady reader is no spike.
        events.removeAll()
        for h in 0..<8 { reads(20, hour: h * 24) }
        #expect(try !Self.scan(events, classification: c).contains { $0.rule == "classified-read-spike" })
    }

    static func sharing(_ id: String, day: Int, ip: String, recipient: String) -> String {
        """
        {"version":"2.0","auditLevel":"ACCOUNT_LEVEL","timestamp":\(1_785_542_400_000 + Int64(day) * 86_400_000),"orgId":"1234567890123456","sourceIPAddress":"\(ip)","userAgent":"delta-sharing-python/1.0","userIdentity":{"email":"\(recipient)"},"serviceName":"unityCatalog","actionName":"deltaSharingQueryTable","requestId":"\(id)","requestParams":{"recipient_name":"\(recipient)","share":"sales","schema":"s","name":"customers"},"response":{"statusCode":200}}
        """
    }

    @Test func deltaSharingFromNewAddresses() throws {
        let events = try [
            Self.sharing("d1", day: 0, ip: "203.0.113.10", recipient: "partner-a"),
            Self.sharing("d2", day: 5, ip: "203.0.113.10", recipient: "partner-a"),
            Self.sharing("d3", day: 12, ip: "203.0.113.10", recipient: "partner-a"),
            Self.sharing("d4", day: 12, ip: "192.0.2.66", recipient: "partner-a"),
            Self.sharing("d5", day: 1, ip: "198.51.100.20", recipient: "partner-b"),
            Self.sharing("d6", day: 13, ip: "198.51.100.20", recipient: "partner-b"),
        ].map(Self.normalized)
        let f = try Self.scan(events).filter { $0.rule == "dbx-delta-sharing-new-address" }
        #expect(f.map(\.title) == ["Delta Sharing by recipient:partner-a from new address(es) 192.0.2.66"])
        #expect(f.first?.evidence.events == ["d4"])
    }

    /// Scans in sequence as `scan --store --since-last` runs them: each sees only its own events
    /// and the facts the earlier ones recorded. Returns each run's findings of `rule`.
    static func runs(_ batches: [[AuditEvent]], rule: String, classification: Classification = Classification()) throws
        -> [[Finding]]
    {
        var recorded: [BaselineFact] = []
        return try batches.map { events in
            let r = try run(events, classification: classification, history: BaselineHistory(facts: recorded))
            recorded += r.baselineFacts
            return r.findings.filter { $0.rule == rule }
        }
    }

    @Test func firstAccessJudgedAgainstEarlierRuns() throws {
        var c = Classification()
        try c.merge(yaml: "s3:\n  - prefix: s3://acme-pii/\n    class: pii\n", file: "c.yaml")
        let bob = Self.reads("bob@acme.example", days: [0, 3, 10, 11]),
            alice = Self.reads("alice@acme.example", days: [10, 11])
        // Day 0-3, day 10, day 11 in three runs: none of the later runs is 7 days long on its own.
        let runs = try Self.runs(
            [Array(bob[0...1]), [bob[2], alice[0]], [bob[3], alice[1]]], rule: "classified-first-access",
            classification: c)
        #expect(runs[0].isEmpty, "the first run is the baseline")
        #expect(
            runs[1].map(\.subjects.first?.name) == ["alice@acme.example"], "a new reader after the recorded baseline")
        #expect(
            runs[1].first?.evidence.details["baseline ends"] == "2026-08-08T09:00:00.000Z",
            "7 days after the first recorded event")
        #expect(runs[2].isEmpty, "alice's first read was reported by the run that saw it")
        // Without the record, the later runs judge nobody (each is shorter than the baseline).
        #expect(
            try Self.scan([bob[2], alice[0]], classification: c).filter { $0.rule == "classified-first-access" }.isEmpty
        )
        // A run that reads everything again reports what one scan of the whole period reports.
        let whole = try Self.scan(bob + alice, classification: c).filter { $0.rule == "classified-first-access" }
        let again = try Self.runs(
            [Array(bob[0...1]), [bob[2], alice[0]], bob + alice], rule: "classified-first-access", classification: c)
        #expect(whole.map(\.id) == again[2].map(\.id) && whole.count == 1)
    }

    @Test func sharingAddressesAndTrailSelectorsJudgedAgainstEarlierRuns() throws {
        let early = try [
            Self.sharing("d1", day: 0, ip: "203.0.113.10", recipient: "partner-a"),
            Self.sharing("d2", day: 8, ip: "203.0.113.10", recipient: "partner-a"),
        ].map(Self.normalized)
        let late = try [
            Self.sharing("d3", day: 12, ip: "203.0.113.10", recipient: "partner-a"),
            Self.sharing("d4", day: 12, ip: "192.0.2.66", recipient: "partner-a"),
        ].map(Self.normalized)
        let sharing = try Self.runs([early, late], rule: "dbx-delta-sharing-new-address")
        #expect(sharing[1].map(\.title) == ["Delta Sharing by recipient:partner-a from new address(es) 192.0.2.66"])
        #expect(sharing[1].first?.evidence.details["addresses seen in the baseline"] == "1")
        // A trail narrowed in the next run is compared with the selectors the previous run recorded.
        let withData = try Self.normalized(
            Self.cloudTrail(
                "s1", "PutEventSelectors", source: "cloudtrail.amazonaws.com",
                params: #"""
                    {"trailName":"org-trail","eventSelectors":[{"readWriteType":"All","includeManagementEvents":true,"dataResources":[{"type":"AWS::S3::Object","values":["arn:aws:s3:::a/","arn:aws:s3:::b/"]}]},{"readWriteType":"All","includeManagementEvents":true,"dataResources":[{"type":"AWS::Lambda::Function","values":["arn:aws:lambda"]}]}]}
                    """#, time: "2026-08-03T10:00:00Z"))
        let reduced = try Self.normalized(
            Self.cloudTrail(
                "s2", "PutEventSelectors", source: "cloudtrail.amazonaws.com",
                params: #"""
                    {"trailName":"org-trail","eventSelectors":[{"readWriteType":"All","includeManagementEvents":true,"dataResources":[{"type":"AWS::S3::Object","values":["arn:aws:s3:::a/"]}]}]}
                    """#, time: "2026-08-04T10:00:00Z"))
        let trail = try Self.runs([[withData], [reduced]], rule: "ct-data-events-dropped")
        #expect(trail[0].isEmpty)
        #expect(
            trail[1].map(\.title) == [
                "Trail org-trail changed by arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_1/ops@acme.example: data event selectors reduced from 2 to 1"
            ])
        // Alone, the reduced trail still logs data events: no finding without the record.
        #expect(try Self.scan([reduced]).filter { $0.rule == "ct-data-events-dropped" }.isEmpty)
        // What a store keeps of selectors reads back as it was written.
        let s = ChangeChecks.selectors(
            try JSONDocumentReader().parse(
                text:
                    #"{"eventSelectors":[{"readWriteType":"WriteOnly","includeManagementEvents":false,"dataResources":[{"type":"AWS::S3::Object","values":["x"]}]}]}"#
            ))
        #expect(ChangeChecks.Selectors(encoded: s.encoded) == s)
        #expect(ChangeChecks.Selectors(encoded: "data=x;management=true;readWrite=") == nil)
    }
}
