import CrossTrailModel

#if canImport(Glibc)
    import Glibc
#endif

/// Databricks audit log delivery (JSON lines with `serviceName` and `actionName`, epoch-millisecond
/// `timestamp`).
enum DatabricksDeliveryRecord: RecordFormat {
    static func recognizes(_ v: JSONValue, container: SourceFormat?) -> Bool {
        v["serviceName"] != nil && v["actionName"] != nil
    }

    static func normalize(
        _ v: JSONValue, provenance: Provenance, container: SourceFormat?,
        with n: Normalizer
    ) -> Normalizer.Result {
        n.databricksDelivery(v, provenance: provenance)
    }
}

extension Normalizer {
    func databricksDelivery(_ v: JSONValue, provenance: Provenance) -> Result {
        guard let tv = v["timestamp"] else { return .rejected("no timestamp") }
        let time: Timestamp
        switch eventTime(tv, field: "timestamp", epochMillis: true) {
        case .time(let t): time = t
        case .rejected(let why): return .rejected(why)
        }
        guard filter.matchesTime(time), filter.matchesPlane(.databricks) else { return .filtered }
        let identity = v["userIdentity"]
        let actor = actors.actor(identity, keys: ["email", "subjectName"]) {
            databricksActor(
                email: identity?["email"]?.string, subject: identity?["subjectName"]?.string, runAs: nil, runBy: nil)
        }
        guard filter.matchesActor(actor) else { return .filtered }
        let response = v["response"]
        let requestId = v["requestId"]?.string
        var e = AuditEvent(
            id: requestId ?? Normalizer.contentID(v), time: time, plane: .databricks,
            service: strings.string(v["serviceName"]) ?? "unknown",
            action: strings.string(v["actionName"]) ?? "unknown",
            outcome: databricksOutcome(
                code: response?["statusCode"]?.int64, message: response?["errorMessage"]?.string),
            actor: actor, format: .databricksDelivery, provenance: provenance)
        e.sourceIPAddress = v["sourceIPAddress"]?.string
        if detail.contains(.userAgent) { e.userAgent = strings.string(v["userAgent"]) }
        if detail.contains(.location) {
            e.workspace = strings.string(v["workspaceId"])
            e.account = strings.string(v["accountId"])
        }
        if detail.contains(.request) {
            e.requestId = requestId
            e.eventType = strings.string(v["auditLevel"])
        }
        let (params, resources) = databricksParams(v["requestParams"])
        e.resources = resources
        e.requestParameters = params
        return .event(e)
    }
}
