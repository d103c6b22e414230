import CrossTrailIngest
import CrossTrailModel

/// The OCSF class an audit event belongs to, with what that class requires. An event goes to a
/// specific class only when the log names everything the class requires (the user an account
/// change is about, the group a membership change is about, the bucket an object read is on);
/// otherwise it stays API Activity, which every API call is.
enum OCSFEventClass {
    /// Authentication (3002): console, SSO and token logins, logouts.
    case authentication(Activity, protocol: Activity?)
    /// Account Change (3001): an IAM or Databricks user created, deleted, enabled, given a policy…
    case accountChange(Activity, user: String, policy: String?)
    /// Group Management (3006): membership and the group's own lifecycle and policies.
    case groupManagement(Activity, group: String, user: String?, privileges: [String])
    /// User Access Management (3005): privileges assigned to or revoked from one principal.
    case userAccess(Activity, user: String, privileges: [String], resource: Resource?)
    /// Datastore Activity (6005): reads and writes of S3 objects and Unity Catalog tables.
    case datastore(Activity, bucket: String?, table: String?)
    /// API Activity (6003): everything else.
    case api(Activity)

    struct Activity {
        var id: Int64
        var name: String
        init(_ id: Int64, _ name: String) {
            self.id = id
            self.name = name
        }
    }

    var activity: Activity {
        switch self {
        case .authentication(let a, _), .accountChange(let a, _, _), .groupManagement(let a, _, _, _),
            .userAccess(let a, _, _, _), .datastore(let a, _, _), .api(let a):
            a
        }
    }

    /// class_uid, class_name, category_uid, category_name.
    var classInfo: (uid: Int64, name: String, category: Int64, categoryName: String) {
        switch self {
        case .authentication: (3002, "Authentication", 3, "Identity & Access Management")
        case .accountChange: (3001, "Account Change", 3, "Identity & Access Management")
        case .groupManagement: (3006, "Group Management", 3, "Identity & Access Management")
        case .userAccess: (3005, "User Access Management", 3, "Identity & Access Management")
        case .datastore: (6005, "Datastore Activity", 6, "Application Activity")
        case .api: (6003, "API Activity", 6, "Application Activity")
        }
    }

    /// Logins on either plane (Databricks `accounts` actions and AWS sign-in).
    static let loginActions: Set<String> = [
        "ConsoleLogin", "login", "tokenLogin", "samlLogin", "oidcBrowserLogin", "aadBrowserLogin", "aadTokenLogin",
        "jwtLogin", "mfaLogin", "passwordVerifyAuthentication", "certLogin", "oidcTokenAuthorization",
        "databricksOAuthLogin",
    ]

    static func of(_ e: AuditEvent) -> OCSFEventClass {
        let signIn = e.service == "signin" || e.service == "accounts" || e.plane == .databricks
        if signIn, loginActions.contains(e.action) {
            return .authentication(Activity(1, "Logon"), protocol: authProtocol(e.action))
        }
        if signIn, e.action == "logout" { return .authentication(Activity(2, "Logoff"), protocol: nil) }
        let specific: OCSFEventClass? =
            switch e.plane {
            case .aws: e.service == "iam" ? iam(e) : (e.service == "s3" ? s3(e) : nil)
            case .databricks: databricks(e)
            }
        return specific ?? .api(apiActivity(e.action))
    }

    static func authProtocol(_ action: String) -> Activity? {
        switch action {
        case "samlLogin": Activity(5, "SAML")
        case "oidcBrowserLogin", "oidcTokenAuthorization": Activity(4, "OpenID")
        case "aadBrowserLogin", "aadTokenLogin", "databricksOAuthLogin": Activity(6, "OAUTH 2.0")
        default: nil
        }
    }

    // MARK: AWS

    static func iam(_ e: AuditEvent) -> OCSFEventClass? {
        let user = e.resources.first { $0.type == "iamUser" && !$0.id.isEmpty }?.id
        let group = e.resources.first { $0.type == "iamGroup" && !$0.id.isEmpty }?.id
        let policy = e.resources.first { $0.type == "arn" && $0.id.contains(":policy/") }?.id
        if let group {
            let change: Activity? =
                switch e.action {
                case "AddUserToGroup": Activity(3, "Add User")
                case "RemoveUserFromGroup": Activity(4, "Remove User")
                case "CreateGroup": Activity(6, "Create")
                case "DeleteGroup": Activity(5, "Delete")
                case "AttachGroupPolicy", "PutGroupPolicy": Activity(1, "Assign Privileges")
                case "DetachGroupPolicy", "DeleteGroupPolicy": Activity(2, "Revoke Privileges")
                default: nil
                }
            if let change {
                return .groupManagement(change, group: group, user: user, privileges: policy.map { [$0] } ?? [])
            }
        }
        // ChangePassword names no user: the caller changes its own.
        let target = e.action == "ChangePassword" && !e.actor.displayName.isEmpty ? e.actor.displayName : user
        guard let target else { return nil }
        let change: Activity? =
            switch e.action {
            case "CreateUser": Activity(1, "Create")
            case "DeleteUser": Activity(6, "Delete")
            case "ChangePassword": Activity(3, "Password Change")
            case "UpdateLoginProfile": Activity(4, "Password Reset")
            case "AttachUserPolicy", "PutUserPolicy": Activity(7, "Attach Policy")
            case "DetachUserPolicy", "DeleteUserPolicy": Activity(8, "Detach Policy")
            case "EnableMFADevice": Activity(10, "MFA Factor Enable")
            case "DeactivateMFADevice": Activity(11, "MFA Factor Disable")
            // Credentials and console access: account changes OCSF has no activity for.
            case "CreateAccessKey", "UpdateAccessKey", "DeleteAccessKey", "CreateLoginProfile", "DeleteLoginProfile",
                "UpdateUser", "TagUser", "UntagUser", "PutUserPermissionsBoundary", "DeleteUserPermissionsBoundary":
                Activity(99, e.action)
            default: nil
            }
        return change.map { .accountChange($0, user: target, policy: policy) }
    }

    static func s3(_ e: AuditEvent) -> OCSFEventClass? {
        let activity: Activity? =
            switch e.action {
            case "GetObject", "HeadObject", "SelectObjectContent", "GetObjectAttributes": Activity(1, "Read")
            case "PutObject", "CopyObject", "CompleteMultipartUpload", "UploadPart", "UploadPartCopy",
                "RestoreObject":
                Activity(5, "Write")
            case "DeleteObject", "DeleteObjects": Activity(7, "Delete")
            case "ListObjects", "ListObjectsV2", "ListObjectVersions": Activity(8, "List")
            default: nil
            }
        guard let activity else { return nil }
        var bucket: String?
        for r in e.resources {
            switch r.type {
            case "s3Bucket": bucket = r.id
            case "s3Object": bucket = bucket ?? r.id.split(separator: "/", maxSplits: 1).first.map(String.init)
            case "AWS::S3::Bucket":
                bucket = bucket ?? r.id.split(separator: ":", omittingEmptySubsequences: false).last.map(String.init)
            default: break
            }
        }
        guard let bucket, !bucket.isEmpty else { return nil }
        return .datastore(activity, bucket: bucket, table: nil)
    }

    // MARK: Databricks

    static func databricks(_ e: AuditEvent) -> OCSFEventClass? {
        switch e.service {
        case "accounts": accounts(e)
        case "unityCatalog": unityCatalog(e)
        default: nil
        }
    }

    static func params(_ e: AuditEvent) -> JSON? {
        guard let text = e.requestParameters, let p = try? JSON.parse(text: text) else { return nil }
        return p
    }

    static func accounts(_ e: AuditEvent) -> OCSFEventClass? {
        let p = params(e)
        let user = p?["targetUserName"]?.string.flatMap { $0.isEmpty ? nil : $0 }
        let group = p?["targetGroupName"]?.string.flatMap { $0.isEmpty ? nil : $0 }
        switch e.action {
        case "add", "createUser":
            return user.map { .accountChange(Activity(1, "Create"), user: $0, policy: nil) }
        case "delete", "deleteUser":
            return user.map { .accountChange(Activity(6, "Delete"), user: $0, policy: nil) }
        case "activateUser":
            return user.map { .accountChange(Activity(2, "Enable"), user: $0, policy: nil) }
        case "deactivateUser":
            return user.map { .accountChange(Activity(5, "Disable"), user: $0, policy: nil) }
        case "setAdmin":
            return user.map {
                .userAccess(Activity(1, "Assign Privileges"), user: $0, privileges: ["admin"], resource: nil)
            }
        case "removeAdmin":
            return user.map {
                .userAccess(Activity(2, "Revoke Privileges"), user: $0, privileges: ["admin"], resource: nil)
            }
        case "addPrincipalToGroup":
            return group.map { .groupManagement(Activity(3, "Add User"), group: $0, user: user, privileges: []) }
        case "removePrincipalFromGroup":
            return group.map { .groupManagement(Activity(4, "Remove User"), group: $0, user: user, privileges: []) }
        case "createGroup":
            return group.map { .groupManagement(Activity(6, "Create"), group: $0, user: nil, privileges: []) }
        case "removeGroup":
            return group.map { .groupManagement(Activity(5, "Delete"), group: $0, user: nil, privileges: []) }
        default:
            return nil
        }
    }

    static func unityCatalog(_ e: AuditEvent) -> OCSFEventClass? {
        let p = params(e)
        switch e.action {
        case "updatePermissions":
            // One principal gaining or losing privileges is User Access Management; a mixed change
            // (several principals, or adds and removes together) stays API Activity.
            var changes = p?["changes"]
            if let text = changes?.string { changes = try? JSON.parse(text: text) }
            guard let list = changes?.array, list.count == 1, let principal = list[0]["principal"]?.string,
                !principal.isEmpty
            else { return nil }
            let add = list[0]["add"]?.strings ?? [], remove = list[0]["remove"]?.strings ?? []
            let securable = e.resources.first { $0.type == "securable" }
            if !add.isEmpty, remove.isEmpty {
                return .userAccess(
                    Activity(1, "Assign Privileges"), user: principal, privileges: add, resource: securable)
            }
            if add.isEmpty, !remove.isEmpty {
                return .userAccess(
                    Activity(2, "Revoke Privileges"), user: principal, privileges: remove, resource: securable)
            }
            return nil
        case "generateTemporaryTableCredential":
            // The credential to read or write a table's files: the data access itself.
            guard let table = p?["table_full_name"]?.string ?? p?["table_id"]?.string else { return nil }
            let write = (p?["operation"]?.string ?? "").uppercased().contains("WRITE")
            return .datastore(write ? Activity(5, "Write") : Activity(1, "Read"), bucket: nil, table: table)
        default:
            return nil
        }
    }

    /// OCSF activity_id for API Activity: 1 Create, 2 Read, 3 Update, 4 Delete, 99 Other.
    static func apiActivity(_ action: String) -> Activity {
        let a = action.lowercased()
        func has(_ prefixes: [String]) -> Bool { prefixes.contains { a.hasPrefix($0) } }
        if has([
            "create", "put", "run", "start", "add", "generate", "register", "import", "upload", "submit", "issue",
            "copy",
        ]) {
            return Activity(1, "Create")
        }
        if has([
            "get", "list", "describe", "lookup", "head", "read", "search", "download", "select", "export", "fetch",
            "view", "check",
        ]) {
            return Activity(2, "Read")
        }
        if has([
            "update", "modify", "edit", "change", "set", "attach", "detach", "enable", "disable", "associate",
            "replace", "restart", "resize", "grant", "revoke", "stop", "reset", "rotate", "tag", "untag",
        ]) {
            return Activity(3, "Update")
        }
        if has(["delete", "remove", "terminate", "destroy", "purge", "drop", "schedulekeydeletion", "permanentdelete"])
        {
            return Activity(4, "Delete")
        }
        return Activity(99, "Other")
    }
}
