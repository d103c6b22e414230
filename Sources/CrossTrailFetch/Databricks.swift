import CrossTrailHTTP
import Foundation

/// How crosstrail authenticates to a Databricks workspace. Secrets come from the environment
/// (or a file), never from the command line, and never appear in messages or manifests.
public enum DatabricksAuth: Sendable {
    /// A personal access token (`DATABRICKS_TOKEN`).
    case token(String)
    /// OAuth machine-to-machine: a service principal's client id and secret
    /// (`DATABRICKS_CLIENT_ID`, `DATABRICKS_CLIENT_SECRET`), exchanged at `/oidc/v1/token`.
    case oauth(clientID: String, secret: String)
}

/// Calls to one workspace's REST API, with bearer tokens refreshed before they expire.
public final class DatabricksClient {
    public let host: String
    /// Scheme, host and port of `host`: the only place the token may go.
    let origin: Origin
    let auth: DatabricksAuth
    public let http: HTTPClient
    private var accessToken: String?
    private var expires = Date.distantPast
    /// The clock, replaceable in tests.
    var now: () -> Date = Date.init
    /// How long a SQL statement may stay PENDING or RUNNING before it is cancelled (seconds).
    public var statementTimeout: Double = 3600

    public init(host: String, auth: DatabricksAuth, http: HTTPClient) throws {
        var h = host
        while h.hasSuffix("/") { h.removeLast() }
        guard let origin = Origin(h), origin.path.isEmpty, !origin.hasQuery else {
            throw FetchError(
                "--host must be an https:// workspace URL without user, path, query or fragment (got \(host)); the token is never sent without TLS"
            )
        }
        self.host = h
        self.origin = origin
        self.auth = auth
        self.http = http
    }

    /// The bearer token for the next request: the PAT, or an OAuth token refreshed a minute before expiry.
    func bearer() throws -> String {
        switch auth {
        case .token(let t): return t
        case .oauth(let id, let secret):
            if let t = accessToken, now().addingTimeInterval(60) < expires { return t }
            let basic = Data("\(form(id)):\(form(secret))".utf8).base64EncodedString()
            let r = HTTPRequest(
                method: "POST", url: host + "/oidc/v1/token",
                headers: [("Authorization", "Basic " + basic), ("Content-Type", "application/x-www-form-urlencoded")],
                body: Array("grant_type=client_credentials&scope=all-apis".utf8), label: "Databricks OAuth token")
            let response = try http.send(r)
            guard let doc = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
                let token = doc["access_token"] as? String
            else {
                throw FetchError("Databricks OAuth token (\(host)/oidc/v1/token): no access_token in the response")
            }
            accessToken = token
            expires = now().addingTimeInterval(
                (doc["expires_in"] as? Double) ?? Double(doc["expires_in"] as? Int ?? 3600))
            return token
        }
    }

    private func form(_ s: String) -> String {
        // application/x-www-form-urlencoded, as RFC 6749 asks for client credentials in Basic auth.
        SigV4.uriEncode(s)
    }

    /// A JSON API call; `query` values are percent-encoded here.
    public func call(_ method: String, _ path: String, query: [(String, String)] = [], json: Any? = nil, label: String)
        throws -> [String: Any]
    {
        var url = try sameOrigin(path, label: label)
        if !query.isEmpty {
            url += "?" + query.map { "\(SigV4.uriEncode($0.0))=\(SigV4.uriEncode($0.1))" }.joined(separator: "&")
        }
        let body = try json.map { try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]) } ?? Data()
        let request = HTTPRequest(
            method: method, url: url, headers: json == nil ? [] : [("Content-Type", "application/json")],
            body: Array(body), label: label)
        let response: HTTPResponse
        do {
            response = try http.send(request) { r in
                r.headers.append(("Authorization", "Bearer " + (try self.bearer())))
            }
        } catch let e as HTTPError where e.statusCode == 401 {
            // An expired or revoked token: get a new OAuth token once, else say what to check.
            if case .oauth = auth {
                accessToken = nil
                response = try http.send(request) { r in
                    r.headers.append(("Authorization", "Bearer " + (try self.bearer())))
                }
            } else if case .status(let label, let url, let code, let message) = e {
                // Still an HTTP status, so callers classify it as refused credentials.
                let hint = "the token is invalid or expired; check DATABRICKS_TOKEN"
                throw HTTPError.status(
                    label: label, url: url, code: code, message: message.isEmpty ? hint : message + " — " + hint)
            } else {
                throw e
            }
        }
        if response.body.isEmpty { return [:] }
        guard let doc = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] else {
            throw FetchError("\(label) (\(HTTPRequest.redact(url))): the response is not a JSON object")
        }
        return doc
    }

    /// Follows `next_page_token` (and SCIM's `startIndex`) through every page of a list.
    public func list(_ path: String, key: String, query: [(String, String)] = [], label: String) throws -> [Any] {
        var items: [Any] = []
        var token: String?
        var page = 0
        var pagination = Pagination(label)
        repeat {
            page += 1
            var q = query
            if let token { q.append(("page_token", token)) }
            let doc = try call("GET", path, query: q, label: "\(label) (page \(page))")
            items += doc[key] as? [Any] ?? []
            token = try pagination.next(doc["next_page_token"] as? String)
        } while token != nil
        return items
    }

    /// SCIM lists page by `startIndex`/`count` until `totalResults` are read.
    public func scim(_ resource: String) throws -> [Any] {
        var items: [Any] = []
        var start = 1
        var pagination = Pagination("Databricks SCIM \(resource)")
        while true {
            let doc = try call(
                "GET", "/api/2.0/preview/scim/v2/\(resource)",
                query: [("startIndex", String(start)), ("count", "100")],
                label: "Databricks SCIM \(resource) from \(start)")
            let page = doc["Resources"] as? [Any] ?? []
            items += page
            let total = doc["totalResults"] as? Int ?? items.count
            if page.isEmpty || items.count >= total { break }
            start += page.count
            _ = try pagination.next(String(start))
        }
        return items
    }

    // MARK: SQL statements

    /// Runs a parameterized SQL statement on a warehouse and hands each chunk's rows (as column
    /// name → value objects) to `rows`, following INLINE chunks or EXTERNAL_LINKS.
    public func statement(
        _ sql: String, parameters: [(String, String, String)], warehouse: String, externalLinks: Bool,
        rows: ([[String: Any]]) throws -> Void
    ) throws {
        let label = "Databricks SQL statement"
        var doc = try call(
            "POST", "/api/2.0/sql/statements/",
            json: [
                "warehouse_id": warehouse, "statement": sql, "wait_timeout": "30s", "on_wait_timeout": "CONTINUE",
                "disposition": externalLinks ? "EXTERNAL_LINKS" : "INLINE", "format": "JSON_ARRAY",
                "parameters": parameters.map { ["name": $0.0, "value": $0.1, "type": $0.2] },
            ] as [String: Any], label: label)
        guard let id = doc["statement_id"] as? String else {
            throw FetchError("\(label): no statement_id in the response")
        }
        var delay = 0.5
        let deadline = now().addingTimeInterval(statementTimeout)
        while true {
            let state = (doc["status"] as? [String: Any])?["state"] as? String ?? ""
            if state == "SUCCEEDED" { break }
            guard now() < deadline else {
                // Cancel it rather than leave the warehouse working for nobody.
                _ = try? call("POST", "/api/2.0/sql/statements/\(id)/cancel", label: "\(label) \(id) cancel")
                throw FetchError(
                    "\(label) \(id): still \(state.isEmpty ? "not finished" : state) after \(Int(statementTimeout)) s (--statement-timeout); cancelled"
                )
            }
            if ["FAILED", "CANCELED", "CLOSED"].contains(state) {
                let message =
                    ((doc["status"] as? [String: Any])?["error"] as? [String: Any])?["message"] as? String ?? ""
                throw FetchError("\(label) \(id): \(state)" + (message.isEmpty ? "" : ": \(message)"))
            }
            http.sleep(delay)
            delay = min(delay * 1.5, 10)
            doc = try call("GET", "/api/2.0/sql/statements/\(id)", label: "\(label) \(id) status")
        }
        let columns =
            (((doc["manifest"] as? [String: Any])?["schema"] as? [String: Any])?["columns"] as? [[String: Any]] ?? [])
            .map { (name: $0["name"] as? String ?? "", type: ($0["type_name"] as? String ?? "").uppercased()) }
        func objects(_ data: [Any]) -> [[String: Any]] {
            data.compactMap { $0 as? [Any] }.map { row in
                var o: [String: Any] = [:]
                for (i, c) in columns.enumerated() where i < row.count {
                    var v = row[i]
                    // STRUCT, MAP and ARRAY values arrive as JSON text: keep them as JSON.
                    if ["STRUCT", "MAP", "ARRAY"].contains(c.type), let s = v as? String,
                        let parsed = try? JSONSerialization.jsonObject(with: Data(s.utf8), options: [.fragmentsAllowed])
                    {
                        v = parsed
                    }
                    o[c.name] = v
                }
                return o
            }
        }
        var result = doc["result"] as? [String: Any]
        var chunk = 0
        var chunks = Pagination("\(label) \(id) result chunks")
        while let r = result {
            chunk += 1
            if let data = r["data_array"] as? [Any] { try rows(objects(data)) }
            var next = r["next_chunk_internal_link"] as? String
            for link in r["external_links"] as? [[String: Any]] ?? [] {
                guard let url = link["external_link"] as? String else { continue }
                // Presigned cloud storage URLs: fetched without the token, and only over HTTPS (a
                // hostile response must not make crosstrail read file:// or plain-HTTP content).
                guard Origin(url) != nil else {
                    throw FetchError(
                        "\(label) \(id): result chunk \(chunk) link is not an https:// URL (\(HTTPRequest.redact(url).prefix(200)))"
                    )
                }
                let body = try http.send(HTTPRequest(url: url, label: "\(label) \(id) result chunk \(chunk)")).body
                guard let data = try? JSONSerialization.jsonObject(with: Data(body)) as? [Any] else {
                    throw FetchError("\(label) \(id): result chunk \(chunk) is not a JSON array")
                }
                try rows(objects(data))
                next = link["next_chunk_internal_link"] as? String ?? next
            }
            guard let n = try chunks.next(next) else { break }
            result = try call("GET", n, label: "\(label) \(id) chunk \(chunk + 1)")
        }
    }
}

/// The scheme, host and port of an `https://` URL with no user information; `path` is what
/// follows the authority (without query or fragment).
public struct Origin: Equatable, Sendable {
    public var host: String
    public var port: Int
    public var path: String
    public var hasQuery: Bool

    public init?(_ url: String) {
        guard url.lowercased().hasPrefix("https://"), !url.contains("\\"),
            !url.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7F }),
            let c = URLComponents(string: url), c.scheme?.lowercased() == "https", c.user == nil, c.password == nil,
            let host = c.percentEncodedHost, !host.isEmpty, c.fragment == nil
        else { return nil }
        self.host = host.lowercased()
        port = c.port ?? 443
        path = c.percentEncodedPath
        hasQuery = c.query != nil
    }
}

extension DatabricksClient {
    /// The URL for an API path or a link from a response: a path (`/api/...`) goes to the
    /// workspace; an absolute link must be on the workspace's own scheme, host and port. Anything
    /// else — another host, `//host/...`, `@host`, user information, a backslash — would send the
    /// token elsewhere and is refused.
    func sameOrigin(_ link: String, label: String) throws -> String {
        let url: String
        if link.hasPrefix("/") && !link.hasPrefix("//") {
            url = host + link
        } else {
            url = link
        }
        guard let o = Origin(url), o.host == origin.host, o.port == origin.port else {
            throw FetchError(
                "\(label): the response points to \(HTTPRequest.redact(String(link.prefix(200)))), which is not on \(host); refusing to send the token there"
            )
        }
        return url
    }
}
