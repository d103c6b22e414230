import ArgumentParser
import CrossTrailFetch
import CrossTrailModel
import CrossTrailPipeline
import Foundation

struct FetchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract:
            "Fetch audit logs and permission exports over HTTPS: S3 (CloudTrail), IAM, CloudTrail LookupEvents, Databricks.",
        discussion: """
            SOURCE is one of:
              s3://BUCKET/PREFIX   CloudTrail log files (and digest files with their
                                   signatures) under PREFIX; with --since/--until only the
                                   day folders of that range are listed
              iam                  IAM GetAccountAuthorizationDetails →
                                   iam-authorization-details.json
              organizations        AWS Organizations: accounts, OUs, SCPs and RCPs with
                                   their targets → organizations.json (management or
                                   delegated administrator account)
              resource-policies    S3 bucket policies, ACLs and Block Public Access, KMS
                                   key policies → resource-policies.json
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

            Exit status: 0 done, 2 usage error, 5 a request failed or the credentials
            were refused (the message names the request), 6 the folder cannot be
            written, 130 interrupted.
            """
    )

    @Argument(help: "s3://BUCKET/PREFIX, iam, organizations, resource-policies, cloudtrail or databricks.")
    var source: FetchPlan.Source

    @Option(help: "Folder to write to (created if needed).")
    var out: String

    @Option(help: "Start of the period (ISO 8601 date or time).")
    var since: Timestamp?

    @Option(help: "End of the period, exclusive (default: now).")
    var until: Timestamp?

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

    @Option(help: "Databricks: seconds a SQL statement may stay pending or running before it is cancelled.")
    var statementTimeout = 3600

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

    func validate() throws {
        if jobs < 1 || jobs > 64 { throw ValidationError("--jobs must be between 1 and 64") }
        if !(0...100).contains(retries) { throw ValidationError("--retries must be between 0 and 100") }
        if !(1...604_800).contains(statementTimeout) {
            throw ValidationError("--statement-timeout must be between 1 and 604800 seconds")
        }
        if !(1...86_400).contains(stallTimeout) || !(1...3600).contains(connectTimeout) {
            throw ValidationError("--stall-timeout must be 1 to 86400 seconds, --connect-timeout 1 to 3600")
        }
        if let since, let until, !(since < until) { throw ValidationError("--since must be before --until") }
        if let caBundle, !FileManager.default.isReadableFile(atPath: caBundle) {
            throw ValidationError("--ca-bundle \(caBundle) cannot be read")
        }
        try refuseOverlaps([("--out", out)], inputs: [tokenFile, caBundle])
        switch source {
        case .databricks:
            if !audit && !inventory { throw ValidationError("fetch databricks needs --audit, --inventory or both") }
            if audit && since == nil { throw ValidationError("--audit needs --since") }
        case .cloudtrail:
            if since == nil { throw ValidationError("fetch cloudtrail needs --since (LookupEvents keeps 90 days)") }
        default: break
        }
    }

    func run() throws {
        var config = FetchPlan.Configuration(source: source, out: out)
        (config.since, config.until) = (since, until)
        (config.profile, config.region, config.endpointURL, config.pathStyle) = (
            profile, region, endpointURL, pathStyle
        )
        config.digests = !noDigests
        (config.host, config.audit, config.inventory, config.warehouseID, config.inline) = (
            host, audit, inventory, warehouseId, inline
        )
        config.tokenFile = tokenFile
        config.statementTimeout = Double(statementTimeout)
        config.http.caBundle = caBundle
        config.http.retries = retries
        config.http.stallSeconds = stallTimeout
        config.http.connectTimeout = connectTimeout
        config.http.userAgent = "crosstrail/\(CrossTrailVersion.current)"
        config.jobs = jobs
        config.tool = "crosstrail \(CrossTrailVersion.current)"
        config.command = commandLineForRecords()

        let interrupt = InterruptCleanup(
            message: "interrupted; partial files removed, finished files kept (rerun to continue)")
        defer { interrupt.cancel() }
        let drawing = !quiet && isatty(2) == 1
        var progress: (@Sendable (FetchSummary) -> Void)?
        if drawing {
            progress = { (s: FetchSummary) in
                FileHandle.standardError.write(
                    Data("\r\u{1B}[K  fetched \(s.fetched) files (\(s.bytes >> 20) MiB)".utf8))
            }
        }
        let started = Date()
        defer { if drawing { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) } }
        let r = try FetchPlan(config).run(progress: progress, onStaging: interrupt.add)
        guard !quiet else { return }
        var lines = r.summaries.map { what, s in
            String(
                format: "crosstrail: %@: %d listed, %d fetched (%.1f MiB), %d already up to date", what, s.listed,
                s.fetched,
                Double(s.bytes) / 1_048_576, s.skipped)
        }
        lines += r.warnings.prefix(20).map { "  warning: " + $0.terminalSafe }
        lines.append(
            String(
                format: "  %.1f s; provenance in %@/fetch-manifest.json", Date().timeIntervalSince(started),
                r.stateFolder))
        if drawing { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        TerminalObserver.print(lines)
    }
}

extension FetchPlan.Source: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}
