import CrossTrailHTTP
import CrossTrailModel
import Crypto
import Foundation

/// AWS credentials: static keys, with a session token for temporary ones.
public struct AWSCredentials: Sendable, CustomStringConvertible {
    public var accessKeyId: String
    public var secretAccessKey: String
    public var sessionToken: String?
    /// Where they came from, for messages ("environment", "profile prod in ~/.aws/credentials").
    public var source: String

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil, source: String) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.source = source
    }

    /// Never prints the secret or the token.
    public var description: String { "AWS credentials \(accessKeyId.prefix(4))… from \(source)" }
}

/// A request to an AWS API, before signing: the path unencoded, the query as pairs.
public struct AWSRequest: Sendable {
    public var method: String
    /// `https://host[:port]` (no path).
    public var endpoint: String
    public var path: String
    public var query: [(String, String)]
    public var headers: [(String, String)]
    public var body: [UInt8]
    public var service: String
    public var region: String
    public var label: String
    /// S3 encodes each path segment once; other services twice (SigV4 rules).
    public var encodePathTwice: Bool

    public init(
        method: String = "GET", endpoint: String, path: String = "/", query: [(String, String)] = [],
        headers: [(String, String)] = [],
        body: [UInt8] = [], service: String, region: String, label: String
    ) {
        self.method = method
        self.endpoint = endpoint
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.service = service
        self.region = region
        self.label = label
        encodePathTwice = service != "s3"
    }

    var host: String {
        let noScheme = endpoint.components(separatedBy: "://").last ?? endpoint
        return String(noScheme.split(separator: "/").first ?? "")
    }
}

/// AWS Signature Version 4 (header form).
public enum SigV4 {
    public static func uriEncode(_ s: String, slash: Bool = true) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            case UInt8(ascii: "/") where !slash:
                out += "/"
            default:
                out += String(format: "%%%02X", b)
            }
        }
        return out
    }

    static func canonicalPath(_ r: AWSRequest) -> String {
        let once = uriEncode(r.path.isEmpty ? "/" : r.path, slash: false)
        return r.encodePathTwice ? uriEncode(once, slash: false) : once
    }

    static func canonicalQuery(_ q: [(String, String)]) -> String {
        q.map { (uriEncode($0.0), uriEncode($0.1)) }.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
            .map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// Signs `r` at `date` (`yyyyMMdd'T'HHmmss'Z'`) and returns the HTTP request to send.
    public static func sign(_ r: AWSRequest, credentials c: AWSCredentials, amzDate: String) -> HTTPRequest {
        let payloadHash = SHA256.hash(data: r.body).hexString
        var headers = r.headers
        headers.append(("host", r.host))
        headers.append(("x-amz-date", amzDate))
        if r.service == "s3" { headers.append(("x-amz-content-sha256", payloadHash)) }
        if let token = c.sessionToken { headers.append(("x-amz-security-token", token)) }
        let canonicalHeaders = headers.map { ($0.0.lowercased(), $0.1.trimmingCharacters(in: .whitespaces)) }.sorted {
            $0.0 < $1.0
        }
        let signedHeaders = canonicalHeaders.map(\.0).joined(separator: ";")
        let canonicalRequest = [
            r.method, canonicalPath(r), canonicalQuery(r.query),
            canonicalHeaders.map { "\($0.0):\($0.1)\n" }.joined(), signedHeaders, payloadHash,
        ].joined(separator: "\n")
        let day = String(amzDate.prefix(8))
        let scope = "\(day)/\(r.region)/\(r.service)/aws4_request"
        let stringToSign = [
            "AWS4-HMAC-SHA256", amzDate, scope, SHA256.hash(data: Data(canonicalRequest.utf8)).hexString,
        ].joined(separator: "\n")
        let signature = HMAC<SHA256>.authenticationCode(
            for: Data(stringToSign.utf8), using: signingKey(c.secretAccessKey, day, r.region, r.service)
        ).hexString
        headers.append(
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=\(c.accessKeyId)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
            ))
        let query = canonicalQuery(r.query)
        let once = uriEncode(r.path.isEmpty ? "/" : r.path, slash: false)
        return HTTPRequest(
            method: r.method, url: r.endpoint + once + (query.isEmpty ? "" : "?" + query),
            headers: headers.filter { $0.0 != "host" } + [("Host", r.host)], body: r.body, label: r.label)
    }

    static func signingKey(_ secret: String, _ day: String, _ region: String, _ service: String) -> SymmetricKey {
        var key = SymmetricKey(data: Data(("AWS4" + secret).utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        return key
    }

    /// The current time in SigV4's form.
    public static func now() -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return f.string(from: Date())
    }

}
