import CrossTrailModel

#if canImport(Glibc)
    import Glibc
#endif

/// What the three Databricks formats share: actors, outcomes and resources from request parameters.
extension Normalizer {
    func databricksActor(email: String?, subject: String?, runAs: String?, runBy: String?) -> Actor {
        var a: Actor
        if let email, !email.isEmpty {
            let lower = email.lowercased()
            if lower.utf8.contains(UInt8(ascii: "@")) {
                a = Actor(kind: .databricksUser, key: lower, displayName: lower)
                a.email = lower
            } else if Normalizer.looksLikeUUID(lower) {
                a = Actor(kind: .servicePrincipal, key: "sp:\(lower)", displayName: subject ?? lower)
                a.principalId = lower
            } else if lower.hasPrefix("system-") || lower == "system-user" || lower.hasPrefix("system") {
                a = Actor(kind: .system, key: "system:\(lower)", displayName: email)
            } else {
                a = Actor(kind: .unknown, key: "databricks:\(lower)", displayName: email)
            }
        } else if let subject, !subject.isEmpty {
            a = Actor(kind: .unknown, key: "databricks:\(subject.lowercased())", displayName: subject)
        } else {
            a = Actor(kind: .anonymous, key: "anonymous", displayName: "anonymous")
        }
        a.runAs = runAs
        if let runBy, runBy.lowercased() != a.email { a.onBehalfOf = runBy }
        return a
    }

    func databricksOutcome(code: Int64?, message: String?) -> Outcome {
        guard let code else { return Outcome(status: message == nil ? .unknown : .failure, errorMessage: message) }
        if (200..<400).contains(code) { return Outcome(status: .success) }
        return Outcome(status: .failure, errorCode: String(code), errorMessage: message)
    }

    static let databricksParamResources: [(String, String)] = [
        ("clusterId", "cluster"), ("cluster_id", "cluster"), ("jobId", "job"), ("job_id", "job"),
        ("warehouseId", "warehouse"), ("warehouse_id", "warehouse"), ("notebookId", "notebook"),
        ("notebookFullPath", "notebook"), ("path", "path"), ("full_name_arg", "securable"),
        ("full_name", "securable"), ("table_full_name", "table"), ("securable_full_name", "securable"),
        ("name", "name"), ("scope", "secretScope"), ("share", "share"), ("recipient", "recipient"),
        ("instanceProfileArn", "arn"), ("instance_profile_arn", "arn"), ("pipeline_id", "pipeline"),
    ]

    static func databricksResources(_ p: JSONValue) -> [Resource] {
        guard p.isObject else { return [] }
        var out: [Resource] = []
        for (key, type) in databricksParamResources {
            if let v = p[dynamicKey: key]?.string, !v.isEmpty { appendUnique(&out, Resource(type: type, id: v)) }
        }
        return out
    }

    /// Request parameters as valid JSON text (objects given as JSON strings are decoded first;
    /// other strings are kept as JSON strings) and the resources they name.
    func databricksParams(_ p: JSONValue?) -> (String?, [Resource]) {
        guard detail.contains(.resources) || keepRequestParameters, let p, p.kind != .null else { return (nil, []) }
        if p.kind != .string {
            return (keepRequestParameters ? nested.minified(p) : nil, Normalizer.databricksResources(p))
        }
        var result: (String?, [Resource]) = (nil, [])
        var decoded = false
        withObject(p) { inner in
            decoded = true
            result = (keepRequestParameters ? nested.minified(inner) : nil, Normalizer.databricksResources(inner))
        }
        if keepRequestParameters, !decoded, let text = p.string {
            var quoted: [UInt8] = []
            JSONText.appendString(text.utf8, to: &quoted)
            result.0 = String(decoding: quoted, as: UTF8.self)
        }
        return result
    }

    // MARK: - Helpers
}
