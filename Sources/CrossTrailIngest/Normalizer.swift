import CrossTrailModel

#if canImport(Glibc)
    import Glibc
#endif

/// Turns one parsed record of any supported format into an `AuditEvent`.
/// One instance per worker thread (it owns the parsers for JSON-in-string fields).
final class Normalizer {
    enum Result {
        case event(AuditEvent)
        case filtered
        case rejected(String)
        case digest
    }

    let filter: EventFilter
    private let nested = JSONParser()
    /// Parses CloudTrail fields given as JSON text (a separate parser: `nested` may hold the record itself).
    private let textFields = JSONParser()
    private let strings = StringCache()
    private let actors = ActorCache()

    private let keepRequestParameters: Bool
    private let detail: EventDetail

    /// Warnings about the record last normalized: keys written twice in one of its objects (a
    /// JSON-in-string field such as CloudTrailEvent or user_identity, and, after
    /// `checkDuplicateKeys(record:)`, the record and any object inside it). The record is read
    /// with each key's first value, as every lookup does; the caller turns these into
    /// diagnostics for the record.
    private(set) var notes: [String] = []

    init(filter: EventFilter, detail: EventDetail = .all) {
        self.filter = filter
        var d = detail
        if !filter.resources.isEmpty { d.insert(.resources) }
        self.detail = d
        self.keepRequestParameters = d.contains(.requestParameters)
    }

    /// Detects the record's format from its keys and normalizes it.
    func normalize(_ v: JSONValue, raw: UnsafeRawBufferPointer, provenance: Provenance, container: SourceFormat?)
        -> Result
    {
        notes.removeAll(keepingCapacity: true)
        guard v.isObject else { return .rejected("record is not a JSON object") }
        if container == .cloudtrailDelivery || v["eventName"] != nil || v["eventSource"] != nil
            || v["eventVersion"] != nil
            || v["eventname"] != nil || v["eventsource"] != nil
        {
            return cloudTrail(
                v, raw: raw, provenance: provenance,
                format: container == .cloudtrailDelivery ? .cloudtrailDelivery : .cloudtrailNDJSON)
        }
        if let embedded = v["CloudTrailEvent"] {
            guard
                let result = embedded.withStringBytes({ text -> Result in
                    switch nested.parse(embedded: text) {
                    case .success(let inner):
                        checkDuplicateKeys(inner, in: "CloudTrailEvent")
                        return cloudTrail(inner, raw: text, provenance: provenance, format: .cloudtrailLookup)
                    case .failure(let e):
                        return .rejected("CloudTrailEvent is not valid JSON (\(e))")
                    }
                })
            else { return .rejected("CloudTrailEvent is not a string") }
            return result
        }
        if v["serviceName"] != nil, v["actionName"] != nil {
            return databricksDelivery(v, raw: raw, provenance: provenance)
        }
        if v["action_name"] != nil || v["service_name"] != nil {
            return databricksSystemTable(v, raw: raw, provenance: provenance)
        }
        if v["operationName"] != nil, v["category"] != nil || v["properties"] != nil {
            return databricksAzure(v, raw: raw, provenance: provenance)
        }
        if v["digestStartTime"] != nil, v["logFiles"] != nil { return .digest }
        // The S3 metadata sidecar of a digest (`*.s3meta.json`, the digest's signature): integrity data too.
        if v["metadata"]?["signature"] != nil, v["key"] != nil, v["bucket"] != nil { return .digest }
        return .rejected("not a recognized audit record (no eventName, actionName, action_name or operationName)")
    }

    // MARK: - CloudTrail

    /// The top-level members of a CloudTrail record, found in one pass.
    private struct CloudTrailFields {
        var eventTime, timestamp, eventSource, eventName, userIdentity, errorCode, errorMessage: JSONValue?
        var responseElements, eventID, sourceIPAddress, userAgent, vpcEndpointId, tlsDetails: JSONValue?
        var recipientAccountId, awsRegion, requestID, eventType, readOnly, requestParameters, resources: JSONValue?
        var additionalEventData: JSONValue?
        /// Where shippers move the source address (Datadog `network.client.ip`, ECS `source.ip`).
        var shippedIP: JSONValue?

        init(_ v: JSONValue) {
            v.forEachMember { k, value in
                // Case-insensitive: Athena / Splunk exports write `eventname`, `useridentity`, ...
                @inline(__always) func is_(_ name: StaticString) -> Bool {
                    name.withUTF8Buffer { n in
                        n.count == k.count
                            && (memcmp(n.baseAddress!, k.baseAddress!, n.count) == 0
                                || strncasecmp(n.baseAddress!, k.baseAddress!, n.count) == 0)
                    }
                }
                switch k.count {
                case 7: if is_("eventID") { eventID = eventID ?? value }
                case 8: if is_("readOnly") { readOnly = readOnly ?? value }
                case 9:
                    if is_("eventTime") {
                        eventTime = eventTime ?? value
                    } else if is_("eventName") {
                        eventName = eventName ?? value
                    } else if is_("eventType") {
                        eventType = eventType ?? value
                    } else if is_("userAgent") {
                        userAgent = userAgent ?? value
                    } else if is_("requestID") {
                        requestID = requestID ?? value
                    } else if is_("resources") {
                        resources = resources ?? value
                    } else if is_("awsRegion") {
                        awsRegion = awsRegion ?? value
                    } else if is_("errorCode") {
                        errorCode = errorCode ?? value
                    }
                case 10:
                    if is_("@timestamp") {
                        timestamp = timestamp ?? value
                    } else if is_("tlsDetails") {
                        tlsDetails = tlsDetails ?? value
                    }
                case 11: if is_("eventSource") { eventSource = eventSource ?? value }
                case 12:
                    if is_("userIdentity") {
                        userIdentity = userIdentity ?? value
                    } else if is_("errorMessage") {
                        errorMessage = errorMessage ?? value
                    }
                case 13: if is_("vpcEndpointId") { vpcEndpointId = vpcEndpointId ?? value }
                case 15: if is_("sourceIPAddress") { sourceIPAddress = sourceIPAddress ?? value }
                case 16: if is_("responseElements") { responseElements = responseElements ?? value }
                case 17:
                    if is_("requestParameters") {
                        requestParameters = requestParameters ?? value
                    } else if is_("network.client.ip") {
                        shippedIP = shippedIP ?? value
                    }
                case 18: if is_("recipientAccountId") { recipientAccountId = recipientAccountId ?? value }
                case 19: if is_("additionalEventData") { additionalEventData = additionalEventData ?? value }
                default: break
                }
            }
            if sourceIPAddress == nil, shippedIP == nil {
                shippedIP = v["network"]?["client"]?["ip"] ?? v["source"]?["ip"] ?? v["client"]?["ip"]
            }
        }
    }

    private func cloudTrail(_ v: JSONValue, raw: UnsafeRawBufferPointer, provenance: Provenance, format: SourceFormat)
        -> Result
    {
        let f = CloudTrailFields(v)
        // eventTime decides when present (a shipper's @timestamp is when it shipped the record).
        let time: Timestamp
        if let tv = f.eventTime ?? f.timestamp {
            switch eventTime(tv, field: f.eventTime == nil ? "@timestamp" : "eventTime", epochMillis: false) {
            case .time(let t): time = t
            case .rejected(let why): return .rejected(why)
            }
        } else {
            return .rejected("no eventTime or @timestamp")
        }
        guard filter.matchesTime(time), filter.matchesPlane(.aws) else { return .filtered }
        // An access key id names one session: with the ARN and principal it fixes every other field.
        let actor = actors.actor(
            f.userIdentity, keys: ["type", "arn", "accessKeyId", "principalId", "userName", "invokedBy", "accountId"]
        ) {
            cloudTrailActor(f.userIdentity)
        }
        guard filter.matchesActor(actor) else { return .filtered }

        let service =
            f.eventSource?.withStringBytes { b -> String in
                let suffix = ".amazonaws.com".utf8
                if b.count > suffix.count,
                    UnsafeRawBufferPointer(rebasing: b[(b.count - suffix.count)...]).elementsEqual(suffix)
                {
                    return strings.intern(UnsafeRawBufferPointer(rebasing: b[..<(b.count - suffix.count)]))
                }
                return strings.intern(b)
            } ?? "unknown"
        let action = strings.string(f.eventName) ?? "unknown"
        var outcome = Outcome(status: .success)
        if let code = f.errorCode?.string {
            outcome = Outcome(status: .failure, errorCode: code, errorMessage: f.errorMessage?.string)
        } else if let login = f.responseElements?["ConsoleLogin"]?.string, login != "Success" {
            outcome = Outcome(status: .failure, errorCode: login, errorMessage: f.errorMessage?.string)
        } else if service == "signin", let response = f.responseElements, response.isObject {
            // Sign-in events (PasswordUpdated, SwitchRole, CheckMfa, ...) report "Failure" in place of an errorCode.
            var failed: String?
            response.forEachMember { k, v in
                if failed == nil, v.string == "Failure" { failed = String(decoding: k, as: UTF8.self) }
            }
            if let failed {
                outcome = Outcome(status: .failure, errorCode: "\(failed)Failure", errorMessage: f.errorMessage?.string)
            }
        }
        let id = f.eventID?.string ?? Normalizer.contentID(raw)
        var e = AuditEvent(
            id: id, time: time, plane: .aws, service: service, action: action, outcome: outcome,
            actor: actor, format: format, provenance: provenance)
        // Console sign-ins say in additionalEventData whether MFA was used.
        if action == "ConsoleLogin", let used = f.additionalEventData?["MFAUsed"]?.string {
            e.actor.mfa = used == "Yes"
        }
        e.sourceIPAddress = f.sourceIPAddress?.string ?? f.shippedIP?.string
        if detail.contains(.userAgent) { e.userAgent = strings.string(f.userAgent) }
        if detail.contains(.network) {
            e.vpcEndpointId = strings.string(f.vpcEndpointId)
            e.tlsVersion = strings.string(f.tlsDetails?["tlsVersion"])
        }
        if detail.contains(.location) {
            e.account = strings.string(f.recipientAccountId) ?? actor.accountId
            e.region = strings.string(f.awsRegion)
        }
        if detail.contains(.request) {
            e.requestId = f.requestID?.string
            e.eventType = strings.string(f.eventType)
            e.readOnly = f.readOnly?.bool
        }
        let params = f.requestParameters
        if keepRequestParameters, let params, params.kind != .null {
            e.requestParameters = embeddedObject(params) ?? nested.minified(params)
        }
        if detail.contains(.responseElements), let response = f.responseElements, response.kind != .null {
            e.responseElements = embeddedObject(response) ?? nested.minified(response)
        }
        if detail.contains(.responseElements), let extra = f.additionalEventData, extra.isObject {
            e.additionalEventData = nested.minified(extra)
        }
        guard detail.contains(.resources) else { return .event(e) }
        var resources: [Resource] = []
        f.resources?.forEachElement { r in
            guard let id = r["ARN"]?.string ?? r["arn"]?.string else { return }
            resources.append(Resource(type: strings.string(r["type"]) ?? "arn", id: id))
        }
        if let params, params.isObject {
            var bucket: String?, key: String?
            params.forEachMember { k, value in
                guard let first = k.first, k.count >= 3, k.count <= 12 else { return }
                // The first of repeated keys, as everywhere.
                if k.count == 10, k.elementsEqual("bucketName".utf8) { bucket = bucket ?? value.string; return }
                if k.count == 3, k.elementsEqual("key".utf8) { key = key ?? value.string; return }
                for (name, type) in Normalizer.awsParamResources
                where name.utf8.count == k.count && name.utf8.first == first && k.elementsEqual(name.utf8) {
                    if let id = value.string { appendUnique(&resources, Resource(type: type, id: id)) }
                }
            }
            if let bucket {
                if let key {
                    appendUnique(&resources, Resource(type: "s3Object", id: bucket + "/" + key))
                } else if !resources.contains(where: { $0.type == "AWS::S3::Bucket" }) {
                    appendUnique(&resources, Resource(type: "s3Bucket", id: bucket))
                }
            }
        }
        e.resources = resources
        return .event(e)
    }

    /// Exports that flatten records to columns (Athena, Splunk, CSV) give request parameters and
    /// response elements as JSON text: when the text parses as an object it is kept as that object,
    /// minified (never the text as written: a newline in it would forge a JSONL row).
    private func embeddedObject(_ v: JSONValue) -> String? {
        guard v.kind == .string else { return nil }
        return v.withStringBytes { text -> String? in
            guard case .success(let inner) = textFields.parse(embedded: text), inner.isObject else { return nil }
            return textFields.minified(inner)
        } ?? nil
    }

    private static let awsParamResources: [(String, String)] = [
        ("roleArn", "arn"), ("policyArn", "arn"), ("userName", "iamUser"), ("roleName", "iamRole"),
        ("groupName", "iamGroup"), ("keyId", "kmsKey"), ("name", "name"), ("instanceId", "ec2Instance"),
        ("functionName", "lambdaFunction"), ("secretId", "secret"),
    ]

    private func cloudTrailActor(_ u: JSONValue?) -> Actor {
        guard let u, u.isObject else { return Actor(kind: .unknown, key: "unknown", displayName: "unknown") }
        let type = u[anyCase: "type"]?.string ?? ""
        let arn = u[anyCase: "arn"]?.string
        let principal = u[anyCase: "principalId"]?.string
        let account = u[anyCase: "accountId"]?.string
        var a: Actor
        switch type {
        case "Root":
            a = Actor(kind: .root, key: arn ?? "root:\(account ?? "?")", displayName: "root")
        case "IAMUser":
            let name =
                u[anyCase: "userName"]?.string ?? arn.map(Normalizer.lastPathComponent) ?? principal ?? "iam-user"
            a = Actor(kind: .iamUser, key: arn ?? "iamUser:\(principal ?? name)", displayName: name)
        case "AssumedRole":
            let name = arn.map(Normalizer.roleSessionName) ?? principal ?? "assumed-role"
            a = Actor(kind: .assumedRole, key: arn ?? "assumedRole:\(principal ?? name)", displayName: name)
        case "FederatedUser", "SAMLUser", "WebIdentityUser", "IdentityCenterUser":
            let name = u[anyCase: "userName"]?.string ?? principal ?? type
            a = Actor(kind: .federatedUser, key: arn ?? "\(type):\(principal ?? name)", displayName: name)
        case "AWSService":
            let by = u[anyCase: "invokedBy"]?.string ?? "aws-service"
            a = Actor(kind: .awsService, key: "service:\(by)", displayName: by)
        case "AWSAccount":
            if principal == "ANONYMOUS_PRINCIPAL" || account == "ANONYMOUS_PRINCIPAL" {
                a = Actor(kind: .anonymous, key: "anonymous", displayName: "anonymous")
            } else {
                a = Actor(
                    kind: .awsAccount, key: "account:\(account ?? principal ?? "?")",
                    displayName: account ?? principal ?? "aws-account")
            }
        case "Unknown", "":
            let name = u[anyCase: "userName"]?.string ?? principal ?? "unknown"
            a = Actor(kind: .unknown, key: arn ?? "unknown:\(name)", displayName: name)
        default:
            let name = u[anyCase: "userName"]?.string ?? principal ?? type
            a = Actor(kind: .unknown, key: arn ?? "\(type):\(name)", displayName: name)
        }
        a.arn = arn
        a.principalId = principal
        a.accountId = account
        a.accessKeyId = u[anyCase: "accessKeyId"]?.string
        if let ctx = u[anyCase: "sessionContext"] {
            a.sessionIssuer = ctx[anyCase: "sessionIssuer"]?[anyCase: "arn"]?.string
            if let mfa = ctx[anyCase: "attributes"]?[anyCase: "mfaAuthenticated"]?.bool { a.mfa = mfa }
        }
        if a.kind == .assumedRole, let arn, let slash = arn.lastIndex(of: "/") {
            let session = String(arn[arn.index(after: slash)...])
            a.sessionName = session
            if session.utf8.contains(UInt8(ascii: "@")) { a.email = session.lowercased() }
        }
        a.onBehalfOf = u["onBehalfOf"]?["userId"]?.string
        if a.kind != .awsService, let by = u[anyCase: "invokedBy"]?.string { a.runAs = by }
        return a
    }

    // MARK: - Databricks

    private func databricksDelivery(_ v: JSONValue, raw: UnsafeRawBufferPointer, provenance: Provenance) -> Result {
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
            id: requestId ?? Normalizer.contentID(raw), time: time, plane: .databricks,
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

    private func databricksSystemTable(_ v: JSONValue, raw: UnsafeRawBufferPointer, provenance: Provenance) -> Result {
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
        let id = v["event_id"]?.string ?? v["request_id"]?.string ?? Normalizer.contentID(raw)
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

    private func databricksAzure(_ v: JSONValue, raw: UnsafeRawBufferPointer, provenance: Provenance) -> Result {
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
            id: requestId ?? props?["logId"]?.string ?? Normalizer.contentID(raw), time: time, plane: .databricks,
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

    private func databricksActor(email: String?, subject: String?, runAs: String?, runBy: String?) -> Actor {
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

    private func databricksOutcome(code: Int64?, message: String?) -> Outcome {
        guard let code else { return Outcome(status: message == nil ? .unknown : .failure, errorMessage: message) }
        if (200..<400).contains(code) { return Outcome(status: .success) }
        return Outcome(status: .failure, errorCode: String(code), errorMessage: message)
    }

    private static let databricksParamResources: [(String, String)] = [
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
    private func databricksParams(_ p: JSONValue?) -> (String?, [Resource]) {
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

    /// Calls `body` with the value as an object, parsing it first when it is JSON text.
    private func withObject(_ v: JSONValue?, _ body: (JSONValue) -> Void) {
        guard let v else { return }
        if v.isObject { body(v); return }
        _ = v.withStringBytes { text in
            if case .success(let inner) = nested.parse(embedded: text), inner.isObject {
                checkDuplicateKeys(inner, in: "JSON-text field")
                body(inner)
            }
        }
    }

    /// Notes a key written twice in one object inside `v`, with the value that is used (the first).
    /// Checks the whole record (every object in it) for repeated keys, adding to `notes`. The
    /// readers call it for records that are kept or rejected; a record a filter leaves out is not
    /// used, so narrow queries do not pay for it.
    func checkDuplicateKeys(record v: JSONValue) {
        checkDuplicateKeys(v, in: nil)
    }

    private func checkDuplicateKeys(_ v: JSONValue, in context: String?) {
        guard let dup = nested.duplicateKey(in: v) else { return }
        let used: String
        if let text = dup.first.withStringBytes({ "\"" + Normalizer.quoted($0) + "\"" }) {
            used = text
        } else {
            var minified = Array(nested.minified(dup.first).utf8)
            let cut = minified.count > 64
            if cut { minified = Array(minified.prefix(64)) }
            used = minified.withUnsafeBytes { Normalizer.quoted($0) } + (cut ? "…" : "")
        }
        var path = Array(dup.path.utf8)
        let longPath = path.count > 128
        if longPath { path = Array(path.prefix(128)) }
        let shownPath =
            path.withUnsafeBytes { String(decoding: $0, as: UTF8.self).terminalSafe } + (longPath ? "…" : "")
        let more =
            dup.total > 1
            ? " (\(dup.total - 1) more repeated key\(dup.total == 2 ? "" : "s") there, read the same way)" : ""
        notes.append(
            "duplicate key \"\(shownPath)\" in the record\(context.map { "'s " + $0 } ?? ""): its first value (\(used)) is used, later ones are ignored\(more)"
        )
    }

    enum TimeValue {
        case time(Timestamp)
        case rejected(String)
    }

    /// An event time: ISO 8601 text or, with `epochMillis`, epoch milliseconds (a JSON number or a
    /// string of digits). Dates that do not exist and times outside `Timestamp.eventRangeDescription`
    /// are rejected with the field, the value and why, never normalised or clamped: one record must
    /// not move in time, nor make later arithmetic on times overflow.
    func eventTime(_ v: JSONValue, field: String, epochMillis: Bool) -> TimeValue {
        func outOfRange(_ shown: String) -> TimeValue {
            .rejected("\(field) \(shown) is outside the accepted range (\(Timestamp.eventRangeDescription))")
        }
        func checked(_ t: Timestamp, _ shown: String) -> TimeValue { t.isEventTime ? .time(t) : outOfRange(shown) }
        let text = v.withStringBytes { b -> TimeValue in
            let shown = "'" + Normalizer.quoted(b) + "'"
            switch Timestamp.parseChecked(b) {
            case .success(let t): return checked(t, shown)
            case .failure(.invalid(let why)): return .rejected("invalid \(field) \(shown): \(why)")
            case .failure(.syntax):
                let negative = b.first == UInt8(ascii: "-")
                let digits = b.dropFirst(negative ? 1 : 0)
                if epochMillis, !digits.isEmpty, digits.allSatisfy({ $0 &- 48 < 10 }) {
                    // Epoch milliseconds as text: below 19 digits they fit; above, and below zero, out of range.
                    guard !negative, digits.count < 19, let ms = Int64(String(decoding: digits, as: UTF8.self)) else {
                        return outOfRange(shown)
                    }
                    return checked(Timestamp(millis: ms), shown)
                }
                return .rejected("unparseable \(field) \(shown)")
            }
        }
        if let text { return text }
        guard epochMillis, v.kind == .number else { return .rejected("unparseable \(field) (not a string)") }
        let shown = v.string ?? "(number)"
        // A number: exact when integral and within Int64, otherwise out of range (1e30, 2^64, -1e20).
        guard let ms = v.int64 else { return outOfRange(shown) }
        return checked(Timestamp(millis: ms), shown)
    }

    /// A value as quoted in a diagnostic: at most 64 bytes, control characters and invalid UTF-8 made visible.
    static func quoted(_ b: UnsafeRawBufferPointer) -> String {
        let cut = b.count > 64
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: b[..<min(b.count, 64)]), as: UTF8.self)
            .terminalSafe
        return cut ? text + "…" : text
    }

    static func lastPathComponent(_ arn: String) -> String {
        arn.split(separator: "/").last.map(String.init) ?? arn
    }

    /// `arn:aws:sts::1:assumed-role/Role/session` → `Role/session`.
    static func roleSessionName(_ arn: String) -> String {
        guard let r = arn.firstRange(of: ":assumed-role/") else { return lastPathComponent(arn) }
        return String(arn[r.upperBound...])
    }

    static func azureWorkspace(_ resourceId: String?) -> String? {
        guard let resourceId else { return nil }
        let parts = resourceId.split(separator: "/")
        if let i = parts.lastIndex(where: { $0.uppercased() == "WORKSPACES" }), i + 1 < parts.count {
            return String(parts[i + 1])
        }
        return nil
    }

    static func looksLikeUUID(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard u.count == 36 else { return false }
        for (i, c) in u.enumerated() {
            if i == 8 || i == 13 || i == 18 || i == 23 {
                if c != UInt8(ascii: "-") { return false }
            } else if !(c &- 48 < 10 || c &- 97 < 6) {
                return false
            }
        }
        return true
    }

    /// A stable id for records that carry none: `h-` + 64-bit hash of the record's bytes.
    static func contentID(_ raw: UnsafeRawBufferPointer) -> String {
        "h-" + hex64(hash64(raw))
    }
}

/// Adds a resource unless one with the same id is already listed (the first, most specific type wins).
private func appendUnique(_ list: inout [Resource], _ r: Resource) {
    if !list.contains(where: { $0.id == r.id }) { list.append(r) }
}

/// 64-bit hash of bytes: four independent multiply-mix lanes over 32-byte blocks (so the CPU
/// overlaps them), folded together. Stable across runs and machines; not cryptographic.
public func hash64(_ b: UnsafeRawBufferPointer, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> UInt64 {
    @inline(__always) func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let r = a.multipliedFullWidth(by: b)
        return r.high ^ r.low
    }
    let n = b.count
    var h0 = seed ^ UInt64(n), h1 = seed &+ 0xA076_1D64_78BD_642F, h2 = seed &+ 0xE703_7ED1_A0B4_28DB,
        h3 = seed ^ 0x8EBC_6AF0_9C88_C6E3
    var i = 0
    while i + 32 <= n {
        h0 = mix(h0 ^ b.loadUnaligned(fromByteOffset: i, as: UInt64.self), 0xA076_1D64_78BD_642F)
        h1 = mix(h1 ^ b.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self), 0xE703_7ED1_A0B4_28DB)
        h2 = mix(h2 ^ b.loadUnaligned(fromByteOffset: i + 16, as: UInt64.self), 0x8EBC_6AF0_9C88_C6E3)
        h3 = mix(h3 ^ b.loadUnaligned(fromByteOffset: i + 24, as: UInt64.self), 0x5899_65CC_7537_4CC3)
        i += 32
    }
    var h = mix(h0 ^ h1, 0xA076_1D64_78BD_642F) ^ mix(h2 ^ h3, 0xE703_7ED1_A0B4_28DB)
    while i + 8 <= n {
        h = mix(h ^ b.loadUnaligned(fromByteOffset: i, as: UInt64.self), 0xA076_1D64_78BD_642F)
        i += 8
    }
    var tail: UInt64 = 0
    var shift: UInt64 = 0
    while i < n {
        tail |= UInt64(b[i]) << shift
        shift += 8
        i += 1
    }
    h = mix(h ^ tail, 0xE703_7ED1_A0B4_28DB)
    return mix(h, 0x8EBC_6AF0_9C88_C6E3)
}

public func hex64(_ v: UInt64) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8](repeating: 0, count: 16)
    var x = v
    for i in stride(from: 15, through: 0, by: -1) {
        out[i] = digits[Int(x & 0xf)]
        x >>= 4
    }
    return String(decoding: out, as: UTF8.self)
}

/// Normalizes single records given as JSON text (rule examples, tests, API responses), detecting
/// their format as the file readers do. One per thread.
public final class RecordNormalizer {
    private let parser = JSONParser()
    private let normalizer: Normalizer

    /// Everything decoded by default, response elements included (rule examples read them).
    public init(detail: EventDetail = EventDetail.all.union(.responseElements)) {
        normalizer = Normalizer(filter: EventFilter(), detail: detail)
    }

    /// The event, or why the record is not one.
    public func normalize(_ text: String, source: String = "-") -> Swift.Result<AuditEvent, IngestError> {
        let bytes = Array(text.utf8)
        return withExtendedLifetime(parser) {
            bytes.withUnsafeBytes { raw -> Swift.Result<AuditEvent, IngestError> in
                switch parser.parse(raw, padded: false) {
                case .failure(let e):
                    return .failure(IngestError(path: source, reason: "invalid JSON: \(e)"))
                case .success(let v):
                    let p = Provenance(file: source, line: nil, offset: 0, sha256: "")
                    switch normalizer.normalize(v, raw: raw, provenance: p, container: nil) {
                    case .event(let e): return .success(e)
                    case .rejected(let reason): return .failure(IngestError(path: source, reason: reason))
                    case .filtered, .digest: return .failure(IngestError(path: source, reason: "not an audit event"))
                    }
                }
            }
        }
    }
}
