import CrossTrailIngest
import CrossTrailModel

/// A resource-based policy (S3 bucket, KMS key, SQS queue, SNS topic, Lambda function, Secrets
/// Manager secret, ECR repository…) and, for S3 buckets, the Block Public Access settings and the
/// ACL grants to everyone.
public struct ResourcePolicy: Sendable {
    public var arn: String
    /// The AWS Config resource type: `AWS::S3::Bucket`, `AWS::KMS::Key`, `AWS::SQS::Queue`…
    public var type: String
    /// The account owning it (S3 ARNs do not name one).
    public var account: String
    public var statements: [PolicyStatement]
    /// S3 Block Public Access of the bucket merged with the account's: `RestrictPublicBuckets`
    /// neutralises a public policy, `IgnorePublicAcls` public ACL grants.
    public var restrictPublicBuckets = false
    public var ignorePublicAcls = false
    /// ACL grants to `AllUsers` or `AuthenticatedUsers`: (grantee, permission).
    public var publicGrants: [(grantee: String, permission: String)] = []
    /// The file it was read from.
    public var source: String

    /// The S3 bucket name, for buckets.
    public var bucket: String? { arn.hasPrefix("arn:aws:s3:::") ? String(arn.dropFirst(13)) : nil }
}

/// Resource-based policies from two exports, recognised by content:
/// - crosstrail's `resource-policies.json` (`crosstrail fetch resource-policies` writes it):
///   `{"ResourcePolicies": [{"Arn", "Type", "Account", "Policy", "PublicAccessBlock", "Grants"}]}`,
///   where `Policy` is the document (object or the JSON string the APIs return),
///   `PublicAccessBlock` the `PublicAccessBlockConfiguration` of `s3api get-public-access-block`
///   and `Grants` the `Grants` of `s3api get-bucket-acl`; an entry with `"Type":
///   "AWS::S3::AccountPublicAccessBlock"` holds the account's settings.
/// - AWS Config snapshots and configuration item lists (`configurationItems`): S3 buckets
///   (`supplementaryConfiguration.BucketPolicy`, `PublicAccessBlockConfiguration`,
///   `AccessControlList`), the account's `AWS::S3::AccountPublicAccessBlock`, and the
///   `Policy` of SQS queues and SNS topics.
public struct ResourcePolicies: Sendable {
    public private(set) var policies: [ResourcePolicy] = []
    /// ARN → index in `policies` (the last read wins).
    private var index: [String: Int] = [:]
    /// Account → its S3 Block Public Access (restrictPublicBuckets, ignorePublicAcls).
    private var accountBlocks: [String: (restrict: Bool, ignoreAcls: Bool)] = [:]

    public init() {}

    public var isEmpty: Bool { policies.isEmpty && accountBlocks.isEmpty }

    /// Resources and account settings read (an inventory file's entry count).
    var entryCount: Int { policies.count + accountBlocks.count }

    /// The policy of a resource, by ARN.
    public func policy(arn: String) -> ResourcePolicy? { index[arn].map { policies[$0] } }

    /// The policies with the account-level S3 Block Public Access applied to their buckets.
    public var effective: [ResourcePolicy] {
        policies.map { p in
            guard p.type == "AWS::S3::Bucket", let block = accountBlocks[p.account] else { return p }
            var p = p
            p.restrictPublicBuckets = p.restrictPublicBuckets || block.restrict
            p.ignorePublicAcls = p.ignorePublicAcls || block.ignoreAcls
            return p
        }
    }

    /// crosstrail's export. Returns problems; every readable entry is kept.
    public mutating func merge(export doc: JSON, path: String) -> [String] {
        var problems: [String] = []
        for (i, e) in (doc["ResourcePolicies"]?.array ?? []).enumerated() {
            guard let arn = e["Arn"]?.string, let type = e["Type"]?.string else {
                problems.append("resource policy \(i + 1) has no Arn and Type; skipped")
                continue
            }
            guard let account = e["Account"]?.string ?? AWSAccountID.of(arn: arn), AWSAccountID.isValid(account)
            else {
                problems.append(
                    "resource policy \(i + 1) (\(arn)) has no Account (S3 ARNs do not name one); skipped: whose account it is decides what is external"
                )
                continue
            }
            if type == "AWS::S3::AccountPublicAccessBlock" {
                let block = Self.block(e["PublicAccessBlock"])
                accountBlocks[account] = (block.restrict, block.ignoreAcls)
                continue
            }
            add(
                arn: arn, type: type, account: account, policy: e["Policy"], block: e["PublicAccessBlock"],
                grants: Self.grants(apiGrants: e["Grants"]), path: path, index: i, problems: &problems)
        }
        return problems
    }

    /// An AWS Config snapshot or list of configuration items.
    public mutating func merge(configItems items: [JSON], path: String) -> [String] {
        var problems: [String] = []
        // History files list every change: only the latest state of each resource counts, and a
        // deleted or no longer recorded resource not at all.
        var latest: [String: (time: String, index: Int)] = [:]
        for (i, item) in items.enumerated() {
            guard let type = item["resourceType"]?.string else { continue }
            let key = type + "|" + (item["resourceId"]?.string ?? item["ARN"]?.string ?? String(i))
            let time = item["configurationItemCaptureTime"]?.string ?? ""
            if let seen = latest[key], seen.time > time { continue }
            latest[key] = (time, i)
        }
        let gone: Set<String> = ["ResourceDeleted", "ResourceNotRecorded", "ResourceDeletedNotRecorded"]
        for (i, item) in items.enumerated() {
            guard let type = item["resourceType"]?.string,
                latest[type + "|" + (item["resourceId"]?.string ?? item["ARN"]?.string ?? String(i))]?.index == i,
                !gone.contains(item["configurationItemStatus"]?.string ?? "")
            else { continue }
            guard let account = item["awsAccountId"]?.string, AWSAccountID.isValid(account) else {
                problems.append(
                    "configuration item \(i + 1) (\(type)) has no valid awsAccountId; skipped: whose account it is decides what is external"
                )
                continue
            }
            let supplementary = item["supplementaryConfiguration"]
            switch type {
            case "AWS::S3::AccountPublicAccessBlock":
                let block = Self.block(Self.object(item["configuration"]))
                accountBlocks[account] = (block.restrict, block.ignoreAcls)
            case "AWS::S3::Bucket":
                let name = item["resourceName"]?.string ?? item["resourceId"]?.string ?? ""
                let arn = item["ARN"]?.string ?? "arn:aws:s3:::\(name)"
                let acl = Self.object(supplementary?["AccessControlList"])
                add(
                    arn: arn, type: type, account: account,
                    policy: Self.object(supplementary?["BucketPolicy"])?["policyText"],
                    block: Self.object(supplementary?["PublicAccessBlockConfiguration"]),
                    grants: Self.grants(configACL: acl), path: path, index: i, problems: &problems)
            case "AWS::KMS::Key", "AWS::Lambda::Function":
                // The key policy and the function's resource policy are supplementary configuration.
                guard let arn = item["ARN"]?.string else { continue }
                add(
                    arn: arn, type: type, account: account, policy: Self.object(supplementary?["Policy"]), block: nil,
                    grants: [], path: path, index: i, problems: &problems)
            case "AWS::SQS::Queue", "AWS::SNS::Topic":
                guard let arn = item["ARN"]?.string ?? item["resourceId"]?.string else { continue }
                let configuration = Self.object(item["configuration"])
                let policy =
                    configuration?["Policy"] ?? configuration?["policy"] ?? configuration?["Attributes"]?["Policy"]
                add(
                    arn: arn, type: type, account: account, policy: policy, block: nil, grants: [], path: path,
                    index: i, problems: &problems)
            default:
                continue
            }
        }
        return problems
    }

    private mutating func add(
        arn: String, type: String, account: String, policy: JSON?, block: JSON?,
        grants: [(grantee: String, permission: String)], path: String, index: Int, problems: inout [String]
    ) {
        var statements: [PolicyStatement] = []
        if let policy, policy != .null, policy.string?.isEmpty != true {
            do {
                statements = try PolicyDocument.statements(
                    from: policy, source: PolicyRef(kind: .resource, name: arn, arn: arn))
            } catch {
                problems.append("entry \(index + 1) (\(arn)): \(error.reason)")
                return
            }
        }
        // A bucket with no policy, ACL grant or block is still a resource assessed (and closed).
        guard !statements.isEmpty || !grants.isEmpty || block != nil || type == "AWS::S3::Bucket" else { return }
        let b = Self.block(block)
        let policy = ResourcePolicy(
            arn: arn, type: type, account: account, statements: statements, restrictPublicBuckets: b.restrict,
            ignorePublicAcls: b.ignoreAcls, publicGrants: grants, source: path)
        // The same resource read twice (two snapshots, Config and an export): the last read counts.
        if let i = self.index[arn] {
            policies[i] = policy
        } else {
            self.index[arn] = policies.count
            policies.append(policy)
        }
    }

    /// A value AWS Config stores either as an object or as JSON text.
    static func object(_ v: JSON?) -> JSON? {
        guard let v else { return nil }
        if let text = v.string { return try? JSON.parse(text: text) }
        return v == .null ? nil : v
    }

    /// Block Public Access settings: the configuration itself, or `get-public-access-block`'s
    /// whole output (`{"PublicAccessBlockConfiguration": {…}}`).
    static func block(_ v: JSON?) -> (restrict: Bool, ignoreAcls: Bool) {
        let v = v?["PublicAccessBlockConfiguration"] ?? v
        return (
            v?["RestrictPublicBuckets"]?.bool ?? v?["restrictPublicBuckets"]?.bool ?? false,
            v?["IgnorePublicAcls"]?.bool ?? v?["ignorePublicAcls"]?.bool ?? false
        )
    }

    static let publicGroups = [
        "http://acs.amazonaws.com/groups/global/AllUsers": "AllUsers",
        "http://acs.amazonaws.com/groups/global/AuthenticatedUsers": "AuthenticatedUsers",
    ]

    /// `get-bucket-acl` grants to everyone.
    static func grants(apiGrants: JSON?) -> [(grantee: String, permission: String)] {
        (apiGrants?.array ?? []).compactMap { g in
            guard let uri = g["Grantee"]?["URI"]?.string, let who = publicGroups[uri] else { return nil }
            return (who, g["Permission"]?.string ?? "?")
        }
    }

    /// AWS Config's `AccessControlList` grants to everyone (`grantee` is a group name or a URI).
    static func grants(configACL: JSON?) -> [(grantee: String, permission: String)] {
        (configACL?["grantList"]?.array ?? []).compactMap { g in
            let grantee = g["grantee"]?.string ?? g["grantee"]?["identifier"]?.string ?? ""
            let who = publicGroups[grantee] ?? (["AllUsers", "AuthenticatedUsers"].contains(grantee) ? grantee : nil)
            guard let who else { return nil }
            return (who, g["permission"]?.string?.uppercased() ?? "?")
        }
    }
}
