import CrossTrailModel
import CrossTrailRules
import Foundation
import Testing

@testable import CrossTrailAnalysis

/// The built-in rules whose regular expressions were rewritten without lookarounds (so RE2-based
/// Sigma backends and pySigma accept them): each judged on positives and near misses. Statements
/// and permissions are matched one by one as compact JSON with sorted keys.
@Suite struct PortableRegexTests {
    static let builtins = RuleSet.load()

    func fired(_ rule: String, _ records: [String]) throws -> [String] {
        try CorrelationTests.scan(records, rules: Self.builtins).filter { $0.rule == rule }
            .flatMap(\.evidence.events).sorted()
    }

    static func json(_ object: Any) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    @Test func notActionAdminPolicies() throws {
        func createPolicy(_ id: String, _ statement: Any) -> String {
            let doc = Self.json(["Version": "2012-10-17", "Statement": statement])
            return CorrelationTests.record(
                id, "CreatePolicy", source: "iam.amazonaws.com", minute: 0,
                params: Self.json(["policyName": id, "policyDocument": doc]))
        }
        let records = [
            createPolicy("all-but-iam", [["Sid": "x", "Resource": "*", "NotAction": ["iam:*"], "Effect": "Allow"]]),
            createPolicy(
                "one-statement", ["Effect": "Allow", "NotAction": "s3:*", "Resource": ["arn:aws:s3:::b", "*"]]),
            createPolicy(
                "conditioned",
                [
                    [
                        "Effect": "Allow", "NotAction": "s3:*", "Resource": "*",
                        "Condition": ["IpAddress": ["aws:SourceIp": "10.0.0.0/8"]],
                    ]
                ]),
            createPolicy("one-bucket", [["Effect": "Allow", "NotAction": "s3:*", "Resource": "arn:aws:s3:::b/*"]]),
            createPolicy("deny", [["Effect": "Deny", "NotAction": "s3:*", "Resource": "*"]]),
        ]
        #expect(try fired("aws-iam-customer-policy-admin-created", records) == ["all-but-iam", "one-statement"])
    }

    @Test func securityGroupsOpenToTheWorld() throws {
        func ingress(_ id: String, _ permission: [String: Any]) -> String {
            CorrelationTests.record(
                id, "AuthorizeSecurityGroupIngress", source: "ec2.amazonaws.com", minute: 0,
                params: Self.json(["groupId": "sg-1", "ipPermissions": ["items": [permission]]]))
        }
        let world = ["items": [["cidrIp": "0.0.0.0/0"]]]
        let records = [
            ingress("ssh", ["ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "ipRanges": world]),
            ingress("all-v6", ["ipProtocol": "-1", "ipv6Ranges": ["items": [["cidrIpv6": "::/0"]]]]),
            ingress("spans-rdp", ["ipProtocol": "tcp", "fromPort": 1000, "toPort": 5000, "ipRanges": world]),
            ingress("https", ["ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "ipRanges": world]),
            ingress(
                "ssh-private",
                ["ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "ipRanges": ["items": [["cidrIp": "10.0.0.0/8"]]]]),
            ingress("high-range", ["ipProtocol": "tcp", "fromPort": 8000, "toPort": 9000, "ipRanges": world]),
        ]
        #expect(try fired("aws-sg-admin-port-open-to-world", records) == ["all-v6", "spans-rdp", "ssh"])
    }

    @Test func githubTrustWithoutARepository() throws {
        let provider = ["Federated": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"]
        let audience = ["token.actions.githubusercontent.com:aud": "sts.amazonaws.com"]
        func createRole(_ id: String, _ statement: [String: Any]) -> String {
            var s = statement
            s["Action"] = s["Action"] ?? "sts:AssumeRoleWithWebIdentity"
            s["Principal"] = s["Principal"] ?? provider
            let doc = Self.json(["Version": "2012-10-17", "Statement": [s]])
            return CorrelationTests.record(
                id, "CreateRole", source: "iam.amazonaws.com", minute: 0,
                params: Self.json(["roleName": id, "assumeRolePolicyDocument": doc]))
        }
        let sub = "token.actions.githubusercontent.com:sub"
        let records = [
            createRole("no-condition", ["Effect": "Allow"]),
            createRole("audience-only", ["Effect": "Allow", "Condition": ["StringEquals": audience]]),
            createRole("any-subject", ["Effect": "Allow", "Condition": ["StringLike": [sub: "*"]]]),
            createRole(
                "any-repo-in-list",
                [
                    "Effect": "Allow",
                    "Condition": ["StringLike": [sub: ["repo:acme/a:*", "repo:*"]], "StringEquals": audience],
                ]),
            createRole(
                "one-repo",
                ["Effect": "Allow", "Condition": ["StringEquals": audience, "StringLike": [sub: "repo:acme/app:*"]]]),
            createRole(
                "one-owner",
                [
                    "Effect": "Allow",
                    "Condition": ["StringEquals": ["token.actions.githubusercontent.com:repository_owner": "acme"]],
                ]),
            createRole("deny", ["Effect": "Deny"]),
            createRole(
                "ec2", ["Effect": "Allow", "Principal": ["Service": "ec2.amazonaws.com"], "Action": "sts:AssumeRole"]),
        ]
        #expect(
            try fired("aws-iam-role-trust-github-oidc-unscoped", records)
                == ["any-repo-in-list", "any-subject", "audience-only", "no-condition"])
    }
}
