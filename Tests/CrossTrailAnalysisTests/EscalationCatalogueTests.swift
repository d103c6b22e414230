import CrossTrailAnalysis
import CrossTrailInventory
import CrossTrailModel
import Foundation
import TestSupport
import Testing

/// BishopFox's iam-vulnerable, every module deployed, as an authorization-details export: each
/// principal the lab builds to escalate must be found (its `privesc*` paths and the `fn*` cases
/// other tools miss), and none of its `fp*` traps may be flagged (Tests/.../iam-vulnerable).
@Suite struct EscalationCatalogueTests {
    static let dir = TestPaths.packageRoot.appendingPathComponent(
        "Tests/CrossTrailInventoryTests/Fixtures/iam-vulnerable")

    struct Expected: Decodable {
        var expected: String
        var path: String?
    }

    @Test func iamVulnerableEscalatorsFoundAndTrapsNotFlagged() throws {
        let expected = try JSONDecoder().decode(
            [String: Expected].self, from: Data(contentsOf: Self.dir.appendingPathComponent("expected.json")))
        let (inv, diags) = Inventory.load(paths: [Self.dir.appendingPathComponent("authorization-details.json").path])
        #expect(diags.isEmpty, "\(diags)")
        #expect(inv.iam.principals.count == expected.count, "every principal of the lab is in the export")
        let found = Analyzer.scan(inv, Observations()).findings.filter {
            $0.rule == "iam-privilege-escalation" || $0.rule == "iam-admin-equivalent"
        }
        let flagged = Dictionary(grouping: found, by: { $0.subjects.first?.arn ?? "" })
        var missed = [String](), wrong = [String]()
        for (arn, e) in expected.sorted(by: { $0.key < $1.key }) {
            let hits = flagged[arn] ?? []
            if e.expected == "escalation" && hits.isEmpty { missed.append("\(arn) (\(e.path ?? "admin"))") }
            if e.expected == "none" && !hits.isEmpty {
                wrong.append("\(arn): " + hits.map { $0.evidence.details["path"] ?? $0.rule }.joined(separator: ", "))
            }
        }
        let escalators = expected.values.filter { $0.expected == "escalation" }.count
        #expect(missed.isEmpty, "missed \(missed.count) of \(escalators):\n\(missed.joined(separator: "\n"))")
        #expect(wrong.isEmpty, "flagged \(wrong.count) traps:\n\(wrong.joined(separator: "\n"))")
    }
}

/// A role with an inline policy and a trust policy given as JSON statements.
func role(_ name: String, trust: String, policy: String? = nil, instanceProfile: Bool = false) -> String {
    let inline =
        policy.map {
            #"[{"PolicyName": "inline", "PolicyDocument": {"Statement": [\#($0)]}}]"#
        } ?? "[]"
    let profiles =
        instanceProfile
        ? #"[{"InstanceProfileName": "\#(name)-profile", "Arn": "arn:aws:iam::111122223333:instance-profile/\#(name)-profile", "Roles": []}]"#
        : "[]"
    return
        #"{"RoleName": "\#(name)", "Arn": "arn:aws:iam::111122223333:role/\#(name)", "AssumeRolePolicyDocument": {"Statement": [\#(trust)]}, "RolePolicyList": \#(inline), "AttachedManagedPolicies": [], "InstanceProfileList": \#(profiles)}"#
}

let adminPolicy = #"{"Effect": "Allow", "Action": "*", "Resource": "*"}"#

/// Conditions decided offline, and the new paths, each with near misses.
@Suite struct OfflineConditionAndPathTests {
    func decision(_ condition: String, effect: String = "Allow") throws -> String? {
        let inv = try inventory(
            user:
                #"{"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": "*", "Condition": \#(condition)}"#
                + (effect == "Deny"
                    ? #", {"Effect": "Deny", "Action": "iam:*", "Resource": "*", "Condition": \#(condition)}"# : ""))
        return findings(inv).first { $0.evidence.details["path"] == "create-policy-version" }?.evidence.details[
            "decision"]
    }

    @Test func timeConditionsAreDecidedAtTheAssessmentTime() throws {
        // A date long past: LessThan can never hold again, GreaterThan always holds now.
        #expect(try decision(#"{"DateLessThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}}"#) == nil)
        #expect(try decision(#"{"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}}"#) == "allowed")
        #expect(try decision(#"{"DateLessThan": {"aws:CurrentTime": "2099-01-01T00:00:00Z"}}"#) == "allowed")
        #expect(try decision(#"{"NumericLessThan": {"aws:EpochTime": "1577836801"}}"#) == nil)
        #expect(try decision(#"{"DateGreaterThanIfExists": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}"#) == "allowed")
        // Every clause must hold; one that depends on the request keeps it conditional.
        #expect(
            try decision(
                #"{"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}, "StringEquals": {"aws:PrincipalTag/team": "x"}}"#
            ) == "conditional")
        #expect(try decision(#"{"Bool": {"aws:SecureTransport": "true"}}"#) == "allowed")
        #expect(try decision(#"{"Bool": {"aws:MultiFactorAuthPresent": "true"}}"#) == "conditional")
        // An unparseable date decides nothing.
        #expect(try decision(#"{"DateLessThan": {"aws:CurrentTime": "soon"}}"#) == "conditional")
        // A Deny whose date has passed no longer applies; one that holds now denies.
        #expect(
            try decision(#"{"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}"#, effect: "Deny") == nil,
            "the allow itself has the same past condition")
        let denyPast = try inventory(
            user:
                #"{"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": "*"}, {"Effect": "Deny", "Action": "iam:*", "Resource": "*", "Condition": {"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}}"#
        )
        #expect(paths(findings(denyPast)).contains("create-policy-version"))
        let denyNow = try inventory(
            user:
                #"{"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": "*"}, {"Effect": "Deny", "Action": "iam:*", "Resource": "*", "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}}"#
        )
        #expect(!paths(findings(denyNow)).contains("create-policy-version"))
    }

    @Test func existingResourcePathsNeedARoleThatCouldBackThem() throws {
        let ssm = #"{"Effect": "Allow", "Action": "ssm:sendCommand", "Resource": "*"}"#
        let ec2Trust =
            #"{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}"#
        let withProfile = try inventory(
            user: ssm, roles: role("app", trust: ec2Trust, policy: adminPolicy, instanceProfile: true))
        let f = try #require(findings(withProfile).first { $0.evidence.details["path"] == "ssm-send-command" })
        #expect(f.severity == .medium, "the instance itself is not in the inventory")
        #expect(f.evidence.chain.contains { $0.contains("arn:aws:iam::111122223333:role/app") })
        // No role an instance could run as: nothing to take over today; latent, low, and said why.
        let noProfile = try inventory(user: ssm, roles: role("app", trust: ec2Trust, policy: adminPolicy))
        let latent = try #require(findings(noProfile).first { $0.evidence.details["path"] == "ssm-send-command" })
        #expect(latent.severity == .low && latent.title.hasSuffix("(latent)"))
        #expect(
            latent.evidence.details["latent"]?.contains("trusts ec2.amazonaws.com with an instance profile") == true)
        // SendCommand denied on instances: not flagged.
        let denied = try inventory(
            user: ssm + #", {"Effect": "Deny", "Action": "ssm:SendCommand", "Resource": "arn:aws:ec2:*:*:instance/*"}"#,
            roles: role("app", trust: ec2Trust, policy: adminPolicy, instanceProfile: true))
        #expect(!paths(findings(denied)).contains("ssm-send-command"))
    }

    @Test func riskCategoriesNeedAnUnconstrainedResource() throws {
        func category(_ statements: String, _ rule: String) throws -> Finding? {
            try findings(inventory(user: statements)).first { $0.rule == rule }
        }
        let wide = try #require(
            try category(
                #"{"Effect": "Allow", "Action": ["s3:GetObject", "kms:Decrypt"], "Resource": "*"}"#,
                "iam-data-exfiltration"))
        #expect(wide.severity == .medium && wide.evidence.details["actions"] == "s3:GetObject kms:Decrypt")
        // Every object of every bucket is still every resource; one bucket is not.
        #expect(
            try category(
                #"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::*"}"#, "iam-data-exfiltration"
            ) != nil)
        #expect(
            try category(
                #"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}"#,
                "iam-data-exfiltration") == nil)
        // A Deny in another statement removes it; a condition nobody can decide offline lowers it.
        #expect(
            try category(
                #"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}, {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::*"}"#,
                "iam-data-exfiltration") == nil)
        let conditional = try #require(
            try category(
                #"{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*", "Condition": {"StringEquals": {"aws:ResourceTag/team": "x"}}}"#,
                "iam-data-exfiltration"))
        #expect(conditional.severity == .low)
        #expect(
            try category(
                #"{"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": "*"}"#, "iam-credentials-exposure")
                != nil)
        #expect(
            try category(
                #"{"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": "arn:aws:iam::111122223333:user/dev"}"#,
                "iam-credentials-exposure") == nil)
        #expect(
            try category(
                #"{"Effect": "Allow", "Action": "s3:PutBucketPolicy", "Resource": "*"}"#, "iam-resource-exposure")
                != nil)
        #expect(
            try category(#"{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}"#, "iam-resource-exposure")
                == nil)
    }

    @Test func assumeRoleChainsReachAdministrators() throws {
        let assume = #"{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}"#
        let trustsAccount =
            #"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"}"#
        let trustsDev =
            #"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/dev"}, "Action": "sts:AssumeRole"}"#
        let trustsOther =
            #"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}, "Action": "sts:AssumeRole"}"#
        func chain(_ user: String, _ roles: String) throws -> Finding? {
            try findings(inventory(user: user, roles: roles)).first {
                $0.evidence.details["path"] == "assume-role-chain" && $0.subjects.first?.name == "dev"
            }
        }
        // The account is trusted and dev may call sts:AssumeRole: it reaches the admin role.
        let direct = try #require(try chain(assume, role("admin", trust: trustsAccount, policy: adminPolicy)))
        #expect(direct.severity == .high)
        // Two hops: a role naming dev, which an admin role names in turn; no grant needed.
        let hop =
            #"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/jump"}, "Action": "sts:AssumeRole"}"#
        let twoHops = try #require(
            try chain(
                #"{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}"#,
                role("jump", trust: trustsDev) + "," + role("admin", trust: hop, policy: adminPolicy)))
        #expect(twoHops.evidence.details["hops"] == "2")
        // Near misses: another account trusted; the account trusted but no sts:AssumeRole; an
        // assumable role that is not powerful; a trust whose date condition has passed.
        #expect(try chain(assume, role("admin", trust: trustsOther, policy: adminPolicy)) == nil)
        #expect(
            try chain(
                #"{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}"#,
                role("admin", trust: trustsAccount, policy: adminPolicy)) == nil)
        #expect(
            try chain(
                assume,
                role(
                    "reader", trust: trustsAccount,
                    policy: #"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}"#))
                == nil)
        let expired =
            #"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/dev"}, "Action": "sts:AssumeRole", "Condition": {"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}}"#
        #expect(
            try chain(
                #"{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}"#,
                role("admin", trust: expired, policy: adminPolicy)) == nil)
    }
}

/// cloudsplaining's risk categories on the same export: crosstrail reports at least the
/// principals cloudsplaining 0.9.1 puts in each (administrators once, as administrators), except
/// cloudsplaining's false positives, each for a stated reason.
@Suite struct CloudsplainingCategoryTests {
    struct Recorded: Decodable { var categories: [String: [String]] }

    /// Principals cloudsplaining flags wrongly, and why.
    static let cloudsplainingMistakes: [String: String] = [
        "role/fp1-allow-and-deny-role": "a Deny in the same policy removes the actions",
        "user/fp1-allow-and-deny-user": "a Deny in the same policy removes the actions",
        "role/fp2-allow-and-deny-multiple-policies-role": "a Deny in another policy removes the actions",
        "user/fp2-allow-and-deny-multiple-policies-user": "a Deny in another policy removes the actions",
    ]

    /// Escalation only: these principals hold the permission (a resource-exposure risk) but
    /// cannot use it on themselves.
    static let escalationMistakes: [String: String] = [
        "role/privesc7-AttachUserPolicy-role": "a role cannot attach a user policy to itself",
        "role/privesc8-AttachGroupPolicy-role": "a role is in no group",
        "role/privesc10-PutUserPolicy-role": "a role cannot put a user policy on itself",
        "role/privesc11-PutGroupPolicy-role": "a role is in no group",
        "role/privesc13-AddUserToGroup-role": "a role cannot join a group",
        "user/privesc9-AttachRolePolicy-user": "no role trusts the user",
        "user/privesc12-PutRolePolicy-user": "no role trusts the user",
    ]

    @Test func everyPrincipalCloudsplainingReportsIsReportedOrAKnownMistake() throws {
        let dir = EscalationCatalogueTests.dir
        let recorded = try JSONDecoder().decode(
            Recorded.self, from: Data(contentsOf: dir.appendingPathComponent("cloudsplaining-0.9.1.json")))
        let (inv, _) = Inventory.load(paths: [dir.appendingPathComponent("authorization-details.json").path])
        let findings = Analyzer.scan(inv, Observations()).findings
        func principals(_ rule: String) -> Set<String> {
            Set(
                findings.filter { $0.rule == rule }.compactMap {
                    $0.subjects.first?.arn?.split(separator: ":").last.map(String.init)
                })
        }
        let admins = principals("iam-admin-equivalent")
        #expect(!admins.isEmpty)
        for (category, rule) in [
            ("PrivilegeEscalation", "iam-privilege-escalation"), ("DataExfiltration", "iam-data-exfiltration"),
            ("CredentialsExposure", "iam-credentials-exposure"), ("ResourceExposure", "iam-resource-exposure"),
            ("InfrastructureModification", "iam-infrastructure-modification"),
        ] {
            let theirs = Set(try #require(recorded.categories[category]))
            let ours = principals(rule)
            #expect(!ours.isEmpty, "\(category)")
            let mistakes = Self.cloudsplainingMistakes.merging(
                category == "PrivilegeEscalation" ? Self.escalationMistakes : [:], uniquingKeysWith: { a, _ in a })
            let missing = theirs.subtracting(ours).subtracting(admins).filter { mistakes[$0] == nil }
            #expect(missing.isEmpty, "\(category): cloudsplaining reports \(missing.sorted()), crosstrail does not")
            // And the mistakes stay mistakes: none of them is reported in that category.
            let mistaken = ours.filter { mistakes[$0] != nil }
            #expect(mistaken.isEmpty, "\(category): \(mistaken.sorted())")
        }
    }
}

@Suite struct PermissiveTrustTests {
    func trust(_ statement: String) throws -> Finding? {
        try findings(inventory(user: adminPolicy, roles: role("target", trust: statement))).first {
            $0.rule == "iam-permissive-trust"
        }
    }

    @Test func anyoneOrAnotherAccountWithoutANamingConditionIsReported() throws {
        let anyone = try #require(
            try trust(#"{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}"#))
        #expect(anyone.severity == .high && anyone.title.contains("any AWS principal"))
        let foreign = try #require(
            try trust(
                #"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}, "Action": "sts:AssumeRole"}"#
            ))
        #expect(foreign.severity == .medium && foreign.title.contains("999999999999"))
        // Another condition (a source address): reported, low.
        let narrowed = try #require(
            try trust(
                #"{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole", "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}"#
            ))
        #expect(narrowed.severity == .low)
        // Near misses: an external id (Databricks' cross-account role), the organisation, the
        // role's own account, a service, and a trust whose date has passed.
        #expect(
            try trust(
                #"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::414351767826:root"}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "abc"}}}"#
            ) == nil)
        #expect(
            try trust(
                #"{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-123"}}}"#
            ) == nil)
        #expect(
            try trust(
                #"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"}"#
            )
                == nil)
        #expect(
            try trust(
                #"{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}"#)
                == nil)
        #expect(
            try trust(
                #"{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole", "Condition": {"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}}"#
            ) == nil)
    }
}

/// pathfinding.cloud's paths added from its catalogue (ids in the `how`): each found with exactly
/// its permissions and a role that fits, and not found when one permission is missing.
@Suite struct PathfindingCatalogueTests {
    /// (path id, actions besides PassRole, PassRole needed, the service the role trusts, instance profile)
    static let cases: [(id: String, actions: [String], passRole: Bool, service: String, profile: Bool)] = [
        (
            "passrole-ecs-service", ["ecs:RegisterTaskDefinition", "ecs:CreateService"], true,
            "ecs-tasks.amazonaws.com", false
        ),
        ("passrole-ec2-spot", ["ec2:RequestSpotInstances"], true, "ec2.amazonaws.com", true),
        (
            "passrole-lambda-add-permission", ["lambda:CreateFunction", "lambda:AddPermission"], true,
            "lambda.amazonaws.com", false
        ),
        (
            "passrole-codebuild-batch", ["codebuild:CreateProject", "codebuild:StartBuildBatch"], true,
            "codebuild.amazonaws.com", false
        ),
        ("passrole-glue-job", ["glue:CreateJob", "glue:StartJobRun"], true, "glue.amazonaws.com", false),
        ("passrole-glue-job-trigger", ["glue:CreateJob", "glue:CreateTrigger"], true, "glue.amazonaws.com", false),
        ("passrole-glue-session", ["glue:CreateSession", "glue:RunStatement"], true, "glue.amazonaws.com", false),
        (
            "passrole-ssm-automation", ["ssm:CreateDocument", "ssm:StartAutomationExecution"], true,
            "ssm.amazonaws.com", false
        ),
        ("passrole-apprunner", ["apprunner:CreateService"], true, "tasks.apprunner.amazonaws.com", false),
        ("passrole-batch", ["batch:RegisterJobDefinition", "batch:SubmitJob"], true, "ecs-tasks.amazonaws.com", false),
        (
            "passrole-emr-serverless", ["emr-serverless:CreateApplication", "emr-serverless:StartJobRun"], true,
            "emr-serverless.amazonaws.com", false
        ),
        (
            "passrole-kinesisanalytics", ["kinesisanalytics:CreateApplication", "kinesisanalytics:StartApplication"],
            true, "kinesisanalytics.amazonaws.com", false
        ),
        (
            "passrole-cloudformation-stackset",
            ["cloudformation:CreateStackSet", "cloudformation:CreateStackInstances"], true,
            "cloudformation.amazonaws.com", false
        ),
        (
            "passrole-datapipeline",
            ["datapipeline:CreatePipeline", "datapipeline:PutPipelineDefinition", "datapipeline:ActivatePipeline"],
            true, "datapipeline.amazonaws.com", false
        ),
        (
            "cloudformation-change-set", ["cloudformation:CreateChangeSet", "cloudformation:ExecuteChangeSet"], false,
            "cloudformation.amazonaws.com", false
        ),
        ("codebuild-start-build", ["codebuild:StartBuild"], false, "codebuild.amazonaws.com", false),
        ("codebuild-start-build-batch", ["codebuild:StartBuildBatch"], false, "codebuild.amazonaws.com", false),
        (
            "ec2-user-data", ["ec2:ModifyInstanceAttribute", "ec2:StopInstances", "ec2:StartInstances"], false,
            "ec2.amazonaws.com", true
        ),
        (
            "ec2-launch-template", ["ec2:CreateLaunchTemplateVersion", "ec2:ModifyLaunchTemplate"], false,
            "ec2.amazonaws.com", true
        ),
        ("ecs-execute-command", ["ecs:ExecuteCommand", "ecs:DescribeTasks"], false, "ecs-tasks.amazonaws.com", false),
        ("batch-submit-job-override", ["batch:SubmitJob"], false, "ecs-tasks.amazonaws.com", false),
        ("apprunner-update-service", ["apprunner:UpdateService"], false, "tasks.apprunner.amazonaws.com", false),
        (
            "sagemaker-lifecycle-config",
            [
                "sagemaker:CreateNotebookInstanceLifecycleConfig", "sagemaker:StopNotebookInstance",
                "sagemaker:UpdateNotebookInstance", "sagemaker:StartNotebookInstance",
            ], false, "sagemaker.amazonaws.com", false
        ),
        ("update-function-code", ["lambda:UpdateFunctionCode"], false, "lambda.amazonaws.com", false),
        ("update-dev-endpoint", ["glue:UpdateDevEndpoint"], false, "glue.amazonaws.com", false),
        ("ecs-run-task-override", ["ecs:RunTask"], true, "ecs-tasks.amazonaws.com", false),
        ("ecs-start-task-override", ["ecs:StartTask"], true, "ecs-tasks.amazonaws.com", false),
        ("glue-update-job", ["glue:UpdateJob", "glue:StartJobRun"], true, "glue.amazonaws.com", false),
    ]

    func found(_ actions: [String], service: String, profile: Bool) throws -> [Finding] {
        let list = actions.map { "\"\($0)\"" }.joined(separator: ", ")
        let trust = #"{"Effect": "Allow", "Principal": {"Service": "\#(service)"}, "Action": "sts:AssumeRole"}"#
        return findings(
            try inventory(
                user: #"{"Effect": "Allow", "Action": [\#(list)], "Resource": "*"}"#,
                roles: role("worker", trust: trust, policy: adminPolicy, instanceProfile: profile))
        ).filter { $0.rule == "iam-privilege-escalation" }
    }

    @Test func eachPathIsFoundWithItsPermissionsAndNotWithoutOne() throws {
        for c in Self.cases {
            let actions = (c.passRole ? ["iam:PassRole"] : []) + c.actions
            let all = try found(actions, service: c.service, profile: c.profile)
            let hit = all.first { $0.evidence.details["path"] == c.id }
            #expect(hit != nil, "\(c.id) not found: \(all.compactMap { $0.evidence.details["path"] })")
            #expect(hit?.evidence.details["latent"] == nil, "\(c.id): a fitting role exists")
            // Passing a role to a new resource is sure; an existing resource is as sure as its existence.
            #expect(
                hit?.severity
                    == (c.passRole && !c.id.contains("override") && c.id != "glue-update-job" ? .high : .medium),
                "\(c.id)")
            for missing in actions {
                let fewer = try found(actions.filter { $0 != missing }, service: c.service, profile: c.profile)
                #expect(!fewer.contains { $0.evidence.details["path"] == c.id }, "\(c.id) without \(missing)")
            }
        }
    }
}

/// pathfinding.cloud iam-014/016/017: the role must be one the principal can assume *and* modify.
@Suite struct ModifyAssumableRoleTests {
    let trustsDev =
        #"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/dev"}, "Action": "sts:AssumeRole"}"#
    let trustsAccount =
        #"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"}"#

    func path(_ user: String, roles: String, policies: String = "") throws -> Finding? {
        try findings(inventory(user: user, roles: roles, policies: policies)).first {
            $0.evidence.details["path"] == "modify-assumable-role"
        }
    }

    @Test func attachOrPutOnTheAssumableRole() throws {
        for action in ["iam:AttachRolePolicy", "iam:PutRolePolicy"] {
            let f = try path(
                #"{"Effect": "Allow", "Action": "\#(action)", "Resource": "arn:aws:iam::111122223333:role/deploy"}"#,
                roles: role("deploy", trust: trustsDev))
            #expect(f?.severity == .high, "\(action)")
            #expect(f?.evidence.details["role"] == "arn:aws:iam::111122223333:role/deploy")
        }
        // Account trust: assumable only with dev's own sts:AssumeRole grant.
        let modify =
            #"{"Effect": "Allow", "Action": "iam:AttachRolePolicy", "Resource": "arn:aws:iam::111122223333:role/deploy"}"#
        #expect(try path(modify, roles: role("deploy", trust: trustsAccount)) == nil)
        let assume =
            #", {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::111122223333:role/deploy"}"#
        #expect(try path(modify + assume, roles: role("deploy", trust: trustsAccount)) != nil)
    }

    @Test func aNewVersionOfAPolicyAttachedToTheAssumableRole() throws {
        let arn = "arn:aws:iam::111122223333:policy/deploy-policy"
        let deploy =
            #"{"RoleName": "deploy", "Arn": "arn:aws:iam::111122223333:role/deploy", "AssumeRolePolicyDocument": {"Statement": [\#(trustsDev)]}, "RolePolicyList": [], "AttachedManagedPolicies": [{"PolicyArn": "\#(arn)"}], "InstanceProfileList": []}"#
        let policy = managedPolicy(arn, #"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}"#)
        let f = try path(
            #"{"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": "\#(arn)"}"#, roles: deploy,
            policies: policy)
        #expect(f?.evidence.chain.first?.contains("iam:CreatePolicyVersion on \(arn)") == true)
    }

    @Test func nearMisses() throws {
        // Modifying a role it cannot assume, or assuming a role it cannot modify.
        let other =
            #"{"Effect": "Allow", "Action": "iam:AttachRolePolicy", "Resource": "arn:aws:iam::111122223333:role/other"}"#
        #expect(
            try path(other, roles: role("deploy", trust: trustsDev) + "," + role("other", trust: trustsAccount)) == nil)
        #expect(
            try path(
                #"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}"#,
                roles: role("deploy", trust: trustsDev)) == nil)
        // Denied on that role.
        let denied =
            #"{"Effect": "Allow", "Action": "iam:AttachRolePolicy", "Resource": "*"}, {"Effect": "Deny", "Action": "iam:AttachRolePolicy", "Resource": "arn:aws:iam::111122223333:role/deploy"}"#
        #expect(try path(denied, roles: role("deploy", trust: trustsDev)) == nil)
    }
}

/// cloudsplaining's Infrastructure Modification: writes on any resource, with near misses.
@Suite struct InfrastructureModificationTests {
    func finding(_ statements: String) throws -> Finding? {
        try findings(inventory(user: statements)).first { $0.rule == "iam-infrastructure-modification" }
    }

    @Test func writesOnAnyResourceAreFoundAndCounted() throws {
        let f = try #require(
            try finding(#"{"Effect": "Allow", "Action": ["ec2:CreateVpc", "ec2:Describe*"], "Resource": "*"}"#))
        #expect(f.severity == .low && f.evidence.details["count"] == "1" && f.evidence.details["services"] == "ec2")
        #expect(f.evidence.chain.first?.contains("ec2:CreateVpc") == true)
        let many = try #require(try finding(#"{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}"#))
        #expect(Int(many.evidence.details["count"] ?? "") ?? 0 > 20)
    }

    @Test func nearMisses() throws {
        // Reads only, a named resource, a Deny of the writes, an expired grant.
        #expect(try finding(#"{"Effect": "Allow", "Action": ["ec2:Describe*", "s3:Get*"], "Resource": "*"}"#) == nil)
        #expect(
            try finding(
                #"{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "arn:aws:dynamodb:us-east-1:111122223333:table/t"}"#
            ) == nil)
        #expect(
            try finding(
                #"{"Effect": "Allow", "Action": "ec2:CreateVpc", "Resource": "*"}, {"Effect": "Deny", "Action": "ec2:*", "Resource": "*"}"#
            ) == nil)
        #expect(
            try finding(
                #"{"Effect": "Allow", "Action": "ec2:CreateVpc", "Resource": "*", "Condition": {"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}}"#
            ) == nil)
        // Actions that cannot be limited to a resource are not "missing a constraint".
        #expect(
            try finding(#"{"Effect": "Allow", "Action": ["ec2:BundleInstance", "s3:CreateJob"], "Resource": "*"}"#)
                == nil)
    }
}
