import CrossTrailModel

#if canImport(Glibc)
    import Glibc
#endif

/// Azure Databricks diagnostic logs (`operationName` with `category` or `properties`).
enum DatabricksAzureRecord: RecordFormat {
    static func recognizes(_ v: JSONValue, container: SourceFormat?) -> Bool {
        v["operationName"] != nil && (v["category"] != nil || v["properties"] != nil)
    }

    static func normalize(
        _ v: JSONValue, provenance: Provenance, container: SourceFormat?,
        with n: Normalizer
    ) -> Normalizer.Result {
        n.databricksAzure(v, provenance: provenance)
    }
}

extension Normalizer {
    func databricksAzure(_ v: JSONValue, provenance: Provenance) -> Result {
        guard let tv = v["time"] else { return .rejected("no time") }
        let time: Timestamp
        switch eventTime(tv, field: "time", epochMillis: false) {
        case .time(let t): time = t
        case .rejected(let why): return .rejected(why)
        }
        guard filter.matchesTime(time), filter.matchesPlane(.databricks) else { return .filtered }
        let props = v["properties"]
        var email: String?, subject: String?
        withObject(v["identity"] ?? props?["identity"]) { u in
            email = u["email"]?.string
            subject = u["subjectName"]?.string
        }
        let actor = databricksActor(email: email, subject: subject, runAs: nil, runBy: nil)
        guard filter.matchesActor(actor) else { return .filtered }
        var code: Int64?, message: String?
        withObject(props?["response"]) { r in
            code = r["statusCode"]?.int64
            message = r["errorMessage"]?.string
        }
        if code == nil, let rt = v["resultType"]?.string ?? v["resultSignature"]?.string { code = Int64(rt) }
        let operation = v["operationName"]?.string ?? "unknown"
        let action = props?["actionName"]?.string ?? String(operation.split(separator: "/").last ?? "unknown")
        let service = props?["serviceName"]?.string ?? v["category"]?.string ?? "unknown"
        let requestId = props?["requestId"]?.string
        var e = AuditEvent(
            id: requestId ?? props?["logId"]?.string ?? Normalizer.contentID(v), time: time, plane: .databricks,
            service: service, action: action, outcome: databricksOutcome(code: code, message: message),
            actor: actor, format: .databricksAzure, provenance: provenance)
        e.sourceIPAddress = props?["sourceIPAddress"]?.string ?? v["callerIpAddress"]?.string
        e.userAgent = props?["userAgent"]?.string
        e.requestId = requestId
        e.workspace = props?["workspaceId"]?.string ?? Normalizer.azureWorkspace(v["resourceId"]?.string)
        e.region = v["location"]?.string
        let (params, resources) = databricksParams(props?["requestParams"])
        e.resources = resources
        e.requestParameters = params
        return .event(e)
    }
}
