/// crosstrail's version, as outputs name the tool that wrote them (SARIF, OCSF, ASFF, packs).
public enum CrossTrailVersion {
    public static let current = "0.1.0"
}

/// What crosstrail's OCSF outputs share (events and Detection Findings): the schema version they
/// declare, its profiles, and the enumerations crosstrail's own kinds map to.
///
/// OCSF 1.6.0: the version AWS Security Hub ingests findings in ("Security Hub currently supports
/// findings in OCSF schema version 1.6"), so one version serves both the timeline (Security Lake
/// custom sources, SIEMs) and the findings (Security Hub, Prowler-style pipelines). Every line
/// declares it in `metadata.version`, with the `cloud` and `datetime` profiles in
/// `metadata.profiles` (`cloud.*`, `*_dt`).
public enum OCSF {
    public static let version = "1.6.0"
    public static let profiles = ["cloud", "datetime"]

    /// OCSF `user.type_id` and its caption: 0 Unknown, 1 User, 2 Admin, 3 System, 4 Service,
    /// 99 Other (caption free; crosstrail's kind).
    public static func userType(_ kind: ActorKind) -> (id: Int64, caption: String) {
        switch kind {
        case .iamUser, .federatedUser, .databricksUser: (1, "User")
        case .root: (2, "Admin")
        case .system: (3, "System")
        case .awsService, .servicePrincipal: (4, "Service")
        case .anonymous, .unknown: (0, "Unknown")
        case .assumedRole: (99, "AssumedRole")
        case .awsAccount: (99, "AWSAccount")
        }
    }

    /// OCSF `account.type_id` and caption: 10 "AWS Account"; a Databricks account is 99 (Other).
    public static func accountType(_ plane: Plane) -> (id: Int64, caption: String) {
        switch plane {
        case .aws: (10, "AWS Account")
        case .databricks: (99, "Databricks Account")
        }
    }

    /// OCSF `severity_id` and caption for a crosstrail severity.
    public static func severity(_ s: Severity) -> (id: Int64, caption: String) {
        switch s {
        case .info: (1, "Informational")
        case .low: (2, "Low")
        case .medium: (3, "Medium")
        case .high: (4, "High")
        case .critical: (5, "Critical")
        }
    }
}
