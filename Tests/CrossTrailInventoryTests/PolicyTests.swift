import CrossTrailIngest
import Testing

@testable import CrossTrailInventory

func statements(_ json: String, kind: PolicyRef.Kind = .inline) throws -> [PolicyStatement] {
    try PolicyDocument.statements(from: JSON.parse(text: json), source: PolicyRef(kind: kind, name: "test"))
}

func decide(_ policy: String, _ action: String, _ resource: String, boundary: String? = nil) throws -> AccessDecision {
    PolicyEvaluator.evaluate(
        try statements(policy), boundary: try boundary.map { try statements($0, kind: .boundary) },
        action: .action(action), resource: .resource(resource))
}

@Suite struct IAMPatternTests {
    @Test func matchingIsCaseInsensitiveForActionsOnly() {
        #expect(IAMPattern.action("s3:Get*").matches("S3:GETOBJECT", caseInsensitive: true))
        #expect(IAMPattern.action("iam:PassRole").matches("iam:passrole", caseInsensitive: true))
        #expect(!IAMPattern.resource("arn:aws:s3:::Bucket/*").matches("arn:aws:s3:::bucket/x"))
        #expect(IAMPattern.resource("arn:aws:s3:::b/?x").matches("arn:aws:s3:::b/ax"))
        #expect(!IAMPattern.resource("arn:aws:s3:::b/?x").matches("arn:aws:s3:::b/x"))
    }

    @Test func overlapFindsACommonString() {
        let prefix = IAMPattern.resource("arn:aws:s3:::acme-pii/*")
        #expect(IAMPattern.resource("*").overlaps(prefix))
        #expect(IAMPattern.resource("arn:aws:s3:::acme-pii/customers/*").overlaps(prefix))
        #expect(IAMPattern.resource("arn:aws:s3:::acme-*").overlaps(prefix))
        #expect(!IAMPattern.resource("arn:aws:s3:::other/*").overlaps(prefix))
        #expect(!IAMPattern.resource("arn:aws:s3:::acme-pii").overlaps(prefix), "the bucket ARN is not an object ARN")
    }

    @Test func coverageIsProvedNeverGuessed() {
        let prefix = IAMPattern.resource("arn:aws:s3:::acme-pii/*")
        #expect(IAMPattern.resource("*").covers(prefix))
        #expect(IAMPattern.resource("arn:aws:s3:::acme-*").covers(prefix))
        #expect(!IAMPattern.resource("arn:aws:s3:::acme-pii/customers/*").covers(prefix))
        // A policy variable's value is unknown offline: it may match, it is never proved to cover.
        let home = IAMPattern.resource("arn:aws:s3:::acme-pii/${aws:username}/*")
        #expect(home.overlaps(prefix))
        #expect(!home.covers(prefix))
    }
}

@Suite struct PolicyEvaluatorTests {
    @Test func explicitDenyWinsOverAllowStar() throws {
        let d = try decide(
            #"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","Resource":"*"}]}"#,
            "iam:CreateUser", "*")
        #expect(d.level == .denied)
        #expect(d.reason.contains("explicitly denied"))
    }

    @Test func denyOnlyPolicyAllowsNothing() throws {
        let d = try decide(
            #"{"Statement":{"Effect":"Deny","Action":"s3:*","Resource":"*"}}"#, "s3:GetObject", "arn:aws:s3:::b/k")
        #expect(d.level == .denied)
        #expect(d.reason.contains("explicitly denied"))
        let other = try decide(
            #"{"Statement":{"Effect":"Deny","Action":"s3:*","Resource":"*"}}"#, "ec2:RunInstances", "*")
        #expect(other.level == .denied)
        #expect(other.reason.contains("implicit deny"))
    }

    @Test func notActionAllowsEverythingElse() throws {
        let policy = #"{"Statement":[{"Effect":"Allow","NotAction":["iam:*","organizations:*"],"Resource":"*"}]}"#
        #expect(try decide(policy, "s3:GetObject", "arn:aws:s3:::b/k").level == .allowed)
        #expect(try decide(policy, "kms:Decrypt", "*").level == .allowed)
        #expect(try decide(policy, "iam:CreateUser", "*").level == .denied)
        #expect(try decide(policy, "IAM:createuser", "*").level == .denied, "actions compare case-insensitively")
    }

    @Test func notResourceExcludesResources() throws {
        let policy =
            #"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","NotResource":"arn:aws:s3:::secret/*"}]}"#
        #expect(try decide(policy, "s3:GetObject", "arn:aws:s3:::public/a").level == .allowed)
        #expect(try decide(policy, "s3:GetObject", "arn:aws:s3:::secret/a").level == .denied)
        #expect(try decide(policy, "s3:GetObject", "arn:aws:s3:::secret/*").level == .denied)
    }

    @Test func partialDenyLeavesTheRestOfAPrefixReachable() throws {
        let policy =
            #"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::pii/secret/*"}]}"#
        #expect(try decide(policy, "s3:GetObject", "arn:aws:s3:::pii/*").level == .allowed)
        #expect(try decide(policy, "s3:GetObject", "arn:aws:s3:::pii/secret/*").level == .denied)
    }

    @Test func conditionsAreReportedAsConditional() throws {
        let allowIf =
            #"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}"#
        let d = try decide(allowIf, "s3:GetObject", "arn:aws:s3:::b/k")
        #expect(d.level == .conditional)
        #expect(d.reason.contains("Condition"))
        let denyIf =
            #"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}"#
        #expect(try decide(denyIf, "iam:CreateUser", "*").level == .conditional)
    }

    @Test func permissionsBoundaryCapsIdentityPolicies() throws {
        let admin = #"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#
        let s3Only = #"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#
        #expect(try decide(admin, "s3:GetObject", "arn:aws:s3:::b/k", boundary: s3Only).level == .allowed)
        let blocked = try decide(admin, "iam:CreateUser", "*", boundary: s3Only)
        #expect(blocked.level == .denied)
        #expect(blocked.blockedByBoundary)
    }

    @Test func policyDocumentsInEveryShape() throws {
        // URL-encoded (raw IAM API), a single statement object, string Action, trust policy.
        let encoded =
            "%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3AGetObject%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D"
        let s = try PolicyDocument.statements(from: .string(encoded), source: PolicyRef(kind: .inline, name: "x"))
        #expect(s.count == 1 && s[0].actions.patterns[0].text == "s3:GetObject")
        let trust = try statements(
            #"{"Statement":[{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com"]},"Action":"sts:AssumeRole"}]}"#,
            kind: .trust)
        #expect(trust[0].principals["Service"] == ["ec2.amazonaws.com"])
        #expect(throws: PolicyDocumentError.self) { try statements(#"{"Statement":[{"Action":"*","Resource":"*"}]}"#) }
        #expect(throws: PolicyDocumentError.self) { try statements(#"{"Version":"2012-10-17"}"#) }
    }
}

/// The concrete-string fast path of `IAMPattern` against a regular expression of the pattern.
@Suite struct IAMPatternGlobTests {
    @Test func matchingAConcreteStringAgreesWithARegularExpression() throws {
        var rng = SystemRandomNumberGenerator()
        let alphabet: [Character] = ["a", "b", ":"]
        func random(_ n: Int, wild: Bool) -> String {
            String(
                (0..<n).map { _ in
                    wild && Bool.random(using: &rng) ? (Bool.random() ? "*" : "?") : alphabet.randomElement()!
                })
        }
        for _ in 0..<3000 {
            let pattern = random(Int.random(in: 0...6), wild: true)
            let text = random(Int.random(in: 0...7), wild: false)
            let regex = "^" + pattern.map { $0 == "*" ? ".*" : $0 == "?" ? "." : String($0) }.joined() + "$"
            let expected = text.range(of: regex, options: .regularExpression) != nil
            let p = IAMPattern.resource(pattern), t = IAMPattern.resource(text)
            #expect(p.overlaps(t) == expected, "\(pattern) ~ \(text)")
            #expect(t.overlaps(p) == expected, "\(text) ~ \(pattern)")
            #expect(p.covers(t) == expected, "\(pattern) ⊇ \(text)")
        }
        // Variables: may match (overlaps), never prove coverage.
        let v = IAMPattern.resource("arn:aws:s3:::b/${aws:username}/*")
        #expect(v.overlaps(.resource("arn:aws:s3:::b/alice/x")))
        #expect(!v.covers(.resource("arn:aws:s3:::b/alice/x")))
        #expect(!v.overlaps(.resource("arn:aws:s3:::c/alice/x")))
    }
}
