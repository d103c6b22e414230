import CrossTrailIngest
import CrossTrailModel

/// An event seen through the field names rules use: CloudTrail's (`eventName`, `eventSource`,
/// `userIdentity.type`, `requestParameters.bucketName`, ...) as SigmaHQ's AWS rules write them,
/// Databricks' (`serviceName`, `actionName`, `requestParams.*`, `userIdentity.email`), and
/// crosstrail's own (`plane`, `service`, `action`, `actor`, `outcome`). Request parameters and
/// response elements are parsed once, on first use.
public final class EventFields {
    public let event: AuditEvent
    private var parsedParams: JSON??
    private var parsedResponse: JSON??
    private var parsedAdditional: JSON??
    private var policyFacts: PolicyFacts??
    private let reader: JSONDocumentReader
    /// Lowercased values by lowercased field name: rules ask for the same few fields again and again.
    private var lowered: [String: [[UInt8]]] = [:]

    /// The field's values, lowercased, as bytes (cached per event).
    func loweredValues(_ fieldLower: String) -> [[UInt8]] {
        if let known = lowered[fieldLower] { return known }
        let v = values(fieldLower).map { Array($0.lowercased().utf8) }
        lowered[fieldLower] = v
        return v
    }

    public init(_ event: AuditEvent, reader: JSONDocumentReader) {
        self.event = event
        self.reader = reader
    }

    private var params: JSON? {
        if let p = parsedParams { return p }
        let p = event.requestParameters.flatMap { try? reader.parse(text: $0) }
        parsedParams = .some(p)
        return p
    }

    private var response: JSON? {
        if let r = parsedResponse { return r }
        let r = event.responseElements.flatMap { try? reader.parse(text: $0) }
        parsedResponse = .some(r)
        return r
    }

    /// The policies in the request parameters (computed once).
    var policies: PolicyFacts? {
        if let p = policyFacts { return p }
        let p = PolicyFacts.of(params, reader: reader)
        policyFacts = .some(p)
        return p
    }

    /// Every value of a field (several for arrays); empty when absent.
    public func values(_ field: String) -> [String] {
        let e = event, a = event.actor
        func one(_ s: String?) -> [String] { s.map { [$0] } ?? [] }
        let lower = field.lowercased()
        if lower.hasPrefix("policy.") {
            guard e.requestParameters != nil, let p = policies else { return [] }
            let own = Set([e.account, a.accountId].compactMap { $0 })
            switch lower {
            case "policy.public": return [p.isPublic ? "true" : "false"]
            case "policy.admin": return [p.admin ? "true" : "false"]
            case "policy.limitedby": return p.limitedBy.sorted()
            case "policy.accounts": return p.accounts.sorted()
            case "policy.externalaccounts": return p.accounts.subtracting(own).sorted()
            case "policy.actions": return p.actions.sorted()
            default: return []
            }
        }
        if lower == Self.keywordField { return keywordTexts }
        if lower == "requestparameters" || lower == "requestparams" || lower == "request_params" {
            return one(e.requestParameters)
        }
        for prefix in ["requestparameters.", "requestparams.", "request_params."] where lower.hasPrefix(prefix) {
            let path = field.dropFirst(prefix.count).split(separator: ".").map(String.init)
            return collect(params, path)
        }
        if lower == "responseelements" { return one(e.responseElements) }
        if lower.hasPrefix("additionaleventdata."), lower != "additionaleventdata.mfaused" {
            if parsedAdditional == nil {
                parsedAdditional = .some(e.additionalEventData.flatMap { try? reader.parse(text: $0) })
            }
            return collect(
                parsedAdditional ?? nil,
                field.dropFirst("additionaleventdata.".count).split(separator: ".").map(String.init))
        }
        if lower.hasPrefix("responseelements."), lower != "responseelements.consolelogin" {
            return collect(response, field.dropFirst("responseelements.".count).split(separator: ".").map(String.init))
        }
        switch lower {
        case "eventname", "actionname", "action_name", "action": return [e.action]
        case "eventsource":
            switch e.plane {
            case .aws: return [e.service + ".amazonaws.com"]
            case .databricks: return [e.service]
            }
        case "servicename", "service_name", "service": return [e.service]
        case "plane": return [e.plane.rawValue]
        case "awsregion", "region": return one(e.region)
        case "recipientaccountid", "account": return one(e.account)
        case "workspaceid", "workspace_id", "workspace": return one(e.workspace)
        case "sourceipaddress", "source_ip_address", "ip": return one(e.sourceIPAddress)
        case "useragent", "user_agent": return one(e.userAgent)
        case "errorcode": return one(e.outcome.errorCode)
        case "errormessage": return one(e.outcome.errorMessage)
        case "outcome", "status", "response.statuscode":
            return lower != "response.statuscode"
                ? [e.outcome.status.rawValue] : one(e.outcome.errorCode ?? (e.outcome.status == .success ? "200" : nil))
        case "eventtype": return one(e.eventType)
        case "readonly": return one(e.readOnly.map { $0 ? "true" : "false" })
        case "vpcendpointid": return one(e.vpcEndpointId)
        case "useridentity.type": return [Self.cloudTrailType(a.kind)]
        case "useridentity.arn": return one(a.arn)
        case "useridentity.username":
            return one(
                a.kind == .iamUser
                    ? a.arn.flatMap { $0.split(separator: "/").last.map(String.init) } : a.email ?? a.displayName)
        case "useridentity.accountid": return one(a.accountId)
        case "useridentity.principalid": return one(a.principalId)
        case "useridentity.accesskeyid": return one(a.accessKeyId)
        case "useridentity.email", "user_identity.email": return one(a.email)
        case "useridentity.sessioncontext.sessionissuer.arn": return one(a.sessionIssuer)
        case "useridentity.sessioncontext.sessionissuer.type": return a.sessionIssuer == nil ? [] : ["Role"]
        case "useridentity.sessioncontext.sessionissuer.username":
            return one(a.sessionIssuer.flatMap { $0.split(separator: "/").last.map(String.init) })
        case "useridentity.sessioncontext.attributes.mfaauthenticated": return one(a.mfa.map { $0 ? "true" : "false" })
        case "additionaleventdata.mfaused":
            return e.action == "ConsoleLogin" ? one(a.mfa.map { $0 ? "Yes" : "No" }) : []
        case "responseelements.consolelogin":
            return e.action == "ConsoleLogin"
                ? [e.outcome.status == .success ? "Success" : (e.outcome.errorCode ?? "Failure")] : []
        case "useridentity.invokedby": return one(a.kind == .awsService ? a.displayName : a.runAs)
        case "actor": return [a.key] + one(a.email) + one(a.arn)
        case "session", "useridentity.sessionname": return one(a.sessionName)
        case "resources": return e.resources.map(\.id)
        default: return []
        }
    }

    /// The field keyword selections search (a name no rule can write: it starts with `|`).
    static let keywordField = "|keywords"

    /// Every text of the event a keyword search looks in: names, identity, addresses, user
    /// agent, error, and the request, response and additional data as JSON text.
    private var keywordTexts: [String] {
        let e = event, a = event.actor
        return [
            e.action, e.service, a.key, a.displayName, a.arn, a.email, a.principalId, a.accessKeyId, a.sessionName,
            a.sessionIssuer, e.sourceIPAddress, e.userAgent, e.outcome.errorCode, e.outcome.errorMessage, e.region,
            e.account, e.workspace, e.requestParameters, e.responseElements, e.additionalEventData,
        ].compactMap { $0 } + e.resources.map(\.id)
    }

    /// Whether crosstrail can give the field a value (unknown fields never match: rules that
    /// depend on them cannot fire).
    public static func isKnown(_ field: String) -> Bool {
        let lower = field.lowercased()
        if ["requestparameters", "requestparams", "request_params", "responseelements", "additionaleventdata."]
            .contains(where: lower.hasPrefix)
        {
            return true
        }
        if [
            "policy.public", "policy.admin", "policy.limitedby", "policy.accounts", "policy.externalaccounts",
            "policy.actions",
        ].contains(lower) {
            return true
        }
        return known.contains(lower)
    }

    static let known: Set<String> = [
        "eventname", "actionname", "action_name", "action", "eventsource", "servicename", "service_name", "service",
        "plane",
        "awsregion", "region", "recipientaccountid", "account", "workspaceid", "workspace_id", "workspace",
        "sourceipaddress",
        "source_ip_address", "ip", "useragent", "user_agent", "errorcode", "errormessage", "outcome", "status",
        "response.statuscode",
        "eventtype", "readonly", "vpcendpointid", "useridentity.type", "useridentity.arn", "useridentity.username",
        "useridentity.accountid", "useridentity.principalid", "useridentity.accesskeyid", "useridentity.email",
        "user_identity.email",
        "useridentity.sessioncontext.sessionissuer.arn", "useridentity.sessioncontext.sessionissuer.username",
        "useridentity.sessioncontext.attributes.mfaauthenticated", "useridentity.invokedby", "actor", "resources",
        "useridentity.sessioncontext.sessionissuer.type", "additionaleventdata.mfaused",
        "responseelements.consolelogin",
        "session", "useridentity.sessionname",
    ]

    static func cloudTrailType(_ k: ActorKind) -> String {
        switch k {
        case .root: return "Root"
        case .iamUser: return "IAMUser"
        case .assumedRole: return "AssumedRole"
        case .federatedUser: return "FederatedUser"
        case .awsService: return "AWSService"
        case .awsAccount: return "AWSAccount"
        default: return k.rawValue
        }
    }

    /// Values at a dotted path; arrays fan out, scalars become text, objects their JSON. A path
    /// that goes on into a string holding a JSON object or array (IAM's `policyDocument`, SQS'
    /// `attributes.Policy`, Databricks' JSON-in-string parameters) goes on into the parsed text.
    func collect(_ j: JSON?, _ path: [String]) -> [String] {
        let reader = self.reader
        return Self.collect(j, path) { text in try? reader.parse(text: text) }
    }

    static func collect(_ j: JSON?, _ path: [String], parse: ((String) -> JSON?)? = nil) -> [String] {
        guard let j else { return [] }
        if !path.isEmpty, let parse, case .string(let s) = j, let first = s.utf8.first,
            first == UInt8(ascii: "{") || first == UInt8(ascii: "["), s.utf8.count < 1 << 20, let inner = parse(s)
        {
            return collect(inner, path, parse: parse)
        }
        if path.isEmpty {
            switch j {
            case .array(let a): return a.flatMap { collect($0, [], parse: parse) }
            case .object: return [j.text]
            case .null: return []
            default: return j.string.map { [$0] } ?? []
            }
        }
        switch j {
        case .object(let o):
            if let v = o[path[0]] { return collect(v, Array(path.dropFirst()), parse: parse) }
            // Keys differ in case between exports: match case-insensitively as a fallback.
            if let (_, v) = o.first(where: { $0.key.lowercased() == path[0].lowercased() }) {
                return collect(v, Array(path.dropFirst()), parse: parse)
            }
            return []
        case .array(let a): return a.flatMap { collect($0, path, parse: parse) }
        default: return []
        }
    }
}
