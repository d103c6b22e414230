import CrossTrailModel

/// OCSF 1.1 JSONL: API Activity (class 6003) for API calls, Authentication (class 3002) for
/// console and Databricks logins.
public struct OCSFRenderer: TimelineRenderer {
    public static let identifier = "ocsf"
    public init() {}

    static let loginActions: Set<String> = [
        "ConsoleLogin", "login", "tokenLogin", "samlLogin", "oidcBrowserLogin", "aadBrowserLogin", "aadTokenLogin",
        "jwtLogin", "mfaLogin", "passwordVerifyAuthentication", "certLogin", "oidcTokenAuthorization", "databricksOAuthLogin",
    ]

    /// OCSF activity_id for API Activity: 1 Create, 2 Read, 3 Update, 4 Delete, 99 Other.
    static func apiActivity(_ action: String) -> (Int, String) {
        let a = action.lowercased()
        func has(_ prefixes: [String]) -> Bool { prefixes.contains { a.hasPrefix($0) } }
        if has(["create", "put", "run", "start", "add", "generate", "register", "import", "upload", "submit", "issue", "copy"]) { return (1, "Create") }
        if has(["get", "list", "describe", "lookup", "head", "read", "search", "download", "select", "export", "fetch", "view", "check"]) { return (2, "Read") }
        if has(["update", "modify", "edit", "change", "set", "attach", "detach", "enable", "disable", "associate", "replace", "restart", "resize", "grant", "revoke", "stop", "reset", "rotate", "tag", "untag", "change"]) { return (3, "Update") }
        if has(["delete", "remove", "terminate", "destroy", "purge", "drop", "schedulekeydeletion", "permanentdelete"]) { return (4, "Delete") }
        return (99, "Other")
    }

    public func render(_ e: AuditEvent, into out: inout [UInt8]) {
        let isAuth = OCSFRenderer.loginActions.contains(e.action) && (e.service == "signin" || e.service == "accounts" || e.plane == .databricks)
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
        // metadata
        o.key("metadata", &out)
        out.append(123)
        var m = JSONObjectWriter()
        m.string("version", "1.1.0", &out)
        m.string("uid", e.id, &out)
        m.string("correlation_uid", e.requestId, &out)
        m.key("product", &out)
        out.append(123)
        var p = JSONObjectWriter()
        p.string("name", e.plane == .aws ? "CloudTrail" : "Databricks Audit Logs", &out)
        p.string("vendor_name", e.plane == .aws ? "AWS" : "Databricks", &out)
        out.append(125)
        m.string("log_name", e.format.rawValue, &out)
        m.string("original_time", e.time.iso8601, &out)
        out.append(125)
        // actor
        o.key("actor", &out)
        out.append(123)
        var a = JSONObjectWriter()
        a.key("user", &out)
        OCSFRenderer.user(e.actor, &out)
        if e.actor.sessionIssuer != nil || e.actor.mfa != nil {
            a.key("session", &out)
            out.append(123)
            var s = JSONObjectWriter()
            s.string("issuer", e.actor.sessionIssuer, &out)
            s.bool("is_mfa", e.actor.mfa, &out)
            s.string("uid", e.actor.sessionName, &out)
            out.append(125)
        }
        a.string("invoked_by", e.actor.runAs, &out)
        out.append(125)
        if isAuth {
            o.key("user", &out)
            OCSFRenderer.user(e.actor, &out)
            o.bool("is_mfa", e.actor.mfa, &out)
        }
        // api
        o.key("api", &out)
        out.append(123)
        var api = JSONObjectWriter()
        api.string("operation", e.action, &out)
        api.key("service", &out)
        out.append(123)
        var sv = JSONObjectWriter()
        sv.string("name", e.service, &out)
        out.append(125)
        if let rid = e.requestId {
            api.key("request", &out)
            out.append(123)
            var rq = JSONObjectWriter()
            rq.string("uid", rid, &out)
            out.append(125)
        }
        out.append(125)
        o.key("src_endpoint", &out)
        out.append(123)
        var src = JSONObjectWriter()
        src.string("ip", e.sourceIPAddress, &out)
        src.string("svc_name", e.vpcEndpointId, &out)
        out.append(125)
        if let ua = e.userAgent {
            o.key("http_request", &out)
            out.append(123)
            var h = JSONObjectWriter()
            h.string("user_agent", ua, &out)
            out.append(125)
        }
        o.key("cloud", &out)
        out.append(123)
        var c = JSONObjectWriter()
        c.string("provider", e.plane == .aws ? "AWS" : "Databricks", &out)
        c.string("region", e.region, &out)
        if let acct = e.account {
            c.key("account", &out)
            out.append(123)
            var ac = JSONObjectWriter()
            ac.string("uid", acct, &out)
            out.append(125)
        }
        out.append(125)
        if !e.resources.isEmpty {
            o.key("resources", &out)
            out.append(91)
            for (i, r) in e.resources.enumerated() {
                if i > 0 { out.append(44) }
                out.append(123)
                var ro = JSONObjectWriter()
                ro.string("type", r.type, &out)
                ro.string("uid", r.id, &out)
                out.append(125)
            }
            out.append(93)
        }
        o.key("unmapped", &out)
        out.append(123)
        var u = JSONObjectWriter()
        u.string("workspace", e.workspace, &out)
        u.key("source", &out)
        JSONLRenderer.provenance(e.provenance, &out)
        out.append(125)
    }

    static func user(_ a: Actor, _ out: inout [UInt8]) {
        out.append(123)
        var w = JSONObjectWriter()
        w.string("uid", a.key, &out)
        w.string("name", a.displayName, &out)
        w.string("type", a.kind.rawValue, &out)
        w.string("email_addr", a.email, &out)
        w.string("credential_uid", a.accessKeyId, &out)
        if let acct = a.accountId {
            w.key("account", &out)
            out.append(123)
            var ac = JSONObjectWriter()
            ac.string("uid", acct, &out)
            out.append(125)
        }
        out.append(125)
    }

    public func finish(shared: SharedID?, into out: inout [UInt8]) {
        JSONLRenderer().finish(shared: shared, into: &out)
    }
}
