import CrossTrailModel

/// OCSF 1.1 JSONL: API Activity (class 6003) for API calls, Authentication (class 3002) for
/// console and Databricks logins.
public struct OCSFRenderer: TimelineRenderer {
    public static let identifier = "ocsf"
    public init() {}

    static let loginActions: Set<String> = [
        "ConsoleLogin", "login", "tokenLogin", "samlLogin", "oidcBrowserLogin", "aadBrowserLogin", "aadTokenLogin",
        "jwtLogin", "mfaLogin", "passwordVerifyAuthentication", "certLogin", "oidcTokenAuthorization",
        "databricksOAuthLogin",
    ]

    /// OCSF activity_id for API Activity: 1 Create, 2 Read, 3 Update, 4 Delete, 99 Other.
    static func apiActivity(_ action: String) -> (Int, String) {
        let a = action.lowercased()
        func has(_ prefixes: [String]) -> Bool { prefixes.contains { a.hasPrefix($0) } }
        if has([
            "create", "put", "run", "start", "add", "generate", "register", "import", "upload", "submit", "issue",
            "copy",
        ]) {
            return (1, "Create")
        }
        if has([
            "get", "list", "describe", "lookup", "head", "read", "search", "download", "select", "export", "fetch",
            "view", "check",
        ]) {
            return (2, "Read")
        }
        if has([
            "update", "modify", "edit", "change", "set", "attach", "detach", "enable", "disable", "associate",
            "replace", "restart", "resize", "grant", "revoke", "stop", "reset", "rotate", "tag", "untag", "change",
        ]) {
            return (3, "Update")
        }
        if has(["delete", "remove", "terminate", "destroy", "purge", "drop", "schedulekeydeletion", "permanentdelete"])
        {
            return (4, "Delete")
        }
        return (99, "Other")
    }

    public func render(_ e: AuditEvent, into out: inout [UInt8]) {
        let isAuth =
            OCSFRenderer.loginActions.contains(e.action)
            && (e.service == "signin" || e.service == "accounts" || e.plane == .databricks)
        let classUID = isAuth ? 3002 : 6003
        let (activityID, activityName) = isAuth ? (1, "Logon") : OCSFRenderer.apiActivity(e.action)
        let statusID = e.outcome.status == .success ? 1 : (e.outcome.status == .failure ? 2 : 0)
        out.append(123)
        var o = JSONObjectWriter()
        o.int("class_uid", Int64(classUID), &out)
        o.string("class_name", isAuth ? "Authentication" : "API Activity", &out)
        o.int("category_uid", isAuth ? 3 : 6, &out)
        o.string("category_name", isAuth ? "Identity & Access Management" : "Application Activity", &out)
        o.int("activity_id", Int64(activityID), &out)
        o.string("activity_name", activityName, &out)
        o.int("type_uid", Int64(classUID * 100 + activityID), &out)
        o.int("time", e.time.millis, &out)
        o.key("time_dt", &out); out.append(34); e.time.appendISO8601(to: &out); out.append(34)
        o.int("severity_id", 1, &out)
        o.string("severity", "Informational", &out)
        o.int("status_id", Int64(statusID), &out)
        o.string("status", statusID == 1 ? "Success" : (statusID == 2 ? "Failure" : "Unknown"), &out)
        o.string("status_code", e.outcome.errorCode, &out)
        o.string("status_detail", e.outcome.errorMessage, &out)
        o.object("metadata", &out) { m, out in
            m.string("version", "1.1.0", &out)
            m.string("uid", e.id, &out)
            m.string("correlation_uid", e.requestId, &out)
            m.object("product", &out) { p, out in
                p.string("name", e.plane.logProduct, &out)
                p.string("vendor_name", e.plane.vendor, &out)
            }
            m.string("log_name", e.format.rawValue, &out)
            m.string("original_time", e.time.iso8601, &out)
        }
        o.object("actor", &out) { a, out in
            a.object("user", &out) { u, out in OCSFRenderer.user(e.actor, &u, &out) }
            if e.actor.sessionIssuer != nil || e.actor.mfa != nil {
                a.object("session", &out) { s, out in
                    s.string("issuer", e.actor.sessionIssuer, &out)
                    s.bool("is_mfa", e.actor.mfa, &out)
                    s.string("uid", e.actor.sessionName, &out)
                }
            }
            a.string("invoked_by", e.actor.runAs, &out)
        }
        if isAuth {
            o.object("user", &out) { u, out in OCSFRenderer.user(e.actor, &u, &out) }
            o.bool("is_mfa", e.actor.mfa, &out)
        }
        o.object("api", &out) { api, out in
            api.string("operation", e.action, &out)
            api.object("service", &out) { sv, out in sv.string("name", e.service, &out) }
            if let rid = e.requestId { api.object("request", &out) { rq, out in rq.string("uid", rid, &out) } }
        }
        o.object("src_endpoint", &out) { src, out in
            src.string("ip", e.sourceIPAddress, &out)
            src.string("svc_name", e.vpcEndpointId, &out)
        }
        if let ua = e.userAgent { o.object("http_request", &out) { h, out in h.string("user_agent", ua, &out) } }
        o.object("cloud", &out) { c, out in
            c.string("provider", e.plane.vendor, &out)
            c.string("region", e.region, &out)
            if let acct = e.account { c.object("account", &out) { ac, out in ac.string("uid", acct, &out) } }
        }
        if !e.resources.isEmpty { o.resources("resources", e.resources, idKey: "uid", &out) }
        o.object("unmapped", &out) { u, out in
            u.string("workspace", e.workspace, &out)
            u.key("source", &out)
            JSONLRenderer.provenance(e.provenance, &out)
        }
    }

    /// OCSF User object fields.
    static func user(_ a: Actor, _ w: inout JSONObjectWriter, _ out: inout [UInt8]) {
        w.string("uid", a.key, &out)
        w.string("name", a.displayName, &out)
        w.string("type", a.kind.rawValue, &out)
        w.string("email_addr", a.email, &out)
        w.string("credential_uid", a.accessKeyId, &out)
        if let acct = a.accountId { w.object("account", &out) { ac, out in ac.string("uid", acct, &out) } }
    }

    public func finish(shared: SharedID?, into out: inout [UInt8]) {
        JSONLRenderer().finish(shared: shared, into: &out)
    }
}
