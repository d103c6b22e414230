import Foundation

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

    /// OCSF `user.type_id` and its caption for an identity kind (an `ActorKind` or a finding
    /// subject's kind): 1 User, 2 Admin (root), 3 System, 4 Service, 0 Unknown; anything else —
    /// role sessions, roles, groups, instance profiles, accounts — 99 with crosstrail's kind.
    public static func userType(_ kind: String) -> (id: Int64, caption: String) {
        switch kind {
        case "iamUser", "federatedUser", "databricksUser", "person": (1, "User")
        case "root": (2, "Admin")
        case "system": (3, "System")
        case "awsService", "servicePrincipal": (4, "Service")
        case "anonymous", "unknown": (0, "Unknown")
        default: (99, kind)
        }
    }

    /// True when `s` is an address OCSF's `email_t` accepts (its pattern: ASCII local part,
    /// a dotted domain). Other "emails" (`jürgen@…`, `bob@corp`) stay names.
    public static func isEmail(_ s: String) -> Bool {
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return false }
        let local = parts[0].unicodeScalars.allSatisfy {
            $0.isASCII
                && (CharacterSet.alphanumerics.contains($0) || "!#$%&'*+,-./=?^_`{|}~".unicodeScalars.contains($0))
        }
        let domain = parts[1].unicodeScalars
        guard local, let dot = parts[1].firstIndex(of: ".") else { return false }
        let head = parts[1][..<dot], tail = parts[1][parts[1].index(after: dot)...]
        func ok(_ u: Unicode.Scalar, dots: Bool) -> Bool {
            u.isASCII && (CharacterSet.alphanumerics.contains(u) || u == "-" || (dots && u == "."))
        }
        return !head.isEmpty && !tail.isEmpty && domain.allSatisfy { ok($0, dots: true) }
            && head.unicodeScalars.allSatisfy { ok($0, dots: false) }
    }

    /// True when `s` is an address OCSF's `ip_t` accepts: IPv4 or IPv6 (zone allowed) with no
    /// leading zero in a dotted octet (`06.1.2.3` and `::ffff:010.1.2.3` are ambiguous — octal
    /// to some parsers — and stay names).
    public static func isIP(_ s: String) -> Bool {
        guard s.utf8.count <= 40, IPAddress(s) != nil else { return false }
        let address = s.split(separator: "%", maxSplits: 1).first ?? ""
        let dotted = address.split(separator: ":").last ?? ""
        guard dotted.contains(".") else { return true }
        return dotted.split(separator: ".").allSatisfy { $0.count == 1 || $0.first != "0" }
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

/// MITRE ATT&CK Enterprise tactics, by the slug Sigma tags use (`attack.defense-evasion` or
/// `attack.defense_evasion` → `defense-evasion`).
public enum ATTACKTactic {
    public static let all: [String: (id: String, name: String)] = [
        "reconnaissance": ("TA0043", "Reconnaissance"), "resource-development": ("TA0042", "Resource Development"),
        "initial-access": ("TA0001", "Initial Access"), "execution": ("TA0002", "Execution"),
        "persistence": ("TA0003", "Persistence"), "privilege-escalation": ("TA0004", "Privilege Escalation"),
        "defense-evasion": ("TA0005", "Defense Evasion"), "credential-access": ("TA0006", "Credential Access"),
        "discovery": ("TA0007", "Discovery"), "lateral-movement": ("TA0008", "Lateral Movement"),
        "collection": ("TA0009", "Collection"), "command-and-control": ("TA0011", "Command and Control"),
        "exfiltration": ("TA0010", "Exfiltration"), "impact": ("TA0040", "Impact"),
    ]

    public static func named(_ slug: String) -> (id: String, name: String)? {
        all[slug.lowercased().replacingOccurrences(of: "_", with: "-")]
    }
}

/// AWS account ids in principals and ARNs.
public enum AWSAccountID {
    /// True for a 12-digit account id.
    public static func isValid(_ s: some StringProtocol) -> Bool {
        s.count == 12 && s.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// The account an ARN names (`arn:aws:iam::123456789012:role/x` → `123456789012`); nil when
    /// the text is not an ARN or its account field is not 12 digits.
    public static func of(arn: String) -> String? {
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 6, parts[0] == "arn", isValid(parts[4]) else { return nil }
        return String(parts[4])
    }
}
