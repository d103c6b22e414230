import CrossTrailAnalysis
import CrossTrailModel
import CrossTrailReport

/// `--format asff`: AWS Security Finding Format, the JSON array `aws securityhub
/// batch-import-findings --findings file://…` takes (at most 100 findings per call: split larger
/// files, Docs/formats.md). Needs the account and region Security Hub imports into
/// (`--asff-account`, `--asff-region`): they make the custom integration's `ProductArn`.
public struct ASFFFindingsReporter: FindingsReporter {
    public static let identifier = "asff"
    public static let summary = "AWS Security Finding Format for Security Hub BatchImportFindings"

    public init() {}

    public func write(_ doc: FindingsDocument, to write: (String) -> Void) throws {
        guard let hub = doc.securityHub else {
            throw CrossTrailError(.usage, "--format asff needs --asff-account and --asff-region")
        }
        let findings = doc.all.map { Self.finding($0, doc, hub) }
        write(try FindingsFormatting.json(findings, pretty: true) + "\n")
    }

    static func finding(
        _ f: Finding, _ doc: FindingsDocument, _ hub: (account: String, region: String)
    ) -> FindingsFormatting.Object {
        let now = doc.generatedAt.iso8601
        // A custom integration imports into its own account: `AwsAccountId` is that account
        // (Security Hub refuses another); the account the finding is about goes in ProductFields.
        let about =
            f.subjects.lazy.compactMap { $0.arn.flatMap { AWSAccountID.of(arn: $0) } }.first
            ?? f.resources.lazy.compactMap { AWSAccountID.of(arn: $0) }.first
        let (workflow, record): (String, String) =
            switch f.lifecycle {
            case .suppressed?: ("SUPPRESSED", "ACTIVE")
            case .resolved?: ("RESOLVED", "ARCHIVED")
            default: ("NEW", "ACTIVE")
            }
        let types = Self.types(f, doc.check(f.rule))
        let severity: FindingsFormatting.Object = ["Label": label(f.severity), "Original": f.severity.rawValue]
        var provider: FindingsFormatting.Object = ["Severity": severity, "Types": types]
        var out: FindingsFormatting.Object = [
            "SchemaVersion": "2018-10-08",
            "Id": f.id,
            "ProductArn":
                "arn:\(partition(hub.region)):securityhub:\(hub.region):\(hub.account):product/\(hub.account)/default",
            "ProductName": "crosstrail",
            "CompanyName": "crosstrail",
            "GeneratorId": FindingsFormatting.cut("crosstrail/" + f.rule, 512),
            "AwsAccountId": hub.account,
            "Types": types,
            "CreatedAt": now,
            "UpdatedAt": now,
            "Severity": severity,
            "Title": FindingsFormatting.cut(f.title, 256),
            "Description": FindingsFormatting.cut(f.summaryText, 1024),
            "Resources": resources(f, hub.region),
            "Workflow": ["Status": workflow],
            "RecordState": record,
            "ProductFields": productFields(f, about: about),
        ]
        if !f.remediation.isEmpty {
            out["Remediation"] = ["Recommendation": ["Text": FindingsFormatting.cut(f.remediation, 512)]]
        }
        if !f.controls.isEmpty {
            out["Compliance"] = [
                "Status": "FAILED",
                "RelatedRequirements": f.controls.prefix(32).map { FindingsFormatting.cut($0.description, 256) },
            ]
        }
        if let confidence = doc.check(f.rule)?.confidence, confidence != .unrated {
            provider["Confidence"] =
                switch confidence {
                case .high: 90
                case .medium: 60
                default: 30
                }
        }
        // Security Hub takes a provider's Severity, Types and Confidence from here on later
        // imports too (the top-level ones are the customer's to change).
        out["FindingProviderFields"] = provider
        if let seen = f.observed {
            out["FirstObservedAt"] = seen.first.iso8601
            out["LastObservedAt"] = seen.last.iso8601
        }
        return out
    }

    /// Security Hub's severity labels.
    static func label(_ s: Severity) -> String {
        switch s {
        case .info: "INFORMATIONAL"
        case .low: "LOW"
        case .medium: "MEDIUM"
        case .high: "HIGH"
        case .critical: "CRITICAL"
        }
    }

    /// ASFF `Types` (`namespace/category`): permission checks are configuration checks;
    /// detections name their ATT&CK tactics (`TTPs/Defense Evasion`; exfiltration and impact are
    /// `Effects`), else unusual behaviour.
    static func types(_ f: Finding, _ check: EvidencePack.Check?) -> [String] {
        if Analyzer.permissionRuleIDs.contains(f.rule) {
            return ["Software and Configuration Checks/AWS Security Best Practices"]
        }
        let tactics = (check?.tactics ?? []).compactMap { slug -> String? in
            guard let t = ATTACKTactic.named(slug) else { return nil }
            switch t.id {
            case "TA0010": return "Effects/Data Exfiltration"
            case "TA0040":
                return f.mitre?.hasPrefix("T1496") == true ? "Effects/Resource Consumption" : "Effects/Data Destruction"
            case "TA0043", "TA0042": return "TTPs"
            default: return "TTPs/" + t.name
            }
        }
        if !tactics.isEmpty { return Array(tactics.uniqued().prefix(50)) }
        return [f.mitre != nil ? "TTPs" : "Unusual Behaviors/User"]
    }

    /// The AWS partition of a region (`aws`, `aws-cn`, `aws-us-gov`).
    static func partition(_ region: String) -> String {
        if region.hasPrefix("cn-") { return "aws-cn" }
        if region.hasPrefix("us-gov-") { return "aws-us-gov" }
        return "aws"
    }

    /// The subjects (IAM principals, Databricks identities) and resources, 1 to 32 of them.
    static func resources(_ f: Finding, _ region: String) -> [FindingsFormatting.Object] {
        var out: [FindingsFormatting.Object] = []
        for s in f.subjects {
            let type: String =
                switch s.kind {
                case "iamUser": "AwsIamUser"
                case "iamRole": "AwsIamRole"
                case "iamGroup": "AwsIamGroup"
                default: "Other"
                }
            var r: FindingsFormatting.Object = [
                "Type": type, "Id": FindingsFormatting.cut(s.arn ?? s.email ?? s.name, 512),
            ]
            r["Details"] = [
                "Other": ["crosstrail/kind": s.kind, "crosstrail/name": FindingsFormatting.cut(s.name, 1024)]
            ]
            out.append(r)
        }
        for id in f.resources {
            let type = id.hasPrefix("arn:aws:s3:::") ? "AwsS3Bucket" : "Other"
            out.append(["Type": type, "Id": FindingsFormatting.cut(id, 512)])
        }
        if out.isEmpty { out.append(["Type": "Other", "Id": "crosstrail/" + f.rule]) }
        return Array(out.prefix(32)).map { r in
            var r = r
            r["Region"] = region
            return r
        }
    }

    /// Up to 50 string pairs: the rule, the account the finding is about, the evidence events,
    /// the store status.
    static func productFields(_ f: Finding, about account: String?) -> [String: String] {
        var p = ["crosstrail/rule": FindingsFormatting.cut(f.rule, 2048), "crosstrail/findingId": f.id]
        if let account { p["crosstrail/awsAccountId"] = account }
        if let technique = f.mitre { p["crosstrail/mitre"] = technique }
        if !f.evidence.events.isEmpty {
            // Values hold at most 2,048 characters.
            p["crosstrail/evidenceEvents"] = FindingsFormatting.cut(
                f.evidence.events.prefix(20).joined(separator: " "), 2048)
            p["crosstrail/evidenceEventCount"] = String(f.evidence.events.count)
        }
        if let status = f.status { p["crosstrail/storeStatus"] = status }
        return p
    }
}
