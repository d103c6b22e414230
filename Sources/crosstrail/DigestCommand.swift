import ArgumentParser
import CrossTrailIntegrity
import CrossTrailModel
import CrossTrailPipeline
import Foundation

/// Where CloudTrail's public keys come from (shared by verify-digests and report).
struct DigestKeyOptions: ParsableArguments {
    @Option(
        help: "CloudTrail public keys: the JSON `aws cloudtrail list-public-keys` prints. Enables digest validation.")
    var publicKeys: String?

    func load() throws -> [String: DigestValidator.PublicKey]? {
        try publicKeys.map(DigestKeys.load)
    }
}

struct VerifyDigestsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-digests",
        abstract:
            "Validate CloudTrail log file integrity: the digest chain, digest signatures and every log file's SHA-256.",
        discussion: """
            Reads CloudTrail digest files (…/CloudTrail-Digest/…) and log files under
            PATHs. Each digest's SHA256withRSA signature is checked with the AWS key whose
            fingerprint it names; the signature itself comes from the digest's S3
            metadata, saved next to it as <digest>.s3meta.json by `crosstrail fetch`
            (Docs/formats.md). The chain is followed through previousDigestSignature and
            previousDigestHashValue, and each listed log file is hashed (uncompressed) and
            compared.

            Reports missing, modified and extra log files, unverifiable digests, invalid
            signatures and chain breaks, one line each.

            Examples:
              aws cloudtrail list-public-keys --start-time 2026-07-01 > keys.json
              crosstrail verify-digests ./logs --public-keys keys.json
              crosstrail verify-digests Samples/logs \\
                  --public-keys Samples/keys/cloudtrail-public-keys.json

            Exit status: 0 everything verified, 1 a problem was found (or no digest), 2
            usage error, 4 a PATH is missing or unreadable.
            """
    )

    @Argument(help: "Folders or files holding CloudTrail digest and log files.")
    var paths: [String]

    @OptionGroup var keys: DigestKeyOptions

    @Option(help: "Output: table (default) or json.")
    var format: ReportFormat = .table

    func validate() throws {
        if keys.publicKeys == nil {
            throw ValidationError("verify-digests needs --public-keys (aws cloudtrail list-public-keys output)")
        }
    }

    func run() throws {
        try EventInput.requireReadable(paths)
        let r = DigestValidator.validate(paths: paths, keys: try keys.load() ?? [:])
        switch format {
        case .json:
            try TextOutput.write(
                PrettyJSON.encode(
                    DigestJSON(
                        digestFiles: r.digestFiles, digestsVerified: r.digestsVerified,
                        logFilesListed: r.logFilesListed,
                        logFilesVerified: r.logFilesVerified, problems: r.problems)), to: nil)
        case .table:
            var lines = r.problems.map {
                "\($0.kind.rawValue.uppercased().padded(18)) \($0.file.terminalSafe)  \($0.detail.terminalSafe)"
            }
            lines.append(
                "\(r.digestFiles) digest files (\(r.digestsVerified) signatures verified), \(r.logFilesListed) log files listed, "
                    + "\(r.logFilesVerified) verified; \(r.problems.count) problem\(r.problems.count == 1 ? "" : "s")")
            if r.digestFiles == 0 {
                lines.append(
                    "no CloudTrail digest files found under \(paths.joined(separator: ", ")) (is log file validation on for the trail?)"
                )
            }
            try TextOutput.write(lines.joined(separator: "\n") + "\n", to: nil)
        }
        if !r.ok { throw ExitCode(.findings) }
    }

    struct DigestJSON: Encodable {
        var digestFiles: Int
        var digestsVerified: Int
        var logFilesListed: Int
        var logFilesVerified: Int
        var problems: [DigestValidator.Problem]
    }
}
