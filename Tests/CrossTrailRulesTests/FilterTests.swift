import CrossTrailIngest
import CrossTrailModel
import Foundation
import TestSupport
import Testing

@testable import CrossTrailRules

/// Sigma filters: known-good activity excluded from the rules a filter names, and only from them.
@Suite struct FilterTests {
    static let rules = """
        title: Bucket ACL changed
        name: bucket-acl-changed
        id: 2d1c8f7e-3b4a-4c5d-8e9f-0a1b2c3d4e5f
        logsource: {product: aws}
        detection:
          selection: {eventName: PutBucketAcl}
          condition: selection
        ---
        title: Any S3 write
        name: any-s3-write
        logsource: {product: aws}
        detection:
          selection: {eventSource: s3.amazonaws.com}
          condition: selection
        """

    static func filter(_ rules: String, condition: String = "not selection") -> String {
        """

        ---
        title: The platform's Admin role manages bucket ACLs
        filter:
          rules: \(rules)
          selection:
            userIdentity.sessionContext.sessionIssuer.userName: Admin
          condition: \(condition)
        """
    }

    func verdicts(_ yaml: String, _ json: String = trail) throws -> [String: SigmaRule.Verdict] {
        let set = RuleSet(yaml: yaml, file: "filters.yml")
        #expect(set.errors.isEmpty, "\(set.errors)")
        let e = try event(json)
        return Dictionary(uniqueKeysWithValues: set.rules.map { ($0.id, $0.verdict(e)) })
    }

    @Test func aFilterExcludesOnlyFromTheRulesItNames() throws {
        #expect(try verdicts(Self.rules) == ["bucket-acl-changed": .hit, "any-s3-write": .hit])
        for reference in ["[bucket-acl-changed]", "[2d1c8f7e-3b4a-4c5d-8e9f-0a1b2c3d4e5f]", "[Bucket ACL changed]"] {
            let v = try verdicts(Self.rules + Self.filter(reference))
            #expect(v == ["bucket-acl-changed": .none, "any-s3-write": .hit], "\(reference)")
        }
        // Another role's change still matches.
        let other = trail.replacingOccurrences(of: "Admin", with: "Intern")
        #expect(try verdicts(Self.rules + Self.filter("[bucket-acl-changed]"), other)["bucket-acl-changed"] == .hit)
        let set = RuleSet(yaml: Self.rules + Self.filter("[bucket-acl-changed]"), file: "filters.yml")
        #expect(
            set.rules.first { $0.id == "bucket-acl-changed" }?.filteredBy
                == ["the-platform's-admin-role-manages-bucket-acls"])
    }

    @Test func aFilterNamingNoRuleIsAnError() {
        let set = RuleSet(yaml: Self.rules + Self.filter("[no-such-rule]"), file: "filters.yml")
        #expect(set.errors.map(\.description).contains { $0.contains("rule 'no-such-rule' matches no rule") })
        let bad = RuleSet(
            yaml: "title: f\nfilter:\n  selection: {eventName: x}\n  condition: not selection\n", file: "f.yml")
        #expect(bad.errors.first?.description.contains("lists the rules it applies to") == true)
    }

    /// Filters in a --rules folder apply to the built-in rules: the way to tune them without copying.
    @Test func filtersApplyToBuiltInRules() throws {
        let dir = try TestPaths.temporaryDirectory("filters")
        let stop =
            #"{"eventVersion":"1.08","eventTime":"2026-08-01T10:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","eventID":"s1","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.9","userAgent":"aws-cli/2.15","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/decom-bot","accountId":"111122223333","userName":"decom-bot"},"requestParameters":{"name":"sandbox-trail"}}"#
        try Data(
            """
            title: The sandbox trail is stopped by the decommissioning job
            filter:
              rules: [ct-logging-stopped]
              selection:
                userIdentity.userName: decom-bot
                requestParameters.name: sandbox-trail
              condition: not selection
            """.utf8
        ).write(to: dir.appendingPathComponent("filters.yml"))
        let plain = RuleSet.load()
        let tuned = RuleSet.load(directories: [dir.path])
        #expect(tuned.errors.isEmpty, "\(tuned.errors)")
        let e = try event(stop)
        #expect(plain.rules.first { $0.id == "ct-logging-stopped" }?.verdict(e) == .hit)
        #expect(tuned.rules.first { $0.id == "ct-logging-stopped" }?.verdict(e) == SigmaRule.Verdict.none)
        let prod = try event(stop.replacingOccurrences(of: "sandbox-trail", with: "org-trail"))
        #expect(tuned.rules.first { $0.id == "ct-logging-stopped" }?.verdict(prod) == .hit)
    }
}
