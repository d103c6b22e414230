import CrossTrailIngest
import CrossTrailModel
import CrossTrailRules
import Foundation
import TestSupport
import Testing

@testable import CrossTrailAnalysis
@testable import CrossTrailInventory

/// An inventory with one IAM user (account 111122223333) holding the given inline statements,
/// plus optional roles and managed policies.
func inventory(
    user statements: String, attached: [String] = [], roles: String = "", policies: String = "", boundary: String? = nil
) throws -> Inventory {
    let boundaryJSON =
        boundary.map {
            #", "PermissionsBoundary": {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": "\#($0)"}"#
        } ?? ""
    let doc = """
        {"UserDetailList": [{"UserName": "dev", "Arn": "arn:aws:iam::111122223333:user/dev", "GroupList": [],
          "AttachedManagedPolicies": [\(attached.map { #"{"PolicyArn": "\#($0)"}"# }.joined(separator: ","))],
          "UserPolicyList": [{"PolicyName": "inline", "PolicyDocument": {"Version": "2012-10-17", "Statement": [\(statements)]}}]\(boundaryJSON)}],
         "GroupDetailList": [], "RoleDetailList": [\(roles)], "Policies": [\(policies)]}
        """
    var inv = Inventory()
    let problems = inv.iam.merge(authorizationDetails: try JSON.parse(text: doc))
    #expect(problems.isEmpty, "\(problems)")
    // Judged at a fixed time, as `--generated-at` does.
    inv.iam.assessedAt = Timestamp(iso: "2026-09-01T00:00:00Z")
    return inv
}

func managedPolicy(_ arn: String, _ statements: String) -> String {
    #"{"PolicyName": "p", "Arn": "\#(arn)", "DefaultVersionId": "v1", "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true, "Document": {"Statement": [\#(statements)]}}]}"#
}

func role(_ name: String, trusting service: String) -> String {
    #"{"RoleName": "\#(name)", "Arn": "arn:aws:iam::111122223333:role/\#(name)", "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": {"Service": "\#(service)"}, "Action": "sts:AssumeRole"}]}, "RolePolicyList": [], "AttachedManagedPolicies": [], "InstanceProfileList": []}"#
}

func findings(_ inv: Inventory, _ obs: Observations = Observations()) -> [Finding] {
    Analyzer.scan(inv, obs).findings
}

func paths(_ f: [Finding]) -> Set<String> {
    Set(f.filter { $0.rule == "iam-privilege-escalation" }.compactMap { $0.evidence.details["path"] })
}

@Suite struct EscalationTests {
    @Test func createPolicyVersionOnAHarmlessArnIsNotFlagged() throws {
        let inv = try inventory(
            user:
                #"{"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": "arn:aws:iam::111122223333:policy/harmless"}"#
        )
        #expect(paths(findings(inv)).isEmpty)
    }

    @Test func createPolicyVersionOnPolicyWildcardIsFlagged() throws {
        let inv = try inventory(
            user:
                #"{"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": "arn:aws:iam::111122223333:policy/*"}"#
        )
        let f = findings(inv).filter { $0.rule == "iam-privilege-escalation" }
        #expect(paths(f) == ["create-policy-version"])
        #expect(f[0].severity == .high)
        #expect(f[0].evidence.chain[0].contains("any (wildcard)"))
        #expect(f[0].controls.contains(ControlRef("SOC 2", "CC6.1")))
    }

    @Test func createPolicyVersionOnItsOwnAttachedPolicyIsFlagged() throws {
        let arn = "arn:aws:iam::111122223333:policy/dev-tools"
        let inv = try inventory(
            user: #"{"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": "\#(arn)"}"#,
            attached: [arn],
            policies: managedPolicy(arn, #"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}"#))
        let f = findings(inv).filter { $0.rule == "iam-privilege-escalation" }
        #expect(paths(f) == ["create-policy-version"])
        #expect(f[0].evidence.chain[0].contains(arn))
    }

    @Test func passRoleStarWithRunInstancesIsFlagged() throws {
        let user = #"{"Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances"], "Resource": "*"}"#
        let ec2Role = role(
            "app",
            trust: #"{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}"#,
            policy: adminPolicy, instanceProfile: true)
        let f = findings(try inventory(user: user, roles: ec2Role)).filter { $0.rule == "iam-privilege-escalation" }
        #expect(paths(f) == ["passrole-ec2"])
        #expect(f.first?.severity == .high)
        // With no role EC2 could run as, the path is latent: reported low, with the reason.
        let latent = findings(try inventory(user: user)).filter { $0.rule == "iam-privilege-escalation" }
        #expect(paths(latent) == ["passrole-ec2"] && latent.first?.severity == .low)
        #expect(
            latent.first?.evidence.details["latent"]?.contains(
                "no role in account 111122223333 trusts ec2.amazonaws.com") == true)
    }

    @Test func passRoleLimitedToARoleEC2CannotUseIsNotFlagged() throws {
        let inv = try inventory(
            user:
                #"{"Effect": "Allow", "Action": ["iam:PassRole"], "Resource": "arn:aws:iam::111122223333:role/lambda-exec"}, {"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*"}"#,
            roles: role("lambda-exec", trusting: "lambda.amazonaws.com"))
        #expect(!paths(findings(inv)).contains("passrole-ec2"))
        // ...but the role is passable to Lambda: flagged only if the Lambda actions are there too.
        #expect(!paths(findings(inv)).contains("passrole-lambda"))
    }

    @Test func everyPathIsReportedNotJustTheFirst() throws {
        let inv = try inventory(user: #"{"Effect": "Allow", "Action": ["iam:*", "lambda:*"], "Resource": "*"}"#)
        let p = paths(findings(inv))
        for expected in [
            "create-policy-version", "create-access-key", "attach-user-policy", "put-user-policy", "add-user-to-group",
            "passrole-lambda", "update-function-code",
        ] {
            #expect(p.contains(expected), "missing \(expected) in \(p.sorted())")
        }
        #expect(!p.contains("passrole-ec2"), "no ec2:RunInstances")
        // A trust policy naming the user is enough to assume the role in its own account: no
        // sts:AssumeRole grant needed (pathfinding.cloud iam-012).
        #expect(p.contains("update-assume-role-policy"))
        #expect(!p.contains("put-role-policy"), "a user has no role of its own")
    }

    @Test func denyAllNextToStarIsNotFlagged() throws {
        let inv = try inventory(
            user:
                #"{"Effect": "Allow", "Action": "*", "Resource": "*"}, {"Effect": "Deny", "Action": "*", "Resource": "*"}"#
        )
        #expect(findings(inv).isEmpty, "\(findings(inv).map(\.title))")
    }

    @Test func denyOnlyPolicyIsNotFlagged() throws {
        let inv = try inventory(user: #"{"Effect": "Deny", "NotAction": "s3:GetObject", "Resource": "*"}"#)
        #expect(findings(inv).isEmpty)
    }

    @Test func starStarIsAdminAndNotAlsoEscalation() throws {
        let f = findings(try inventory(user: #"{"Effect": "Allow", "Action": "*", "Resource": "*"}"#))
        #expect(f.map(\.rule) == ["iam-admin-equivalent"])
    }

    @Test func notActionAllowOnStarIsFlagged() throws {
        let f = findings(
            try inventory(user: #"{"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"}"#))
        let broad = try #require(f.first { $0.rule == "iam-broad-wildcard" })
        #expect(broad.title.contains("NotAction"))
        #expect(!f.contains { $0.rule == "iam-admin-equivalent" }, "IAM itself is excluded")
        #expect(paths(f).contains("update-function-code"), "Lambda code changes are still allowed")
    }

    @Test func conditionsLowerSeverityInsteadOfGuessing() throws {
        let f = findings(
            try inventory(
                user:
                    #"{"Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances"], "Resource": "*", "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}}"#,
                roles: role(
                    "app",
                    trust:
                        #"{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}"#,
                    instanceProfile: true)))
        let esc = try #require(f.first { $0.rule == "iam-privilege-escalation" })
        #expect(esc.severity == .medium)
        #expect(esc.evidence.details["decision"] == "conditional")
        #expect(esc.title.contains("under conditions"))
    }

    @Test func permissionsBoundaryBlocksEscalation() throws {
        let b = "arn:aws:iam::111122223333:policy/boundary"
        let inv = try inventory(
            user: #"{"Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances"], "Resource": "*"}"#,
            policies: managedPolicy(b, #"{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}"#), boundary: b)
        #expect(paths(findings(inv)).isEmpty)
    }

    @Test func cloudsplainingSamplesFindTheirKnownProblems() throws {
        let dir = TestPaths.packageRoot.appendingPathComponent("Tests/CrossTrailInventoryTests/Fixtures/cloudsplaining")
            .path
        let (inv, _) = Inventory.load(paths: [dir + "/example-authz-details.json"])
        let f = findings(inv)
        let admins = Set(f.filter { $0.rule == "iam-admin-equivalent" }.flatMap { $0.subjects.map(\.name) })
        #expect(
            admins == ["obama", "userwithlotsofpermissions"], "both reach AdministratorAccess through the admin group")
        // MyRole can PassRole and manage instance profiles but cannot launch instances: it can
        // attach a privileged profile to an instance instead.
        let myRole = Set(
            f.filter { $0.rule == "iam-privilege-escalation" && $0.subjects.first?.name == "MyRole" }.compactMap {
                $0.evidence.details["path"]
            })
        #expect(myRole == ["passrole-ec2-associate"])
        // OverprivilegedEC2 may create access keys for any user; biden's Lambda access runs code as other roles.
        #expect(
            f.contains {
                $0.subjects.first?.name == "OverprivilegedEC2" && $0.evidence.details["path"] == "create-access-key"
            })
        #expect(
            Set(f.filter { $0.subjects.first?.name == "biden" }.compactMap { $0.evidence.details["path"] })
                == [
                    "passrole-lambda", "passrole-lambda-event-source", "passrole-lambda-add-permission",
                    "update-function-code",
                ])
        #expect(f.allSatisfy { !$0.id.isEmpty && !$0.controls.isEmpty && !$0.remediation.isEmpty })
    }
}

func event(
    _ id: String, _ minute: Int, plane: Plane, service: String, action: String, actor: Actor,
    resources: [Resource] = [], params: String? = nil
) -> AuditEvent {
    var e = AuditEvent(
        id: id, time: Timestamp(millis: 1_785_574_800_000 + Int64(minute) * 60_000), plane: plane, service: service,
        action: action,
        outcome: Outcome(status: .success), actor: actor,
        format: plane == .aws ? .cloudtrailDelivery : .databricksDelivery,
        provenance: Provenance(file: "t", line: nil, offset: 0, sha256: ""))
    e.resources = resources
    e.requestParameters = params
    return e
}

func user(_ email: String) -> Actor {
    var a = Actor(kind: .databricksUser, key: email, displayName: email)
    a.email = email
    return a
}

func session(_ role: String, _ name: String) -> Actor {
    var a = Actor(
        kind: .assumedRole, key: "arn:aws:sts::111122223333:assumed-role/\(role)/\(name)",
        displayName: "\(role)/\(name)")
    a.sessionIssuer = "arn:aws:iam::111122223333:role/\(role)"
    a.sessionName = name
    a.arn = a.key
    return a
}

/// A launch of instance i-1 for cluster c-1, S3 reads by its instance-profile session, and
/// commands on the cluster by the given users in the same hour.
func clusterStory(users: [String]) -> Observations {
    let observer = EventObserver(classification: Classification())
    observer.accept(
        event(
            "run", 0, plane: .aws, service: "ec2", action: "RunInstances", actor: session("dbx-cross", "databricks"),
            resources: [Resource(type: "AWS::EC2::Instance", id: "arn:aws:ec2:us-east-1:111122223333:instance/i-1")],
            params:
                #"{"tagSpecificationSet":{"items":[{"tags":[{"key":"ClusterId","value":"c-1"},{"key":"Creator","value":"owner@x.example"}]}]}}"#
        ))
    for (i, u) in users.enumerated() {
        observer.accept(
            event(
                "cmd-\(i)", 5 + i, plane: .databricks, service: "notebook", action: "runCommand", actor: user(u),
                resources: [Resource(type: "cluster", id: "c-1")]))
    }
    observer.accept(
        event(
            "get", 10, plane: .aws, service: "s3", action: "GetObject", actor: session("broad", "i-1"),
            resources: [Resource(type: "AWS::S3::Object", id: "arn:aws:s3:::data/k")]))
    return observer.observations
}

@Suite struct AttributionTests {
    @Test func oneUserOnTheClusterIsATimeWindowMatch() {
        let g = IdentityGraph.build(Inventory(), clusterStory(users: ["ann@x.example"]))
        let a = g.attribution(for: session("broad", "i-1"))
        #expect(a?.person == "ann@x.example")
        #expect(a?.confidence == .timeWindow)
        #expect(a?.events.contains("run") == true && a?.events.contains("cmd-0") == true)
        #expect(a?.chain.contains { $0.contains("tag ClusterId") } == true)
    }

    @Test func twoUsersOnASharedClusterAreAmbiguous() {
        let g = IdentityGraph.build(Inventory(), clusterStory(users: ["ann@x.example", "ben@x.example"]))
        let a = g.attribution(for: session("broad", "i-1"))
        #expect(a?.person == nil)
        #expect(a?.confidence == .ambiguous)
        #expect(a?.candidates == ["ann@x.example", "ben@x.example"])
    }

    @Test func singleUserClusterIsExact() throws {
        var inv = Inventory()
        _ = inv.databricks.mergeClusters([
            try JSON.parse(
                text: #"{"cluster_id":"c-1","data_security_mode":"SINGLE_USER","single_user_name":"cara@x.example"}"#)
        ])
        let g = IdentityGraph.build(inv, clusterStory(users: ["ann@x.example", "ben@x.example"]))
        #expect(g.attribution(for: session("broad", "i-1"))?.person == "cara@x.example")
        #expect(g.attribution(for: session("broad", "i-1"))?.confidence == .exact)
    }

    @Test func ssoSessionsNameThePerson() {
        let observer = EventObserver(classification: Classification())
        var a = session("AWSReservedSSO_Admin_0123", "Dana@x.example")
        a.email = "dana@x.example"
        observer.accept(event("sso", 1, plane: .aws, service: "s3", action: "ListBuckets", actor: a))
        let g = IdentityGraph.build(Inventory(), observer.observations)
        #expect(
            g.edges.contains {
                $0.kind == "sso-session" && $0.from == "person:dana@x.example" && $0.evidence.events == ["sso"]
            })
        #expect(g.attribution(for: a)?.person == "dana@x.example")
    }
}

@Suite struct MoreLinkTests {
    @Test func accessKeysLinkToTheirUser() {
        let observer = EventObserver(classification: Classification())
        var a = Actor(kind: .iamUser, key: "arn:aws:iam::111122223333:user/ci", displayName: "ci")
        a.arn = a.key
        a.accessKeyId = "AKIAEXAMPLE000000001"
        observer.accept(event("k1", 1, plane: .aws, service: "s3", action: "ListBuckets", actor: a))
        a.accessKeyId = "ASIATEMPORARY0000001"
        observer.accept(event("k2", 2, plane: .aws, service: "s3", action: "ListBuckets", actor: a))
        let g = IdentityGraph.build(Inventory(), observer.observations)
        let keys = g.edges.filter { $0.kind == "key-of" }
        #expect(keys.map(\.from) == ["access-key:AKIAEXAMPLE000000001"], "long-term keys only")
        #expect(keys.first?.evidence.events == ["k1"])
    }

    @Test func unityCatalogCredentialsLinkUsersToTheStorageRole() throws {
        let inv = try databricksInventory([
            "unity-catalog/storage_credentials.json":
                #"{"storage_credentials":[{"name":"lake-cred","aws_iam_role":{"role_arn":"arn:aws:iam::111122223333:role/uc-lake"}}]}"#
        ])
        let observer = EventObserver(classification: Classification())
        observer.accept(
            event(
                "cred", 1, plane: .databricks, service: "unityCatalog", action: "generateTemporaryTableCredential",
                actor: user("ann@x.example"),
                params: #"{"table_full_name":"main.sales.customers","operation":"READ"}"#))
        observer.accept(
            event(
                "s3", 2, plane: .aws, service: "s3", action: "GetObject",
                actor: session("uc-lake", "databricks-uc-session"),
                resources: [Resource(type: "AWS::S3::Object", id: "arn:aws:s3:::lake/sales/customers/part-0")]))
        let g = IdentityGraph.build(inv, observer.observations)
        #expect(g.edges.contains { $0.kind == "assumes-role" && $0.from == "storage-credential:lake-cred" })
        let a = g.attribution(for: session("uc-lake", "databricks-uc-session"))
        #expect(a?.person == "ann@x.example")
        #expect(a?.confidence == .timeWindow)
        #expect(g.edges.contains { $0.kind == "uc-credential" && $0.from == "databricks-user:ann@x.example" })
    }
}

@Suite struct SamplesScanTests {
    static func scanSamples() throws -> ScanResult {
        let root = TestPaths.packageRoot.appendingPathComponent("Samples")
        let (inv, diags) = Inventory.load(paths: [root.appendingPathComponent("inventory").path])
        #expect(diags.isEmpty)
        var discovery = [Diagnostic]()
        let files = Ingestor.discover([root.appendingPathComponent("logs").path], diagnostics: &discovery)
        let (obs, stats) = ObservationPass.run(Ingestor(workers: 2), files: files, classification: inv.classification)
        #expect(stats.rejected == 0 && obs.events == stats.accepted)
        return Analyzer.scan(inv, obs)
    }

    @Test func findsTheCrossPlanePathAndNamesThePerson() throws {
        let r = try Self.scanSamples()
        let cross = try #require(r.findings.first { $0.rule == "cross-plane-instance-profile" })
        #expect(cross.severity == .critical)
        #expect(cross.resources == ["s3://acme-pii-customers/"])
        #expect(cross.evidence.details["read by"] == "i-0a1b2c3d4e5f60718: alice@acme.example (time-window)")
        #expect(cross.evidence.events.count == 12, "the 12 GetObject calls of the incident")
        #expect(cross.subjects.contains { $0.name == "carol@acme.example" }, "users outside data-engineers are named")
        #expect(!cross.subjects.contains { $0.name == "bob@acme.example" }, "data-engineers are allowed")
        let rules = Set(r.findings.map(\.rule))
        for expected in [
            "iam-admin-equivalent", "iam-privilege-escalation", "iam-wildcard-on-classified",
            "dbx-broad-group-data-grant", "uc-all-privileges", "flat-access-classified",
        ] {
            #expect(rules.contains(expected), "missing \(expected)")
        }
        let flat = try #require(r.flatness.first { $0.resource == "s3://acme-pii-customers/" })
        #expect(flat.used == ["alice@acme.example"])
        #expect(flat.canAccess.count == 9)
        #expect(r.findings.map(\.severity) == r.findings.map(\.severity).sorted(by: >), "most severe first")
    }

    @Test func whoCanAnswersOnBothPlanes() throws {
        let (inv, _) = Inventory.load(paths: [TestPaths.packageRoot.appendingPathComponent("Samples/inventory").path])
        let s3 = AccessQuery.whoCan(action: "s3:GetObject", resource: "s3://acme-pii-customers/customers/", inv)
        #expect(s3.contains { $0.plane == "aws" && $0.principal.hasSuffix("role/databricks-shared-broad") })
        #expect(
            s3.contains {
                $0.plane == "databricks" && $0.principal == "carol@acme.example" && $0.via[0].contains("CAN_ATTACH_TO")
            })
        #expect(!s3.contains { $0.principal.hasSuffix("role/databricks-cross-account") })
        let table = AccessQuery.whoCan(securable: "main.sales.customers", inv)
        #expect(table.count == 8)
        #expect(table.first { $0.principal == "alice@acme.example" }?.via.first?.contains("catalog main") == true)
        let cluster = AccessQuery.whoCan(securable: "cluster:0801-093000-shared01", inv)
        #expect(cluster.contains { $0.principal == "alice@acme.example" && $0.decision == "CAN_MANAGE" })
    }
}

/// A Databricks inventory from SCIM, ACL, cluster and job documents, through the real loader.
func databricksInventory(_ files: [String: String], iam: String? = nil) throws -> Inventory {
    let dir = try TestPaths.temporaryDirectory("dbx")
    var all = files
    if let iam { all["aws/iam.json"] = iam }
    for (path, text) in all {
        let url = dir.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }
    let (inv, diags) = Inventory.load(paths: [dir.path])
    #expect(diags.isEmpty, "\(diags)")
    return inv
}

@Suite struct DatabricksRuleTests {
    static let scim =
        #"{"Resources":[{"id":"1","userName":"ann@x.example","groups":[{"value":"10"}]},{"id":"2","userName":"ben@x.example"},"#
        + #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:ServicePrincipal"],"id":"3","applicationId":"sp-admin","displayName":"deployer","groups":[{"value":"11"}]},"#
        + #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:ServicePrincipal"],"id":"4","applicationId":"sp-plain","displayName":"reporter"},"#
        + #"{"id":"10","displayName":"analysts"},{"id":"11","displayName":"admins"}]}"#

    @Test func managingAJobThatRunsAsAnAdminIsEscalation() throws {
        let inv = try databricksInventory([
            "scim.json": Self.scim,
            "jobs.json":
                #"{"jobs":[{"job_id":42,"settings":{"name":"nightly","run_as":{"service_principal_name":"sp-admin"}}},{"job_id":43,"settings":{"run_as":{"service_principal_name":"sp-plain"}}}]}"#,
            "permissions/jobs/42.json":
                #"{"object_id":"/jobs/42","object_type":"job","access_control_list":[{"user_name":"ben@x.example","all_permissions":[{"permission_level":"CAN_MANAGE"}]}]}"#,
            "permissions/jobs/43.json":
                #"{"object_id":"/jobs/43","object_type":"job","access_control_list":[{"user_name":"ben@x.example","all_permissions":[{"permission_level":"CAN_MANAGE"}]}]}"#,
        ])
        let f = findings(inv).filter { $0.rule == "dbx-manage-runs-as-admin" }
        #expect(f.count == 1, "only the job that runs as an admin")
        #expect(f.first?.resources == ["job:42"])
        #expect(f.first?.title.contains("ben@x.example can manage job 42") == true)
    }

    @Test func isolationDecidesWhoSharesTheInstanceProfile() throws {
        let iam =
            #"{"RoleDetailList":[{"RoleName":"reader","Arn":"arn:aws:iam::1:role/reader","InstanceProfileList":[{"Arn":"arn:aws:iam::1:instance-profile/reader"}],"#
            + #""RolePolicyList":[{"PolicyName":"p","PolicyDocument":{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::pii/*"}]}}]}]}"#
        func scan(mode: String) throws -> [Finding] {
            try findings(
                databricksInventory(
                    [
                        "scim.json": Self.scim,
                        "clusters.json":
                            #"{"clusters":[{"cluster_id":"c1","data_security_mode":"\#(mode)","single_user_name":"ann@x.example","aws_attributes":{"instance_profile_arn":"arn:aws:iam::1:instance-profile/reader"}}]}"#,
                        "permissions/clusters/c1.json":
                            #"{"object_id":"/clusters/c1","object_type":"cluster","access_control_list":[{"group_name":"users","all_permissions":[{"permission_level":"CAN_ATTACH_TO"}]}]}"#,
                        "classification.yaml":
                            "s3:\n  - prefix: s3://pii/\n    class: pii\n    allowed_groups: [analysts]\n",
                    ], iam: iam)
            ).filter { $0.rule == "cross-plane-instance-profile" }
        }
        let shared = try scan(mode: "NONE")
        #expect(shared.count == 1)
        #expect(shared.first?.severity == .critical, "ben is outside analysts")
        #expect(shared.first?.evidence.details["principals"] == "4", "everyone: two users and two service principals")
        #expect(try scan(mode: "USER_ISOLATION").isEmpty, "shared UC clusters do not hand out the instance profile")
        #expect(try scan(mode: "SINGLE_USER").isEmpty, "only ann, who is in the allowed group")
    }

    @Test func broadGroupsAndAdmins() throws {
        let manyAdmins =
            #"{"Resources":["#
            + (1...5).map { #"{"id":"\#($0)","userName":"u\#($0)@x.example","groups":[{"value":"11"}]}"# }.joined(
                separator: ",") + #",{"id":"11","displayName":"admins"}]}"#
        let inv = try databricksInventory([
            "scim.json": manyAdmins,
            "permissions/warehouses/w1.json":
                #"{"object_id":"/sql/warehouses/w1","object_type":"warehouse","access_control_list":[{"group_name":"users","all_permissions":[{"permission_level":"CAN_MANAGE"}]},{"group_name":"admins","all_permissions":[{"permission_level":"CAN_MANAGE","inherited":true}]}]}"#,
            "unity-catalog/grants/schema/main.hr.json":
                #"{"privilege_assignments":[{"principal":"account users","privileges":["USE_SCHEMA","MODIFY"]},{"principal":"u1@x.example","privileges":["ALL_PRIVILEGES"]}]}"#,
        ])
        let f = findings(inv)
        #expect(f.first { $0.rule == "dbx-too-many-admins" }?.subjects.count == 5)
        #expect(
            f.filter { $0.rule == "dbx-broad-group-manage" }.map(\.resources) == [["warehouse:w1"]],
            "the inherited admins grant is not everyone")
        let grant = try #require(f.first { $0.rule == "dbx-broad-group-data-grant" })
        #expect(grant.severity == .medium, "no classified table in main.hr")
        #expect(grant.title.contains("MODIFY"))
        #expect(grant.title.contains("USE_SCHEMA") == false)
        #expect(f.first { $0.rule == "uc-all-privileges" }?.severity == .low)
    }
}

@Suite struct StatefulRuleTests {
    func failedLogin(_ i: Int, minute: Int, email: String = "mallory@x.example") -> AuditEvent {
        var e = event("f\(i)", minute, plane: .databricks, service: "accounts", action: "login", actor: user(email))
        e.outcome = Outcome(status: .failure, errorCode: "401")
        return e
    }

    /// failed-login-burst is a built-in correlation rule: 5 failed sign-ins per identity in 10 minutes.
    @Test func burstsNeedTheThresholdWithinOneWindow() throws {
        let rules = RuleSet.load()
        let observer = EventObserver(classification: Classification(), rules: rules)
        for i in 0..<6 { observer.accept(failedLogin(i, minute: i)) }  // 6 in one 10-minute window
        // Spread out:
        for i in 0..<4 { observer.accept(failedLogin(10 + i, minute: 30 + i * 20, email: "slow@x.example")) }
        // Four, then a fifth 11 minutes after the first:
        for i in 0..<4 { observer.accept(failedLogin(20 + i, minute: 100 + i, email: "four@x.example")) }
        observer.accept(failedLogin(24, minute: 111, email: "four@x.example"))
        // Successful sign-ins do not count.
        for i in 0..<6 {
            var ok = failedLogin(30 + i, minute: i, email: "ok@x.example")
            ok.outcome = Outcome(status: .success)
            observer.accept(ok)
        }
        let f = Analyzer.scan(Inventory(), observer.observations, rules: rules).findings.filter {
            $0.rule == "failed-login-burst"
        }
        let burst = try #require(f.first)
        #expect(f.count == 1)
        #expect(burst.title == "Repeated failed sign-ins by one identity: actor=mallory@x.example (6 events in 10m)")
        #expect(burst.evidence.events.count == 6)
        #expect(burst.mitre == "T1110" && burst.severity == .medium)
        #expect(
            !Analyzer.scan(Inventory(), observer.observations, rules: rules).findings.contains {
                $0.rule == "failed-login-aws" || $0.rule == "failed-login-databricks"
            }, "the base rules only feed the correlation")
        // The old `stateful:` threshold still tunes it.
        let dir = try TestPaths.temporaryDirectory("failed-login-threshold")
        try Data("stateful: {failed_login_burst: 7}\n".utf8).write(to: dir.appendingPathComponent("settings.yml"))
        let tuned = RuleSet.load(directories: [dir.path])
        #expect(tuned.correlations.first { $0.id == "failed-login-burst" }?.condition?.description == "gte 7")
    }

    /// compute-launch-burst: 20 launches not refused, per identity in 10 minutes.
    @Test func computeLaunchBurstCountsLaunchesThatWereNotRefused() {
        let rules = RuleSet.load()
        let observer = EventObserver(classification: Classification(), rules: rules)
        for i in 0..<20 {
            observer.accept(
                event(
                    "l\(i)", i / 4, plane: .aws, service: "ec2", action: "RunInstances", actor: session("ci", "miner")))
        }
        for i in 0..<25 {  // 19 launches and 6 refused
            var e = event(
                "r\(i)", i / 4, plane: .aws, service: "ec2", action: "RunInstances", actor: session("ci", "deploy"))
            if i >= 19 { e.outcome = Outcome(status: .failure, errorCode: "Client.UnauthorizedOperation") }
            observer.accept(e)
        }
        let f = Analyzer.scan(Inventory(), observer.observations, rules: rules).findings.filter {
            $0.rule == "compute-launch-burst"
        }
        #expect(f.count == 1 && f.first?.evidence.events.count == 20)
        #expect(f.first?.title.contains("miner") == true)
    }

    @Test func tokensAboveTheMaximumLifetime() throws {
        let observer = EventObserver(classification: Classification())
        func token(_ id: String, _ who: String, _ params: String) {
            var e = event(id, 1, plane: .databricks, service: "accounts", action: "generateDbToken", actor: user(who))
            e.requestParameters = params
            observer.accept(e)
        }
        token("t1", "ann@x.example", #"{"comment":"ci","lifetimeSeconds":"31536000"}"#)  // 365 days
        token("t2", "ben@x.example", #"{"comment":"dev","lifetime_seconds":604800}"#)  // 7 days
        token("t3", "cid@x.example", #"{"comment":"none"}"#)  // no lifetime: dbx-token-no-expiry's
        let f = Analyzer.scan(Inventory(), observer.observations).findings.filter {
            $0.rule == "dbx-token-lifetime-above-max"
        }
        #expect(f.map(\.title) == ["Databricks token created with a 365-day lifetime (maximum 90): ann@x.example"])
        #expect(f.first?.evidence.events == ["t1"])
        // The maximum is a setting.
        let dir = try TestPaths.temporaryDirectory("token-settings")
        try Data("stateful: {max_token_lifetime_days: 400}\n".utf8).write(
            to: dir.appendingPathComponent("settings.yml"))
        let rules = RuleSet.load(directories: [dir.path])
        #expect(rules.errors.isEmpty)
        #expect(
            Analyzer.scan(Inventory(), observer.observations, rules: rules).findings.allSatisfy {
                $0.rule != "dbx-token-lifetime-above-max"
            })
    }

    @Test func aSilentSourceIsAGap() {
        let observer = EventObserver(classification: Classification())
        var a = session("r", "s")
        a.accountId = "1"
        for hour in 0..<48 where !(20..<26).contains(hour) {
            var e = event("h\(hour)", hour * 60, plane: .aws, service: "s3", action: "ListBuckets", actor: a)
            e.account = "1"
            e.region = "us-east-1"
            observer.accept(e)
        }
        let gaps = Analyzer.scan(Inventory(), observer.observations).findings.filter { $0.rule == "source-gap" }
        #expect(gaps.count == 1)
        #expect(gaps.first?.title.hasPrefix("No events from aws:1:us-east-1 for 6 hours") == true)
    }

    @Test func classifiedReadsAreJudgedAgainstTheAllowedGroups() throws {
        let inv = try databricksInventory([
            "scim.json":
                #"{"Resources":[{"id":"1","userName":"ann@x.example","groups":[{"value":"10"}]},{"id":"2","userName":"ben@x.example"},{"id":"10","displayName":"analysts"}]}"#,
            "classification.yaml": "s3:\n  - prefix: s3://pii/\n    class: pii\n    allowed_groups: [analysts]\n",
        ])
        let observer = EventObserver(classification: inv.classification)
        for (i, who) in ["ann@x.example", "ben@x.example", "ben@x.example"].enumerated() {
            var a = session("AWSReservedSSO_Reader_1", who)
            a.email = who
            observer.accept(
                event(
                    "r\(i)", i, plane: .aws, service: "s3", action: "GetObject", actor: a,
                    resources: [Resource(type: "AWS::S3::Object", id: "arn:aws:s3:::pii/k\(i)")]))
        }
        let f = Analyzer.scan(inv, observer.observations).findings.filter {
            $0.rule == "classified-read-outside-allowed"
        }
        #expect(f.map(\.title) == ["ben@x.example read pii data in s3://pii/ without being in analysts"])
        #expect(f.first?.evidence.events == ["r1", "r2"])
        #expect(f.first?.severity == .high)
    }
}

@Suite struct NetworkRuleTests {
    @Test func classifiedReadsOutsideTheVPCEndpointOrTrustedNetworks() throws {
        var c = Classification()
        try c.merge(
            yaml: "s3:\n  - prefix: s3://pii/\n    class: pii\ntrusted_networks: [10.0.0.0/8]\n", file: "c.yaml")
        var inv = Inventory()
        inv.classification = c
        let observer = EventObserver(classification: c)
        func read(_ id: String, ip: String, vpce: String?) {
            var e = event(
                id, 1, plane: .aws, service: "s3", action: "GetObject", actor: session("app", "job"),
                resources: [Resource(type: "AWS::S3::Object", id: "arn:aws:s3:::pii/k")])
            e.sourceIPAddress = ip
            e.vpcEndpointId = vpce
            observer.accept(e)
        }
        read("inside", ip: "10.1.2.3", vpce: "vpce-1")
        read("no-endpoint", ip: "10.1.2.3", vpce: nil)
        read("untrusted", ip: "198.51.100.7", vpce: "vpce-1")
        read("service", ip: "s3.amazonaws.com", vpce: nil)
        let f = Analyzer.scan(inv, observer.observations).findings.filter { $0.rule == "classified-read-off-network" }
        #expect(f.count == 1)
        #expect(f.first?.evidence.events == ["no-endpoint", "untrusted"])
        #expect(IPNetwork("10.0.0.0/8")?.contains("10.255.0.1") == true)
        #expect(IPNetwork("10.0.0.0/8")?.contains("11.0.0.1") == false)
        #expect(IPAddress("256.1.1.1") == nil && IPAddress("1.2.3") == nil && IPNetwork("1.2.3.4/33") == nil)
        #expect(IPNetwork("2001:db8::/32")?.contains("2001:db8:1::5") == true)
        #expect(IPNetwork("2001:db8::/32")?.contains("2001:db9::5") == false)
        #expect(IPNetwork("::/0")?.contains("10.0.0.1") == false)  // IPv4 is not inside an IPv6 range...
        #expect(IPNetwork("0.0.0.0/0")?.contains("::1") == false)  // ...nor IPv6 inside an IPv4 one
        #expect(IPAddress("::ffff:10.0.0.1")?.isPrivate == true && IPAddress("fe80::1%eth0")?.isPrivate == true)
        #expect(IPAddress("1:2:3:4:5:6:7:8:9") == nil && IPAddress("1::2::3") == nil && IPAddress("12345::") == nil)
    }
}

@Suite struct VolumeRuleTests {
    @Test func classifiedReadVolumeAndLaunchBursts() throws {
        var c = Classification()
        try c.merge(yaml: "s3:\n  - prefix: s3://pii/\n    class: pii\n", file: "c.yaml")
        var inv = Inventory()
        inv.classification = c
        let observer = EventObserver(classification: c)
        var reader = session("AWSReservedSSO_Analyst_1", "eve@x.example")
        reader.email = "eve@x.example"
        for i in 0..<5 {
            var e = event(
                "g\(i)", i, plane: .aws, service: "s3", action: "GetObject", actor: reader,
                resources: [Resource(type: "AWS::S3::Object", id: "arn:aws:s3:::pii/k\(i)")])
            e.vpcEndpointId = "vpce-1"
            e.sourceIPAddress = "10.0.0.1"
            observer.accept(e)
        }
        for i in 0..<3 {
            observer.accept(
                event("l\(i)", i, plane: .aws, service: "ec2", action: "RunInstances", actor: session("ci", "deploy")))
        }
        var options = AnalysisOptions()
        options.stateful.classifiedReadsPerHour = 5
        let f = Analyzer.scan(inv, observer.observations, options: options).findings
        let volume = try #require(f.first { $0.rule == "classified-read-volume" })
        #expect(
            volume.title.hasPrefix(
                "5 GetObject calls on s3://pii/ in one hour by arn:aws:iam::111122223333:role/AWSReservedSSO_Analyst_1 / eve@x.example"
            ))
        #expect(volume.subjects.first?.person == "eve@x.example")
        #expect(volume.resources == ["s3://pii/"])
        options.stateful.classifiedReadsPerHour = 6
        #expect(
            !Analyzer.scan(inv, observer.observations, options: options).findings.contains {
                $0.rule == "classified-read-volume"
            })
    }
}

/// Unity Catalog column masks and row filters: SELECT shows what they allow; reading the table's
/// files through an instance profile's role goes past them.
@Suite struct UnityCatalogMaskTests {
    func inventory(masks: String, tags: [String]) throws -> Inventory {
        let columns = tags.map {
            #"{"catalog_name":"main","schema_name":"crm","table_name":"people","column_name":"\#($0)","tag_name":"pii","tag_value":""}"#
        }
        let iam = #"""
            {"UserDetailList": [], "GroupDetailList": [], "Policies": [], "RoleDetailList": [
              {"RoleName": "lake", "Arn": "arn:aws:iam::111122223333:role/lake", "AssumeRolePolicyDocument": {"Statement": []},
               "RolePolicyList": [{"PolicyName": "read", "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::lake/*"}]}}],
               "AttachedManagedPolicies": [], "InstanceProfileList": []}]}
            """#
        return try databricksInventory(
            [
                "scim.json":
                    #"{"Resources":[{"id":"1","userName":"ann@x.example","groups":[]},{"id":"2","userName":"ben@x.example","groups":[]}]}"#,
                "unity-catalog/grants/catalog/main.json":
                    #"{"privilege_assignments":[{"principal":"account users","privileges":["USE_CATALOG","USE_SCHEMA","SELECT"]}]}"#,
                "unity-catalog/tables.json":
                    #"{"tables":[{"full_name":"main.crm.people","owner":"ann@x.example","storage_location":"s3://lake/people/","columns":[\#(masks)]}]}"#,
                "tags/column_tags.json": "[" + columns.joined(separator: ",") + "]",
            ], iam: iam)
    }

    let masked =
        #"{"name":"email","type_name":"STRING","mask":{"function_name":"main.sec.mask_email","using_column_names":[]}},{"name":"ssn","type_name":"STRING","mask":{"function_name":"main.sec.mask_ssn"}},{"name":"id","type_name":"LONG"}"#

    @Test func everyClassifiedColumnMaskedLowersTheBroadGrantAndSaysHow() throws {
        let all = try inventory(masks: masked, tags: ["email", "ssn"])
        let f = try #require(findings(all).first { $0.rule == "dbx-broad-group-data-grant" })
        #expect(f.severity == .medium)
        #expect(f.title.hasSuffix("whose classified columns are all masked"), "\(f.title)")
        #expect(f.evidence.details["masked"]?.contains("column mask main.sec.mask_email on email") == true)
        // One classified column without a mask: everyone reads it.
        let some = try inventory(masks: masked, tags: ["email", "ssn", "id"])
        #expect(findings(some).first { $0.rule == "dbx-broad-group-data-grant" }?.severity == .high)
        // Masks shape SELECT only: MODIFY on the same tables is not lowered.
        let modify = try databricksInventory(
            [
                "unity-catalog/grants/catalog/main.json":
                    #"{"privilege_assignments":[{"principal":"account users","privileges":["MODIFY"]}]}"#,
                "unity-catalog/tables.json": #"{"tables":[{"full_name":"main.crm.people","columns":[\#(masked)]}]}"#,
                "tags/column_tags.json":
                    #"[{"catalog_name":"main","schema_name":"crm","table_name":"people","column_name":"email","tag_name":"pii","tag_value":""}]"#,
            ])
        #expect(findings(modify).first { $0.rule == "dbx-broad-group-data-grant" }?.severity == .high)
        // No mask at all: as before.
        let none = try inventory(masks: #"{"name":"email","type_name":"STRING"}"#, tags: ["email"])
        #expect(findings(none).first { $0.rule == "dbx-broad-group-data-grant" }?.severity == .high)
    }

    @Test func whoCanSaysWhatTheMasksShapeAndWhatGoesPastThem() throws {
        let inv = try inventory(masks: masked, tags: ["email", "ssn"])
        let answers = AccessQuery.whoCan(target: "main.crm.people", resource: "", inv)
        let ben = try #require(answers.first { $0.principal == "ben@x.example" })
        #expect(ben.via.contains { $0.contains("column mask main.sec.mask_email on email") })
        let role = try #require(answers.first { $0.principal.hasSuffix("role/lake") })
        #expect(role.via.last?.contains("directly, past its column mask") == true, "\(role.via)")
    }
}
