import CrossTrailIngest
import CrossTrailModel
import Crypto
import Foundation

/// Everything known about permissions and data: IAM, Databricks RBAC, data classification.
public struct Inventory: Sendable {
    public var iam = IAMInventory()
    public var databricks = DatabricksInventory()
    public var classification = Classification()
    /// Resource-based policies (S3 bucket policies and ACLs, SQS, SNS, KMS…).
    public var resources = ResourcePolicies()
    /// Every file read, with what it was taken for.
    public var files: [InventoryFile] = []

    public init() {}

    public var isEmpty: Bool { iam.isEmpty && databricks.isEmpty && classification.isEmpty && resources.isEmpty }

    /// Principals, policies, ACLs, grants, clusters and data classes known so far: what a file
    /// added is the difference before and after reading it.
    var entryCount: Int {
        iam.users.count + iam.roles.count + iam.groups.count + iam.policies.count + iam.organization.entryCount
            + resources.entryCount + databricks.principals.count
            + databricks.acls.count + databricks.grants.count + databricks.clusters.count
            + classification.prefixes.count + classification.tables.count + classification.trustedNetworks.count
    }

    /// Reads an inventory directory (or single files). Files are recognised by content, so the
    /// layout in Docs/formats.md is a convention, not a requirement; only Unity Catalog grant
    /// files need their path (`grants/<securable type>/<full name>.json`) to name the securable.
    /// Problems become diagnostics; every readable file and entry is still used.
    public static func load(paths: [String], classificationFile: String? = nil) -> (Inventory, [Diagnostic]) {
        var inv = Inventory()
        var diags = [Diagnostic]()
        var list = [String]()
        for p in paths { list += walk(p, diagnostics: &diags) }
        if let classificationFile { list.append(classificationFile) }
        for path in list {
            inv.read(path, diagnostics: &diags)
        }
        inv.databricks.finishLoading()
        inv.classification.addStorageLocations(inv.databricks.securables)
        inv.iam.assessedAt = Timestamp(millis: Int64(Date().timeIntervalSince1970 * 1000))
        return (inv, diags)
    }

    static func walk(_ root: String, diagnostics: inout [Diagnostic]) -> [String] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDir) else {
            diagnostics.append(Diagnostic(.error, file: root, reason: "no such file or directory"))
            return []
        }
        guard isDir.boolValue else { return [root] }
        // A symlinked root is listed through its target; paths stay as the user wrote them.
        let target = URL(fileURLWithPath: root).resolvingSymlinksInPath().path
        guard let e = FileManager.default.enumerator(atPath: target) else {
            diagnostics.append(Diagnostic(.error, file: root, reason: "cannot list directory"))
            return []
        }
        var out = [String]()
        while let rel = e.nextObject() as? String {
            let full = root.hasSuffix("/") ? root + rel : root + "/" + rel
            var d: ObjCBool = false
            if FileManager.default.fileExists(atPath: full, isDirectory: &d), !d.boolValue,
                !rel.split(separator: "/").contains(where: { $0.hasPrefix(".") })
            {
                out.append(full)
            }
        }
        return out.sorted()
    }

    mutating func read(_ path: String, diagnostics: inout [Diagnostic]) {
        let name = path.lowercased()
        let bytes: [UInt8]
        do { bytes = try JSON.readBytes(path: path, maxBytes: 1 << 30) } catch {
            diagnostics.append(Diagnostic(.error, file: path, reason: error.reason))
            return
        }
        var file = InventoryFile(
            path: path, bytes: bytes.count, sha256: SHA256.hash(data: bytes).hexString, kind: "unrecognized")
        let before = entryCount
        defer {
            file.entries = entryCount - before
            files.append(file)
        }
        if name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
            do {
                try classification.merge(yaml: String(decoding: bytes, as: UTF8.self), file: path)
                file.kind = "classification"
            } catch {
                diagnostics.append(
                    Diagnostic(
                        .error, file: path, line: error.line,
                        reason: error.reason.replacingOccurrences(of: path + ": ", with: "")))
            }
            return
        }
        if name.hasSuffix(".csv") || name.hasSuffix(".csv.gz") {
            file.kind =
                readTagRows(JSON.csvRows(bytes), path: path, diagnostics: &diagnostics) ? "tags" : "unrecognized"
            if file.kind == "unrecognized" {
                diagnostics.append(
                    Diagnostic(
                        .warning, file: path,
                        reason: "CSV without catalog_name/schema_name/table_name/tag_name columns; ignored"))
            }
            return
        }
        let doc: JSON
        do { doc = try JSON.parse(bytes) } catch {
            // JSON lines (tag exports written by a notebook)?
            let lines = bytes.split(separator: 10, omittingEmptySubsequences: false)
            if lines.count > 1 {
                let rows = lines.enumerated().compactMap { i, l -> (line: Int, row: Result<JSON, JSONDocumentError>)? in
                    l.allSatisfy({ $0 == 32 || $0 == 13 || $0 == 9 })
                        ? nil : (i + 1, Result { () throws(JSONDocumentError) in try JSON.parse(Array(l)) })
                }
                if readTagRows(rows, path: path, diagnostics: &diagnostics) { file.kind = "tags"; return }
            }
            diagnostics.append(Diagnostic(.error, file: path, reason: error.reason))
            return
        }
        file.kind = readDocument(doc, path: path, diagnostics: &diagnostics)
        if file.kind == "unrecognized" {
            diagnostics.append(
                Diagnostic(
                    .warning, file: path,
                    reason: "not a recognised inventory export (see Docs/formats.md, \"Inventory\"); ignored"))
        }
    }

    /// Dispatches a JSON document on its shape. Returns what it was read as.
    mutating func readDocument(_ doc: JSON, path: String, diagnostics: inout [Diagnostic]) -> String {
        func note(_ problems: [String]) {
            for p in problems { diagnostics.append(Diagnostic(.warning, file: path, reason: p)) }
        }
        if doc["UserDetailList"] != nil || doc["RoleDetailList"] != nil || doc["GroupDetailList"] != nil {
            note(iam.merge(authorizationDetails: doc))
            return "aws-authorization-details"
        }
        if doc["Organization"] != nil || (doc["Policies"]?.array?.first?["PolicySummary"] != nil) {
            note(iam.merge(organization: doc))
            return "aws-organizations"
        }
        if doc["ResourcePolicies"] != nil {
            note(resources.merge(export: doc, path: path))
            return "aws-resource-policies"
        }
        if let items = doc["configurationItems"]?.array {
            note(resources.merge(configItems: items, path: path))
            return "aws-config-snapshot"
        }
        if let resources = doc["Resources"]?.array {
            note(databricks.mergeSCIM(resources))
            return "databricks-scim"
        }
        if doc["access_control_list"] != nil {
            note(databricks.mergeACL(doc, path: path))
            return "databricks-permissions"
        }
        if doc["privilege_assignments"] != nil {
            note(databricks.mergeGrants(doc, path: path))
            return "unity-catalog-grants"
        }
        if let list = doc["clusters"]?.array {
            note(databricks.mergeClusters(list))
            return "databricks-clusters"
        }
        if doc["cluster_id"] != nil {
            note(databricks.mergeClusters([doc]))
            return "databricks-clusters"
        }
        if let list = doc["jobs"]?.array {
            note(databricks.mergeJobs(list))
            return "databricks-jobs"
        }
        if let list = doc["instance_profiles"]?.array {
            for p in list { if let arn = p["instance_profile_arn"]?.string { databricks.instanceProfiles.insert(arn) } }
            return "databricks-instance-profiles"
        }
        if let list = doc["policies"]?.array {
            note(databricks.mergeClusterPolicies(list))
            return "databricks-cluster-policies"
        }
        for key in ["tables", "schemas", "catalogs", "external_locations", "storage_credentials", "volumes"] {
            if let list = doc[key]?.array {
                databricks.mergeSecurables(list, type: String(key.dropLast()))
                return "unity-catalog-\(key)"
            }
        }
        if let rows = doc.array ?? doc["rows"]?.array, rows.first?["tag_name"] != nil {
            if readTagRows(rows.enumerated().map { ($0 + 1, .success($1)) }, path: path, diagnostics: &diagnostics) {
                return "tags"
            }
        }
        return "unrecognized"
    }

    /// Reads `information_schema.column_tags` / `table_tags` rows. False when the rows are not tags.
    mutating func readTagRows(
        _ rows: [(line: Int, row: Result<JSON, JSONDocumentError>)], path: String, diagnostics: inout [Diagnostic]
    ) -> Bool {
        var any = false
        for (line, row) in rows {
            switch row {
            case .failure(let e):
                diagnostics.append(Diagnostic(.warning, file: path, line: line, reason: e.reason))
            case .success(let r):
                guard let tag = r["tag_name"]?.string else {
                    if any {
                        diagnostics.append(
                            Diagnostic(.warning, file: path, line: line, reason: "row has no tag_name; skipped"))
                    }
                    continue
                }
                guard let c = r["catalog_name"]?.string, let s = r["schema_name"]?.string,
                    let t = r["table_name"]?.string
                else {
                    diagnostics.append(
                        Diagnostic(
                            .warning, file: path, line: line,
                            reason: "tag row without catalog_name, schema_name and table_name; skipped"))
                    continue
                }
                any = true
                classification.addTag(
                    catalog: c, schema: s, table: t, column: r["column_name"]?.string, tag: tag,
                    value: r["tag_value"]?.string, source: path)
            }
        }
        return any
    }
}

public struct InventoryFile: Sendable, Hashable, Codable {
    public var path: String
    public var bytes: Int
    public var sha256: String
    public var kind: String
    /// Entries this file added (0 for an empty export or one that repeats earlier files). Not
    /// part of the recorded inputs.
    public var entries = 0

    private enum CodingKeys: String, CodingKey { case path, bytes, sha256, kind }
}
