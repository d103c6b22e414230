import CrossTrailIngest

/// A Databricks user, group or service principal from the SCIM API.
public struct DatabricksPrincipal: Sendable, Hashable {
    public enum Kind: String, Sendable, Codable { case user, group, servicePrincipal = "service-principal" }

    public var kind: Kind
    public var id: String
    /// userName (an email) for users, displayName for groups, applicationId for service principals.
    public var name: String
    public var displayName: String?
    public var emails: [String] = []
    /// Direct group ids (SCIM `groups`).
    public var groupIds: [String] = []
    /// Groups: member ids (users, service principals and nested groups).
    public var memberIds: [String] = []
    /// Instance profile ARNs granted through SCIM `roles`.
    public var instanceProfiles: [String] = []
    public var entitlements: [String] = []
    public var active = true
}

/// One principal's permission on a workspace object (`/api/2.0/permissions/...`).
public struct ACLEntry: Sendable, Hashable {
    public var principalKind: DatabricksPrincipal.Kind
    public var principal: String
    public var level: String
    public var inherited: Bool
    public var inheritedFrom: [String]
}

public struct ObjectACL: Sendable, Hashable {
    /// cluster, job, warehouse, notebook, directory, secret-scope, token, cluster-policy, ...
    public var objectType: String
    /// The id in the object path (`/clusters/<id>` → `<id>`).
    public var objectId: String
    public var entries: [ACLEntry]
    public var source: String
}

/// Unity Catalog privileges held by one principal on one securable.
public struct UCGrant: Sendable, Hashable {
    public var securableType: String
    public var securable: String
    public var principal: String
    public var privileges: [String]
    /// Effective-permissions exports name where an inherited privilege comes from.
    public var inheritedFrom: String?
    public var source: String
}

public struct DatabricksCluster: Sendable, Hashable {
    public var id: String
    public var name: String?
    public var instanceProfileArn: String?
    /// NONE, SINGLE_USER, USER_ISOLATION, LEGACY_* (absent = no isolation).
    public var dataSecurityMode: String?
    public var singleUserName: String?
    public var policyId: String?
    public var creator: String?
    public var initScripts: [String] = []

    /// Whether every user who can attach shares the node's instance-profile credentials.
    public var sharesCredentialsWithAttachers: Bool {
        switch (dataSecurityMode ?? "NONE").uppercased() {
        case "SINGLE_USER", "USER_ISOLATION": return false
        default: return true
        }
    }
}

/// A job and the identity its runs use.
public struct DatabricksJob: Sendable, Hashable {
    public var id: String
    public var name: String?
    /// `run_as` service principal application id or user name (absent: the owner).
    public var runAs: String?
    public var creator: String?
}

public struct ClusterPolicy: Sendable, Hashable {
    public var id: String
    public var name: String
    /// The policy's definition (a JSON document of attribute rules).
    public var definition: JSON?
}

/// Unity Catalog securable metadata: owner and (tables) storage location.
public struct UCSecurable: Sendable, Hashable {
    public var type: String
    public var fullName: String
    public var owner: String?
    public var storageLocation: String?
    /// Storage credentials: the IAM role Unity Catalog assumes for it.
    public var roleArn: String?
    /// External locations: the storage credential they use.
    public var credentialName: String?
    /// Tables: the row filter function (`row_filter.function_name`).
    public var rowFilter: String?
    /// Tables: column (lowercased) → its mask function (`columns[].mask.function_name`).
    public var columnMasks: [String: String] = [:]

    /// The classified columns a mask covers, and those it does not (`columns` lowercased).
    public func masking(_ columns: [String]) -> (masked: [String], unmasked: [String]) {
        let lower = columns.map { $0.lowercased() }
        return (lower.filter { columnMasks[$0] != nil }, lower.filter { columnMasks[$0] == nil })
    }

    /// Every classified column is masked: readers see what the mask functions let them (the
    /// functions' logic is not evaluated offline). False when the class names no column.
    public func masksAll(_ columns: [String]) -> Bool { !columns.isEmpty && masking(columns).unmasked.isEmpty }

    /// "column mask f on email; row filter g", for evidence; nil without either.
    public var protectionText: String? {
        var parts = Dictionary(grouping: columnMasks.keys.sorted(), by: { columnMasks[$0]! }).sorted { $0.key < $1.key }
            .map { "column mask \($0.key) on \($0.value.joined(separator: ", "))" }
        if let rowFilter { parts.append("row filter \(rowFilter)") }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }
}

/// The Databricks side of the inventory.
public struct DatabricksInventory: Sendable {
    public internal(set) var principals: [String: DatabricksPrincipal] = [:]
    public internal(set) var acls: [ObjectACL] = []
    public internal(set) var grants: [UCGrant] = []
    public internal(set) var clusters: [String: DatabricksCluster] = [:]
    public internal(set) var clusterPolicies: [String: ClusterPolicy] = [:]
    public internal(set) var jobs: [String: DatabricksJob] = [:]
    public internal(set) var instanceProfiles: Set<String> = []
    public internal(set) var securables: [String: UCSecurable] = [:]
    /// Principal id → ids of every group it is in, directly or through nested groups.
    private var closure: [String: [String]] = [:]
    /// Group name → ids of its (transitive) user and service principal members.
    private var membersByGroup: [String: [String]] = [:]
    /// Lowercased userName, email, group or application name → principal id (lowest id wins).
    private var byName: [String: String] = [:]

    public init() {}

    /// Indexes group membership (both SCIM directions, nesting, cycles); call after the last
    /// principal is added. Lookups before it fall back to walking the groups.
    mutating func finishLoading() {
        var parents = [String: Set<String>]()
        for p in principals.values {
            parents[p.id, default: []].formUnion(p.groupIds)
            if p.kind == .group { for m in p.memberIds { parents[m, default: []].insert(p.id) } }
        }
        closure = [:]
        membersByGroup = [:]
        byName = [:]
        for p in principals.values.sorted(by: { $0.id > $1.id }) {
            byName[p.name.lowercased()] = p.id
            for e in p.emails { byName[e.lowercased()] = p.id }
            if p.kind != .user, let d = p.displayName { byName[d.lowercased()] = p.id }
        }
        for p in principals.values {
            var seen = Set<String>()
            var queue = Array(parents[p.id] ?? [])
            while let id = queue.popLast() {
                guard seen.insert(id).inserted, principals[id] != nil else { continue }
                queue += parents[id] ?? []
            }
            let ids = seen.filter { principals[$0] != nil }.sorted()
            closure[p.id] = ids
            if p.kind != .group && p.active {
                for g in ids { membersByGroup[principals[g]!.name, default: []].append(p.id) }
            }
        }
    }

    public var isEmpty: Bool { principals.isEmpty && acls.isEmpty && grants.isEmpty && clusters.isEmpty }

    public var users: [DatabricksPrincipal] {
        principals.values.filter { $0.kind == .user }.sorted { $0.name < $1.name }
    }
    public var groups: [DatabricksPrincipal] {
        principals.values.filter { $0.kind == .group }.sorted { $0.name < $1.name }
    }

    /// Looks a principal up by SCIM id, userName/email, group name or application id.
    public func principal(named name: String) -> DatabricksPrincipal? {
        if let p = principals[name] { return p }
        let lower = name.lowercased()
        if !byName.isEmpty { return byName[lower].flatMap { principals[$0] } }
        return principals.values.sorted { $0.id < $1.id }.first {
            $0.name.lowercased() == lower || $0.emails.contains { $0.lowercased() == lower }
                || ($0.kind != .user && $0.displayName?.lowercased() == lower)
        }
    }

    /// Groups a principal belongs to, directly or through nested groups (cycles tolerated).
    public func groupClosure(of p: DatabricksPrincipal) -> [DatabricksPrincipal] {
        if let ids = closure[p.id] { return ids.compactMap { principals[$0] }.sorted { $0.name < $1.name } }
        var seen = Set<String>()
        var queue = p.groupIds + principals.values.filter { $0.kind == .group && $0.memberIds.contains(p.id) }.map(\.id)
        var out = [DatabricksPrincipal]()
        while let id = queue.popLast() {
            guard seen.insert(id).inserted, let g = principals[id] else { continue }
            out.append(g)
            queue += g.groupIds + principals.values.filter { $0.kind == .group && $0.memberIds.contains(id) }.map(\.id)
        }
        return out.sorted { $0.name < $1.name }
    }

    /// Users and service principals in a group, through nested groups. The built-in `users` and
    /// `account users` groups hold everyone even when the export lists no members.
    public func members(ofGroup name: String) -> [DatabricksPrincipal] {
        if Self.everyoneGroups.contains(name.lowercased()) {
            return principals.values.filter { $0.kind != .group && $0.active }.sorted { $0.name < $1.name }
        }
        if !closure.isEmpty {
            return (membersByGroup[name] ?? []).compactMap { principals[$0] }.sorted { $0.name < $1.name }
        }
        return principals.values.filter {
            $0.kind != .group && $0.active && groupClosure(of: $0).contains { g in g.name == name }
        }
        .sorted { $0.name < $1.name }
    }

    public static let everyoneGroups: Set<String> = ["users", "account users", "all users"]

    public func isAdmin(_ p: DatabricksPrincipal) -> Bool { groupClosure(of: p).contains { $0.name == "admins" } }

    /// The names a principal can hold a grant or ACL under: itself and its groups.
    public func grantNames(of p: DatabricksPrincipal) -> Set<String> {
        var names: Set<String> = [p.name]
        if let d = p.displayName, p.kind != .user { names.insert(d) }
        for g in groupClosure(of: p) { names.insert(g.name) }
        names.formUnion(Self.everyoneGroups)
        return names
    }
}
