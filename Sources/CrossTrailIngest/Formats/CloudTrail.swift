import CrossTrailModel

#if canImport(Glibc)
    import Glibc
#endif

/// CloudTrail records: delivery files (`{"Records":[…]}`), JSON lines, and exports that flatten or
/// lower-case the keys (Athena, Splunk, Datadog). Recognized by `eventName`/`eventSource`/`eventVersion`
/// in any case, or by the file being a CloudTrail delivery file.
enum CloudTrailRecord: RecordFormat {
    static func recognizes(_ v: JSONValue, container: SourceFormat?) -> Bool {
        container == .cloudtrailDelivery || v["eventName"] != nil || v["eventSource"] != nil || v["eventVersion"] != nil
            || v["eventname"] != nil || v["eventsource"] != nil
    }

    static func normalize(
        _ v: JSONValue, provenance: Provenance, container: SourceFormat?,
        with n: Normalizer
    ) -> Normalizer.Result {
        n.cloudTrail(
            v, provenance: provenance,
            format: container == .cloudtrailDelivery ? .cloudtrailDelivery : .cloudtrailNDJSON)
    }
}

extension Normalizer {

    /// The top-level members of a CloudTrail record, found in one pass.
    struct CloudTrailFields {
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

    func cloudTrail(_ v: JSONValue, provenance: Provenance, format: SourceFormat)
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
        if outcome.status == .success, let message = f.errorMessage?.string, !message.isEmpty {
            // CloudTrail writes errorMessage only for a failed request; a shipper may have dropped the
            // errorCode or responseElements beside it.
            outcome = Outcome(status: .failure, errorMessage: message)
        }
        let id = f.eventID?.string ?? Normalizer.contentID(v)
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
    func embeddedObject(_ v: JSONValue) -> String? {
        guard v.kind == .string else { return nil }
        return v.withStringBytes { text -> String? in
            guard case .success(let inner) = textFields.parse(embedded: text), inner.isObject else { return nil }
            return textFields.minified(inner)
        } ?? nil
    }

    static let awsParamResources: [(String, String)] = [
        ("roleArn", "arn"), ("policyArn", "arn"), ("userName", "iamUser"), ("roleName", "iamRole"),
        ("groupName", "iamGroup"), ("keyId", "kmsKey"), ("name", "name"), ("instanceId", "ec2Instance"),
        ("functionName", "lambdaFunction"), ("secretId", "secret"),
    ]

    func cloudTrailActor(_ u: JSONValue?) -> Actor {
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
}
