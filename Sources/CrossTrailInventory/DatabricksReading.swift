import CrossTrailIngest
import CrossTrailModel

extension DatabricksInventory {
    /// SCIM `ListResponse.Resources` of Users, Groups or ServicePrincipals (any mix).
    mutating func mergeSCIM(_ resources: [JSON]) -> [String] {
        var problems = [String]()
        for (i, r) in resources.enumerated() {
            guard let id = r["id"]?.string else {
                problems.append("SCIM resource \(i + 1) has no id; skipped")
                continue
            }
            let schemas = (r["schemas"]?.strings ?? []).joined(separator: " ")
            let kind: DatabricksPrincipal.Kind
            let name: String?
            if schemas.contains("ServicePrincipal") || r["applicationId"] != nil {
                kind = .servicePrincipal
                name = r["applicationId"]?.string ?? r["displayName"]?.string
            } else if schemas.contains(":Group") || (r["userName"] == nil && r["displayName"] != nil) {
                kind = .group
                name = r["displayName"]?.string
            } else {
                kind = .user
                name = r["userName"]?.string
            }
            guard let name else {
                problems.append("SCIM \(kind.rawValue) \(id) has no name; skipped")
                continue
            }
            var p = DatabricksPrincipal(kind: kind, id: id, name: name, displayName: r["displayName"]?.string)
            p.emails = (r["emails"]?.array ?? []).compactMap { $0["value"]?.string }
            if kind == .user, p.emails.isEmpty, name.contains("@") { p.emails = [name] }
            p.groupIds = (r["groups"]?.array ?? []).compactMap { $0["value"]?.string }
            p.memberIds = (r["members"]?.array ?? []).compactMap { $0["value"]?.string }
            p.instanceProfiles = (r["roles"]?.array ?? []).compactMap { $0["value"]?.string }
            p.entitlements = (r["entitlements"]?.array ?? []).compactMap { $0["value"]?.string }
            p.active = r["active"]?.bool ?? true
            // Pages of the same listing, or Users and Groups both naming a membership: merge.
            if let old = principals[id] {
                p.groupIds = (old.groupIds + p.groupIds).uniqued()
                p.memberIds = (old.memberIds + p.memberIds).uniqued()
            }
            principals[id] = p
        }
        return problems
    }

    /// One `/api/2.0/permissions/<type>/<id>` response.
    mutating func mergeACL(_ doc: JSON, path: String) -> [String] {
        guard let objectPath = doc["object_id"]?.string else {
            return ["permissions response without object_id; ignored"]
        }
        let parts = objectPath.split(separator: "/")
        let type = doc["object_type"]?.string ?? (parts.first.map { String($0).trimmingSuffix("s") } ?? "object")
        var entries = [ACLEntry]()
        var problems = [String]()
        for (i, e) in (doc["access_control_list"]?.array ?? []).enumerated() {
            let kind: DatabricksPrincipal.Kind
            let name: String
            if let u = e["user_name"]?.string {
                kind = .user; name = u
            } else if let g = e["group_name"]?.string {
                kind = .group; name = g
            } else if let s = e["service_principal_name"]?.string {
                kind = .servicePrincipal; name = s
            } else {
                problems.append("ACL entry \(i + 1) names no principal; skipped"); continue
            }
            let perms =
                e["all_permissions"]?.array
                ?? (e["permission_level"].map { [JSON.object(["permission_level": $0])] } ?? [])
            for perm in perms {
                guard let level = perm["permission_level"]?.string else { continue }
                entries.append(
                    ACLEntry(
                        principalKind: kind, principal: name, level: level,
                        inherited: perm["inherited"]?.bool ?? false,
                        inheritedFrom: perm["inherited_from_object"]?.strings ?? []))
            }
        }
        acls.append(
            ObjectACL(
                objectType: type, objectId: parts.last.map(String.init) ?? objectPath,
                entries: entries, source: path))
        return problems
    }

    /// A UC `privilege_assignments` response (grants or effective permissions). The securable
    /// comes from `securable_type`/`full_name` members when present, else from the file path
    /// `.../grants/<type>/<full name>.json`.
    mutating func mergeGrants(_ doc: JSON, path: String) -> [String] {
        var type = doc["securable_type"]?.string?.lowercased()
        var name = doc["full_name"]?.string
        if type == nil || name == nil {
            let comps = path.split(separator: "/").map(String.init)
            if let g = comps.lastIndex(where: { $0 == "grants" || $0 == "effective-permissions" }), g + 2 < comps.count
            {
                type = comps[g + 1].lowercased()
                var file = comps[(g + 2)...].joined(separator: "/")
                for ext in [".gz", ".json"] where file.hasSuffix(ext) { file.removeLast(ext.count) }
                name = file
            }
        }
        guard let type, let name else {
            return [
                "cannot tell which securable these grants are for: add \"securable_type\" and \"full_name\", or store the file as grants/<type>/<full name>.json"
            ]
        }
        for a in doc["privilege_assignments"]?.array ?? [] {
            guard let principal = a["principal"]?.string else { continue }
            // Grants list privileges as strings; effective permissions as objects with inheritance.
            var direct = [String]()
            var inherited = [String: [String]]()
            for p in a["privileges"]?.array ?? [] {
                if let s = p.string {
                    direct.append(s)
                } else if let s = p["privilege"]?.string {
                    if let from = p["inherited_from_name"]?.string {
                        inherited[from, default: []].append(s)
                    } else {
                        direct.append(s)
                    }
                }
            }
            if !direct.isEmpty {
                grants.append(
                    UCGrant(
                        securableType: type, securable: name.lowercased(), principal: principal, privileges: direct,
                        inheritedFrom: nil, source: path))
            }
            for (from, privs) in inherited.sorted(by: { $0.key < $1.key }) {
                grants.append(
                    UCGrant(
                        securableType: type, securable: name.lowercased(), principal: principal, privileges: privs,
                        inheritedFrom: from.lowercased(), source: path))
            }
        }
        return []
    }

    mutating func mergeClusters(_ list: [JSON]) -> [String] {
        var problems = [String]()
        for (i, c) in list.enumerated() {
            guard let id = c["cluster_id"]?.string else {
                problems.append("cluster \(i + 1) has no cluster_id; skipped")
                continue
            }
            clusters[id] = DatabricksCluster(
                id: id, name: c["cluster_name"]?.string,
                instanceProfileArn: c["aws_attributes"]?["instance_profile_arn"]?.string,
                dataSecurityMode: c["data_security_mode"]?.string, singleUserName: c["single_user_name"]?.string,
                policyId: c["policy_id"]?.string, creator: c["creator_user_name"]?.string,
                initScripts: (c["init_scripts"]?.array ?? []).compactMap { s in
                    s.object?.values.compactMap { $0["destination"]?.string }.first
                })
        }
        return problems
    }

    /// `GET /api/2.1/jobs/list` (with or without expanded settings).
    mutating func mergeJobs(_ list: [JSON]) -> [String] {
        var problems = [String]()
        for (i, j) in list.enumerated() {
            guard let id = j["job_id"]?.string else {
                problems.append("job \(i + 1) has no job_id; skipped")
                continue
            }
            let runAs =
                j["settings"]?["run_as"]?["service_principal_name"]?.string ?? j["settings"]?["run_as"]?["user_name"]?
                .string
                ?? j["run_as_user_name"]?.string
            jobs[id] = DatabricksJob(
                id: id, name: j["settings"]?["name"]?.string, runAs: runAs, creator: j["creator_user_name"]?.string)
        }
        return problems
    }

    mutating func mergeClusterPolicies(_ list: [JSON]) -> [String] {
        var problems = [String]()
        for p in list {
            guard let id = p["policy_id"]?.string else { continue }
            var def: JSON?
            if let text = p["definition"]?.string {
                do { def = try JSON.parse(text: text) } catch {
                    problems.append("cluster policy \(id): definition is not JSON")
                }
            }
            clusterPolicies[id] = ClusterPolicy(id: id, name: p["name"]?.string ?? id, definition: def)
        }
        return problems
    }

    mutating func mergeSecurables(_ list: [JSON], type: String) {
        for s in list {
            guard let name = (s["full_name"] ?? s["name"])?.string else { continue }
            let key = "\(type):\(name.lowercased())"
            var securable = UCSecurable(
                type: type, fullName: name.lowercased(), owner: s["owner"]?.string,
                storageLocation: s["storage_location"]?.string ?? s["url"]?.string,
                roleArn: s["aws_iam_role"]?["role_arn"]?.string,
                credentialName: s["credential_name"]?.string?.lowercased())
            // Unity Catalog's fine-grained controls, as GET /api/2.1/unity-catalog/tables returns them.
            securable.rowFilter = s["row_filter"]?["function_name"]?.string ?? s["row_filter"]?["name"]?.string
            for c in s["columns"]?.array ?? [] {
                if let column = c["name"]?.string, let f = c["mask"]?["function_name"]?.string {
                    securable.columnMasks[column.lowercased()] = f
                }
            }
            securables[key] = securable
        }
    }
}

extension String {
    func trimmingSuffix(_ s: String) -> String { hasSuffix(s) ? String(dropLast(s.count)) : self }
}
