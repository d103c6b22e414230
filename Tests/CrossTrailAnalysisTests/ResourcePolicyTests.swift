import CrossTrailAnalysis
import CrossTrailIngest
import CrossTrailInventory
import CrossTrailModel
import Foundation
import TestSupport
import Testing

/// Resource-based policies and S3 ACLs: what is open to everyone, what reaches accounts outside
/// the zone of trust, and the near misses real accounts are full of (TLS-only denies, service
/// principals scoped to a source, organisation perimeters, Block Public Access).
@Suite struct ResourcePolicyTests {
    /// Loads files (name → content) as an inventory folder, as `--inventory` does.
    func load(_ files: [String: String]) throws -> (Inventory, [Diagnostic]) {
        let dir = try TestPaths.temporaryDirectory("resource-policies")
        defer { try? FileManager.default.removeItem(at: dir) }
        for (name, text) in files {
            try Data(text.utf8).write(to: dir.appendingPathComponent(name))
        }
        var (inv, diags) = Inventory.load(paths: [dir.path])
        inv.iam.assessedAt = Timestamp(iso: "2026-09-01T00:00:00Z")
        return (inv, diags)
    }

    /// crosstrail's export with one bucket policy, as the APIs return it (a JSON string).
    func bucket(_ name: String, _ statements: String, block: String? = nil, grants: String? = nil) -> String {
        let doc = #"{"Version": "2012-10-17", "Statement": [\#(statements)]}"#
        let quoted = "\"" + doc.replacingOccurrences(of: "\"", with: "\\\"") + "\""
        return
            #"{"Arn": "arn:aws:s3:::\#(name)", "Type": "AWS::S3::Bucket", "Account": "111122223333", "Policy": \#(quoted)"#
            + (block.map { #", "PublicAccessBlock": \#($0)"# } ?? "") + (grants.map { #", "Grants": \#($0)"# } ?? "")
            + "}"
    }

    func export(_ entries: String...) -> String { #"{"ResourcePolicies": [\#(entries.joined(separator: ","))]}"# }

    func exposure(_ files: [String: String]) throws -> [Finding] {
        let (inv, diags) = try load(files)
        #expect(diags.isEmpty, "\(diags)")
        return Analyzer.scan(inv, Observations()).findings.filter { $0.rule.hasPrefix("aws-resource-") }
    }

    let read = #""Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*""#

    @Test func publicPoliciesAreFound() throws {
        let cases: [(String, String)] = [
            ("Principal *", #"{"Effect": "Allow", "Principal": "*", \#(read)}"#),
            ("AWS *", #"{"Effect": "Allow", "Principal": {"AWS": "*"}, \#(read)}"#),
            (
                "TLS only",
                #"{"Effect": "Allow", "Principal": "*", \#(read), "Condition": {"Bool": {"aws:SecureTransport": "true"}}}"#
            ),
            (
                "NotPrincipal",
                #"{"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}, \#(read)}"#
            ),
            (
                "whole internet",
                #"{"Effect": "Allow", "Principal": "*", \#(read), "Condition": {"IpAddress": {"aws:SourceIp": ["0.0.0.0/0"]}}}"#
            ),
            (
                "everyone but",
                #"{"Effect": "Allow", "Principal": "*", \#(read), "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-acme"}}}"#
            ),
        ]
        for (name, statement) in cases {
            let f = try exposure(["r.json": export(bucket("b", statement))])
            #expect(f.map(\.rule) == ["aws-resource-public"], "\(name): \(f.map(\.title))")
            #expect(f.first?.severity == .high, "\(name)")
            #expect(f.first?.evidence.inventory.first?.contains("resource policy of arn:aws:s3:::b") == true, "\(name)")
        }
        // A condition that does not say who, and is not decided offline (a Referer anyone can send).
        let referer = try exposure([
            "r.json": export(
                bucket(
                    "b",
                    #"{"Effect": "Allow", "Principal": "*", \#(read), "Condition": {"StringLike": {"aws:Referer": "https://acme.example/*"}}}"#
                ))
        ])
        #expect(referer.first?.severity == .medium && referer.first?.evidence.details["decision"] == "conditional")
    }

    @Test func aClassifiedBucketOpenToEveryoneIsCritical() throws {
        let classification = "s3:\n  - prefix: s3://b/customers/\n    class: pii\n"
        let f = try exposure([
            "r.json": export(bucket("b", #"{"Effect": "Allow", "Principal": "*", \#(read)}"#)),
            "classes.yaml": classification,
        ])
        #expect(f.first?.severity == .critical)
        #expect(f.first?.title == "S3 bucket b is open to everyone and holds pii data")
    }

    @Test func nearMissesAreNotFlagged() throws {
        let cases: [(String, String)] = [
            (
                "deny plain HTTP",
                #"{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}"#
            ),
            (
                "organisation",
                #"{"Effect": "Allow", "Principal": "*", \#(read), "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-acme"}}}"#
            ),
            (
                "VPC endpoint",
                #"{"Effect": "Allow", "Principal": "*", \#(read), "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}}"#
            ),
            (
                "office range",
                #"{"Effect": "Allow", "Principal": "*", \#(read), "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}"#
            ),
            (
                "service for a trail",
                #"{"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/AWSLogs/*", "Condition": {"StringEquals": {"aws:SourceArn": "arn:aws:cloudtrail:us-east-1:111122223333:trail/t"}}}"#
            ),
            ("own account", #"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, \#(read)}"#),
            ("own role", #"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/etl"}, \#(read)}"#),
            (
                "expired",
                #"{"Effect": "Allow", "Principal": "*", \#(read), "Condition": {"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}}"#
            ),
            (
                "denied to all",
                #"{"Effect": "Allow", "Principal": "*", \#(read)}, {"Effect": "Deny", "Principal": "*", "Action": "s3:Get*", "Resource": "*"}"#
            ),
        ]
        for (name, statement) in cases {
            let f = try exposure(["r.json": export(bucket("b", statement))])
            #expect(f.isEmpty, "\(name): \(f.map(\.title))")
        }
    }

    @Test func blockPublicAccessNeutralisesPublicPoliciesAndACLs() throws {
        let open = #"{"Effect": "Allow", "Principal": "*", \#(read)}"#
        let allUsers =
            #"[{"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"}, "Permission": "READ"}]"#
        let restrict =
            #"{"BlockPublicAcls": true, "IgnorePublicAcls": true, "BlockPublicPolicy": true, "RestrictPublicBuckets": true}"#
        #expect(try exposure(["r.json": export(bucket("b", open, block: restrict, grants: allUsers))]).isEmpty)
        let accountBlock =
            #"{"Arn": "arn:aws:s3:us-east-1:111122223333:account", "Type": "AWS::S3::AccountPublicAccessBlock", "Account": "111122223333", "PublicAccessBlock": \#(restrict)}"#
        #expect(try exposure(["r.json": export(bucket("b", open, grants: allUsers), accountBlock)]).isEmpty)
        // Blocking new policies (BlockPublicPolicy) does not stop a public policy already there.
        let onlyNew = #"{"BlockPublicPolicy": true, "BlockPublicAcls": true}"#
        let f = try exposure(["r.json": export(bucket("b", open, block: onlyNew, grants: allUsers))])
        #expect(f.first?.evidence.details["acl"] == "AllUsers:READ")
        #expect(f.first?.evidence.details["actions"] == "s3:GetObject")
    }

    @Test func accountsOutsideTheZoneOfTrustAreExternal() throws {
        let partner = bucket(
            "b",
            #"{"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::444455556666:role/reader", "777788889999"]}, \#(read)}"#
        )
        let f = try exposure(["r.json": export(partner)])
        #expect(f.map(\.rule) == ["aws-resource-external-access"])
        #expect(f.first?.severity == .medium)
        #expect(f.first?.evidence.details["accounts"] == "444455556666 777788889999")
        // The same grant to an account of the organisation is inside the zone of trust.
        let org = organization([], accounts: ["111122223333", "444455556666", "777788889999"])
        #expect(try exposure(["r.json": export(partner), "organizations.json": org]).isEmpty)
        let half = organization([], accounts: ["111122223333", "444455556666"])
        let g = try exposure(["r.json": export(partner), "organizations.json": half])
        #expect(g.first?.evidence.details["accounts"] == "777788889999")
        #expect(g.first?.title.hasSuffix("outside the organisation") == true)
    }

    @Test func awsConfigSnapshotsAreRead() throws {
        func quoted(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
        let acl = quoted(
            #"{"grantSet":null,"grantList":[{"grantee":{"id":"abc","displayName":null},"permission":"FullControl"},{"grantee":"AllUsers","permission":"Read"}],"owner":{"displayName":null,"id":"abc"},"isRequesterCharged":false}"#
        )
        let queuePolicy = quoted(
            #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"arn:aws:sqs:us-east-1:111122223333:jobs"}]}"#
        )
        let privateBucketPolicy = quoted(
            #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/etl"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::private/*"}]}"#
        )
        let snapshot = #"""
            {"fileVersion": "1.0", "configSnapshotId": "0d2c1c4c", "configurationItems": [
              {"configurationItemVersion": "1.3", "configurationItemCaptureTime": "2026-08-01T00:00:00.000Z", "awsAccountId": "111122223333", "configurationItemStatus": "OK", "resourceType": "AWS::S3::Bucket", "resourceId": "acme-web", "resourceName": "acme-web", "ARN": "arn:aws:s3:::acme-web", "awsRegion": "us-east-1", "configuration": {"name": "acme-web"},
               "supplementaryConfiguration": {"AccessControlList": \#(acl), "BucketPolicy": {"policyText": null}, "PublicAccessBlockConfiguration": {"blockPublicAcls": false, "ignorePublicAcls": false, "blockPublicPolicy": false, "restrictPublicBuckets": false}}},
              {"configurationItemVersion": "1.3", "awsAccountId": "111122223333", "resourceType": "AWS::S3::Bucket", "resourceId": "private", "resourceName": "private", "ARN": "arn:aws:s3:::private",
               "supplementaryConfiguration": {"BucketPolicy": {"policyText": \#(privateBucketPolicy)}}},
              {"configurationItemVersion": "1.3", "awsAccountId": "111122223333", "resourceType": "AWS::SQS::Queue", "resourceId": "jobs", "ARN": "arn:aws:sqs:us-east-1:111122223333:jobs", "configuration": {"QueueArn": "arn:aws:sqs:us-east-1:111122223333:jobs", "Policy": \#(queuePolicy)}},
              {"configurationItemVersion": "1.3", "awsAccountId": "111122223333", "resourceType": "AWS::EC2::Instance", "resourceId": "i-1", "configuration": {}}
            ]}
            """#
        let f = try exposure(["config.json": snapshot]).sorted { $0.resources[0] < $1.resources[0] }
        #expect(
            f.map(\.title) == [
                "S3 bucket acme-web is open to everyone",
                "SQS queue arn:aws:sqs:us-east-1:111122223333:jobs is open to everyone",
            ])
        #expect(f.first?.evidence.details["acl"] == "AllUsers:READ")
    }

    @Test func aPolicyThatDoesNotParseIsNamedWithItsFileAndTheRestIsKept() throws {
        let bad =
            #"{"Arn": "arn:aws:s3:::broken", "Type": "AWS::S3::Bucket", "Account": "111122223333", "Policy": "{not json"}"#
        let (inv, diags) = try load([
            "r.json": export(bad, bucket("b", #"{"Effect": "Allow", "Principal": "*", \#(read)}"#))
        ])
        #expect(diags.count == 1)
        #expect(diags.first?.file.hasSuffix("r.json") == true)
        #expect(diags.first?.reason.contains("arn:aws:s3:::broken") == true, "\(diags)")
        #expect(Analyzer.scan(inv, Observations()).findings.contains { $0.rule == "aws-resource-public" })
    }
}

/// Cases from an adversarial review against IAM Access Analyzer's and S3's definitions.
extension ResourcePolicyTests {
    func rules(_ statements: String, _ extra: [String: String] = [:]) throws -> [Finding] {
        try exposure(["r.json": export(bucket("b", statements))].merging(extra) { a, _ in a })
    }

    @Test func wildcardsAbsentKeysAndArraysNameNobody() throws {
        let cases: [(String, String)] = [
            (
                "any VPC",
                #"{"Effect": "Allow", "Principal": "*", \#(read), "Condition": {"StringLike": {"aws:SourceVpc": "vpc-*"}}}"#
            ),
            (
                "any account's role",
                #"{"Effect": "Allow", "Principal": "*", \#(read), "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/reader"}}}"#
            ),
            (
                "IfExists",
                #"{"Effect": "Allow", "Principal": "*", \#(read), "Condition": {"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-acme"}}}"#
            ),
            (
                "ForAllValues",
                #"{"Effect": "Allow", "Principal": "*", \#(read), "Condition": {"ForAllValues:StringLike": {"aws:PrincipalOrgPaths": "o-acme/*"}}}"#
            ),
            ("array", #"{"Effect": "Allow", "Principal": {"AWS": ["*"]}, \#(read)}"#),
        ]
        for (name, statement) in cases {
            #expect(try rules(statement).map(\.rule) == ["aws-resource-public"], "\(name)")
        }
    }

    @Test func documentedPrivatePatternsAreNotPublic() throws {
        let cases: [(String, String)] = [
            (
                "denied outside the organisation",
                #"{"Effect": "Allow", "Principal": {"AWS": "*"}, \#(read)}, {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"], "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-acme"}}}"#
            ),
            (
                "access points only",
                #"{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "*", "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"], "Condition": {"StringEquals": {"s3:DataAccessPointAccount": "111122223333"}}}"#
            ),
            (
                "source account as a number",
                #"{"Effect": "Allow", "Principal": "*", \#(read), "Condition": {"StringEquals": {"aws:SourceAccount": 111122223333}}}"#
            ),
            (
                "own account named",
                #"{"Effect": "Allow", "Principal": "*", \#(read), "Condition": {"StringEquals": {"aws:PrincipalAccount": "111122223333"}}}"#
            ),
            (
                "organisation paths",
                #"{"Effect": "Allow", "Principal": "*", \#(read), "Condition": {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-acme/r-ab12/ou-*"}}}"#
            ),
        ]
        for (name, statement) in cases {
            #expect(try rules(statement).isEmpty, "\(name)")
        }
    }

    @Test func undecidedDeniesAndLaterGrantsAreConditional() throws {
        let later = try rules(
            #"{"Effect": "Allow", "Principal": "*", \#(read), "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}}"#
        )
        #expect(later.first?.evidence.details["decision"] == "conditional", "a grant that starts later is not never")
        let vpce = try rules(
            #"{"Effect": "Allow", "Principal": "*", \#(read)}, {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"], "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}}"#
        )
        #expect(vpce.first?.evidence.details["decision"] == "conditional")
        #expect(vpce.first?.severity == .medium)
    }

    @Test func externalGrantsAreJudgedForTheGrantedAccount() throws {
        func external(_ statements: String) throws -> Finding? {
            try rules(statements).first { $0.rule == "aws-resource-external-access" }
        }
        // `:root` is the whole account: a condition on which of its roles still grants the account.
        let roles = try external(
            #"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, \#(read), "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::444455556666:role/data-*"}}}"#
        )
        #expect(roles?.evidence.details["accounts"] == "444455556666")
        // A Deny for everyone outside two accounts leaves the partner its grant.
        let kept = try external(
            #"{"Effect": "Allow", "Principal": {"AWS": "444455556666"}, \#(read)}, {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*", "Condition": {"StringNotEquals": {"aws:PrincipalAccount": ["111122223333", "444455556666"]}}}"#
        )
        #expect(kept?.evidence.details["decision"] == "allowed")
        let notPrincipal = try external(
            #"{"Effect": "Allow", "Principal": {"AWS": "444455556666"}, \#(read)}, {"Effect": "Deny", "NotPrincipal": {"AWS": ["arn:aws:iam::444455556666:role/reader", "arn:aws:iam::111122223333:root"]}, "Action": "s3:*", "Resource": "*"}"#
        )
        #expect(notPrincipal != nil, "role/reader of the partner keeps the access")
        // Open to `*` for a named foreign account: external, not public.
        let named = try rules(
            #"{"Effect": "Allow", "Principal": "*", \#(read), "Condition": {"StringEquals": {"aws:PrincipalAccount": "444455556666"}}}"#
        )
        #expect(named.map(\.rule) == ["aws-resource-external-access"])
        #expect(try external(#"{"Effect": "Allow", "Principal": {"AWS": 444455556666}, \#(read)}"#) != nil, "a number")
    }

    @Test func restrictPublicBucketsAlsoCutsOtherAccountsOfAPublicPolicy() throws {
        let restrict = #"{"PublicAccessBlockConfiguration": {"RestrictPublicBuckets": true, "IgnorePublicAcls": true}}"#
        let both =
            #"{"Effect": "Allow", "Principal": "*", \#(read)}, {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, \#(read)}"#
        #expect(try exposure(["r.json": export(bucket("b", both, block: restrict))]).isEmpty)
        // Without a public statement the partner's grant stands.
        let partner = #"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, \#(read)}"#
        #expect(try exposure(["r.json": export(bucket("b", partner, block: restrict))]).count == 1)
    }

    @Test func theOrganisationsRCPsCloseItsResources() throws {
        let perimeter = (
            type: "RESOURCE_CONTROL_POLICY", name: "DataPerimeter", targets: ["r-root"],
            statements:
                #"{"Effect": "Deny", "Principal": "*", "Action": ["s3:*", "kms:*"], "Resource": "*", "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-acme"}, "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}}"#
        )
        let open =
            #"{"Effect": "Allow", "Principal": "*", \#(read)}, {"Effect": "Allow", "Principal": {"AWS": "444455556666"}, \#(read)}"#
        #expect(try rules(open).count == 2)
        #expect(try rules(open, ["organizations.json": organization([perimeter])]).isEmpty)
        // The management account's resources are not bounded by RCPs.
        let management = organization([perimeter], management: "111122223333", accounts: [])
        #expect(try rules(open, ["organizations.json": management]).count == 2)
    }

    @Test func configHistoryKeepsTheLatestStateAndKMSAndLambdaPoliciesAreRead() throws {
        func quoted(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
        let open = quoted(
            #"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"*"}]}"#)
        let partner = quoted(
            #"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"lambda:InvokeFunction","Resource":"*"}]}"#
        )
        let history = #"""
            {"configurationItems": [
              {"configurationItemCaptureTime": "2026-07-01T00:00:00.000Z", "awsAccountId": "111122223333", "resourceType": "AWS::SQS::Queue", "resourceId": "q", "ARN": "arn:aws:sqs:us-east-1:111122223333:q", "configuration": {"Policy": \#(open)}},
              {"configurationItemCaptureTime": "2026-08-01T00:00:00.000Z", "awsAccountId": "111122223333", "resourceType": "AWS::SQS::Queue", "resourceId": "q", "ARN": "arn:aws:sqs:us-east-1:111122223333:q", "configuration": {}},
              {"configurationItemStatus": "ResourceDeleted", "awsAccountId": "111122223333", "resourceType": "AWS::SNS::Topic", "resourceId": "t", "ARN": "arn:aws:sns:us-east-1:111122223333:t", "configuration": {"Policy": \#(open)}},
              {"awsAccountId": "111122223333", "resourceType": "AWS::Lambda::Function", "resourceId": "fn", "ARN": "arn:aws:lambda:us-east-1:111122223333:function:fn", "supplementaryConfiguration": {"Policy": \#(partner)}}
            ]}
            """#
        let f = try exposure(["history.json": history])
        #expect(
            f.map(\.title) == [
                "Lambda function arn:aws:lambda:us-east-1:111122223333:function:fn grants account 444455556666 outside account 111122223333"
            ])
    }

    @Test func aBucketWithoutItsAccountIsSaidAndSkipped() throws {
        let noAccount = #"{"Arn": "arn:aws:s3:::x", "Type": "AWS::S3::Bucket", "Policy": {"Statement": []}}"#
        let (_, diags) = try load(["r.json": export(noAccount)])
        #expect(diags.first?.reason.contains("has no Account") == true, "\(diags)")
        // A locked-down account is an assessed resource, not an empty inventory.
        let block =
            #"{"Arn": "arn:aws:s3:us-east-1:111122223333:account", "Type": "AWS::S3::AccountPublicAccessBlock", "Account": "111122223333", "PublicAccessBlock": {"RestrictPublicBuckets": true}}"#
        let (inv, d2) = try load(["r.json": export(block, bucket("quiet", ""))])
        #expect(d2.isEmpty && !inv.resources.isEmpty && inv.resources.policies.count == 1)
    }
}

/// Bucket policies in a principal's effective access: `who-can` and the classified-data rules.
extension ResourcePolicyTests {
    /// dev (`s3:*` on everything), role etl (no S3 policy), role reader (reads `b/*`), and a bucket
    /// policy on `b` made of `statements`.
    func access(_ statements: String, account: String = "111122223333") throws -> Inventory {
        var inv = try inventory(
            user: #"{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}"#,
            roles: role(
                "etl",
                trust:
                    #"{"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}"#)
                + ","
                + role(
                    "reader",
                    trust:
                        #"{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}"#,
                    policy: #"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#))
        let doc =
            #"{"ResourcePolicies": [{"Arn": "arn:aws:s3:::b", "Type": "AWS::S3::Bucket", "Account": "\#(account)", "Policy": {"Statement": [\#(statements)]}}]}"#
        let problems = inv.resources.merge(export: try JSON.parse(text: doc), path: "r.json")
        #expect(problems.isEmpty)
        return inv
    }

    func readers(_ inv: Inventory) -> [String: String] {
        Dictionary(
            AccessQuery.whoCan(target: "s3://b/customers/", resource: "", inv).filter { $0.plane == "aws" }.map {
                (String($0.principal.split(separator: "/").last ?? ""), $0.decision)
            }, uniquingKeysWith: { a, _ in a })
    }

    @Test func aBucketPolicyDenyWinsAndItsExceptionsAreDecidedPerPrincipal() throws {
        #expect(readers(try access("")) == ["dev": "allowed", "reader": "allowed"])
        let onlyReader =
            #"{"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"StringNotLike": {"aws:PrincipalArn": ["arn:aws:iam::111122223333:role/reader"]}}}"#
        #expect(readers(try access(onlyReader)) == ["reader": "allowed"])
        let wholeAccount =
            #"{"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}"#
        #expect(readers(try access(wholeAccount)).isEmpty)
        let vpce =
            #"{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*", "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}}"#
        #expect(readers(try access(vpce)) == ["dev": "conditional", "reader": "conditional"])
        // A Deny on another bucket, or a bucket of another account, changes nothing here.
        let elsewhere =
            #"{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::other/*"}"#
        #expect(readers(try access(elsewhere)) == ["dev": "allowed", "reader": "allowed"])
        #expect(readers(try access(wholeAccount, account: "444455556666")) == ["dev": "allowed", "reader": "allowed"])
    }

    @Test func aBucketPolicyNamingARoleGrantsItWithoutItsIAMPolicies() throws {
        let grant =
            #"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/etl"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#
        let r = try access(grant)
        #expect(readers(r)["etl"] == "allowed")
        let via = AccessQuery.whoCan(target: "s3://b/customers/", resource: "", r).first {
            $0.principal.hasSuffix("role/etl")
        }
        #expect(via?.via.first?.contains("resource policy of arn:aws:s3:::b") == true, "\(String(describing: via))")
        // Naming the account delegates to IAM: etl gets nothing from it.
        let account =
            #"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#
        #expect(readers(try access(account))["etl"] == nil)
    }

    @Test func aRestrictiveBucketPolicyEndsTheClassifiedDataFinding() throws {
        var open = try access("")
        try open.classification.merge(yaml: "s3:\n  - prefix: s3://b/customers/\n    class: pii\n", file: "c.yaml")
        #expect(findings(open).contains { $0.rule == "iam-wildcard-on-classified" && $0.subjects.first?.name == "dev" })
        var closed = try access(
            #"{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"], "Condition": {"ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/reader"}}}"#
        )
        try closed.classification.merge(yaml: "s3:\n  - prefix: s3://b/customers/\n    class: pii\n", file: "c.yaml")
        #expect(
            !findings(closed).contains { $0.rule == "iam-wildcard-on-classified" && $0.subjects.first?.name == "dev" })
    }
}

/// Regressions from a review of the resource-policy and SCP work.
extension ResourcePolicyTests {
    @Test func anUndecidedBucketDenyCapsAGrantOfTheBucketPolicy() throws {
        let grantAndDeny =
            #"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/etl"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}, {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*", "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}}"#
        #expect(readers(try access(grantAndDeny))["etl"] == "conditional")
    }

    @Test func aRolesBoundaryStillBoundsABucketPolicyGrantNamingIt() throws {
        let b = "arn:aws:iam::111122223333:policy/boundary"
        var inv = try inventory(
            user: #"{"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}"#,
            roles:
                #"{"RoleName": "etl", "Arn": "arn:aws:iam::111122223333:role/etl", "AssumeRolePolicyDocument": {"Statement": []}, "RolePolicyList": [], "AttachedManagedPolicies": [], "InstanceProfileList": [], "PermissionsBoundary": {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": "\#(b)"}}"#,
            policies: managedPolicy(b, #"{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}"#), boundary: b)
        let doc =
            #"{"ResourcePolicies": [{"Arn": "arn:aws:s3:::b", "Type": "AWS::S3::Bucket", "Account": "111122223333", "Policy": {"Statement": [{"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::111122223333:role/etl", "arn:aws:iam::111122223333:user/dev"]}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}}]}"#
        _ = inv.resources.merge(export: try JSON.parse(text: doc), path: "r.json")
        let who = readers(inv)
        #expect(who["etl"] == nil, "the role's boundary allows no S3")
        #expect(who["dev"] == "allowed", "a grant naming a user is not bounded by its boundary")
    }

    @Test func theSameResourceReadTwiceIsOneResource() throws {
        let open = export(bucket("b", #"{"Effect": "Allow", "Principal": "*", \#(read)}"#))
        let f = try exposure(["a.json": open, "b.json": open])
        #expect(f.count == 1)
    }

    @Test func aDenyOnAnotherRoleOfTheAccountLeavesTheAccountsGrant() throws {
        let f = try rules(
            #"{"Effect": "Allow", "Principal": {"AWS": "444455556666"}, \#(read)}, {"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::444455556666:role/b"}, "Action": "s3:*", "Resource": "*"}"#
        )
        #expect(f.map(\.rule) == ["aws-resource-external-access"])
        // A role pattern in one fixed account is that account, not the public.
        let pattern = try rules(
            #"{"Effect": "Allow", "Principal": "*", \#(read), "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::444455556666:role/*"}}}"#
        )
        #expect(pattern.map(\.rule) == ["aws-resource-external-access"], "\(pattern.map(\.title))")
    }
}
