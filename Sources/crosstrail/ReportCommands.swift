import ArgumentParser
import CrossTrailModel
import CrossTrailPipeline
import CrossTrailReport
import Foundation

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract:
            "Write an evidence pack: HTML and XML reports, OSCAL assessment results, timeline, findings and a (signed) manifest.",
        discussion: """
            The pack is a folder (written atomically: nothing appears at --out until it is
            complete):
              index.html                    self-contained report (offline, prints to PDF)
              evidence.xml, evidence.xsd    the same content as XML, and its schema
              controls.csv                  every control: status, reasons, evidence,
                                            findings
              oscal-assessment-results.json NIST OSCAL 1.2.3 assessment results (also
                                            as .xml, with its schema), importing
              oscal-assessment-plan.json    the plan, which imports
              oscal-ssp.json                the system assessed, which imports
              oscal-catalog.json            every control the pack cites
              timeline.jsonl                every event of the period, attributed to
                                            people
              findings.json                 the findings (as `scan --format json`)
              inputs.json                   every input file with its size and SHA-256
              manifest.json                 SHA-256 of every file; manifest.sig and
                                            manifest.pub with --sign
              fetch-manifest.json           when inputs came from `crosstrail fetch`:
                                            every request and file fetched

            Without --period the pack covers the events given, over their own span.
            Without --inventory, permission controls are reported as not assessed.

            Examples:
              crosstrail report Samples/logs --inventory Samples/inventory \\
                  --period 2026Q3 --out evidence-2026Q3
              crosstrail keygen --out signing.pem
              crosstrail report ./logs --inventory ./inventory --period 2026-08 \\
                  --out pack --sign signing.pem --framework pci
              crosstrail verify evidence-2026Q3 --trusted-key signing.pub

            With --public-keys, CloudTrail digest files among the logs are validated (as
            verify-digests does) and the result is the evidence for PCI DSS 10.3.4, ISO
            27001 A.8.15 and NIST AU-9.
            """
    )

    @Argument(help: "Audit log files or directories.")
    var paths: [String] = []

    @OptionGroup var inventory: InventoryOptions

    @Option(help: "The period: 2026Q3, 2026-08, 2026, or START..END (ISO 8601, end exclusive).")
    var period: String?

    @Option(help: "Folder to write the pack to.")
    var out: String

    @Flag(help: "Replace --out if it exists.")
    var force = false

    @Flag(help: "Also write the pack as one ZIP file next to the folder (OUT.zip).")
    var zip = false

    @Option(help: "Sign the manifest with this Ed25519 private key (PEM; `crosstrail keygen` makes one).")
    var sign: String?

    @Option(
        help:
            "Generation time written into the pack (ISO 8601; default now). Same inputs and time give a byte-identical pack."
    )
    var generatedAt: Timestamp?

    @Option(
        help:
            "Frameworks to include: soc2, iso27001, pci, hipaa, nist (the default set), cis (CIS AWS 1.5 and 3.0 monitoring), cis-aws-3.0, securityhub (repeatable)."
    )
    var framework: [String] = []

    @Option(help: "Directory of Sigma rules (YAML) besides the built-in ones; repeatable.")
    var rules: [String] = []

    @Flag(
        inversion: .prefixedNo,
        help:
            "Run the change-monitoring rules (CIS AWS Foundations metric filters): their findings are evidence for the monitoring controls."
    )
    var monitoring = true

    @OptionGroup var digestKeys: DigestKeyOptions

    @Option(
        help:
            "Case store (read only) whose suppressions mark findings as accepted risk: shown under their controls with the reason, author and end date, and not counted against them."
    )
    var store: String?

    @Option(help: "Title of the report.")
    var title = "crosstrail evidence pack"

    @Option(help: "Worker threads (default: number of cores).")
    var workers: Int?

    @Flag(help: "Exit with status 3 when any input diagnostic was reported (the pack is still written).")
    var strict = false

    @Flag(name: .shortAndLong, help: "Do not print the run summary.")
    var quiet = false

    func validate() throws {
        if paths.isEmpty && inventory.isEmpty { throw ValidationError("give log PATHs, --inventory DIR, or both") }
        if paths.contains("-") {
            throw ValidationError("report reads its inputs twice and cannot read standard input; save it to a file")
        }
        if let period, ReportPeriod.parse(period) == nil {
            throw ValidationError("--period '\(period)' is not 2026Q3, 2026-08, 2026 or START..END")
        }
        try checkWorkers(workers)
        // The pack replaces --out (with --force) and writes OUT.zip next to it.
        try refuseOverlaps(
            [("--out", out), ("--zip", zip ? (out as NSString).standardizingPath + ".zip" : nil)],
            inputs: paths + inventory.paths + rules + [sign, digestKeys.publicKeys, store])
        // The pack replaces the folder at --out: never the folder crosstrail runs in, nor one above it.
        let here = FileManager.default.currentDirectoryPath
        let target = URL(fileURLWithPath: out, relativeTo: URL(fileURLWithPath: here, isDirectory: true))
            .standardizedFileURL.resolvingSymlinksInPath().path
        let cwd = URL(fileURLWithPath: here).resolvingSymlinksInPath().path
        if out.trimmingCharacters(in: .whitespaces).isEmpty || target == "/" || cwd == target
            || cwd.hasPrefix(target.hasSuffix("/") ? target : target + "/")
        {
            throw ValidationError(
                "--out '\(out)' is the current folder or one above it; the pack replaces the folder it is written to: name a new one"
            )
        }
    }

    func run() throws {
        var config = ReportPipeline.Configuration(
            paths: paths, inventory: inventory.input, out: out,
            generatedAt: generatedAt ?? Timestamp(millis: Int64(Date().timeIntervalSince1970 * 1000)),
            toolVersion: CrossTrailVersion.current)
        config.period = period.flatMap(ReportPeriod.parse)
        config.replace = force
        config.zip = zip
        config.signingKey = sign
        config.frameworks = framework
        config.ruleDirectories = rules
        config.monitoring = monitoring
        config.cloudTrailPublicKeys = digestKeys.publicKeys
        config.title = title
        config.store = store
        config.workers = workers
        config.command = commandLineForRecords()
        let interrupt = InterruptCleanup(message: "interrupted; no pack was written")
        defer { interrupt.cancel() }
        let observer = TerminalObserver(quiet: quiet)
        defer { observer.finish() }
        let r = try ReportPipeline(config).run(observer: observer, onStaging: interrupt.add)
        if !quiet {
            var lines = [
                "crosstrail: evidence pack \(r.destination): \(r.files) files, \(r.events) events, \(r.openFindings) open findings; controls "
                    + r.controls.text
            ]
            if let fp = r.signedBy { lines.append("  signed by \(fp); public key in \(Manifest.publicKeyName)") }
            if let zip = r.zip { lines.append("  zip: \(zip)") }
            lines.append(
                "  check it with: crosstrail verify \(r.destination)"
                    + (r.signedBy == nil ? "" : " --trusted-key KEY.pub"))
            TerminalObserver.print(lines)
        }
        if strict && r.hasDiagnostics { throw ExitCode(.diagnostics) }
    }
}

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract:
            "Check an evidence pack: every file's SHA-256 against the manifest, the signature, and the XML schemas.",
        discussion: """
            Names each file that is missing, modified or added. With --trusted-key the
            manifest's signature must verify with that key; without it, a signature is
            checked against the key inside the pack and reported as untrusted (anyone who
            can edit the pack can re-sign it).

            Exit codes: 0 the pack is intact, 1 a problem was found, 2 usage error.
            """
    )

    @Argument(help: "The evidence pack folder, or its ZIP (report --zip).")
    var pack: String

    @Option(help: "The Ed25519 public key (PEM) the manifest must be signed with.")
    var trustedKey: String?

    @Flag(help: "Fail when the pack is not signed by a trusted key.")
    var requireSignature = false

    @Flag(name: .shortAndLong, help: "Print only problems.")
    var quiet = false

    func run() throws {
        let r: PackVerifier.Report
        switch try PackCheck.verify(pack, trustedKey: trustedKey, requireSignature: requireSignature) {
        case .checked(let result): r = result
        case .unreadableZip(let why):
            print("FAIL \(why.terminalSafe)\nFAILED: the ZIP cannot be read")
            throw ExitCode(.findings)
        }
        var lines: [String] = []
        if !quiet {
            if let m = r.manifest {
                lines.append(
                    "pack: \(pack) (\(m.tool) \(m.version), generated \(m.generatedAt)\(m.period.map { ", period \($0)" } ?? ""))"
                )
            }
            lines.append("files: \(r.verified.count) of \(r.manifest?.files.count ?? 0) match the manifest")
            switch r.signature {
            case .absent: lines.append("signature: none")
            case .trusted(let fp): lines.append("signature: valid, trusted key \(fp)")
            case .untrusted(let fp):
                lines.append("signature: valid for the key in the pack (\(fp)), not checked against a trusted key")
            case .invalid(let why): lines.append("signature: INVALID, \(why)")
            }
        }
        for p in r.problems { lines.append("FAIL " + p.terminalSafe) }
        lines.append(
            r.ok ? "OK: the pack is intact" : "FAILED: \(r.problems.count) problem\(r.problems.count == 1 ? "" : "s")")
        print(lines.joined(separator: "\n"))
        if !r.ok { throw ExitCode(.findings) }
    }
}

struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Create an Ed25519 key pair for signing evidence packs (KEY.pem private, KEY.pub public).",
        discussion: "Keep the private key out of the pack and out of version control; give auditors the .pub file."
    )

    @Option(help: "Path of the private key to create (PEM, mode 0600); the public key goes next to it as .pub.")
    var out: String

    func validate() throws {
        if FileManager.default.fileExists(atPath: out) { throw ValidationError("\(out) exists; not overwriting a key") }
    }

    func run() throws {
        let (pub, fingerprint) = try PackCheck.generateKey(at: out)
        print("private key: \(out)\npublic key:  \(pub)\nfingerprint: \(fingerprint)")
    }
}
