import CrossTrailIngest
import CrossTrailInventory
import CrossTrailModel
import Foundation
import TestSupport
import Testing

@testable import CrossTrailAnalysis
@testable import CrossTrailRules

/// Sigma correlation rules: each type fires on the sequence it describes and stays quiet on the
/// near misses — outside the timespan, in another group, in the wrong order, under the threshold.
@Suite struct CorrelationTests {
    /// A CloudTrail record as CloudTrail writes it; `minute` counts from 10:00.
    static func record(
        _ id: String, _ name: String, source: String, minute: Double, ip: String = "203.0.113.7",
        key: String = "ASIAEXAMPLEKEY01", user: String = "mallory", error: String? = nil, params: String = "null"
    ) -> String {
        let seconds = Int(minute * 60)
        let time = String(format: "2026-08-01T%02d:%02d:%02dZ", 10 + seconds / 3600, seconds / 60 % 60, seconds % 60)
        let failure = error.map { #","errorCode":"\#($0)","errorMessage":"not authorized""# } ?? ""
        return """
            {"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE\(user)","arn":"arn:aws:iam::111122223333:user/\(user)","accountId":"111122223333","accessKeyId":"\(key)","userName":"\(user)"},"eventTime":"\(time)","eventSource":"\(source)","eventName":"\(name)","awsRegion":"us-east-1","sourceIPAddress":"\(ip)","userAgent":"aws-cli/2.15.0","requestParameters":\(params),"responseElements":null\(failure),"requestID":"r-\(id)","eventID":"\(id)","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333"}
            """
    }

    static func scan(_ records: [String], rules: RuleSet) throws -> [Finding] {
        let observer = EventObserver(classification: Classification(), rules: rules)
        for r in records { observer.accept(try RecordNormalizer().normalize(r).get()) }
        return Analyzer.scan(Inventory(), observer.observations, rules: rules).findings
    }

    static func rules(_ yaml: String) throws -> RuleSet {
        let set = RuleSet(yaml: yaml, file: "test.yml")
        #expect(set.errors.isEmpty, "\(set.errors)")
        return set
    }

    static let failedLogin = """
        title: Failed console login
        name: failed-console-login
        id: 0b3a1f0e-1d55-4c2f-9a51-5d2a6f3a0c11
        logsource: {product: aws, service: cloudtrail}
        detection:
          selection: {eventName: ConsoleLogin, errorMessage: Failed authentication}
          condition: selection
        level: low
        """

    static func consoleFailure(_ id: String, minute: Double, ip: String) -> String {
        """
        {"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","userName":"alice"},"eventTime":"2026-08-01T10:\(String(format: "%02d", Int(minute))):00Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"\(ip)","userAgent":"Mozilla/5.0","requestParameters":null,"responseElements":{"ConsoleLogin":"Failure"},"additionalEventData":{"MFAUsed":"No"},"errorMessage":"Failed authentication","eventID":"\(id)","eventType":"AwsConsoleSignIn","recipientAccountId":"111122223333"}
        """
    }

    @Test func eventCountFiresOnlyWithinTheTimespanAndGroup() throws {
        let set = try Self.rules(
            """
            title: Console brute force
            name: console-brute-force
            correlation:
              type: event_count
              rules: [failed-console-login]
              group-by: [sourceIPAddress]
              timespan: 5m
              condition: {gte: 3}
            level: high
            ---
            \(Self.failedLogin)
            """)
        #expect(set.correlationOnly == ["failed-console-login"], "generate defaults to false")
        let burst = (0..<3).map { Self.consoleFailure("b\($0)", minute: Double($0), ip: "203.0.113.7") }
        let f = try Self.scan(burst, rules: set)
        let hit = try #require(f.first { $0.rule == "console-brute-force" })
        #expect(hit.severity == .high && hit.evidence.events == ["b0", "b1", "b2"])
        #expect(hit.title == "Console brute force: sourceIPAddress=203.0.113.7 (3 events in 5m)")
        #expect(hit.evidence.details["events in window"] == "3" && hit.evidence.details["condition"] == "gte 3")
        #expect(!f.contains { $0.rule == "failed-console-login" }, "the base rule feeds the correlation only")
        // Near misses: spread past the timespan; from three addresses; two attempts only.
        let slow = [0.0, 4, 8].enumerated().map { Self.consoleFailure("s\($0)", minute: $1, ip: "203.0.113.7") }
        #expect(try !Self.scan(slow, rules: set).contains { $0.rule == "console-brute-force" })
        let spread = (0..<3).map { Self.consoleFailure("d\($0)", minute: 0, ip: "203.0.113.\(10 + $0)") }
        #expect(try !Self.scan(spread, rules: set).contains { $0.rule == "console-brute-force" })
        #expect(try !Self.scan(Array(burst.prefix(2)), rules: set).contains { $0.rule == "console-brute-force" })
        // Within 5 minutes inclusive: 10:00, 10:02, 10:05.
        let edge = [0.0, 2, 5].enumerated().map { Self.consoleFailure("e\($0)", minute: $1, ip: "203.0.113.7") }
        #expect(try Self.scan(edge, rules: set).contains { $0.rule == "console-brute-force" })
    }

    /// The same burst as `aws cloudtrail lookup-events` returns it (each record a JSON string inside
    /// an Events element) correlates the same: the engine sees normalized events, not the shape.
    @Test func eventCountHoldsOnLookupEventsShapedRecords() throws {
        let set = try Self.rules(
            """
            title: Console brute force
            name: console-brute-force
            correlation: {type: event_count, rules: [failed-console-login], group-by: [sourceIPAddress], timespan: 5m, condition: {gte: 3}}
            ---
            \(Self.failedLogin)
            """)
        func lookup(_ record: String, _ id: String) throws -> String {
            String(
                decoding: try JSONSerialization.data(withJSONObject: [
                    "EventId": id, "EventName": "ConsoleLogin", "EventSource": "signin.amazonaws.com",
                    "CloudTrailEvent": record,
                ]), as: UTF8.self)
        }
        let burst = try (0..<3).map {
            try lookup(Self.consoleFailure("l\($0)", minute: Double($0), ip: "203.0.113.7"), "l\($0)")
        }
        #expect(try Self.scan(burst, rules: set).contains { $0.rule == "console-brute-force" })
        let spread = try (0..<3).map {
            try lookup(Self.consoleFailure("m\($0)", minute: Double($0) * 4, ip: "203.0.113.7"), "m\($0)")
        }
        #expect(try !Self.scan(spread, rules: set).contains { $0.rule == "console-brute-force" }, "past the timespan")
    }

    @Test func generateTrueKeepsTheBaseRulesFindings() throws {
        let set = try Self.rules(
            """
            title: Console brute force
            correlation:
              type: event_count
              rules: [Failed console login]
              group-by: [sourceIPAddress]
              timespan: 5m
              condition: {gte: 3}
              generate: true
            ---
            \(Self.failedLogin)
            """)
        #expect(set.correlationOnly.isEmpty)
        let f = try Self.scan(
            (0..<3).map { Self.consoleFailure("g\($0)", minute: 0, ip: "203.0.113.7") }, rules: set)
        #expect(f.contains { $0.rule == "failed-console-login" } && f.contains { $0.rule == "console-brute-force" })
    }

    static let recon = """
        title: Recon call
        name: recon-call
        logsource: {product: aws}
        detection:
          selection:
            eventName|startswith: [List, Describe, Get]
          condition: selection
        level: informational
        """

    @Test func valueCountCountsDistinctValues() throws {
        let set = try Self.rules(
            """
            title: Many recon actions
            name: many-recon
            correlation:
              type: value_count
              rules: [recon-call]
              group-by: [userIdentity.arn]
              timespan: 1m
              condition: {gte: 3, field: eventName}
            level: medium
            ---
            \(Self.recon)
            """)
        let varied = ["ListUsers", "ListRoles", "DescribeInstances"].enumerated().map {
            Self.record("v\($0)", $1, source: "iam.amazonaws.com", minute: Double($0) * 0.2)
        }
        let f = try #require(try Self.scan(varied, rules: set).first { $0.rule == "many-recon" })
        #expect(f.evidence.details["distinct eventName"] == "3")
        #expect(f.evidence.details["values"] == "DescribeInstances, ListRoles, ListUsers")
        // The same action ten times is one value; three actions over three minutes is not a burst.
        let same = (0..<10).map { Self.record("s\($0)", "ListUsers", source: "iam.amazonaws.com", minute: 0) }
        #expect(try !Self.scan(same, rules: set).contains { $0.rule == "many-recon" })
        let slow = ["ListUsers", "ListRoles", "DescribeInstances"].enumerated().map {
            Self.record("w\($0)", $1, source: "iam.amazonaws.com", minute: Double($0) * 1.5)
        }
        #expect(try !Self.scan(slow, rules: set).contains { $0.rule == "many-recon" })
        // Two people with two actions each are two groups of two.
        let two = ["ListUsers", "ListRoles"].flatMap { name in
            ["alice", "bob"].map {
                Self.record("\(name)-\($0)", name, source: "iam.amazonaws.com", minute: 0, user: $0)
            }
        }
        #expect(try !Self.scan(two, rules: set).contains { $0.rule == "many-recon" })
    }

    static let sequenceRules = """

        ---
        title: IAM CreateUser
        id: 4f6a0d3e-0f5e-4a43-8a36-0d7f1c2b9a01
        logsource: {product: aws}
        detection:
          selection: {eventSource: iam.amazonaws.com, eventName: CreateUser}
          condition: selection
        ---
        title: IAM CreateAccessKey
        id: 4f6a0d3e-0f5e-4a43-8a36-0d7f1c2b9a02
        logsource: {product: aws}
        detection:
          selection: {eventSource: iam.amazonaws.com, eventName: CreateAccessKey}
          condition: selection
        """

    static func createUser(_ id: String, minute: Double, ip: String = "203.0.113.7", error: String? = nil) -> String {
        record(id, "CreateUser", source: "iam.amazonaws.com", minute: minute, ip: ip, error: error)
    }
    static func createKey(_ id: String, minute: Double, ip: String = "203.0.113.7") -> String {
        record(id, "CreateAccessKey", source: "iam.amazonaws.com", minute: minute, ip: ip)
    }

    @Test func temporalOrderedNeedsTheOrder() throws {
        let set = try Self.rules(
            """
            title: IAM persistence chain
            name: iam-persistence-chain
            correlation:
              type: temporal_ordered
              rules: [4f6a0d3e-0f5e-4a43-8a36-0d7f1c2b9a01, IAM CreateAccessKey]
              group-by: [sourceIPAddress, userIdentity.accessKeyId]
              timespan: 10m
            level: critical
            """ + Self.sequenceRules)
        let f = try Self.scan([Self.createUser("u", minute: 0), Self.createKey("k", minute: 3)], rules: set)
        let hit = try #require(f.first { $0.rule == "iam-persistence-chain" })
        #expect(hit.severity == .critical && hit.evidence.events == ["k", "u"])
        #expect(hit.evidence.details["sequence"]?.contains(" → ") == true)
        #expect(
            try !Self.scan([Self.createKey("k", minute: 0), Self.createUser("u", minute: 3)], rules: set)
                .contains { $0.rule == "iam-persistence-chain" }, "the wrong order")
        #expect(
            try !Self.scan([Self.createUser("u", minute: 0), Self.createKey("k", minute: 11)], rules: set)
                .contains { $0.rule == "iam-persistence-chain" }, "past the timespan")
        #expect(
            try !Self.scan(
                [Self.createUser("u", minute: 0), Self.createKey("k", minute: 3, ip: "198.51.100.1")], rules: set
            ).contains { $0.rule == "iam-persistence-chain" }, "another group")
        // A denied CreateUser is an attempt, not the first step.
        #expect(
            try !Self.scan(
                [Self.createUser("u", minute: 0, error: "AccessDenied"), Self.createKey("k", minute: 3)], rules: set
            ).contains { $0.rule == "iam-persistence-chain" })
    }

    @Test func temporalAcceptsAnyOrder() throws {
        let set = try Self.rules(
            """
            title: User and key together
            correlation:
              type: temporal
              rules: [IAM CreateUser, IAM CreateAccessKey]
              group-by: [sourceIPAddress]
              timespan: 10m
            """ + Self.sequenceRules)
        let name = "user-and-key-together"
        #expect(
            try Self.scan([Self.createKey("k", minute: 0), Self.createUser("u", minute: 3)], rules: set)
                .contains { $0.rule == name })
        #expect(try !Self.scan([Self.createUser("u", minute: 0)], rules: set).contains { $0.rule == name })
        #expect(
            try !Self.scan([Self.createKey("k", minute: 0), Self.createUser("u", minute: 30)], rules: set)
                .contains { $0.rule == name })
    }

    /// `aliases` name one group-by value that each base rule reads from its own field: the user a
    /// key was created for is the user created a minute before.
    @Test func aliasesJoinDifferentFields() throws {
        let set = try Self.rules(
            """
            title: New user given a key by someone else
            name: user-then-key
            correlation:
              type: temporal_ordered
              rules: [IAM CreateUser, IAM CreateAccessKey]
              group-by: [target]
              timespan: 10m
              aliases:
                target:
                  IAM CreateUser: requestParameters.userName
                  IAM CreateAccessKey: requestParameters.userName
            """ + Self.sequenceRules)
        func step(_ id: String, _ name: String, _ target: String, _ minute: Double, ip: String) -> String {
            Self.record(
                id, name, source: "iam.amazonaws.com", minute: minute, ip: ip,
                params: #"{"userName":"\#(target)"}"#)
        }
        let f = try Self.scan(
            [
                step("u", "CreateUser", "backdoor", 0, ip: "203.0.113.7"),
                step("k", "CreateAccessKey", "backdoor", 1, ip: "198.51.100.9"),
            ], rules: set)
        #expect(
            f.first { $0.rule == "user-then-key" }?.title == "New user given a key by someone else: target=backdoor")
        let other = try Self.scan(
            [
                step("u", "CreateUser", "backdoor", 0, ip: "203.0.113.7"),
                step("k", "CreateAccessKey", "ci-bot", 1, ip: "203.0.113.7"),
            ], rules: set)
        #expect(!other.contains { $0.rule == "user-then-key" })
    }

    @Test func badCorrelationsAreErrorsWithTheirLine() {
        func errors(_ yaml: String) -> [String] { RuleSet(yaml: yaml, file: "bad.yml").errors.map(\.description) }
        let missing = errors(
            """
            title: Refers to nothing
            correlation: {type: event_count, rules: [no such rule], timespan: 5m, condition: {gte: 2}}
            """)
        #expect(
            missing == [
                "bad.yml:1: correlation 'refers-to-nothing': rule 'no such rule' matches no rule's name, id or title"
            ])
        #expect(
            errors("title: x\ncorrelation: {type: event_count, rules: [a], timespan: 5 minutes, condition: {gte: 2}}")
                .first?.contains("timespan '5 minutes' is not a duration") == true)
        #expect(errors("title: x\ncorrelation: {type: sum, rules: [a], timespan: 5m}").first?.contains("'sum'") == true)
        #expect(
            errors("title: x\ncorrelation: {type: event_count, rules: [a], timespan: 5m}")
                .first?.contains("needs a condition") == true)
        #expect(
            errors("title: x\ncorrelation: {type: value_count, rules: [a], timespan: 5m, condition: {gte: 2}}")
                .first?.contains("names the field") == true)
        let chained = errors(
            """
            title: First
            correlation: {type: temporal, rules: [Second, Recon call], timespan: 5m}
            ---
            title: Second
            correlation: {type: event_count, rules: [Recon call], timespan: 5m, condition: {gte: 2}}
            ---
            \(Self.recon)
            """)
        #expect(chained.contains { $0.contains("correlations of correlations are not supported") }, "\(chained)")
        let ambiguous = errors(
            """
            title: Twice
            correlation: {type: event_count, rules: [Recon call], timespan: 5m, condition: {gte: 2}}
            ---
            \(Self.recon)
            ---
            \(Self.recon.replacingOccurrences(of: "name: recon-call", with: "name: recon-call-2"))
            """)
        #expect(ambiguous.contains { $0.contains("names 2 rules by title") }, "\(ambiguous)")
    }

    /// Windows slide: what leaves the window stops counting, and the first window that holds is
    /// the one reported.
    @Test func slidingWindowsCountWhatIsInside() throws {
        let set = try Self.rules(
            """
            title: Burst
            correlation: {type: event_count, rules: [recon-call], timespan: 5m, condition: {gte: 3}}
            ---
            title: Distinct
            correlation: {type: value_count, rules: [recon-call], timespan: 5m, condition: {gte: 3, field: eventName}}
            ---
            \(Self.recon)
            """)
        let burst = try #require(set.correlations.first { $0.id == "burst" })
        let distinct = try #require(set.correlations.first { $0.id == "distinct" })
        func hit(_ minute: Int, _ value: String = "x") -> CorrelationHit {
            CorrelationHit(time: Timestamp(millis: Int64(minute) * 60_000), event: "e\(minute)", rule: 0, value: value)
        }
        let spread = [hit(0), hit(1), hit(10), hit(11), hit(12)]
        #expect(burst.firstWindow(spread)?.hits.map(\.event) == ["e10", "e11", "e12"])
        // Three values, but never three inside five minutes: A B at 0-1, C at 7 (A and B have left).
        let values = [hit(0, "A"), hit(1, "B"), hit(7, "C"), hit(8, "C"), hit(20, "A")]
        #expect(distinct.firstWindow(values) == nil)
        #expect(distinct.firstWindow((values + [hit(9, "B"), hit(10, "A")]).sorted())?.measured == 3)
        // Same-second steps count (CloudTrail times are whole seconds), whatever the event ids' order.
        let ordered = try Self.rules(
            """
            title: Chain
            correlation: {type: temporal_ordered, rules: [recon-call, recon-call-2, recon-call], timespan: 5m}
            ---
            \(Self.recon)
            ---
            \(Self.recon.replacingOccurrences(of: "name: recon-call", with: "name: recon-call-2"))
            """
        ).correlations.first { $0.id == "chain" }
        let chain = try #require(ordered)
        func step(_ second: Int, _ event: String, _ rule: Int) -> CorrelationHit {
            CorrelationHit(time: Timestamp(millis: Int64(second) * 1000), event: event, rule: rule)
        }
        #expect(chain.firstWindow([step(1, "e2", 0), step(1, "e1", 1), step(2, "e3", 2)].sorted())?.hits.count == 3)
        // One event cannot fill two steps (it matched rules 0 and 2).
        #expect(chain.firstWindow([step(1, "e1", 0), step(2, "e2", 1), step(1, "e1", 2)].sorted()) == nil)
        // A large group that never holds is judged in one pass over it.
        let many = (0..<20_000).map { hit($0 * 10, "same") }
        #expect(distinct.firstWindow(many) == nil)
        #expect(burst.firstWindow(many) == nil, "one match per ten minutes")
        // Matches carried from an earlier scan count, but a window of them alone is not this scan's.
        let old = [step(1, "e1", 0), step(2, "e2", 1), step(3, "e3", 2)]
        #expect(chain.firstWindow(old, carried: ["e1", "e2", "e3"]) == nil)
        #expect(chain.firstWindow(old, carried: ["e1", "e2"])?.hits.map(\.event) == ["e1", "e2", "e3"])
        let minutes = (0..<4).map { hit($0) }
        #expect(burst.firstWindow(minutes, carried: ["e0", "e1", "e2", "e3"]) == nil)
        #expect(burst.firstWindow(minutes, carried: ["e0", "e1", "e2"])?.hits.count == 4)
    }

    /// Carried matches join a group after its own: an event read again stays the scan's own.
    @Test func carriedMatchesJoinAfterTheScansOwn() {
        let actor = Actor(kind: .iamUser, key: "k", displayName: "k")
        var g = CorrelationGroup()
        g.add(CorrelationHit(time: Timestamp(millis: 5000), event: "new", rule: 0), actor: actor)
        g.add(CorrelationHit(time: Timestamp(millis: 4000), event: "again", rule: 0), actor: actor)
        let earlier = Actor(kind: .iamUser, key: "early", displayName: "early")
        g.carry([
            (CorrelationHit(time: Timestamp(millis: 1000), event: "old", rule: 0), earlier),
            (CorrelationHit(time: Timestamp(millis: 4000), event: "again", rule: 0), earlier),
        ])
        g.trim()
        #expect(g.hits.map(\.event) == ["old", "again", "new"])
        #expect(g.carried == ["old"])
        #expect(g.actor?.key == "early", "the earliest match's actor, carried or not")
    }

    /// The kept matches are the earliest by time and id, whatever order workers merge in, so
    /// findings do not depend on scheduling.
    @Test func boundedStateIsDeterministic() {
        let actor = Actor(kind: .iamUser, key: "k", displayName: "k")
        let hits = (0..<(CorrelationGroup.cap + 500)).map {
            CorrelationHit(time: Timestamp(millis: Int64(($0 * 7919) % 100_000)), event: "e\($0)", rule: 0)
        }
        var a = CorrelationGroup(), b = CorrelationGroup(), c = CorrelationGroup()
        for h in hits[..<10_000] { a.add(h, actor: actor) }
        for h in hits[10_000...] { b.add(h, actor: actor) }
        var ab = a, ba = b
        ab.merge(b)
        ba.merge(a)
        ab.trim()
        ba.trim()
        for h in hits.reversed() { c.add(h, actor: actor) }
        c.trim()
        #expect(ab.hits == ba.hits && ab.hits == c.hits)
        #expect(ab.hits.count == CorrelationGroup.cap && ab.dropped == 500 && c.dropped == 500)
        #expect(ab.hits == Array(hits.sorted().prefix(CorrelationGroup.cap)))
    }
}

/// suzaku-rules' correlation rules (Tests/CrossTrailRulesTests/Fixtures/suzaku), unmodified: they
/// reference base rules by title, in the same file.
@Suite struct PublishedCorrelationTests {
    static let folder = TestPaths.packageRoot.appendingPathComponent(
        "Tests/CrossTrailRulesTests/Fixtures/suzaku/correlations"
    ).path

    @Test func suzakuCorrelationsLoadAndResolve() throws {
        let builtins = RuleSet.load()
        let set = RuleSet.load(directories: [Self.folder])
        #expect(set.errors.isEmpty, "\(set.errors)")
        let theirs = set.correlations.filter { $0.file.hasPrefix(Self.folder) }
        #expect(theirs.count == 5 && set.correlations.count == builtins.correlations.count + 5)
        #expect(set.correlations.allSatisfy { $0.ruleIDs.count == $0.references.count })
        #expect(Set(theirs.map(\.kind)) == [.eventCount, .valueCount, .temporalOrdered])
        #expect(
            set.correlationOnly.count == builtins.correlationOnly.count + 7,
            "their base rules report nothing by themselves")
    }

    @Test func suzakuCorrelationsFireOnTheirSequences() throws {
        let set = RuleSet.load(directories: [Self.folder])
        func fired(_ records: [String]) throws -> Set<String> {
            let titles = Dictionary(uniqueKeysWithValues: set.correlations.map { ($0.id, $0.title) })
            return Set(try CorrelationTests.scan(records, rules: set).compactMap { titles[$0.rule] })
        }
        let logins = (0..<3).map {
            CorrelationTests.consoleFailure("l\($0)", minute: Double($0), ip: "203.0.113.7")
        }
        #expect(try fired(logins) == ["Many Failed Logins"])
        let denied = (0..<10).map {
            CorrelationTests.record(
                "d\($0)", "GetObject", source: "s3.amazonaws.com", minute: Double($0) * 0.5, error: "AccessDenied")
        }
        #expect(try fired(denied) == ["Many AccessDenied Errors from Single Source"])
        #expect(try fired(Array(denied.prefix(9))).isEmpty, "nine is under the threshold")
        let chain = [
            CorrelationTests.createUser("u", minute: 0), CorrelationTests.createKey("k", minute: 2),
        ]
        #expect(try fired(chain) == ["IAM Persis Chain via User and Access Key Creation"])
        let enumeration = [
            CorrelationTests.record("c", "GetCallerIdentity", source: "sts.amazonaws.com", minute: 0),
            CorrelationTests.record("b", "ListBuckets", source: "s3.amazonaws.com", minute: 1),
        ]
        #expect(try fired(enumeration) == ["S3 Enum After GetCallerIdentity"])
        let backwards = [
            CorrelationTests.record("b", "ListBuckets", source: "s3.amazonaws.com", minute: 0),
            CorrelationTests.record("c", "GetCallerIdentity", source: "sts.amazonaws.com", minute: 1),
        ]
        #expect(try fired(backwards).isEmpty, "ListBuckets before GetCallerIdentity is not the pattern")
    }
}

/// A field value built to stall a rule's regular expression: the rule gives up on it (no
/// match), the scan goes on, and a finding says so.
@Suite struct RegexTimeLimitTests {
    @Test func aStalledExpressionIsReportedNotSilent() throws {
        let set = try CorrelationTests.rules(
            """
            title: Nested repetition
            name: nested-repetition
            logsource: {product: aws}
            detection:
              s: {requestParameters.name|re: '(a+)+b'}
              condition: s
            """)
        let crafted = CorrelationTests.record(
            "x", "CreateUser", source: "iam.amazonaws.com", minute: 0,
            params: #"{"name":"\#(String(repeating: "a", count: 40))"}"#)
        let plain = CorrelationTests.record(
            "y", "CreateUser", source: "iam.amazonaws.com", minute: 1, params: #"{"name":"aab"}"#)
        let findings = try CorrelationTests.scan([crafted, plain], rules: set)
        #expect(findings.first { $0.rule == "nested-repetition" }?.evidence.events == ["y"])
        let limit = try #require(findings.first { $0.rule == "rule-regex-time-limit" })
        #expect(limit.title.contains("nested-repetition") && limit.evidence.details["values"] == "1")
    }
}

/// The analysis pass de-duplicates as the timeline does: a re-delivered file (here also re-shaped
/// by a shipper) adds no events, so a count-over-time rule does not fire on copies.
@Suite struct AnalysisDeduplicationTests {
    static func failedLogin(_ n: Int, second: Int) -> String {
        """
        {"eventVersion":"1.08","eventTime":"2026-08-01T10:00:\(String(format: "%02d", second))Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","eventID":"fl-\(n)","awsRegion":"us-east-1","eventType":"AwsConsoleSignIn","sourceIPAddress":"198.51.100.7","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","userName":"alice"},"errorMessage":"Failed authentication","responseElements":{"ConsoleLogin":"Failure"}}
        """
    }

    static func observe(_ files: [String: String]) throws -> (Observations, IngestStats, [Finding]) {
        let dir = try TestPaths.temporaryDirectory("dedupe")
        for (name, text) in files {
            try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        var diagnostics: [Diagnostic] = []
        let found = Ingestor.discover([dir.path], diagnostics: &diagnostics)
        let rules = RuleSet.load()
        let (obs, stats) = ObservationPass.run(
            Ingestor(workers: 2), files: found, classification: Classification(), rules: rules)
        return (obs, stats, Analyzer.scan(Inventory(), obs, rules: rules).findings)
    }

    @Test func redeliveredCopiesAreNotCountedTwice() throws {
        let three = (1...3).map { Self.failedLogin($0, second: $0) }
        // The copy: pretty-printed with its keys in another order, one object per line.
        let reshaped = three.map { line -> String in
            let object = try! JSONSerialization.jsonObject(with: Data(line.utf8))
            let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            return String(decoding: data, as: UTF8.self)
        }
        let (obs, stats, findings) = try Self.observe([
            "a.json": #"{"Records":["# + three.joined(separator: ",") + "]}",
            "b.jsonl": reshaped.joined(separator: "\n") + "\n",
        ])
        #expect(stats.recordsRead == 6)
        #expect(obs.events == 3 && obs.duplicates == 3)
        #expect(stats.accepted == 3 && stats.duplicates == 3 && stats.reconciles)
        #expect(!findings.contains { $0.rule == "failed-login-burst" }, "three sign-ins, each delivered twice")
    }

    /// The near miss: five distinct failures do make a burst.
    @Test func distinctEventsStillCount() throws {
        let five = (1...5).map { Self.failedLogin($0, second: $0) }
        let (obs, stats, findings) = try Self.observe(["a.jsonl": five.joined(separator: "\n") + "\n"])
        #expect(obs.events == 5 && obs.duplicates == 0 && stats.reconciles)
        #expect(findings.contains { $0.rule == "failed-login-burst" })
    }
}
