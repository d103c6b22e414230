/// Which control plane an event comes from.
public enum Plane: String, Sendable, CaseIterable, Codable {
    case aws
    case databricks

    /// The vendor, as OCSF's `metadata.product.vendor_name` and `cloud.provider` name it.
    public var vendor: String {
        switch self {
        case .aws: "AWS"
        case .databricks: "Databricks"
        }
    }

    /// The audit log product.
    public var logProduct: String {
        switch self {
        case .aws: "CloudTrail"
        case .databricks: "Databricks Audit Logs"
        }
    }

    /// The order of planes in sorted output (events at the same instant and id).
    public var sortRank: UInt8 {
        switch self {
        case .aws: 0
        case .databricks: 1
        }
    }
}

/// The kind of identity that acted.
public enum ActorKind: String, Sendable, CaseIterable, Codable {
    case root, iamUser, assumedRole, federatedUser, awsService, awsAccount
    case databricksUser, servicePrincipal, system, anonymous, unknown
}

/// A normalized identity: who performed the action, on either plane.
public struct Actor: Sendable, Hashable, Codable {
    /// What kind of identity this is.
    public var kind: ActorKind
    /// A stable key that identifies the same identity across events
    /// (an ARN, an email, a service principal id, or `kind:principalId`).
    public var key: String
    /// A short human-readable name (user name, email, role/session).
    public var displayName: String
    public var arn: String?
    public var email: String?
    public var principalId: String?
    public var accountId: String?
    /// For role sessions: the role (issuer) ARN the session was issued from.
    public var sessionIssuer: String?
    public var sessionName: String?
    public var accessKeyId: String?
    /// MFA used for the session, when the log says so.
    public var mfa: Bool?
    /// The identity this one acted for (Databricks run-as, AWS `invokedBy`/`onBehalfOf`).
    public var runAs: String?
    public var onBehalfOf: String?

    public init(kind: ActorKind, key: String, displayName: String) {
        self.kind = kind
        self.key = key
        self.displayName = displayName
    }
}

/// Whether the action succeeded.
public enum OutcomeStatus: String, Sendable, Codable {
    case success, failure, unknown
}

public struct Outcome: Sendable, Hashable, Codable {
    public var status: OutcomeStatus
    public var errorCode: String?
    public var errorMessage: String?

    public init(status: OutcomeStatus, errorCode: String? = nil, errorMessage: String? = nil) {
        self.status = status
        self.errorCode = errorCode
        self.errorMessage = errorMessage
    }
}

/// A resource the event touched, typed by what kind of thing it is.
public struct Resource: Sendable, Hashable, Codable {
    /// e.g. `arn`, `s3Bucket`, `s3Object`, `cluster`, `notebook`, `table`, `job`, `warehouse`, `securable`.
    public var type: String
    /// The resource's identifier (ARN, `bucket/key`, cluster id, full table name...).
    public var id: String

    public init(type: String, id: String) {
        self.type = type
        self.id = id
    }
}

/// Where an event came from, down to its bytes.
public struct Provenance: Sendable, Hashable, Codable {
    public var file: String
    /// 1-based line for line-oriented files; nil for records inside one JSON document.
    public var line: Int?
    /// Byte offset of the record in the (decompressed) file.
    public var offset: Int
    /// Lower-case hex SHA-256 of the file as stored (compressed bytes for .gz).
    public var sha256: String

    public init(file: String, line: Int?, offset: Int, sha256: String) {
        self.file = file
        self.line = line
        self.offset = offset
        self.sha256 = sha256
    }
}

/// The source format a record was read from.
public enum SourceFormat: String, Sendable, CaseIterable, Codable {
    case cloudtrailDelivery = "cloudtrail-delivery"
    case cloudtrailNDJSON = "cloudtrail-ndjson"
    case cloudtrailLookup = "cloudtrail-lookup-events"
    case databricksDelivery = "databricks-delivery"
    case databricksSystemTable = "databricks-system-table"
    case databricksAzure = "databricks-azure-diagnostic"
}

/// One audit event from either plane, normalized.
public struct AuditEvent: Sendable, Hashable {
    /// eventID (CloudTrail), requestId (Databricks), or a stable content hash when absent.
    public var id: String
    /// UTC time in milliseconds since the Unix epoch.
    public var time: Timestamp
    public var plane: Plane
    /// e.g. `s3`, `iam`, `sts` (CloudTrail eventSource without `.amazonaws.com`), or a Databricks serviceName.
    public var service: String
    public var action: String
    public var outcome: Outcome
    public var actor: Actor
    public var sourceIPAddress: String?
    public var userAgent: String?
    public var vpcEndpointId: String?
    public var tlsVersion: String?
    public var account: String?
    public var region: String?
    public var workspace: String?
    public var resources: [Resource]
    /// The request parameters exactly as logged (minified JSON), kept but not interpreted.
    public var requestParameters: String?
    /// CloudTrail `responseElements` as minified JSON, kept only when asked for
    /// (`EventDetail.responseElements`, the analysis passes): rules read them, no output shows them.
    public var responseElements: String?
    /// CloudTrail `additionalEventData` as minified JSON, kept with the response elements (analysis only).
    public var additionalEventData: String?
    /// CloudTrail requestID / Databricks requestId (Databricks logs two records per long-running request).
    public var requestId: String?
    /// CloudTrail eventType (AwsApiCall, AwsConsoleSignIn, ...) or Databricks auditLevel.
    public var eventType: String?
    public var readOnly: Bool?
    public var format: SourceFormat
    public var provenance: Provenance
    /// Hash of the record's source bytes: equal for re-delivered copies of one record.
    public var contentHash: UInt64 = 0
    /// Set only when the timeline is built with attribution.
    public var person: PersonAttribution?

    public init(
        id: String, time: Timestamp, plane: Plane, service: String, action: String,
        outcome: Outcome, actor: Actor, format: SourceFormat, provenance: Provenance
    ) {
        self.id = id
        self.time = time
        self.plane = plane
        self.service = service
        self.action = action
        self.outcome = outcome
        self.actor = actor
        self.resources = []
        self.format = format
        self.provenance = provenance
    }
}

/// The person an event is attributed to by the identity graph (`timeline --attribute`).
public struct PersonAttribution: Sendable, Hashable, Codable {
    /// The person's email, when one candidate remains.
    public var email: String?
    /// Every candidate (more than one when ambiguous).
    public var candidates: [String]
    /// exact, time-window or ambiguous.
    public var confidence: String

    public init(email: String?, candidates: [String], confidence: String) {
        self.email = email
        self.candidates = candidates
        self.confidence = confidence
    }
}

/// Role sessions (`role ARN|session name`) → the person behind them, plus the rule that an
/// actor carrying an email (Databricks users, SSO sessions) is that person.
public struct AttributionMap: Sendable {
    public var sessions: [String: PersonAttribution]

    public init(sessions: [String: PersonAttribution]) { self.sessions = sessions }

    public func person(for a: Actor) -> PersonAttribution? {
        if let email = a.email { return PersonAttribution(email: email, candidates: [email], confidence: "exact") }
        if a.kind == .assumedRole, let role = a.sessionIssuer, let session = a.sessionName {
            return sessions[role + "|" + session]
        }
        return nil
    }
}
