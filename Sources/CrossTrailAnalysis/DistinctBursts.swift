import CrossTrailIngest
import CrossTrailModel

/// Detections that count the *distinct* things one actor touched in a short window: many secrets
/// read, a whole account enumerated, many backups or snapshots destroyed. Distinct values keep a
/// busy job that reads one secret a thousand times quiet while ten different secrets in two
/// seconds are a burst. Calls AWS services make for a principal (`invokedBy`, a service host name
/// as the source address) are not counted: they are the platform at work.
struct DistinctBurst: Sendable {
    var rule: String
    var severity: Severity
    /// Window length in milliseconds (fixed buckets, so the result does not depend on file order).
    var window: Int64
    var windowText: String
    var noun: String
    var mitre: String
    var controls: [ControlRef]
    var remediation: String
    /// The threshold (distinct values per window) from the options.
    var threshold: @Sendable (StatefulOptions) -> Int
    /// The values an event contributes (nil: the event is not of this kind). The request
    /// parameters are parsed on the first call of the second argument, so events of other kinds
    /// (nearly all) cost no parsing.
    var values: @Sendable (AuditEvent, () -> JSON?) -> [String]?
    /// Further condition on a window that crossed the threshold (e.g. enough denied calls).
    var qualifies: @Sendable (Observations.DistinctWindow) -> Bool = { _ in true }

    static let valueCap = 256

    /// The detections, in the order they are evaluated.
    static let all: [DistinctBurst] = [secretReads, enumeration, destruction, s3Deletes, unityCatalogDenials]

    /// The AWS console acting for a signed-in user: its pages call many APIs, some of them denied
    /// for a read-only user — browsing, not enumeration.
    static func fromConsole(_ e: AuditEvent) -> Bool {
        let ua = e.userAgent ?? ""
        return ua.contains("console.amazonaws.com") || ua.hasPrefix("AWS Internal")
            || e.sourceIPAddress == "AWS Internal"
            || ua.contains("console.aws.amazon.com")
    }

    /// Calls AWS makes on a principal's behalf (ECS pulling a task's secrets, CloudFormation).
    static func byService(_ e: AuditEvent) -> Bool {
        if e.actor.kind == .awsService || e.actor.runAs != nil { return true }
        guard let ip = e.sourceIPAddress else { return false }
        return ip.hasSuffix(".amazonaws.com") || ip == "AWS Internal"
    }

    static let secretReads = DistinctBurst(
        rule: "secret-read-burst", severity: .medium, window: 600_000, windowText: "10 minutes",
        noun: "different secrets or decrypted parameters read",
        mitre: "T1555.006",
        controls: [
            ControlRef("SOC 2", "CC6.1"), ControlRef("ISO 27001:2022", "A.8.5"), ControlRef("NIST 800-53", "SC-28"),
        ],
        remediation:
            "Confirm the job or person needed those secrets; rotate them if not, and scope the Secrets Manager / SSM / secret scope policy.",
        threshold: { $0.secretReads },
        values: { e, p in
            guard !byService(e) else { return nil }
            switch (e.service, e.action) {
            case ("secretsmanager", "GetSecretValue"):
                return [p()?["secretId"]?.string ?? "?"]
            case ("secretsmanager", "BatchGetSecretValue"):
                let ids = p()?["secretIdList"]?.strings ?? []
                // A batch by filters names no secrets: count it as many (up to 20 per call).
                return ids.isEmpty ? (0..<20).map { "batch:\(e.id):\($0)" } : ids
            case ("ssm", "GetParameter"), ("ssm", "GetParameters"), ("ssm", "GetParametersByPath"):
                guard p()?["withDecryption"]?.bool == true else { return nil }
                if let path = p()?["path"]?.string { return (0..<10).map { "path:\(path):\(e.id):\($0)" } }
                return (p()?["names"]?.strings ?? []) + [p()?["name"]?.string].compactMap { $0 }
            case ("secrets", "getSecret"):
                return [(p()?["scope"]?.string ?? "?") + "/" + (p()?["key"]?.string ?? "?")]
            default: return nil
            }
        })

    /// Permission enumeration (enumerate-iam, Pacu, CloudFox): many different read calls, a good
    /// share of them denied. Consoles and IaC read a lot too, but they hold the permissions.
    static let enumeration = DistinctBurst(
        rule: "enumeration-burst", severity: .medium, window: 600_000, windowText: "10 minutes",
        noun: "different read calls (several denied)",
        mitre: "T1580",
        controls: [ControlRef("SOC 2", "CC7.2"), ControlRef("NIST 800-53", "SI-4")],
        remediation:
            "Find out who holds these credentials: denied reads across many services are how stolen keys are explored. Check what succeeded.",
        threshold: { $0.enumerationCalls },
        values: { e, _ in
            guard e.plane == .aws, !byService(e), !fromConsole(e) else { return nil }
            let a = e.action
            guard e.readOnly == true || a.hasPrefix("List") || a.hasPrefix("Describe") || a.hasPrefix("Get") else {
                return nil
            }
            return [e.service + ":" + a]
        },
        qualifies: { $0.deniedValues >= 5 })

    /// Recovery points destroyed in bulk: snapshots, images, backups, tables.
    static let destruction = DistinctBurst(
        rule: "destruction-burst", severity: .high, window: 600_000, windowText: "10 minutes",
        noun: "backups, snapshots, images or tables deleted",
        mitre: "T1490",
        controls: [
            ControlRef("SOC 2", "A1.2"), ControlRef("ISO 27001:2022", "A.8.13"), ControlRef("NIST 800-53", "CP-9"),
        ],
        remediation:
            "Stop the actor (disable the key or session), check whether copies remain (AWS Backup vault lock, Recycle Bin) and restore.",
        threshold: { $0.destructiveDeletes },
        values: { e, p in
            guard !byService(e), e.outcome.status != .failure else { return nil }
            let key: String?
            switch (e.service, e.action) {
            case ("ec2", "DeleteSnapshot"): key = p()?["snapshotId"]?.string
            case ("ec2", "DeregisterImage"): key = p()?["imageId"]?.string
            case ("ec2", "DeleteVolume"): key = p()?["volumeId"]?.string
            case ("rds", "DeleteDBSnapshot"): key = p()?["dBSnapshotIdentifier"]?.string
            case ("rds", "DeleteDBClusterSnapshot"): key = p()?["dBClusterSnapshotIdentifier"]?.string
            case ("rds", "DeleteDBInstance"), ("rds", "DeleteDBInstanceAutomatedBackup"):
                key = p()?["dBInstanceIdentifier"]?.string ?? p()?["dbiResourceId"]?.string
            case ("backup", "DeleteRecoveryPoint"): key = p()?["recoveryPointArn"]?.string
            case ("dynamodb", "DeleteTable"), ("dynamodb", "DeleteBackup"):
                key = p()?["tableName"]?.string ?? p()?["backupArn"]?.string
            case ("unityCatalog", "deleteTable"), ("unityCatalog", "deleteSchema"), ("unityCatalog", "deleteCatalog"),
                ("unityCatalog", "deleteVolume"):
                key = (p()?["full_name_arg"] ?? p()?["name"] ?? p()?["full_name"])?.string
            default: return nil
            }
            return [e.action + ":" + (key ?? e.id)]
        })

    /// Unity Catalog refusing one principal on many securables: data discovery or privilege probing.
    /// One denial is a missing grant or a typo; the routine ones repeat the same securable.
    static let unityCatalogDenials = DistinctBurst(
        rule: "dbx-uc-denied-burst", severity: .medium, window: 3_600_000, windowText: "one hour",
        noun: "different Unity Catalog requests denied",
        mitre: "T1526",
        controls: [
            ControlRef("SOC 2", "CC7.2"), ControlRef("ISO 27001:2022", "A.8.16"), ControlRef("NIST 800-53", "AC-3"),
        ],
        remediation:
            "Look at what the principal tried and what it reached; probing many securables, or denials followed by grant changes, warrants a closer look at the account.",
        threshold: { $0.unityCatalogDenials },
        values: { e, p in
            guard e.plane == .databricks, e.service == "unityCatalog", e.outcome.status == .failure,
                ["401", "403"].contains(e.outcome.errorCode ?? "")
            else { return nil }
            let target =
                (p()?["full_name_arg"] ?? p()?["table_full_name"] ?? p()?["name"] ?? p()?["table_id"]
                ?? p()?["securable_full_name"])?.string ?? "?"
            return [e.action + ":" + target]
        })

    /// Objects deleted in bulk from a bucket (ransomware wipes, evidence destruction). Needs S3 data events.
    static let s3Deletes = DistinctBurst(
        rule: "s3-mass-delete", severity: .high, window: 600_000, windowText: "10 minutes", noun: "object delete calls",
        mitre: "T1485",
        controls: [
            ControlRef("SOC 2", "A1.2"), ControlRef("ISO 27001:2022", "A.8.13"), ControlRef("NIST 800-53", "CP-9"),
        ],
        remediation:
            "Check versioning and Object Lock on the bucket, restore the deleted versions, and find how the actor got s3:DeleteObject.",
        threshold: { $0.s3Deletes },
        values: { e, p in
            guard e.service == "s3", !byService(e), e.outcome.status != .failure else { return nil }
            switch e.action {
            case "DeleteObject": return [(p()?["bucketName"]?.string ?? "?") + "/" + (p()?["key"]?.string ?? e.id)]
            // One DeleteObjects call removes up to 1,000 keys; CloudTrail does not list them. Count it as 10.
            case "DeleteObjects": return (0..<10).map { "\(e.id):\($0)" }
            default: return nil
            }
        })
}

extension Observations {
    /// One window of a distinct burst: the events, the distinct values and how many of them were denied.
    public struct DistinctWindow: Sendable, Hashable {
        public var sample = EventSample(capacity: EventSample.findingCap)
        public var values: Set<String> = []
        private var denied: Set<String> = []
        /// Values whose calls were denied.
        public var deniedValues: Int { denied.count }

        mutating func add(_ e: AuditEvent, _ vs: [String]) {
            sample.add(e)
            for v in vs where values.count < DistinctBurst.valueCap { values.insert(v) }
            if e.outcome.status == .failure {
                for v in vs where denied.count < DistinctBurst.valueCap { denied.insert(v) }
            }
        }

        mutating func merge(_ o: DistinctWindow) {
            sample.merge(o.sample)
            for v in o.values where values.count < DistinctBurst.valueCap { values.insert(v) }
            for v in o.denied where denied.count < DistinctBurst.valueCap { denied.insert(v) }
        }
    }
}

enum DistinctBurstRules {
    /// The time between a sample's first and last event, in words (`2 seconds`, `14 minutes`).
    static func duration(_ sample: EventSample) -> String {
        guard let first = sample.first, let last = sample.last else { return "moments" }
        let seconds = max(0, (last.millis - first.millis) / 1000)
        if seconds < 120 { return "\(seconds) second\(seconds == 1 ? "" : "s")" }
        return "\((seconds + 59) / 60) minutes"
    }

    static func run(_ obs: Observations, _ graph: IdentityGraph, _ o: StatefulOptions) -> [Finding] {
        var out = [Finding]()
        for kind in DistinctBurst.all {
            let threshold = kind.threshold(o)
            for (key, windows) in obs.distinctBursts.sorted(by: { $0.key < $1.key }) where key.a == kind.rule {
                // A burst that straddles a bucket boundary is whole in the union of two consecutive buckets.
                var spans = [Int64: Observations.DistinctWindow]()
                for (k, w) in windows {
                    var span = w
                    if let next = windows[k + 1] { span.merge(next) }
                    spans[k] = span
                }
                let hot = spans.filter { $0.value.values.count >= threshold && kind.qualifies($0.value) }
                guard let worst = hot.max(by: { ($0.value.values.count, $1.key) < ($1.value.values.count, $0.key) })
                else { continue }
                let actor = key.b
                let shown = worst.value.values.filter { !$0.contains(":\(worst.value.sample.ids.first ?? "")") }
                    .sorted().prefix(20)
                out.append(
                    Finding(
                        rule: kind.rule, severity: kind.severity,
                        // Two consecutive buckets are judged together: say how long the burst really took.
                        title:
                            "\(worst.value.values.count) \(kind.noun) within \(Self.duration(worst.value.sample)) by \(actor)",
                        subjects: [Subject(kind: "actor", name: actor, person: graph.person(forKey: actor))],
                        resources: shown.filter { !$0.hasPrefix("batch:") && !$0.hasPrefix("path:") }.map { $0 },
                        evidence: Evidence(
                            events: worst.value.sample.sortedIds, chain: graph.attributions[actor]?.chain ?? [],
                            details: [
                                "windows over threshold": String(hot.count),
                                "distinct in worst window": String(worst.value.values.count),
                                "denied in worst window": String(worst.value.deniedValues),
                                "events in worst window": String(worst.value.sample.count),
                                "threshold": "\(threshold) distinct per \(kind.windowText)",
                                "worst window starts": Timestamp(millis: worst.key * kind.window).iso8601,
                            ]),
                        controls: kind.controls, remediation: kind.remediation, mitre: kind.mitre,
                        key: kind.rule + "|" + actor))
            }
        }
        return out
    }
}
