import CrossTrailHTTP
import CrossTrailXML
import Foundation

// MARK: - JSON 1.1 calls

extension AWSClient {
    /// One AWS JSON 1.1 call (`X-Amz-Target: <prefix>.<operation>`); the response object.
    func json11(
        service: String, target: String, _ operation: String, _ body: [String: Any], label: String
    ) throws -> [String: Any] {
        let r = AWSRequest(
            method: "POST", endpoint: config.endpoint(service), path: "/",
            headers: [("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", "\(target).\(operation)")],
            body: Array(try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])),
            service: service, region: config.signingRegion(service), label: label)
        let response = try send(r)
        guard let doc = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] else {
            throw FetchError("\(label): the response is not a JSON object")
        }
        return doc
    }

    /// Every page of a JSON 1.1 listing (`NextToken`/`NextMarker`), its `key` lists concatenated.
    func json11List(
        service: String, target: String, _ operation: String, _ body: [String: Any], key: String,
        token: String = "NextToken", label: String
    ) throws -> [[String: Any]] {
        var out: [[String: Any]] = []
        var next: String?
        var pagination = Pagination(label)
        repeat {
            var b = body
            if let next { b[token == "NextMarker" ? "Marker" : token] = next }
            let doc = try json11(service: service, target: target, operation, b, label: label)
            out += doc[key] as? [[String: Any]] ?? []
            next = try pagination.next(doc[token] as? String)
        } while next != nil
        return out
    }
}

// MARK: - AWS Organizations

/// Writes `organizations.json`: the organisation, its roots, OUs and accounts (each with its
/// `ParentId`), and every service and resource control policy with its content and targets — the
/// export the inventory reader takes (Docs/formats.md). Run it with the management account's or a
/// delegated administrator's credentials.
public struct OrganizationsFetch: Fetcher {
    public var client: AWSClient
    public init(client: AWSClient) { self.client = client }
    public var label: String { "AWS Organizations" }

    static let target = "AWSOrganizationsV20161128"

    func call(_ op: String, _ body: [String: Any] = [:]) throws -> [String: Any] {
        try client.json11(service: "organizations", target: Self.target, op, body, label: "Organizations \(op)")
    }

    func list(_ op: String, _ body: [String: Any], key: String, what: String) throws -> [[String: Any]] {
        try client.json11List(
            service: "organizations", target: Self.target, op, body, key: key, label: "Organizations \(op) \(what)")
    }

    public func fetch(into run: FetchRun, progress: (@Sendable (FetchSummary) -> Void)? = nil) throws -> FetchSummary {
        var doc: [String: Any] = [:]
        doc["Organization"] = try call("DescribeOrganization")["Organization"]
        let roots = try list("ListRoots", [:], key: "Roots", what: "")
        doc["Roots"] = roots
        // The tree, breadth first from the roots; a cycle or a very deep tree cannot loop.
        var units: [[String: Any]] = [], accounts: [[String: Any]] = []
        var queue = roots.compactMap { $0["Id"] as? String }
        var seen = Set(queue)
        while let parent = queue.first {
            queue.removeFirst()
            for var ou in try list(
                "ListOrganizationalUnitsForParent", ["ParentId": parent], key: "OrganizationalUnits", what: parent)
            {
                guard let id = ou["Id"] as? String, seen.insert(id).inserted else { continue }
                ou["ParentId"] = parent
                units.append(ou)
                queue.append(id)
            }
            for var account in try list("ListAccountsForParent", ["ParentId": parent], key: "Accounts", what: parent) {
                account["ParentId"] = parent
                accounts.append(account)
            }
        }
        doc["OrganizationalUnits"] = units
        doc["Accounts"] = accounts
        var policies: [[String: Any]] = []
        for type in ["SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"] {
            let summaries: [[String: Any]]
            do {
                summaries = try list("ListPolicies", ["Filter": type], key: "Policies", what: type)
            } catch let e as HTTPError where e.statusCode == 400 {
                // A partition or an organisation without that policy type: said, not fatal.
                run.warn("Organizations ListPolicies \(type): \(e); those policies are not in the export")
                continue
            }
            for summary in summaries {
                guard let id = summary["Id"] as? String else { continue }
                var policy = try call("DescribePolicy", ["PolicyId": id])["Policy"] as? [String: Any] ?? [:]
                policy["Targets"] = try list("ListTargetsForPolicy", ["PolicyId": id], key: "Targets", what: id)
                policies.append(policy)
            }
        }
        doc["Policies"] = policies
        return try run.writeExport(
            doc, as: "organizations.json", key: "organizations:export",
            listed: accounts.count + units.count + policies.count)
    }
}

// MARK: - Resource-based policies

/// Writes `resource-policies.json`: every S3 bucket's policy, Block Public Access settings and ACL
/// grants, the account's S3 Block Public Access, and every customer managed KMS key's policy in
/// the region (`ResourcePolicies` reads it; Docs/formats.md).
public struct ResourcePoliciesFetch: Fetcher {
    public var client: AWSClient
    public init(client: AWSClient) { self.client = client }
    public var label: String { "resource policies" }

    public func fetch(into run: FetchRun, progress: (@Sendable (FetchSummary) -> Void)? = nil) throws -> FetchSummary {
        let account = try client.callerAccount()
        var entries: [[String: Any]] = []
        if let block = try client.s3ControlPublicAccessBlock(account: account) {
            entries.append([
                "Arn": "arn:aws:s3:\(client.config.region):\(account):account",
                "Type": "AWS::S3::AccountPublicAccessBlock", "Account": account, "PublicAccessBlock": block,
            ])
        }
        for (bucket, region) in try client.listBuckets() {
            var e: [String: Any] = ["Arn": "arn:aws:s3:::\(bucket)", "Type": "AWS::S3::Bucket", "Account": account]
            e["Policy"] = try client.s3Subresource(bucket, "policy", missing: "NoSuchBucketPolicy", region: region)
                .map { String(decoding: $0, as: UTF8.self) }
            if let xml = try client.s3Subresource(
                bucket, "publicAccessBlock", missing: "NoSuchPublicAccessBlockConfiguration", region: region)
            {
                e["PublicAccessBlock"] = try S3XML.publicAccessBlock(xml, label: "S3 GetPublicAccessBlock \(bucket)")
            }
            if let xml = try client.s3Subresource(bucket, "acl", missing: nil, region: region) {
                e["Grants"] = try S3XML.grants(xml, label: "S3 GetBucketAcl \(bucket)")
            }
            entries.append(e)
        }
        let kms = "TrentService"
        let keys = try client.json11List(
            service: "kms", target: kms, "ListKeys", ["Limit": 1000], key: "Keys", token: "NextMarker",
            label: "KMS ListKeys")
        for key in keys {
            guard let id = key["KeyId"] as? String else { continue }
            let meta = try client.json11(
                service: "kms", target: kms, "DescribeKey", ["KeyId": id], label: "KMS DescribeKey \(id)")
            let m = meta["KeyMetadata"] as? [String: Any] ?? [:]
            // AWS managed keys' policies are AWS's; only customer managed keys are the account's.
            guard (m["KeyManager"] as? String) != "AWS" else { continue }
            let policy = try client.json11(
                service: "kms", target: kms, "GetKeyPolicy", ["KeyId": id, "PolicyName": "default"],
                label: "KMS GetKeyPolicy \(id)")
            entries.append([
                "Arn": m["Arn"] as? String ?? key["KeyArn"] as? String ?? id, "Type": "AWS::KMS::Key",
                "Account": m["AWSAccountId"] as? String ?? account, "Policy": policy["Policy"] as? String ?? NSNull(),
            ])
        }
        return try run.writeExport(
            ["ResourcePolicies": entries], as: "resource-policies.json", key: "resource-policies:export",
            listed: entries.count)
    }
}

extension AWSClient {
    /// STS GetCallerIdentity: the account the credentials belong to.
    func callerAccount() throws -> String {
        let label = "STS GetCallerIdentity"
        let body = "Action=GetCallerIdentity&Version=2011-06-15"
        let r = AWSRequest(
            method: "POST", endpoint: config.endpoint("sts"), path: "/",
            headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")], body: Array(body.utf8),
            service: "sts", region: config.region, label: label)
        let doc = try parseXML(send(r), label)
        guard let account = doc["GetCallerIdentityResult"]?["Account"]?.text, !account.isEmpty else {
            throw FetchError("\(label): unexpected response <\(doc.name)>")
        }
        return account
    }

    /// ListBuckets (the account's buckets, every page), with each bucket's region when S3 names it
    /// (`BucketRegion`): a bucket's subresources are asked of its own region's endpoint.
    func listBuckets() throws -> [(name: String, region: String?)] {
        var out: [(name: String, region: String?)] = []
        var token: String?
        var pagination = Pagination("S3 ListBuckets")
        repeat {
            var q = [("max-buckets", "1000")]
            if let token { q.append(("continuation-token", token)) }
            let base = config.endpointURL ?? "https://s3.\(config.region).amazonaws.com"
            let r = AWSRequest(
                method: "GET", endpoint: base, path: "/", query: q, service: "s3", region: config.region,
                label: "S3 ListBuckets")
            let doc = try parseXML(send(r), "S3 ListBuckets")
            guard doc.name == "ListAllMyBucketsResult" else {
                throw FetchError("S3 ListBuckets: unexpected response <\(doc.name)>")
            }
            // Names and regions from the response go into host names: only what S3 allows.
            for b in doc["Buckets"]?.all("Bucket") ?? [] {
                guard let name = b["Name"]?.text, Self.isBucketName(name) else {
                    throw FetchError("S3 ListBuckets: a bucket name S3 does not allow in the response; stopping")
                }
                let region = b["BucketRegion"]?.text
                if let region, !Self.isRegion(region) {
                    throw FetchError("S3 ListBuckets: bucket \(name) has an invalid region in the response; stopping")
                }
                out.append((name, region))
            }
            token = try pagination.next(doc["ContinuationToken"]?.text)
        } while token != nil
        return out
    }

    /// S3's bucket naming rules: 3–63 lower-case letters, digits, dots and hyphens, starting and
    /// ending with a letter or digit.
    static func isBucketName(_ s: String) -> Bool {
        (3...63).contains(s.utf8.count)
            && s.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 46 || $0 == 45 }
            && s.first.map { $0.isLetter || $0.isNumber } == true && s.last.map { $0.isLetter || $0.isNumber } == true
    }

    /// An AWS region name (`us-east-1`, `cn-north-1`): lower-case letters, digits and hyphens.
    static func isRegion(_ s: String) -> Bool {
        (1...32).contains(s.utf8.count)
            && s.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 }
    }

    /// A bucket subresource (`?policy`, `?acl`, `?publicAccessBlock`); nil when S3 answers 404 with
    /// the error code that means "none set".
    func s3Subresource(_ bucket: String, _ name: String, missing: String?, region: String?) throws -> [UInt8]? {
        let label = "S3 Get \(name) \(bucket)"
        do {
            return try send(s3Request(bucket: bucket, query: [(name, "")], label: label, region: region)).body
        } catch let e as HTTPError where e.statusCode == 404 {
            if let missing, "\(e)".contains(missing) { return nil }
            throw e
        }
    }

    /// The account's S3 Block Public Access (S3 Control); nil when none is set.
    func s3ControlPublicAccessBlock(account: String) throws -> [String: Bool]? {
        let label = "S3 Control GetPublicAccessBlock"
        let base: String
        if let e = config.endpointURL {
            base = e
        } else {
            base = "https://\(account).s3-control.\(config.region).amazonaws.com"
        }
        let r = AWSRequest(
            method: "GET", endpoint: base, path: "/v20180820/configuration/publicAccessBlock",
            headers: [("x-amz-account-id", account)], service: "s3", region: config.region, label: label)
        do {
            return try S3XML.publicAccessBlock(send(r).body, label: label)
        } catch let e as HTTPError where e.statusCode == 404 {
            if "\(e)".contains("NoSuchPublicAccessBlockConfiguration") { return nil }
            throw e
        }
    }
}

/// S3's XML answers → the JSON the AWS CLI prints.
enum S3XML {
    static func publicAccessBlock(_ body: [UInt8], label: String) throws -> [String: Bool] {
        let doc: XMLNode
        do { doc = try XMLNode.parse(body, source: label) } catch { throw FetchError("\(error)") }
        var out: [String: Bool] = [:]
        for key in ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"] {
            if let v = doc[key]?.text { out[key] = v == "true" }
        }
        return out
    }

    static func grants(_ body: [UInt8], label: String) throws -> [[String: Any]] {
        let doc: XMLNode
        do { doc = try XMLNode.parse(body, source: label) } catch { throw FetchError("\(error)") }
        return (doc["AccessControlList"]?.all("Grant") ?? []).map { g in
            var grantee: [String: Any] = [:]
            for field in ["Type", "URI", "ID", "DisplayName", "EmailAddress"] {
                if let v = g["Grantee"]?[field]?.text { grantee[field] = v }
            }
            return ["Grantee": grantee, "Permission": g["Permission"]?.text ?? ""]
        }
    }
}
