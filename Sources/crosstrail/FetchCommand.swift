import ArgumentParser
import CrossTrailFetch
import CrossTrailHTTP
import CrossTrailModel
import Foundation

struct FetchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Fetch audit logs and permission exports over HTTPS: S3 (CloudTrail), IAM, CloudTrail LookupEvents, Databricks.",
        discussion: """
        SOURCE is one of:
          s3://BUCKET/PREFIX   CloudTrail log files (and digest files with their
                               signatures) under PREFIX; with --since/--until only the
                               day folders of that range are listed
          iam                  IAM GetAccountAuthorizationDetails →
                               iam-authorization-details.json
          cloudtrail           CloudTrail LookupEvents (last 90 days of management
                               events) → lookup-events JSON
          databricks           with --audit: system.access.audit rows as JSON lines
                               (SQL warehouse needed);
                               with --inventory: SCIM identities, ACLs, clusters,
                               jobs, Unity Catalog grants

        Credentials come from the environment, never from options: AWS as the AWS CLI
        reads them (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, or
        --profile / AWS_PROFILE in ~/.aws/credentials and ~/.aws/config,
        credential_process); Databricks from DATABRICKS_TOKEN (or --token-file), or
        DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET for OAuth M2M.

        Reruns fetch only what is new or changed (a checkpoint in
        OUT/.crosstrail-fetch/); every request and every file's SHA-256 are in
        OUT/.crosstrail-fetch/fetch-manifest.json. Files are written atomically: an
        interrupted run leaves no partial file. TLS is always verified; --ca-bundle
        adds a private CA. HTTPS_PROXY and NO_PROXY are honoured.

        Examples:
          crosstrail fetch s3://acme-trail/AWSLogs/123456789012/CloudTrail/ \\
              --since 2026-07-01 --until 2026-10-01 --out ./logs
          crosstrail fetch iam --out ./inventory/aws
          crosstrail fetch databricks --host https://dbc-1234.cloud.databricks.com \\
              --audit --warehouse-id abc123 --since 2026-07-01 --out ./logs
          crosstrail fetch databricks --host https://dbc-1234.cloud.databricks.com \\
              --inventory --out ./inventory/databricks

        Exit codes: 0 done, 1 a request failed (the message names it), 2 usage error,
        130 interrupted.
        """
    )

    @Argument(help: "s3://BUCKET/PREFIX, iam, cloudtrail or databricks.")
    var source: String

    @Option(help: "Folder to write to (created if needed).")
    var out: String

    @Option(help: "Start of the period (ISO 8601 date or time).")
    var since: String?

    @Option(help: "End of the period, exclusive (default: now).")
    var until: String?

    @Option(help: "AWS profile in the shared config files.")
    var profile: String?

    @Option(help: "AWS region (default: AWS_REGION, the profile's region, us-east-1).")
    var region: String?

    @Option(help: "Send AWS calls to this endpoint (S3-compatible stores, testing), as the AWS CLI's --endpoint-url.")
    var endpointURL: String?

    @Flag(help: "Path-style S3 addressing (endpoint/bucket/key); automatic for IP and localhost endpoints.")
    var pathStyle = false

    @Flag(help: "Do not fetch CloudTrail digest files next to the logs.")
    var noDigests = false

    @Option(help: "Databricks workspace URL (default: DATABRICKS_HOST).")
    var host: String?

    @Flag(help: "Databricks: fetch audit logs from system.access.audit.")
    var audit = false

    @Flag(help: "Databricks: fetch identities, permissions and Unity Catalog grants.")
    var inventory = false

    @Option(help: "Databricks SQL warehouse id for --audit and column tags (default: DATABRICKS_WAREHOUSE_ID).")
    var warehouseId: String?

    @Flag(help: "Databricks --audit: receive results inline instead of as external links (small periods).")
    var inline = false

    @Option(help: "Read the Databricks token from this file instead of DATABRICKS_TOKEN.")
    var tokenFile: String?

    @Option(help: "PEM file of extra CA certificates to trust (as the AWS CLI's --ca-bundle); verification stays on.")
    var caBundle: String?

    @Option(help: "Parallel downloads.")
    var jobs = 8

    @Option(help: "Retries of a failed request (5xx, throttling, connection errors) with exponential backoff.")
    var retries = 5

    @Option(help: "Seconds without progress before a transfer is abandoned and retried.")
    var stallTimeout = 30

    @Option(help: "Seconds to establish a connection.")
    var connectTimeout = 10

    @Flag(name: .shortAndLong, help: "Do not print progress and the summary.")
    var quiet = false

    enum Kind { case s3(bucket: String, prefix: String), iam, cloudtrail, databricks }

    var kind: Kind? {
        if source.hasPrefix("s3://") {
            let rest = source.dropFirst(5)
            let bucket = rest.split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
            guard !bucket.isEmpty else { return nil }
            return .s3(bucket: bucket, prefix: String(rest.dropFirst(bucket.count).drop(while: { $0 == "/" })))
        }
        switch source {
        case "iam": return .iam
        case "cloudtrail": return .cloudtrail
        case "databricks": return .databricks
        default: return nil
        }
    }

    func validate() throws {
        guard let kind else { throw ValidationError("SOURCE must be s3://BUCKET/PREFIX, iam, cloudtrail or databricks (got '\(source)')") }
        if let since, Timestamp(iso: since) == nil { throw ValidationError("--since '\(since)' is not an ISO 8601 date or time") }
        if let until, Timestamp(iso: until) == nil { throw ValidationError("--until '\(until)' is not an ISO 8601 date or time") }
        if jobs < 1 || jobs > 64 { throw ValidationError("--jobs must be between 1 and 64") }
        if retries < 0 { throw ValidationError("--retries cannot be negative") }
        if let caBundle, !FileManager.default.isReadableFile(atPath: caBundle) { throw ValidationError("--ca-bundle \(caBundle) cannot be read") }
        try refuseOverlaps([("--out", out)], inputs: [tokenFile, caBundle])
        switch kind {
        case .databricks:
            if !audit && !inventory { throw ValidationError("fetch databricks needs --audit, --inventory or both") }
            if audit && since == nil { throw ValidationError("--audit needs --since") }
        case .cloudtrail:
            if since == nil { throw ValidationError("fetch cloudtrail needs --since (LookupEvents keeps 90 days)") }
        default: break
        }
    }

    func run() throws {
        let env = ProcessInfo.processInfo.environment
        var options = HTTPOptions()
        options.caBundle = caBundle ?? env["AWS_CA_BUNDLE"]
        options.retries = retries
        options.stallSeconds = stallTimeout
        options.connectTimeout = connectTimeout
        options.userAgent = "crosstrail/\(CrossTrailVersion.current)"
        let now = Timestamp(millis: Int64(Date().timeIntervalSince1970 * 1000))
        let start = since.flatMap { Timestamp(iso: $0) }
        let end = until.flatMap { Timestamp(iso: $0) } ?? now
        if let start, !(start < end) { throw ValidationError("--since must be before --until") }

        let run: FetchRun
        do { run = try FetchRun(out: out, tool: "crosstrail \(CrossTrailVersion.current)", command: commandLineForRecords()) } catch {
            throw ValidationError("cannot use --out \(out): \(error)")
        }
        let interrupt = InterruptCleanup(message: "interrupted; partial files removed, finished files kept (rerun to continue)") {
            PartialFiles.shared.removeAll()
            try? run.saveCheckpoint()
        }
        defer { interrupt.cancel() }
        let started = Date()
        var progress: (@Sendable (FetchSummary) -> Void)?
        if !quiet && isatty(2) == 1 {
            progress = { (s: FetchSummary) in
                let line = "\r\u{1B}[K  fetched \(s.fetched) files (\(s.bytes >> 20) MiB)"
                FileHandle.standardError.write(Data(line.utf8))
            }
        }
        func http() throws -> HTTPClient {
            let c = try HTTPClient(options: options)
            c.onAttempt = { run.attempt($0) }
            return c
        }
        var summaries: [(String, FetchSummary)] = []
        do {
            switch kind! {
            case .s3(let bucket, let prefix):
                let config = try awsConfig(env)
                let days = start.map { DayRange(since: $0, until: end) }
                summaries.append(("s3://\(bucket)/\(prefix)", try S3Fetch.run(bucket: bucket, prefix: prefix, days: days, digests: !noDigests, jobs: jobs,
                                                                               client: { AWSClient(config: config, http: try http()) }, run: run, progress: progress)))
            case .iam:
                let config = try awsConfig(env)
                summaries.append(("IAM", try IAMFetch.run(client: AWSClient(config: config, http: try http()), run: run)))
            case .cloudtrail:
                let config = try awsConfig(env)
                summaries.append(("CloudTrail LookupEvents", try LookupEventsFetch.run(client: AWSClient(config: config, http: try http()),
                                                                                      since: start!, until: end, run: run)))
            case .databricks:
                let client = try DatabricksClient(host: try databricksHost(env), auth: try databricksAuth(env), http: try http())
                let warehouse = warehouseId ?? env["DATABRICKS_WAREHOUSE_ID"]
                if audit {
                    guard let warehouse else { throw ValidationError("--audit needs a SQL warehouse: --warehouse-id or DATABRICKS_WAREHOUSE_ID") }
                    summaries.append(("system.access.audit", try DatabricksAuditFetch.run(client: client, warehouse: warehouse, since: start!, until: end,
                                                                                          externalLinks: !inline, run: run)))
                }
                if inventory {
                    summaries.append(("Databricks inventory", try DatabricksInventoryFetch.run(client: client, run: run, warehouse: warehouse)))
                }
            }
        } catch let e as ValidationError {
            throw e
        } catch {
            try? run.finish()
            if progress != nil { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            FileHandle.standardError.write(Data("crosstrail: fetch failed: \(String(describing: error).terminalSafe)\n".utf8))
            throw ExitCode(1)
        }
        try run.finish()
        if !quiet {
            if progress != nil { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            var lines: [String] = []
            for (what, s) in summaries {
                lines.append(String(format: "crosstrail: %@: %d listed, %d fetched (%.1f MiB), %d already up to date", what, s.listed, s.fetched,
                                    Double(s.bytes) / 1_048_576, s.skipped))
            }
            for w in run.warnings.prefix(20) { lines.append("  warning: " + w.terminalSafe) }
            lines.append(String(format: "  %.1f s; provenance in %@/%@/fetch-manifest.json", Date().timeIntervalSince(started), run.out, FetchRun.stateFolder))
            FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        }
    }

    func awsConfig(_ env: [String: String]) throws -> AWSConfig {
        do { return try AWSConfig.resolve(profile: profile, region: region, endpointURL: endpointURL, pathStyle: pathStyle, environment: env) } catch {
            throw ValidationError("\(error)")
        }
    }

    func databricksHost(_ env: [String: String]) throws -> String {
        guard let h = host ?? env["DATABRICKS_HOST"], !h.isEmpty else { throw ValidationError("fetch databricks needs --host or DATABRICKS_HOST") }
        return h.hasPrefix("http") ? h : "https://" + h
    }

    func databricksAuth(_ env: [String: String]) throws -> DatabricksAuth {
        if let tokenFile {
            guard let t = try? String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), !t.isEmpty else {
                throw ValidationError("cannot read a token from --token-file \(tokenFile)")
            }
            return .token(t)
        }
        if let t = env["DATABRICKS_TOKEN"], !t.isEmpty { return .token(t) }
        if let id = env["DATABRICKS_CLIENT_ID"], let secret = env["DATABRICKS_CLIENT_SECRET"], !id.isEmpty, !secret.isEmpty {
            return .oauth(clientID: id, secret: secret)
        }
        throw ValidationError("no Databricks credentials: set DATABRICKS_TOKEN, or DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET (OAuth M2M)")
    }
}
