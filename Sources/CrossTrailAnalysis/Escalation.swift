import CrossTrailBase
import CrossTrailInventory
import CrossTrailModel

/// Known IAM privilege-escalation paths: sets of permissions that let a principal grant itself
/// more (Rhino Security Labs' catalogue and its successors). A path applies when every step is
/// allowed on a resource that makes it dangerous.
struct EscalationPath: Sendable {
    enum Target: Sendable {
        /// Any resource.
        case any
        /// The principal itself (users: its user ARN; roles: its role ARN).
        case own
        /// The user's groups.
        case ownGroups
        /// Other users (real ones in the inventory, or any user via a wildcard).
        case otherUsers
        /// Any group / role in the account.
        case anyGroup, anyRole
        /// Roles a service can be given: those trusting the service (with an instance profile
        /// when `instanceProfile`, as EC2 needs), reached by name or by a wildcard. None in the
        /// account: nothing to pass, and the path does not apply.
        case passableRole(service: String, instanceProfile: Bool = false)
        /// Customer managed policies attached to the principal (or any policy via a wildcard).
        case ownPolicies
        /// Existing resources of a service the inventory does not list (instances, stacks,
        /// notebooks): `arn` with `ACCOUNT` for the account, e.g. `arn:aws:ec2:*:ACCOUNT:instance/*`.
        case existing(arn: String)
    }

    /// A path through a resource that already exists and runs as a role (an instance, a stack, a
    /// notebook): the export cannot list such resources, only the roles that could back one. The
    /// path applies when such a role exists (a role trusting `service`, with an instance profile
    /// when `instanceProfile`), and the finding names it.
    struct Backing: Sendable {
        var service: String
        var instanceProfile = false
        var what: String
    }

    var id: String
    var name: String
    var steps: [(action: String, target: Target)]
    var how: String
    /// The principal kinds the path is open to (roles cannot join groups).
    var only: IAMPrincipal.Kind? = nil
    var backing: Backing? = nil

    static let all: [EscalationPath] =
        [
            .init(
                id: "create-policy-version", name: "CreatePolicyVersion",
                steps: [("iam:CreatePolicyVersion", .ownPolicies)],
                how: "write a new default version of a policy attached to itself granting *:*"),
            .init(
                id: "set-default-policy-version", name: "SetDefaultPolicyVersion",
                steps: [("iam:SetDefaultPolicyVersion", .ownPolicies)],
                how: "switch a policy attached to itself to an older, broader version"),
            .init(
                id: "passrole-ec2", name: "PassRole + ec2:RunInstances",
                steps: [
                    ("iam:PassRole", .passableRole(service: "ec2.amazonaws.com", instanceProfile: true)),
                    ("ec2:RunInstances", .any),
                ],
                how: "launch an instance with a more privileged instance profile and use its credentials"),
            .init(
                id: "passrole-ec2-associate", name: "PassRole + ec2:AssociateIamInstanceProfile",
                steps: [
                    ("iam:PassRole", .passableRole(service: "ec2.amazonaws.com", instanceProfile: true)),
                    ("ec2:AssociateIamInstanceProfile", .any),
                ],
                how: "attach a more privileged instance profile to an instance it controls"),
            .init(
                id: "passrole-ecs", name: "PassRole + ecs:RegisterTaskDefinition + ecs:RunTask",
                steps: [
                    ("iam:PassRole", .passableRole(service: "ecs-tasks.amazonaws.com")),
                    ("ecs:RegisterTaskDefinition", .any), ("ecs:RunTask", .any),
                ],
                how: "run a container task with a more privileged task role"),
            .init(
                id: "passrole-codebuild", name: "PassRole + codebuild:CreateProject + codebuild:StartBuild",
                steps: [
                    ("iam:PassRole", .passableRole(service: "codebuild.amazonaws.com")),
                    ("codebuild:CreateProject", .any),
                    ("codebuild:StartBuild", .any),
                ],
                how: "run a build with a more privileged service role"),
            .init(
                id: "create-access-key", name: "CreateAccessKey on other users",
                steps: [("iam:CreateAccessKey", .otherUsers)],
                how: "create access keys for another (more privileged) user"),
            .init(
                id: "create-login-profile", name: "CreateLoginProfile on other users",
                steps: [("iam:CreateLoginProfile", .otherUsers)],
                how: "set a console password for another user"),
            .init(
                id: "update-login-profile", name: "UpdateLoginProfile on other users",
                steps: [("iam:UpdateLoginProfile", .otherUsers)],
                how: "change another user's console password"),
            .init(
                id: "attach-user-policy", name: "AttachUserPolicy on itself", steps: [("iam:AttachUserPolicy", .own)],
                how: "attach AdministratorAccess to itself"),
            .init(
                id: "attach-group-policy", name: "AttachGroupPolicy on its groups",
                steps: [("iam:AttachGroupPolicy", .ownGroups)],
                how: "attach AdministratorAccess to a group it is in"),
            .init(
                id: "attach-role-policy", name: "AttachRolePolicy on itself", steps: [("iam:AttachRolePolicy", .own)],
                how: "attach AdministratorAccess to its own role"),
            .init(
                id: "put-user-policy", name: "PutUserPolicy on itself", steps: [("iam:PutUserPolicy", .own)],
                how: "write an inline *:* policy on itself"),
            .init(
                id: "put-group-policy", name: "PutGroupPolicy on its groups",
                steps: [("iam:PutGroupPolicy", .ownGroups)],
                how: "write an inline *:* policy on a group it is in"),
            .init(
                id: "put-role-policy", name: "PutRolePolicy on itself", steps: [("iam:PutRolePolicy", .own)],
                how: "write an inline *:* policy on its own role"),
            .init(
                id: "add-user-to-group", name: "AddUserToGroup", steps: [("iam:AddUserToGroup", .anyGroup)],
                how: "add itself to a more privileged group", only: .user),
            // A trust policy that names the principal's ARN lets it assume the role in the same
            // account without any sts:AssumeRole grant of its own (pathfinding.cloud iam-012).
            .init(
                id: "update-assume-role-policy", name: "UpdateAssumeRolePolicy",
                steps: [("iam:UpdateAssumeRolePolicy", .anyRole)],
                how: "rewrite a more privileged role's trust policy to name itself, then assume the role"),
            .init(
                id: "passrole-lambda", name: "PassRole + lambda:CreateFunction + lambda:InvokeFunction",
                steps: [
                    ("iam:PassRole", .passableRole(service: "lambda.amazonaws.com")), ("lambda:CreateFunction", .any),
                    ("lambda:InvokeFunction", .any),
                ],
                how: "run code as a more privileged Lambda execution role"),
            .init(
                id: "passrole-lambda-event-source",
                name: "PassRole + lambda:CreateFunction + lambda:CreateEventSourceMapping",
                steps: [
                    ("iam:PassRole", .passableRole(service: "lambda.amazonaws.com")), ("lambda:CreateFunction", .any),
                    ("lambda:CreateEventSourceMapping", .any),
                ],
                how: "run code as a more privileged Lambda execution role, triggered by an event source"),
            .init(
                id: "update-function-code", name: "lambda:UpdateFunctionCode",
                steps: [("lambda:UpdateFunctionCode", .existing(arn: "arn:aws:lambda:*:ACCOUNT:function:*"))],
                how: "replace the code of a function that runs with a more privileged role",
                backing: Backing(service: "lambda.amazonaws.com", what: "a function")),
            .init(
                id: "passrole-glue", name: "PassRole + glue:CreateDevEndpoint",
                steps: [
                    ("iam:PassRole", .passableRole(service: "glue.amazonaws.com")), ("glue:CreateDevEndpoint", .any),
                ],
                how: "create a Glue development endpoint with a more privileged role and log in to it"),
            .init(
                id: "update-dev-endpoint", name: "glue:UpdateDevEndpoint",
                steps: [("glue:UpdateDevEndpoint", .existing(arn: "arn:aws:glue:*:ACCOUNT:devEndpoint/*"))],
                how: "add an SSH key to an existing Glue endpoint and use its role",
                backing: Backing(service: "glue.amazonaws.com", what: "a development endpoint")),
            .init(
                id: "passrole-cloudformation", name: "PassRole + cloudformation:CreateStack",
                steps: [
                    ("iam:PassRole", .passableRole(service: "cloudformation.amazonaws.com")),
                    ("cloudformation:CreateStack", .any),
                ],
                how: "create a stack that runs with a more privileged role"),
            .init(
                id: "passrole-datapipeline",
                name: "PassRole + datapipeline:CreatePipeline + PutPipelineDefinition + ActivatePipeline",
                steps: [
                    ("iam:PassRole", .passableRole(service: "datapipeline.amazonaws.com")),
                    ("datapipeline:CreatePipeline", .any), ("datapipeline:PutPipelineDefinition", .any),
                    ("datapipeline:ActivatePipeline", .any),
                ],
                how: "run commands through a pipeline with a more privileged role"),
            .init(
                id: "passrole-sagemaker",
                name: "PassRole + sagemaker:CreateNotebookInstance + CreatePresignedNotebookInstanceUrl",
                steps: [
                    ("iam:PassRole", .passableRole(service: "sagemaker.amazonaws.com")),
                    ("sagemaker:CreateNotebookInstance", .any), ("sagemaker:CreatePresignedNotebookInstanceUrl", .any),
                ],
                how: "open a notebook running as a more privileged role"),
            .init(
                id: "passrole-sagemaker-training-job", name: "PassRole + sagemaker:CreateTrainingJob",
                steps: [
                    ("iam:PassRole", .passableRole(service: "sagemaker.amazonaws.com")),
                    ("sagemaker:CreateTrainingJob", .any),
                ],
                how: "run a training job whose container code runs as a more privileged role"),
            .init(
                id: "passrole-sagemaker-processing-job", name: "PassRole + sagemaker:CreateProcessingJob",
                steps: [
                    ("iam:PassRole", .passableRole(service: "sagemaker.amazonaws.com")),
                    ("sagemaker:CreateProcessingJob", .any),
                ],
                how: "run a processing job whose container code runs as a more privileged role"),
            .init(
                id: "ssm-send-command", name: "ssm:SendCommand on an instance with a role",
                steps: [("ssm:SendCommand", .existing(arn: "arn:aws:ec2:*:ACCOUNT:instance/*"))],
                how: "run commands on an instance and use its instance profile's credentials",
                backing: Backing(service: "ec2.amazonaws.com", instanceProfile: true, what: "an instance")),
            .init(
                id: "ssm-start-session", name: "ssm:StartSession on an instance with a role",
                steps: [("ssm:StartSession", .existing(arn: "arn:aws:ec2:*:ACCOUNT:instance/*"))],
                how: "open a shell on an instance and use its instance profile's credentials",
                backing: Backing(service: "ec2.amazonaws.com", instanceProfile: true, what: "an instance")),
            .init(
                id: "ec2-instance-connect", name: "ec2-instance-connect:SendSSHPublicKey",
                steps: [("ec2-instance-connect:SendSSHPublicKey", .existing(arn: "arn:aws:ec2:*:ACCOUNT:instance/*"))],
                how: "push an SSH key to an instance, log in, and use its instance profile's credentials",
                backing: Backing(service: "ec2.amazonaws.com", instanceProfile: true, what: "an instance")),
            .init(
                id: "ec2-serial-console", name: "ec2-instance-connect:SendSerialConsoleSSHPublicKey",
                steps: [
                    (
                        "ec2-instance-connect:SendSerialConsoleSSHPublicKey",
                        .existing(arn: "arn:aws:ec2:*:ACCOUNT:instance/*")
                    )
                ],
                how: "log in on an instance's serial console and use its instance profile's credentials",
                backing: Backing(service: "ec2.amazonaws.com", instanceProfile: true, what: "an instance")),
            .init(
                id: "cloudformation-update-stack", name: "cloudformation:UpdateStack on a stack with a role",
                steps: [("cloudformation:UpdateStack", .existing(arn: "arn:aws:cloudformation:*:ACCOUNT:stack/*"))],
                how: "change the template of a stack that runs with a more privileged service role",
                backing: Backing(service: "cloudformation.amazonaws.com", what: "a stack")),
            .init(
                id: "sagemaker-presigned-notebook-url", name: "sagemaker:CreatePresignedNotebookInstanceUrl",
                steps: [
                    (
                        "sagemaker:CreatePresignedNotebookInstanceUrl",
                        .existing(arn: "arn:aws:sagemaker:*:ACCOUNT:notebook-instance/*")
                    )
                ],
                how: "open an existing notebook running as a more privileged role",
                backing: Backing(service: "sagemaker.amazonaws.com", what: "a notebook instance")),
        ] + passRoleToNewResource + existingResources

    /// PassRole of a role trusting a service to a resource the principal creates (pathfinding.cloud).
    static let passRoleToNewResource: [EscalationPath] = [
        pass(
            "passrole-ecs-service", "ecs-tasks.amazonaws.com", ["ecs:RegisterTaskDefinition", "ecs:CreateService"],
            "run a service whose task role is more privileged (pathfinding ecs-003)"),
        pass(
            "passrole-ec2-spot", "ec2.amazonaws.com", ["ec2:RequestSpotInstances"],
            "request a spot instance with a more privileged instance profile (ec2-004)", instanceProfile: true),
        pass(
            "passrole-lambda-add-permission", "lambda.amazonaws.com",
            ["lambda:CreateFunction", "lambda:AddPermission"],
            "create a function with a more privileged role and grant itself invoke through its resource policy (lambda-006)"
        ),
        pass(
            "passrole-codebuild-batch", "codebuild.amazonaws.com",
            ["codebuild:CreateProject", "codebuild:StartBuildBatch"],
            "run a batch build with a more privileged service role (codebuild-004)"),
        pass(
            "passrole-glue-job", "glue.amazonaws.com", ["glue:CreateJob", "glue:StartJobRun"],
            "run a Glue job whose script runs as a more privileged role (glue-003)"),
        pass(
            "passrole-glue-job-trigger", "glue.amazonaws.com", ["glue:CreateJob", "glue:CreateTrigger"],
            "create a Glue job with a more privileged role, started by a trigger (glue-004)"),
        pass(
            "passrole-glue-session", "glue.amazonaws.com", ["glue:CreateSession", "glue:RunStatement"],
            "run code in a Glue interactive session with a more privileged role (glue-007)"),
        pass(
            "passrole-ssm-automation", "ssm.amazonaws.com", ["ssm:CreateDocument", "ssm:StartAutomationExecution"],
            "run an Automation document's script as a more privileged role (ssm-003)"),
        pass(
            "passrole-apprunner", "tasks.apprunner.amazonaws.com", ["apprunner:CreateService"],
            "run an App Runner service with a more privileged instance role (apprunner-001)"),
        pass(
            "passrole-batch", "ecs-tasks.amazonaws.com", ["batch:RegisterJobDefinition", "batch:SubmitJob"],
            "submit a Batch job whose job role is more privileged (batch-001)"),
        pass(
            "passrole-emr-serverless", "emr-serverless.amazonaws.com",
            ["emr-serverless:CreateApplication", "emr-serverless:StartJobRun"],
            "run a Spark job as a more privileged execution role (emrserverless-001)"),
        pass(
            "passrole-kinesisanalytics", "kinesisanalytics.amazonaws.com",
            ["kinesisanalytics:CreateApplication", "kinesisanalytics:StartApplication"],
            "run a Managed Flink application as a more privileged role (kinesisanalytics-001)"),
        pass(
            "passrole-cloudformation-stackset", "cloudformation.amazonaws.com",
            ["cloudformation:CreateStackSet", "cloudformation:CreateStackInstances"],
            "deploy a StackSet whose roles create what the principal may not (cloudformation-003)"),
    ]

    /// Existing resources that run as a role and that the principal can change or get into.
    static let existingResources: [EscalationPath] = [
        existing(
            "cloudformation-change-set", ["cloudformation:CreateChangeSet", "cloudformation:ExecuteChangeSet"],
            "arn:aws:cloudformation:*:ACCOUNT:stack/*",
            Backing(service: "cloudformation.amazonaws.com", what: "a stack"),
            "execute a change set on a stack that runs with a more privileged service role (cloudformation-005)"),
        existing(
            "codebuild-start-build", ["codebuild:StartBuild"], "arn:aws:codebuild:*:ACCOUNT:project/*",
            Backing(service: "codebuild.amazonaws.com", what: "a project"),
            "start a build with a buildspec override on a project with a more privileged service role (codebuild-002)"),
        existing(
            "codebuild-start-build-batch", ["codebuild:StartBuildBatch"], "arn:aws:codebuild:*:ACCOUNT:project/*",
            Backing(service: "codebuild.amazonaws.com", what: "a project"),
            "start a batch build with a buildspec override on a project with a more privileged role (codebuild-003)"),
        existing(
            "ec2-user-data", ["ec2:ModifyInstanceAttribute", "ec2:StopInstances", "ec2:StartInstances"],
            "arn:aws:ec2:*:ACCOUNT:instance/*",
            Backing(service: "ec2.amazonaws.com", instanceProfile: true, what: "an instance"),
            "rewrite an instance's user data and restart it to run code with its instance profile (ec2-002)"),
        existing(
            "ec2-launch-template", ["ec2:CreateLaunchTemplateVersion", "ec2:ModifyLaunchTemplate"],
            "arn:aws:ec2:*:ACCOUNT:launch-template/*",
            Backing(service: "ec2.amazonaws.com", instanceProfile: true, what: "a launch template's instances"),
            "make a launch template's default version run its user data under the template's instance profile (ec2-005)"
        ),
        existing(
            "ecs-execute-command", ["ecs:ExecuteCommand", "ecs:DescribeTasks"], "arn:aws:ecs:*:ACCOUNT:task/*",
            Backing(service: "ecs-tasks.amazonaws.com", what: "a running task"),
            "open a shell in a running task and read its task role's credentials (ecs-006)"),
        existing(
            "batch-submit-job-override", ["batch:SubmitJob"], "arn:aws:batch:*:ACCOUNT:job-definition/*",
            Backing(service: "ecs-tasks.amazonaws.com", what: "a job definition"),
            "submit a job with a command override to a job definition with a more privileged role (batch-002)"),
        existing(
            "apprunner-update-service", ["apprunner:UpdateService"], "arn:aws:apprunner:*:ACCOUNT:service/*",
            Backing(service: "tasks.apprunner.amazonaws.com", what: "a service"),
            "redeploy an App Runner service with its own start command under its instance role (apprunner-002)"),
        .init(
            id: "sagemaker-lifecycle-config",
            name: "sagemaker:CreateNotebookInstanceLifecycleConfig + Stop/Update/StartNotebookInstance",
            steps: [("sagemaker:CreateNotebookInstanceLifecycleConfig", .any)]
                + [
                    "sagemaker:StopNotebookInstance", "sagemaker:UpdateNotebookInstance",
                    "sagemaker:StartNotebookInstance",
                ]
                .map { ($0, .existing(arn: "arn:aws:sagemaker:*:ACCOUNT:notebook-instance/*")) },
            how: "attach a lifecycle script to a notebook and restart it to run as its role (sagemaker-005)",
            backing: Backing(service: "sagemaker.amazonaws.com", what: "a notebook instance")),
        .init(
            id: "ecs-run-task-override", name: "PassRole + ecs:RunTask with overrides",
            steps: [
                ("iam:PassRole", .passableRole(service: "ecs-tasks.amazonaws.com")),
                ("ecs:RunTask", .existing(arn: "arn:aws:ecs:*:ACCOUNT:task-definition/*")),
            ],
            how: "run an existing task definition with a more privileged task role and a command of its own (ecs-008)",
            backing: Backing(service: "ecs-tasks.amazonaws.com", what: "a task definition")),
        .init(
            id: "ecs-start-task-override", name: "PassRole + ecs:StartTask with overrides",
            steps: [
                ("iam:PassRole", .passableRole(service: "ecs-tasks.amazonaws.com")),
                ("ecs:StartTask", .existing(arn: "arn:aws:ecs:*:ACCOUNT:task-definition/*")),
            ],
            how: "start an existing task definition on a container instance with a more privileged task role (ecs-009)",
            backing: Backing(service: "ecs-tasks.amazonaws.com", what: "a task definition and a container instance")),
        .init(
            id: "glue-update-job", name: "PassRole + glue:UpdateJob + glue:StartJobRun",
            steps: [
                ("iam:PassRole", .passableRole(service: "glue.amazonaws.com")),
                ("glue:UpdateJob", .existing(arn: "arn:aws:glue:*:ACCOUNT:job/*")), ("glue:StartJobRun", .any),
            ],
            how: "point an existing Glue job at a more privileged role and its own script (glue-005)",
            backing: Backing(service: "glue.amazonaws.com", what: "a Glue job")),
    ]

    /// A PassRole path: pass a role trusting `service`, then the `actions` on any resource.
    static func pass(
        _ id: String, _ service: String, _ actions: [String], _ how: String, instanceProfile: Bool = false
    ) -> EscalationPath {
        EscalationPath(
            id: id, name: (["PassRole"] + actions).joined(separator: " + "),
            steps: [("iam:PassRole", .passableRole(service: service, instanceProfile: instanceProfile))]
                + actions.map { ($0, .any) }, how: how)
    }

    /// A path through an existing resource of `arn` that runs as a role (`backing`).
    static func existing(
        _ id: String, _ actions: [String], _ arn: String, _ backing: Backing, _ how: String
    ) -> EscalationPath {
        EscalationPath(
            id: id, name: actions.joined(separator: " + "), steps: actions.map { ($0, .existing(arn: arn)) }, how: how,
            backing: backing)
    }

    /// Each path's step actions as patterns, made once (not per principal).
    static let stepPatterns: [[IAMPattern]] = all.map { $0.steps.map { IAMPattern.action($0.action) } }

    /// A name no real resource has: only a wildcard grant reaches it.
    static let probe = "crosstrail-probe-\u{7f}"

    /// Resources to evaluate a step on, for one principal: a probe that only wildcard grants
    /// reach (nil when the target is the principal itself), and the real resources.
    struct Candidates {
        var probe: String?
        var real: [(arn: String, pattern: IAMPattern)]
        /// A pattern every real candidate matches: statements that miss it need no per-resource look.
        var family: IAMPattern?
        /// The principal itself, never its own "other" resource.
        var excluding: String?
        /// A prerequisite the inventory shows is missing (the path is latent), for evidence.
        var unmet: String?
    }

    /// Account-wide resource lists, built once per scan.
    final class AccountIndex: Sendable {
        private let lists = Locked([String: [(arn: String, pattern: IAMPattern)]]())
        private let families = Locked([String: IAMPattern]())
        let iam: IAMInventory
        init(_ iam: IAMInventory) { self.iam = iam }

        func family(_ text: String) -> IAMPattern {
            if let known = families.withLock({ $0[text] }) { return known }
            let made = IAMPattern.resource(text)
            families.withLock { $0[text] = made }
            return made
        }

        /// `make` runs outside the lock, so it may use the index.
        func list(_ kind: String, _ account: String, _ make: () -> [String]) -> [(arn: String, pattern: IAMPattern)] {
            let key = kind + "|" + account
            if let known = lists.withLock({ $0[key] }) { return known }
            let value = make().sorted().map { ($0, IAMPattern.resource($0)) }
            lists.withLock { $0[key] = value }
            return value
        }
    }

    /// Roles of `p`'s account (not `p`) that could back the path's existing resource (listed
    /// once per account and kind of resource).
    func backingRoles(for p: IAMPrincipal, index: AccountIndex) -> [String] {
        guard let b = backing else { return [] }
        let iam = index.iam
        return index.list("backs \(b.service) \(b.instanceProfile)", p.account) {
            iam.roles.values.filter { r in
                r.account == p.account && (!b.instanceProfile || !r.instanceProfiles.isEmpty)
                    && r.trust.contains { $0.effect == .allow && ($0.principals["Service"] ?? []).contains(b.service) }
            }.map(\.arn)
        }.map(\.arn).filter { $0 != p.arn }
    }

    static func candidates(_ t: Target, for p: IAMPrincipal, index: AccountIndex) -> Candidates {
        let acct = p.account, iam = index.iam
        func real(_ arns: [String]) -> [(arn: String, pattern: IAMPattern)] {
            arns.map { ($0, IAMPattern.resource($0)) }
        }
        switch t {
        case .any:
            return Candidates(probe: nil, real: real(["*"]))
        case .own:
            return Candidates(probe: nil, real: real([p.arn]))
        case .ownGroups:
            return Candidates(probe: nil, real: real(iam.groups(of: p).map(\.arn)))
        case .otherUsers:
            let users = index.list("user", acct) { iam.users.values.filter { $0.account == acct }.map(\.arn) }
            return Candidates(
                probe: "arn:aws:iam::\(acct):user/\(probe)", real: users,
                family: index.family("arn:aws:iam::\(acct):user/*"), excluding: p.arn)
        case .anyGroup:
            return Candidates(
                probe: "arn:aws:iam::\(acct):group/\(probe)",
                real: index.list("group", acct) { iam.groups.values.filter { $0.account == acct }.map(\.arn) },
                family: index.family("arn:aws:iam::\(acct):group/*"))
        case .anyRole:
            let roles = index.list("role", acct) { iam.roles.values.filter { $0.account == acct }.map(\.arn) }
            return Candidates(
                probe: "arn:aws:iam::\(acct):role/\(probe)", real: roles,
                family: index.family("arn:aws:iam::\(acct):role/*"), excluding: p.arn)
        case .passableRole(let service, let needsProfile):
            let trusting = index.list("trusts \(service) \(needsProfile)", acct) {
                iam.roles.values.filter { r in
                    r.account == acct && (!needsProfile || !r.instanceProfiles.isEmpty)
                        && r.trust.contains {
                            $0.effect == .allow && ($0.principals["Service"] ?? []).contains(service)
                        }
                }.map(\.arn)
            }
            // A wildcard PassRole passes only roles that exist: with none trusting the service
            // the path is latent (it opens once such a role is created), and said so.
            var c = Candidates(
                probe: "arn:aws:iam::\(acct):role/\(probe)", real: trusting,
                family: index.family("arn:aws:iam::\(acct):role/*"))
            if trusting.isEmpty {
                c.unmet =
                    "no role in account \(acct) trusts \(service)" + (needsProfile ? " with an instance profile" : "")
                    + ": nothing to pass today"
            }
            return c
        case .existing(let arn):
            return Candidates(probe: arn.replacingOccurrences(of: "ACCOUNT", with: acct), real: [])
        case .ownPolicies:
            var attached = p.attached
            for g in iam.groups(of: p) { attached += g.attached }
            let customer = Set(attached.filter { !$0.hasPrefix("arn:aws:iam::aws:") }).sorted()
            return Candidates(probe: "arn:aws:iam::\(acct):policy/\(probe)", real: real(customer))
        }
    }
}
