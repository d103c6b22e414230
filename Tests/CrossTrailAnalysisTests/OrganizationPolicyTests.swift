import CrossTrailAnalysis
import CrossTrailIngest
import CrossTrailInventory
import CrossTrailModel
import Foundation
import Testing

/// An Organizations export: root r-root → OU ou-work (Workloads) → the test account 111122223333;
/// 999999999999 is the management account. `policies` are `(type, name, targets, statements)`.
func organization(
    _ policies: [(type: String, name: String, targets: [String], statements: String)],
    rootTypes: [String] = ["SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"], management: String = "999999999999",
    accounts: [String] = ["111122223333"]
) -> String {
    let list = policies.enumerated().map { i, p in
        let content = #"{"Version": "2012-10-17", "Statement": [\#(p.statements)]}"#
        // The Content as describe-policy returns it: a JSON string.
        let quoted =
            "\"" + content.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            + "\""
        let targets = p.targets.map { #"{"TargetId": "\#($0)", "Type": "ACCOUNT"}"# }.joined(separator: ",")
        return
            #"{"PolicySummary": {"Id": "p-\#(i)", "Name": "\#(p.name)", "Type": "\#(p.type)", "AwsManaged": false}, "Content": \#(quoted), "Targets": [\#(targets)]}"#
    }
    let types = rootTypes.map { #"{"Type": "\#($0)", "Status": "ENABLED"}"# }.joined(separator: ",")
    let accountList = (accounts + [management]).map { #"{"Id": "\#($0)", "Name": "a\#($0)", "ParentId": "ou-work"}"# }
    return #"""
        {"Organization": {"Id": "o-acme", "MasterAccountId": "\#(management)"},
         "Roots": [{"Id": "r-root", "Name": "Root", "PolicyTypes": [\#(types)]}],
         "OrganizationalUnits": [{"Id": "ou-work", "Name": "Workloads", "ParentId": "r-root"}],
         "Accounts": [\#(accountList.joined(separator: ","))],
         "Policies": [\#(list.joined(separator: ","))]}
        """#
}

let fullAccess = #"{"Effect": "Allow", "Action": "*", "Resource": "*"}"#
/// FullAWSAccess on the root, the OU and the account, as AWS attaches it.
let fullAccessEverywhere = (
    type: "SERVICE_CONTROL_POLICY", name: "FullAWSAccess",
    targets: ["r-root", "ou-work", "111122223333", "999999999999"], statements: fullAccess
)

func withOrganization(_ inv: Inventory, _ json: String) throws -> Inventory {
    var inv = inv
    let problems = inv.iam.merge(organization: try JSON.parse(text: json))
    #expect(problems.isEmpty, "\(problems)")
    return inv
}

@Suite struct OrganizationPolicyTests {
    let createVersion =
        #"{"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": "arn:aws:iam::111122223333:policy/*"}"#

    func escalates(_ inv: Inventory, _ name: String = "dev") -> Bool {
        findings(inv).contains { $0.rule == "iam-privilege-escalation" && $0.subjects.first?.name == name }
    }

    @Test func anSCPDenyRemovesTheEscalationPathAndNamesNothingElse() throws {
        let inv = try inventory(user: createVersion)
        #expect(escalates(inv))
        let denyIAM = (
            type: "SERVICE_CONTROL_POLICY", name: "DenyPolicyChanges", targets: ["ou-work"],
            statements:
                #"{"Effect": "Deny", "Action": ["iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion"], "Resource": "*"}"#
        )
        #expect(!escalates(try withOrganization(inv, organization([fullAccessEverywhere, denyIAM]))))
        // The same SCP attached to another OU does not reach the account.
        let elsewhere = (type: denyIAM.type, name: denyIAM.name, targets: ["ou-other"], statements: denyIAM.statements)
        #expect(escalates(try withOrganization(inv, organization([fullAccessEverywhere, elsewhere]))))
    }

    @Test func theBreakGlassExceptionIsDecidedForEachPrincipal() throws {
        let trust =
            #"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"}"#
        let inv = try inventory(
            user: createVersion, roles: role("BreakGlass", trust: trust, policy: createVersion))
        let exempt = (
            type: "SERVICE_CONTROL_POLICY", name: "OnlyBreakGlassChangesIAM", targets: ["r-root"],
            statements:
                #"{"Effect": "Deny", "Action": "iam:CreatePolicyVersion", "Resource": "*", "Condition": {"ArnNotLike": {"aws:PrincipalARN": "arn:aws:iam::*:role/BreakGlass"}}}"#
        )
        let org = try withOrganization(inv, organization([fullAccessEverywhere, exempt]))
        #expect(!escalates(org, "dev"), "the Deny's condition holds for dev: decided, not 'conditional'")
        #expect(escalates(org, "BreakGlass"), "the exception: the Deny cannot apply to BreakGlass")
    }

    @Test func anAllowListSCPEndsAdministratorEquivalence() throws {
        let inv = try inventory(user: fullAccess)
        #expect(findings(inv).contains { $0.rule == "iam-admin-equivalent" })
        let allowList = (
            type: "SERVICE_CONTROL_POLICY", name: "OnlyDataServices", targets: ["ou-work"],
            statements: #"{"Effect": "Allow", "Action": ["s3:*", "athena:*"], "Resource": "*"}"#
        )
        // The OU level holds only the allow list (FullAWSAccess detached there, as allow lists need).
        let root = (
            type: fullAccessEverywhere.type, name: "FullAWSAccess", targets: ["r-root", "111122223333"],
            statements: fullAccess
        )
        let limited = try withOrganization(inv, organization([root, allowList]))
        let f = findings(limited)
        #expect(!f.contains { $0.rule == "iam-admin-equivalent" })
        #expect(
            !f.contains { $0.rule == "iam-privilege-escalation" },
            "\(f.filter { $0.rule == "iam-privilege-escalation" }.map(\.evidence.chain))")
        #expect(f.contains { $0.rule == "iam-data-exfiltration" }, "s3:GetObject is still allowed")
        let decision = limited.iam.evaluate(limited.iam.principals[0], action: "iam:CreateUser", resource: "*")
        #expect(decision.level == .denied)
        #expect(decision.reason.contains("SCPs attached to ou-work (Workloads)"), "\(decision.reason)")
    }

    @Test func theManagementAccountUnlistedAccountsAndServiceLinkedRolesAreNotBounded() throws {
        let denyAll = (
            type: "SERVICE_CONTROL_POLICY", name: "DenyAll", targets: ["ou-work"],
            statements: #"{"Effect": "Deny", "Action": "*", "Resource": "*"}"#
        )
        let inv = try inventory(user: fullAccess)
        let bounded = try withOrganization(inv, organization([fullAccessEverywhere, denyAll]))
        #expect(!findings(bounded).contains { $0.rule == "iam-admin-equivalent" })
        let management = try withOrganization(
            inv, organization([fullAccessEverywhere, denyAll], management: "111122223333", accounts: []))
        #expect(
            findings(management).contains { $0.rule == "iam-admin-equivalent" },
            "SCPs never bound the management account")
        let unlisted = try withOrganization(
            inv, organization([fullAccessEverywhere, denyAll], accounts: ["444455556666"]))
        #expect(findings(unlisted).contains { $0.rule == "iam-admin-equivalent" }, "not a member: its SCPs are unknown")
        let disabled = try withOrganization(inv, organization([fullAccessEverywhere, denyAll], rootTypes: []))
        #expect(findings(disabled).contains { $0.rule == "iam-admin-equivalent" }, "SCPs disabled on the root")
        let slr =
            #"{"RoleName": "AWSServiceRoleForX", "Arn": "arn:aws:iam::111122223333:role/aws-service-role/x.amazonaws.com/AWSServiceRoleForX", "AssumeRolePolicyDocument": {"Statement": []}, "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": {"Statement": [\#(fullAccess)]}}], "AttachedManagedPolicies": [], "InstanceProfileList": []}"#
        let withSLR = try withOrganization(
            try inventory(user: "", roles: slr), organization([fullAccessEverywhere, denyAll]))
        #expect(
            findings(withSLR).contains {
                $0.rule == "iam-admin-equivalent" && $0.subjects.first?.name == "AWSServiceRoleForX"
            })
    }

    @Test func aLevelTheExportShowsNoSCPForIsNotTakenAsADeny() throws {
        let onlyRoot = (
            type: "SERVICE_CONTROL_POLICY", name: "FullAWSAccess", targets: ["r-root"], statements: fullAccess
        )
        let inv = try withOrganization(try inventory(user: fullAccess), organization([onlyRoot]))
        #expect(findings(inv).contains { $0.rule == "iam-admin-equivalent" })
    }

    @Test func resourceControlPoliciesBoundOnlyTheirServices() throws {
        let reader =
            #"{"Effect": "Allow", "Action": ["s3:GetObject", "secretsmanager:GetSecretValue"], "Resource": "*"}"#
        let inv = try inventory(user: reader)
        func exfiltration(_ inv: Inventory) -> Finding? { findings(inv).first { $0.rule == "iam-data-exfiltration" } }
        #expect(exfiltration(inv)?.evidence.details["decision"] == "allowed")
        // The common perimeter RCP: only principals of the organisation. Ours is in it: decided.
        let perimeter = (
            type: "RESOURCE_CONTROL_POLICY", name: "DataPerimeter", targets: ["r-root"],
            statements:
                #"{"Effect": "Deny", "Principal": "*", "Action": ["s3:*", "secretsmanager:*"], "Resource": "*", "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-acme"}, "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}}"#
        )
        let org = try withOrganization(inv, organization([fullAccessEverywhere, perimeter]))
        #expect(
            exfiltration(org)?.evidence.details["decision"] == "allowed",
            "the perimeter does not apply to the organisation's own principals")
        // An RCP denying object reads outright leaves the secret.
        let noReads = (
            type: "RESOURCE_CONTROL_POLICY", name: "NoObjectReads", targets: ["ou-work"],
            statements: #"{"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}"#
        )
        let denied = try withOrganization(inv, organization([fullAccessEverywhere, noReads]))
        let f = try #require(exfiltration(denied))
        #expect(f.evidence.details["actions"] == "secretsmanager:GetSecretValue", "\(f.evidence.details)")
        // RCPs do not bound services they do not support, even when they name every action.
        let everything = (
            type: "RESOURCE_CONTROL_POLICY", name: "DenyEverything", targets: ["ou-work"],
            statements: #"{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}"#
        )
        let admin = try withOrganization(
            try inventory(user: fullAccess), organization([fullAccessEverywhere, everything]))
        let iamDecision = admin.iam.evaluate(admin.iam.principals[0], action: "iam:CreateUser", resource: "*")
        #expect(iamDecision.level == .allowed)
        let s3Decision = admin.iam.evaluate(
            admin.iam.principals[0], action: "s3:GetObject", resource: "arn:aws:s3:::b/k")
        #expect(s3Decision.level == .denied && s3Decision.blockedBy == .rcp)
    }

    @Test func aPolicyThatDoesNotParseIsNamedAndTheRestIsKept() throws {
        var inv = try inventory(user: fullAccess)
        let doc = #"""
            {"Organization": {"Id": "o-acme", "MasterAccountId": "999999999999"},
             "Accounts": [{"Id": "111122223333", "ParentId": "r-root"}],
             "Policies": [{"PolicySummary": {"Id": "p-bad", "Name": "Broken", "Type": "SERVICE_CONTROL_POLICY"}, "Content": "{not json", "Targets": []},
                          {"PolicySummary": {"Id": "p-tag", "Name": "Tags", "Type": "TAG_POLICY"}, "Content": "{}", "Targets": []},
                          {"PolicySummary": {"Id": "p-deny", "Name": "DenyAll", "Type": "SERVICE_CONTROL_POLICY"}, "Content": "{\"Statement\": [{\"Effect\": \"Deny\", \"Action\": \"*\", \"Resource\": \"*\"}]}", "Targets": [{"TargetId": "111122223333"}]}]}
            """#
        let problems = inv.iam.merge(organization: try JSON.parse(text: doc))
        #expect(problems.count == 2 && problems[0].contains("Broken"), "\(problems)")
        #expect(
            problems[1].contains("no SCP attached to 111122223333 allows anything"), "a level that denies all is said")
        #expect(!findings(inv).contains { $0.rule == "iam-admin-equivalent" })
    }
}

@Suite struct PrincipalConditionTests {
    func verdict(_ condition: String, _ context: PolicyCondition.Context) throws -> PolicyCondition.Verdict {
        let s = try PolicyDocument.statements(
            from: JSON.parse(
                text: #"{"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": \#(condition)}}"#),
            source: PolicyRef(kind: .scp, name: "test"))
        return s[0].verdict(in: context)
    }

    let dev = PolicyCondition.Context(
        principalArn: "arn:aws:iam::111122223333:user/dev", principalAccount: "111122223333", principalOrgID: "o-acme")

    @Test func principalKeysAreDecidedWhenThePrincipalIsKnown() throws {
        #expect(try verdict(#"{"StringEquals": {"aws:PrincipalAccount": "111122223333"}}"#, dev) == .holds)
        #expect(try verdict(#"{"StringNotEquals": {"aws:PrincipalAccount": ["111122223333", "2"]}}"#, dev) == .never)
        #expect(try verdict(#"{"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/d*"}}"#, dev) == .holds)
        #expect(try verdict(#"{"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/*"}}"#, dev) == .holds)
        #expect(try verdict(#"{"StringEquals": {"aws:PrincipalOrgID": "o-other"}}"#, dev) == .never)
        #expect(try verdict(#"{"Bool": {"aws:PrincipalIsAWSService": "true"}}"#, dev) == .never)
        #expect(
            try verdict(#"{"StringEqualsIgnoreCase": {"aws:PrincipalArn": "ARN:AWS:IAM::111122223333:USER/DEV"}}"#, dev)
                == .holds)
    }

    @Test func unknownValuesAndVariablesStayUndecided() throws {
        let outside = PolicyCondition.Context(
            principalArn: "arn:aws:iam::444455556666:user/x", principalAccount: "444455556666")
        #expect(try verdict(#"{"StringEquals": {"aws:PrincipalOrgID": "o-acme"}}"#, outside) == .unknown)
        #expect(try verdict(#"{"StringLike": {"aws:PrincipalArn": "${aws:username}"}}"#, dev) == .unknown)
        #expect(try verdict(#"{"StringEquals": {"aws:PrincipalAccount": "111122223333"}}"#, .init()) == .unknown)
        #expect(try verdict(#"{"StringEquals": {"aws:PrincipalTag/team": "data"}}"#, dev) == .unknown)
        // One undecided clause leaves the block undecided; one that can never hold decides it.
        #expect(
            try verdict(#"{"StringEquals": {"aws:PrincipalAccount": "111122223333", "aws:SourceIp": "10.0.0.1"}}"#, dev)
                == .unknown)
        #expect(
            try verdict(#"{"StringEquals": {"aws:PrincipalAccount": "2", "aws:SourceIp": "10.0.0.1"}}"#, dev) == .never)
    }
}
