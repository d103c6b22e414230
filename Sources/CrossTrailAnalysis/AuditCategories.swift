import CrossTrailModel

/// The kinds of audit events that logging requirements name (PCI DSS 10.2.1.x and their
/// counterparts in SOC 2, ISO 27001 and NIST AU-2). Counting them per period shows an auditor
/// that each required kind of event is in fact recorded.
public enum AuditCategory: String, Sendable, CaseIterable, Codable {
    case classifiedDataAccess = "classified-data-access"
    case administrativeAction = "administrative-action"
    case auditLogAccess = "audit-log-access"
    case failedAccess = "failed-access"
    case credentialChange = "credential-change"
    case auditLogChange = "audit-log-change"
    case systemObjectChange = "system-object-change"

    public var title: String {
        switch self {
        case .classifiedDataAccess: "Access to classified data"
        case .administrativeAction: "Actions taken with administrative privileges"
        case .auditLogAccess: "Access to audit logs"
        case .failedAccess: "Invalid or denied access attempts"
        case .credentialChange: "Changes to credentials and authentication"
        case .auditLogChange: "Audit logging started, stopped or changed"
        case .systemObjectChange: "System-level objects created or deleted"
        }
    }

    private static let credentialActions: Set<String> = [
        "CreateAccessKey", "UpdateAccessKey", "DeleteAccessKey", "CreateLoginProfile", "UpdateLoginProfile",
        "DeleteLoginProfile",
        "ChangePassword", "EnableMFADevice", "DeactivateMFADevice", "CreateVirtualMFADevice", "DeleteVirtualMFADevice",
        "ResyncMFADevice", "UploadSSHPublicKey", "CreateServiceSpecificCredential", "ResetServiceSpecificCredential",
        "generateDbToken", "revokeDbToken", "createToken", "revokeToken", "changePassword", "resetPassword",
        "putSecret", "deleteSecret", "createOAuthSecret", "deleteOAuthSecret",
    ]
    private static let auditLogActions: Set<String> = [
        "StopLogging", "StartLogging", "DeleteTrail", "UpdateTrail", "CreateTrail", "PutEventSelectors",
        "PutInsightSelectors",
        "DeleteEventDataStore", "UpdateEventDataStore",
    ]
    private static let databricksAdminServices: Set<String> = [
        "accounts", "accountsManager", "workspace", "permissions", "unityCatalog", "iamRole",
    ]
    private static let databricksAdminActions: Set<String> = [
        "setAdmin", "setAccountAdmin", "addPrincipalToGroup", "removePrincipalFromGroup", "workspaceConfEdit",
        "changePermissions",
        "changeClusterAcl", "changeJobAcl", "updatePermissions", "createGroup", "removeGroup", "createUser",
        "deleteUser", "add", "delete",
        "createMetastoreAssignment", "updateMetastore", "updateWorkspace", "createLogDeliveryConfiguration",
        "updateLogDeliveryConfiguration",
    ]

    /// The categories an event belongs to (most events belong to none). Classified-data access is
    /// decided by the classification, so the caller passes it.
    public static func of(_ e: AuditEvent, classified: Bool) -> [AuditCategory] {
        var out: [AuditCategory] = []
        let action = e.action
        if classified { out.append(.classifiedDataAccess) }
        if e.outcome.status == .failure {
            let code = (e.outcome.errorCode ?? "").lowercased()
            if code.contains("denied") || code.contains("unauthorized") || code.contains("forbidden")
                || code.contains("401")
                || code.contains("403") || action == "ConsoleLogin" || action == "login" || action.hasSuffix("Login")
            {
                out.append(.failedAccess)
            }
        }
        if credentialActions.contains(action) { out.append(.credentialChange) }
        if e.plane == .aws {
            if e.service == "cloudtrail" {
                if auditLogActions.contains(action) {
                    out.append(.auditLogChange)
                } else if e.readOnly != false {
                    out.append(.auditLogAccess)
                }
            } else if e.service == "s3", action == "GetObject" || action == "ListObjects" || action == "ListObjectsV2",
                e.resources.contains(where: { $0.id.contains("/AWSLogs/") || $0.id.contains("CloudTrail") })
            {
                out.append(.auditLogAccess)
            }
            if e.actor.kind == .root || (e.service == "iam" && e.readOnly == false) {
                out.append(.administrativeAction)
            }
            if e.readOnly == false,
                action.hasPrefix("Create") || action.hasPrefix("Delete") || action == "RunInstances"
                    || action == "TerminateInstances"
                    || action == "ScheduleKeyDeletion" || action == "DisableKey"
            {
                out.append(.systemObjectChange)
            }
        } else {
            if databricksAdminServices.contains(e.service) && databricksAdminActions.contains(action) {
                out.append(.administrativeAction)
            }
            if e.service == "accountsManager" && action.lowercased().contains("logdelivery")
                || e.service == "workspace" && action == "workspaceConfEdit"
                    && (e.requestParameters ?? "").contains("Audit")
            {
                out.append(.auditLogChange)
            }
            if e.service == "clusters" && ["create", "permanentDelete", "delete"].contains(action)
                || e.service == "unityCatalog" && (action.hasPrefix("create") || action.hasPrefix("delete"))
            {
                out.append(.systemObjectChange)
            }
        }
        return out
    }
}
