import CrossTrailModel

#if canImport(Glibc)
    import Glibc
#endif

/// Rows of Databricks `system.access.audit` (JSON lines or CSV exports with `action_name`,
/// `service_name`, `event_time`).
enum DatabricksSystemTableRecord: RecordFormat {
    static func recognizes(_ v: JSONValue, container: SourceFormat?) -> Bool {
        v["action_name"] != nil || v["service_name"] != nil
    }

    static func normalize(
        _ v: JSONValue, provenance: Provenance, container: SourceFormat?,
        with n: Normalizer
    ) -> Normalizer.Result {
        n.databricksSystemTable(v, provenance: provenance)
    }
}

extension Normalizer {
    func databricksSystemTable(_ v: JSONValue, provenance: Provenance) -> Result {
        guard let tv = v["event_time"] else { return .rejected("no event_time") }
        let time: Timestamp
        switch eventTime(tv, field: "event_time", epochMillis: true) {
        case .time(let t): time = t
        case .rejected(let why): return .rejected(why)
        }
        guard filter.matchesTime(time), filter.matchesPlane(.databricks) else { return .filtered }
        // user_identity / identity_metadata / response may be objects or JSON text (CSV exports).
        var email: String?, subject: String?, runAs: String?, runBy: String?
        withObject(v["user_identity"]) { u in
            email = u["email"]?.string
            subject = u["subject_name"]?.string ?? u["subjectName"]?.string
        }
        withObject(v["identity_metadata"]) { m in
            runAs = m["run_as"]?.string
            runBy = m["run_by"]?.string
        }
        let actor = databricksActor(email: email, subject: subject, runAs: runAs, runBy: runBy)
        guard filter.matchesActor(actor) else { return .filtered }
        var code: Int64?, message: String?
        withObject(v["response"]) { r in
            code = r["status_code"]?.int64 ?? r["statusCode"]?.int64
            message = r["error_message"]?.string ?? r["errorMessage"]?.string
        }
        let id = v["event_id"]?.string ?? v["request_id"]?.string ?? Normalizer.contentID(v)
        var e = AuditEvent(
            id: id, time: time, plane: .databricks, service: v["service_name"]?.string ?? "unknown",
            action: v["action_name"]?.string ?? "unknown", outcome: databricksOutcome(code: code, message: message),
            actor: actor, format: .databricksSystemTable, provenance: provenance)
        e.sourceIPAddress = v["source_ip_address"]?.string
        e.userAgent = v["user_agent"]?.string
        e.workspace = v["workspace_id"]?.string
        e.account = v["account_id"]?.string
        e.requestId = v["request_id"]?.string
        e.eventType = v["audit_level"]?.string
        let (params, resources) = databricksParams(v["request_params"])
        e.resources = resources
        e.requestParameters = params
        return .event(e)
    }
}
