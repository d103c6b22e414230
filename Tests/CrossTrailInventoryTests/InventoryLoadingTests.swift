import CrossTrailIngest
import Foundation
import TestSupport
import Testing

@testable import CrossTrailInventory

func fixture(_ name: String) -> String {
    Bundle.module.url(forResource: "Fixtures/" + name, withExtension: nil)!.path
}

/// Writes files under a fresh directory: path → content.
func inventoryDirectory(_ files: [String: String]) throws -> String {
    let dir = try TestPaths.temporaryDirectory("inv")
    for (path, text) in files {
        let url = dir.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }
    return dir.path
}

@Suite struct InventoryLoadingTests {
    @Test func readsCloudsplainingExportsWithTheirDateStyle() throws {
        let (inv, diags) = Inventory.load(paths: [
            fixture("cloudsplaining/example-authz-details.json"), fixture("cloudsplaining/example_authz_v2.json"),
        ])
        #expect(diags.isEmpty, "\(diags)")
        #expect(inv.iam.users.count == 4)
        #expect(inv.iam.roles.count == 4, "MyOtherRole is in both files: merged by ARN")
        #expect(inv.iam.groups.count == 3)
        let obama = try #require(inv.iam.users["arn:aws:iam::012345678901:user/obama"])
        #expect(obama.createDate == "2019-12-18 19:10:08+00:00")
        // obama is admin twice over (attached policy and group); biden reaches S3 through an inline policy.
        #expect(inv.iam.evaluate(obama, action: "iam:CreateUser", resource: "*").level == .allowed)
        let biden = try #require(inv.iam.users["arn:aws:iam::012345678901:user/biden"])
        #expect(inv.iam.evaluate(biden, action: "s3:GetObject", resource: "arn:aws:s3:::any/key").level == .allowed)
        #expect(inv.iam.evaluate(biden, action: "iam:CreateUser", resource: "*").level == .denied)
        // Group policies reach members: biden's group grants RDS full access.
        #expect(inv.iam.evaluate(biden, action: "rds:DeleteDBInstance", resource: "*").level == .allowed)
        #expect(inv.files.allSatisfy { $0.kind == "aws-authorization-details" && $0.sha256.count == 64 })
    }

    @Test func readsTheSamplesInventory() throws {
        let root = TestPaths.packageRoot.appendingPathComponent("Samples/inventory").path
        let (inv, diags) = Inventory.load(paths: [root])
        #expect(diags.isEmpty, "\(diags)")
        #expect(inv.databricks.users.count == 8)
        #expect(
            inv.databricks.members(ofGroup: "data-engineers").map(\.name) == ["alice@acme.example", "bob@acme.example"])
        #expect(inv.databricks.members(ofGroup: "users").count == 8, "the built-in users group holds everyone")
        #expect(inv.databricks.grants.map(\.securable) == ["main", "main"])
        #expect(inv.databricks.clusters["0801-093000-shared01"]?.dataSecurityMode == "NONE")
        #expect(inv.classification.prefixes.map(\.uri) == ["s3://acme-pii-customers/"])
        #expect(inv.classification.classify(bucket: "acme-pii-customers", key: "customers/part-1")?.dataClass == "pii")
        #expect(inv.classification.classify(bucket: "acme-logs", key: "x") == nil)
        #expect(
            inv.iam.roles(ofInstanceProfile: "arn:aws:iam::111122223333:instance-profile/databricks-shared-broad").map(
                \.name) == ["databricks-shared-broad"])
    }

    @Test func nestedGroupsEffectivePermissionsTagsAndStorage() throws {
        let dir = try inventoryDirectory([
            "databricks/scim-users.json":
                #"{"Resources":[{"id":"1","userName":"Ann@x.example","groups":[{"value":"10"}]},{"id":"2","userName":"ben@x.example"}]}"#,
            "databricks/scim-groups.json":
                #"{"Resources":[{"id":"10","displayName":"analysts","members":[{"value":"1"}]},{"id":"11","displayName":"readers","members":[{"value":"10"}]},{"id":"12","displayName":"loop","members":[{"value":"13"}]},{"id":"13","displayName":"loop2","members":[{"value":"12"},{"value":"2"}]}]}"#,
            "databricks/scim-sps.json":
                #"{"Resources":[{"schemas":["urn:ietf:params:scim:schemas:core:2.0:ServicePrincipal"],"id":"30","applicationId":"6f1c1e6a-0000-4000-8000-000000000001","displayName":"etl-bot","groups":[{"value":"11"}]}]}"#,
            "databricks/unity-catalog/effective-permissions/table/sales.crm.people.json":
                #"{"privilege_assignments":[{"principal":"readers","privileges":[{"privilege":"SELECT","inherited_from_type":"SCHEMA","inherited_from_name":"sales.crm"}]}]}"#,
            "databricks/unity-catalog/tables.json":
                #"{"tables":[{"full_name":"sales.crm.people","owner":"ben@x.example","storage_location":"s3://lake/crm/people"}]}"#,
            "tags/column_tags.csv":
                "catalog_name,schema_name,table_name,column_name,tag_name,tag_value\nsales,crm,people,email,pii,\nsales,crm,people,ssn,class,PII\nsales,crm,orders,total,finance,\n",
        ])
        let (inv, diags) = Inventory.load(paths: [dir])
        #expect(diags.isEmpty, "\(diags)")
        let ann = try #require(inv.databricks.principal(named: "ann@x.example"), "lookup is case-insensitive")
        #expect(inv.databricks.groupClosure(of: ann).map(\.name) == ["analysts", "readers"])
        let ben = try #require(inv.databricks.principal(named: "ben@x.example"))
        #expect(inv.databricks.groupClosure(of: ben).map(\.name) == ["loop", "loop2"], "membership cycles end")
        #expect(inv.databricks.principal(named: "etl-bot")?.kind == .servicePrincipal)
        #expect(
            inv.databricks.members(ofGroup: "readers").map(\.name) == [
                "6f1c1e6a-0000-4000-8000-000000000001", "Ann@x.example",
            ])
        let grant = try #require(inv.databricks.grants.first)
        #expect(
            grant.securableType == "table" && grant.securable == "sales.crm.people"
                && grant.inheritedFrom == "sales.crm")
        let people = try #require(inv.classification.classify(table: "SALES.crm.people"))
        #expect(people.dataClass == "pii")
        #expect(people.columns == ["email", "ssn"])
        #expect(
            inv.classification.classify(table: "sales.crm.orders") == nil, "a tag that is no class classifies nothing")
        // The table's storage becomes a classified prefix, so S3 reads of its files count.
        #expect(
            inv.classification.classify(bucket: "lake", key: "crm/people/part-0.parquet")?.source
                == "storage of table sales.crm.people")
    }

    @Test func badFilesGetDiagnosticsAndGoodOnesAreKept() throws {
        let dir = try inventoryDirectory([
            "aws/broken.json": #"{"UserDetailList": [ {"UserName": "x""#,
            "aws/partial.json":
                #"{"UserDetailList":[{"UserName":"nobody"},{"UserName":"ok","Arn":"arn:aws:iam::1:user/ok","UserPolicyList":[{"PolicyName":"bad","PolicyDocument":{"Statement":[{"Action":"*"}]}}]}]}"#,
            "databricks/grants.json": #"{"privilege_assignments":[{"principal":"users","privileges":["SELECT"]}]}"#,
            "databricks/what.json": #"{"hello":"world"}"#,
            "classification.yaml":
                "s3:\n  - prefix: s3://ok/\n    class: pii\n  - prefix: missing-scheme\n    class: pii\n",
            "bad.yaml": "tables:\n  - name: a.b.c\n    class: [pii\n",
            "keys.yaml": "s3:\n  - prefix: s3://x/\n    class: pii\n? [complex]\n: key\n",
            "long.yaml": "s3: [" + String(repeating: "x", count: 200_000) + "\n",
        ])
        let (inv, diags) = Inventory.load(paths: [dir])
        func diag(_ file: String) -> String? { diags.first { $0.file.hasSuffix(file) }?.description }
        #expect(diag("aws/broken.json")?.contains("invalid JSON") == true)
        #expect(diag("aws/partial.json")?.contains("user entry 1 has no Arn") == true)
        #expect(
            diags.contains {
                $0.file.hasSuffix("partial.json") && $0.reason.contains("statement 1 has no valid Effect")
            })
        #expect(inv.iam.users["arn:aws:iam::1:user/ok"] != nil, "the good entry is kept")
        #expect(diag("databricks/grants.json")?.contains("cannot tell which securable") == true)
        #expect(diag("databricks/what.json")?.contains("not a recognised inventory export") == true)
        #expect(diag("classification.yaml")?.contains("must start with s3://") == true)
        #expect(diag("bad.yaml")?.contains("line") == true, "YAML errors name the line: \(diag("bad.yaml") ?? "none")")
        // Keys the YAML library cannot handle in bounded time are refused with their line.
        #expect(
            diag("keys.yaml")?.hasSuffix("keys.yaml:4: error: explicit ('? ') mapping keys are not supported") == true,
            "\(diag("keys.yaml") ?? "none")")
        // The YAML library's message quotes the whole line: the diagnostic stays short.
        #expect((diag("long.yaml")?.count ?? .max) < 500, "\(diag("long.yaml")?.count ?? 0) characters")
        #expect(inv.files.count == 8)
    }

    @Test func missingPathIsADiagnostic() {
        let (inv, diags) = Inventory.load(paths: ["/nonexistent/inventory"])
        #expect(inv.isEmpty)
        #expect(diags.first?.reason == "no such file or directory")
    }
}
