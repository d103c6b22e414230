import CrossTrailHTTP
import CrossTrailXML
import Foundation

/// Signed calls to AWS: every attempt is signed afresh (SigV4 dates must be current).
///
/// Not safe for concurrent use: its `HTTPClient` (one libcurl handle) serves one request at a
/// time. It is `Sendable` only so a worker pool can hand each worker its own client; a client is
/// used by one thread at a time (`S3Fetch` makes one per worker).
public final class AWSClient: @unchecked Sendable {
    public let config: AWSConfig
    public let http: HTTPClient

    public init(config: AWSConfig, http: HTTPClient) {
        self.config = config
        self.http = http
    }

    func placeholder(_ r: AWSRequest) -> HTTPRequest {
        HTTPRequest(method: r.method, url: r.endpoint + r.path, label: r.label)
    }

    public func send(_ r: AWSRequest) throws -> HTTPResponse {
        let creds = config.credentials
        return try http.send(placeholder(r)) { $0 = SigV4.sign(r, credentials: creds, amzDate: SigV4.now()) }
    }

    public func download(_ r: AWSRequest, to path: String, maxBytes: Int64 = .max) throws -> Download {
        let creds = config.credentials
        return try http.download(placeholder(r), to: path, maxBytes: maxBytes) {
            $0 = SigV4.sign(r, credentials: creds, amzDate: SigV4.now())
        }
    }

    func parseXML(_ response: HTTPResponse, _ label: String) throws -> XMLNode {
        do { return try XMLNode.parse(response.body, source: label) } catch { throw FetchError("\(error)") }
    }
}

/// An error of the fetchers, with the request it concerns.
public struct FetchError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

// MARK: - S3

public struct S3Object: Sendable, Hashable, Codable {
    public var key: String
    public var size: Int64
    public var etag: String
    public var lastModified: String
}

extension AWSClient {
    func s3Request(
        bucket: String, key: String = "", query: [(String, String)] = [], method: String = "GET", label: String,
        region: String? = nil
    ) -> AWSRequest {
        let region = region ?? config.region
        // Buckets with dots cannot use virtual-hosted TLS names: path style for them too.
        if config.pathStyle || bucket.contains(".") {
            let base = config.endpointURL ?? "https://s3.\(region).amazonaws.com"
            return AWSRequest(
                method: method, endpoint: base, path: "/" + bucket + (key.isEmpty ? "/" : "/" + key), query: query,
                service: "s3", region: region, label: label)
        }
        let base: String
        if let e = config.endpointURL, let c = URLComponents(string: e), let host = c.host {
            base = "\(c.scheme ?? "https")://\(bucket).\(host)" + (c.port.map { ":\($0)" } ?? "")
        } else {
            base = "https://\(bucket).s3.\(region).amazonaws.com"
        }
        return AWSRequest(
            method: method, endpoint: base, path: "/" + key, query: query, service: "s3", region: region, label: label)
    }

    /// ListObjectsV2, following continuation tokens. With a delimiter, common prefixes are returned too.
    public func listObjects(bucket: String, prefix: String, delimiter: String? = nil) throws -> (
        objects: [S3Object], prefixes: [String]
    ) {
        var objects: [S3Object] = [], prefixes: [String] = []
        var token: String?
        let label = "S3 ListObjectsV2 s3://\(bucket)/\(prefix)"
        var pagination = Pagination(label)
        repeat {
            var q = [("list-type", "2"), ("prefix", prefix), ("max-keys", "1000")]
            if let delimiter { q.append(("delimiter", delimiter)) }
            if let token { q.append(("continuation-token", token)) }
            let doc = try parseXML(send(s3Request(bucket: bucket, query: q, label: label)), label)
            guard doc.name == "ListBucketResult" else {
                throw FetchError("\(label): unexpected response <\(doc.name)>")
            }
            for c in doc.all("Contents") {
                guard let key = c["Key"]?.text, let size = c["Size"].flatMap({ Int64($0.text) }) else { continue }
                objects.append(
                    S3Object(
                        key: key, size: size, etag: (c["ETag"]?.text ?? "").replacingOccurrences(of: "\"", with: ""),
                        lastModified: c["LastModified"]?.text ?? ""))
            }
            prefixes += doc.all("CommonPrefixes").compactMap { $0["Prefix"]?.text }
            token = try pagination.next(doc["IsTruncated"]?.text == "true" ? doc["NextContinuationToken"]?.text : nil)
            if doc["IsTruncated"]?.text == "true" && token == nil {
                throw FetchError("\(label): truncated listing without a continuation token")
            }
        } while token != nil
        return (objects, prefixes)
    }

    /// Downloads an object; a body longer than `maxBytes` (its listed size) is cut off and an error.
    public func getObject(bucket: String, key: String, to path: String, maxBytes: Int64 = .max) throws -> Download {
        try download(
            s3Request(bucket: bucket, key: key, label: "S3 GetObject s3://\(bucket)/\(key)"), to: path,
            maxBytes: maxBytes)
    }
}

// MARK: - IAM

extension AWSClient {
    /// GetAccountAuthorizationDetails, every page, in the JSON shape the AWS CLI prints (policy
    /// documents URL-decoded into objects), so the inventory reader takes it unchanged.
    public func accountAuthorizationDetails() throws -> [String: Any] {
        var merged: [String: [Any]] = [
            "UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": [],
        ]
        var marker: String?
        var page = 0
        var pagination = Pagination("IAM GetAccountAuthorizationDetails")
        repeat {
            page += 1
            var form = [("Action", "GetAccountAuthorizationDetails"), ("Version", "2010-05-08"), ("MaxItems", "1000")]
            if let marker { form.append(("Marker", marker)) }
            let body = form.map { "\(SigV4.uriEncode($0.0))=\(SigV4.uriEncode($0.1))" }.joined(separator: "&")
            let label = "IAM GetAccountAuthorizationDetails (page \(page))"
            let r = AWSRequest(
                method: "POST", endpoint: config.endpoint("iam"), path: "/",
                headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")], body: Array(body.utf8),
                service: "iam", region: config.signingRegion("iam"), label: label)
            let doc = try parseXML(send(r), label)
            guard let result = doc["GetAccountAuthorizationDetailsResult"] else {
                throw FetchError("\(label): unexpected response <\(doc.name)>")
            }
            for key in merged.keys.sorted() {
                if let list = result[key] { merged[key, default: []] += (QueryXML.value(list) as? [Any]) ?? [] }
            }
            marker = try pagination.next(result["IsTruncated"]?.text == "true" ? result["Marker"]?.text : nil)
        } while marker != nil
        return merged
    }
}

/// AWS Query-protocol XML → the JSON the AWS CLI prints.
public enum QueryXML {
    static let lists: Set<String> = [
        "AttachedManagedPolicies", "Tags", "GroupList", "InstanceProfileList", "Roles", "Policies",
    ]
    static let booleans: Set<String> = ["IsTruncated", "IsDefaultVersion", "IsAttachable"]
    static let integers: Set<String> = ["AttachmentCount", "PermissionsBoundaryUsageCount"]

    public static func value(_ n: XMLNode) -> Any {
        let isList =
            lists.contains(n.name) || n.name.hasSuffix("List")
            || (!n.children.isEmpty && n.children.allSatisfy { $0.name == "member" })
        if isList { return n.children.filter { $0.name == "member" }.map(value) }
        if !n.children.isEmpty {
            var d: [String: Any] = [:]
            for c in n.children { d[c.name] = value(c) }
            return d
        }
        if booleans.contains(n.name) { return n.text == "true" }
        if integers.contains(n.name), let i = Int(n.text) { return i }
        if n.name.hasSuffix("Document") || n.name == "Document" {
            // Policy documents are URL-encoded JSON.
            let decoded = n.text.removingPercentEncoding ?? n.text
            if let obj = try? JSONSerialization.jsonObject(with: Data(decoded.utf8)) { return obj }
            return decoded
        }
        return n.text
    }
}

// MARK: - CloudTrail LookupEvents

extension AWSClient {
    /// LookupEvents (JSON 1.1) for a time range, every page; returns the pages' events.
    public func lookupEvents(start: Date, end: Date, page: (([Any]) throws -> Void)) throws {
        var token: String?
        var n = 0
        var pagination = Pagination("CloudTrail LookupEvents \(config.region)")
        repeat {
            n += 1
            var body: [String: Any] = [
                "StartTime": Int(start.timeIntervalSince1970), "EndTime": Int(end.timeIntervalSince1970),
                "MaxResults": 50,
            ]
            if let token { body["NextToken"] = token }
            let label = "CloudTrail LookupEvents \(config.region) (page \(n))"
            let r = AWSRequest(
                method: "POST", endpoint: config.endpoint("cloudtrail"), path: "/",
                headers: [
                    ("Content-Type", "application/x-amz-json-1.1"),
                    ("X-Amz-Target", "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"),
                ],
                body: Array(try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])),
                service: "cloudtrail", region: config.region, label: label)
            let response = try send(r)
            guard let doc = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] else {
                throw FetchError("\(label): the response is not JSON")
            }
            try page(doc["Events"] as? [Any] ?? [])
            token = try pagination.next(doc["NextToken"] as? String)
        } while token != nil
    }
}
