import CrossTrailFetch
import CrossTrailHTTP
import CrossTrailModel
import Foundation

/// `crosstrail fetch` as a library call: what to fetch, from where, with which credentials
/// (resolved from the environment, never from options), into which folder.
public struct FetchPlan: Sendable {
    /// What to fetch.
    public enum Source: Sendable, Equatable {
        case s3(bucket: String, prefix: String)
        case iam
        /// AWS Organizations: the tree, SCPs and RCPs (`organizations.json`).
        case organizations
        /// S3 bucket policies, ACLs and Block Public Access; KMS key policies (`resource-policies.json`).
        case resourcePolicies
        case cloudtrail
        case databricks

        /// `s3://BUCKET/PREFIX`, `iam`, `organizations`, `resource-policies`, `cloudtrail` or
        /// `databricks`; nil for anything else.
        public init?(_ text: String) {
            if text.hasPrefix("s3://") {
                let rest = text.dropFirst(5)
                let bucket = rest.split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
                guard !bucket.isEmpty else { return nil }
                self = .s3(bucket: bucket, prefix: String(rest.dropFirst(bucket.count).drop(while: { $0 == "/" })))
                return
            }
            switch text {
            case "iam": self = .iam
            case "organizations": self = .organizations
            case "resource-policies": self = .resourcePolicies
            case "cloudtrail": self = .cloudtrail
            case "databricks": self = .databricks
            default: return nil
            }
        }
    }

    public struct Configuration: Sendable {
        public var source: Source
        public var out: String
        public var since: Timestamp?
        /// Exclusive end (nil: now).
        public var until: Timestamp?
        public var profile: String?
        public var region: String?
        public var endpointURL: String?
        public var pathStyle = false
        public var digests = true
        public var host: String?
        public var audit = false
        public var inventory = false
        public var warehouseID: String?
        /// Databricks results inline instead of as external links.
        public var inline = false
        /// Seconds a Databricks SQL statement may stay pending or running before it is cancelled.
        public var statementTimeout: Double = 3600
        public var tokenFile: String?
        public var http = HTTPOptions()
        public var jobs = 8
        /// The process environment: credentials, region, proxies.
        public var environment: [String: String] = ProcessInfo.processInfo.environment
        public var tool = "crosstrail"
        /// The command line recorded in the fetch manifest (secrets already redacted).
        public var command = "crosstrail fetch"

        public init(source: Source, out: String) {
            self.source = source
            self.out = out
        }
    }

    public struct Outcome: Sendable {
        /// What was fetched from each source, in order.
        public var summaries: [(source: String, summary: FetchSummary)]
        public var warnings: [String]
        /// The folder holding the checkpoint and fetch-manifest.json.
        public var stateFolder: String
    }

    public var configuration: Configuration

    public init(_ configuration: Configuration) {
        self.configuration = configuration
    }

    /// Fetches. `onStaging` gets a cleanup (partial files removed, the checkpoint saved) for the
    /// caller's interrupt handler; `progress` is told after each file.
    /// - Throws: `CrossTrailError` — `usage` for a period or folder that cannot be used,
    ///   `authentication` without usable credentials or when the server refuses them (401/403),
    ///   `network` for any other failed request (the message names it).
    public func run(
        progress: (@Sendable (FetchSummary) -> Void)? = nil,
        onStaging: (@escaping @Sendable () -> Void) -> Void = { _ in }
    ) throws -> Outcome {
        let config = configuration
        let now = Timestamp(millis: Int64(Date().timeIntervalSince1970 * 1000))
        let start = config.since
        let end = config.until ?? now
        if let start, !(start < end) { throw CrossTrailError(.usage, "--since must be before --until") }
        let run: FetchRun
        do { run = try FetchRun(out: config.out, tool: config.tool, command: config.command) } catch {
            throw CrossTrailError(
                .output, "cannot use --out \(config.out): \(error)", at: .file(path: config.out), underlying: error)
        }
        onStaging {
            PartialFiles.shared.removeAll()
            try? run.saveCheckpoint()
        }
        var httpOptions = config.http
        httpOptions.caBundle = httpOptions.caBundle ?? config.environment["AWS_CA_BUNDLE"]
        if let ca = httpOptions.caBundle { try EventInput.requireRegularFile(ca, option: "--ca-bundle") }
        let options = httpOptions
        let http: @Sendable () throws -> HTTPClient = {
            let c = try HTTPClient(options: options)
            c.onAttempt = { run.attempt($0) }
            return c
        }
        var summaries: [(String, FetchSummary)] = []
        do {
            for fetcher in try fetchers(start: start, end: end, http: http) {
                summaries.append((fetcher.label, try fetcher.fetch(into: run, progress: progress)))
            }
        } catch let e as CrossTrailError {
            try? run.finish()
            throw e
        } catch {
            try? run.finish()
            throw Self.classify(error)
        }
        do { try run.finish() } catch {
            throw CrossTrailError(
                .output, "cannot write the fetch manifest in \(config.out): \(error)", at: .file(path: config.out),
                underlying: error)
        }
        return Outcome(summaries: summaries, warnings: run.warnings, stateFolder: run.out + "/" + FetchRun.stateFolder)
    }

    /// The downloads of this plan, in order (Databricks: audit rows, then the inventory).
    func fetchers(start: Timestamp?, end: Timestamp, http: @escaping @Sendable () throws -> HTTPClient) throws
        -> [any Fetcher]
    {
        let config = configuration
        switch config.source {
        case .s3(let bucket, let prefix):
            let aws = try awsConfig()
            return [
                S3Fetch(
                    bucket: bucket, prefix: prefix, days: start.map { DayRange(since: $0, until: end) },
                    digests: config.digests, jobs: config.jobs, client: { AWSClient(config: aws, http: try http()) })
            ]
        case .iam:
            return [IAMFetch(client: AWSClient(config: try awsConfig(), http: try http()))]
        case .organizations:
            return [OrganizationsFetch(client: AWSClient(config: try awsConfig(), http: try http()))]
        case .resourcePolicies:
            return [ResourcePoliciesFetch(client: AWSClient(config: try awsConfig(), http: try http()))]
        case .cloudtrail:
            guard let start else {
                throw CrossTrailError(.usage, "fetch cloudtrail needs --since (LookupEvents keeps 90 days)")
            }
            return [
                LookupEventsFetch(
                    client: AWSClient(config: try awsConfig(), http: try http()), since: start, until: end)
            ]
        case .databricks:
            let client = try DatabricksClient(host: try databricksHost(), auth: try databricksAuth(), http: try http())
            client.statementTimeout = config.statementTimeout
            let warehouse = config.warehouseID ?? config.environment["DATABRICKS_WAREHOUSE_ID"]
            var list: [any Fetcher] = []
            if config.audit {
                guard let warehouse else {
                    throw CrossTrailError(
                        .usage, "--audit needs a SQL warehouse: --warehouse-id or DATABRICKS_WAREHOUSE_ID")
                }
                guard let start else { throw CrossTrailError(.usage, "--audit needs --since") }
                list.append(
                    DatabricksAuditFetch(
                        client: client, warehouse: warehouse, since: start, until: end, externalLinks: !config.inline))
            }
            if config.inventory { list.append(DatabricksInventoryFetch(client: client, warehouse: warehouse)) }
            return list
        }
    }

    /// A failed request as `authentication` (the server refused the credentials) or `network`.
    static func classify(_ error: any Error) -> CrossTrailError {
        if let http = error as? HTTPError {
            var location: CrossTrailError.Location?
            switch http {
            case .transport(_, let url, _), .insecure(_, let url, _), .tooLarge(_, let url, _): location = .url(url)
            case .status(_, let url, let code, _): location = .url(url, status: code)
            case .setup: location = nil
            case .file:
                return CrossTrailError(.output, "fetch failed: \(http)", underlying: http)
            }
            let code: CrossTrailError.Code = [401, 403].contains(http.statusCode ?? 0) ? .authentication : .network
            return CrossTrailError(code, "fetch failed: \(http)", at: location, underlying: http)
        }
        return CrossTrailError(.network, "fetch failed: \(error)", underlying: error)
    }

    func awsConfig() throws -> AWSConfig {
        let c = configuration
        do {
            return try AWSConfig.resolve(
                profile: c.profile, region: c.region, endpointURL: c.endpointURL, pathStyle: c.pathStyle,
                environment: c.environment)
        } catch let e as AWSConfig.ConfigError {
            throw CrossTrailError(e.kind == .option ? .usage : .authentication, e.description, underlying: e)
        }
    }

    func databricksHost() throws -> String {
        guard let h = configuration.host ?? configuration.environment["DATABRICKS_HOST"], !h.isEmpty else {
            throw CrossTrailError(.usage, "fetch databricks needs --host or DATABRICKS_HOST")
        }
        return h.hasPrefix("http") ? h : "https://" + h
    }

    func databricksAuth() throws -> DatabricksAuth {
        let env = configuration.environment
        if let tokenFile = configuration.tokenFile {
            let t = String(decoding: try EventInput.readOptionFile(tokenFile, option: "--token-file"), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            guard !t.isEmpty else {
                throw CrossTrailError(
                    .inputEmpty, "--token-file \(tokenFile) holds no token", at: .file(path: tokenFile))
            }
            return .token(t)
        }
        if let t = env["DATABRICKS_TOKEN"], !t.isEmpty { return .token(t) }
        if let id = env["DATABRICKS_CLIENT_ID"], let secret = env["DATABRICKS_CLIENT_SECRET"], !id.isEmpty,
            !secret.isEmpty
        {
            return .oauth(clientID: id, secret: secret)
        }
        throw CrossTrailError(
            .authentication,
            "no Databricks credentials: set DATABRICKS_TOKEN, or DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET (OAuth M2M)"
        )
    }
}
