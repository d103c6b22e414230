import ArgumentParser
import CrossTrailAnalysis
import CrossTrailFetch
import CrossTrailIngest
import CrossTrailIntegrity
import CrossTrailInventory
import CrossTrailModel
import CrossTrailReport
import CrossTrailRules
import CrossTrailTimeline
import Crypto
import Foundation

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write an evidence pack: HTML and XML reports, OSCAL assessment results, timeline, findings and a (signed) manifest.",
        discussion: """
        The pack is a folder (written atomically: nothing appears at --out until it is
        complete):
          index.html                    self-contained report (offline, prints to PDF)
          evidence.xml, evidence.xsd    the same content as XML, and its schema
          oscal-assessment-results.xml  NIST OSCAL 1.0.6 assessment results (+ schema)
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

    @Option(help: "Generation time written into the pack (ISO 8601; default now). Same inputs and time give a byte-identical pack.")
    var generatedAt: String?

    @Option(help: "Frameworks to include: soc2, iso27001, pci, hipaa, nist (repeatable; default all).")
    var framework: [String] = []

    @Option(help: "Directory of Sigma rules (YAML) besides the built-in ones; repeatable.")
    var rules: [String] = []

    @Flag(inversion: .prefixedNo, help: "Run the change-monitoring rules (CIS AWS Foundations metric filters): their findings are evidence for the monitoring controls.")
    var monitoring = true

    @OptionGroup var digestKeys: DigestKeyOptions

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
        if paths.contains("-") { throw ValidationError("report reads its inputs twice and cannot read standard input; save it to a file") }
        if let period, ReportPeriod.parse(period) == nil {
            throw ValidationError("--period '\(period)' is not 2026Q3, 2026-08, 2026 or START..END")
        }
        if let generatedAt, Timestamp(iso: generatedAt) == nil { throw ValidationError("--generated-at '\(generatedAt)' is not an ISO 8601 time") }
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
        // The pack replaces --out (with --force) and writes OUT.zip next to it.
        try refuseOverlaps([("--out", out), ("--zip", zip ? (out as NSString).standardizingPath + ".zip" : nil)],
                           inputs: paths + inventory.inventory + [inventory.classification] + rules + [sign, digestKeys.publicKeys])
    }

    func run() throws {
        try requireReadableInputs(paths)
        let started = Date()
        let period = self.period.flatMap(ReportPeriod.parse)
        let generated = generatedAt.flatMap { Timestamp(iso: $0) } ?? Timestamp(millis: Int64(Date().timeIntervalSince1970 * 1000))
        // Everything that can fail fast does, before any reading.
        let key = try sign.map { path -> Curve25519.Signing.PrivateKey in
            guard let pem = try? String(contentsOfFile: path, encoding: .utf8) else { throw ValidationError("cannot read the signing key \(path)") }
            do { return try PackKeys.privateKey(pem: pem, source: path) } catch { throw ValidationError("\(error)") }
        }
        let (catalog, unknown) = try ControlCatalog.builtin().selecting(framework)
        if !unknown.isEmpty { throw ValidationError("unknown --framework \(unknown.joined(separator: ", ")); use soc2, iso27001, pci, hipaa or nist") }
        let writer: PackWriter
        do { writer = try PackWriter(destination: out, replace: force) } catch { throw ValidationError("\(error)") }
        let cloudTrailKeys = try digestKeys.load()
        let interrupt = InterruptCleanup { writer.abandon() }
        defer { interrupt.cancel() }

        let (inv, invDiags) = inventory.load(quiet: quiet || inventory.isEmpty)
        let ruleSet = RuleSet.load(directories: rules, monitoring: monitoring)
        // Without its rules a scan would report nothing and look clean: refuse instead.
        if let missing = ruleSet.missingBuiltins { throw missing }
        for e in ruleSet.errors.prefix(20) where !quiet { FileHandle.standardError.write(Data(("  rule error: " + e.description.terminalSafe + "\n").utf8)) }

        // Pass 1: observations → findings and the identity graph.
        var filter = EventFilter()
        filter.since = period?.start
        filter.until = period?.end
        var ingestor = Ingestor(filter: filter)
        if let workers { ingestor.workers = workers }
        var discovery: [Diagnostic] = []
        let files = paths.isEmpty ? [] : Ingestor.discover(paths, diagnostics: &discovery)
        let (obs, _) = files.isEmpty ? (Observations(), IngestStats()) : ObservationPass.run(ingestor, files: files, classification: inv.classification, rules: ruleSet)
        let scan = Analyzer.scan(inv, obs, rules: ruleSet)

        // Pass 2: the attributed, deduplicated timeline, straight into the pack.
        var options = TimelineOptions()
        options.filter = filter
        options.attribution = scan.graph.attributionMap
        if let workers { options.workers = workers }
        let progress = IngestProgress(totalFiles: files.count)
        let reporter = ProgressReporter(progress: progress, enabled: isatty(2) == 1 && !quiet)
        reporter.start()
        var stats = try Timeline.build(files: files, options: options, output: OutputSink(path: writer.path("timeline.jsonl")), progress: progress)
        reporter.stop()
        for d in discovery { stats.add(d) }
        let (rows, total) = try EvidencePack.Row.read(timeline: writer.path("timeline.jsonl"), limit: EvidencePack.rowLimit)

        // CloudTrail digests among the logs: validated when AWS's public keys are given.
        let integrity = cloudTrailKeys.map { DigestValidator.validate(paths: paths, keys: $0).packIntegrity }
        var inputs = stats.inputs.map { EvidencePack.InputFile(path: $0.file, kind: "log", bytes: $0.bytes, sha256: $0.sha256) }
        inputs += inv.files.map { EvidencePack.InputFile(path: $0.path, kind: "inventory/" + $0.kind, bytes: Int64($0.bytes), sha256: $0.sha256) }
        // Inputs collected by `crosstrail fetch` carry their provenance: it goes into the pack.
        var fetchManifests: [(name: String, data: Data)] = []
        for dir in (paths + inventory.inventory).uniqued() {
            guard let path = FetchRun.lastManifest(in: dir), let data = FileManager.default.contents(atPath: path) else { continue }
            let name = fetchManifests.isEmpty ? "fetch-manifest.json" : "fetch-manifest-\(fetchManifests.count + 1).json"
            fetchManifests.append((name, data))
            inputs.append(EvidencePack.InputFile(path: path, kind: "fetch-manifest", bytes: Int64(data.count), sha256: Manifest.sha256(data)))
        }
        let meta = EvidencePack.Meta(title: title, toolVersion: CrossTrailVersion.current, generatedAt: generated, period: period,
                                     command: commandLineForRecords(), rulesHash: ruleSet.fingerprint)
        let pack = EvidencePack.assemble(meta: meta, scan: scan, observations: obs, inventory: inv, stats: stats, rows: rows, timelineTotal: total,
                                         inputs: inputs, catalog: catalog, integrity: integrity)

        try writer.write("index.html", HTMLReport.render(pack))
        try writer.write("evidence.xml", EvidenceXML.render(pack))
        try writer.write("oscal-assessment-results.xml", OSCALReport.render(pack))
        try writer.copy(resource: "evidence.xsd")
        try writer.copy(resource: "oscal_assessment-results_schema.xsd")
        var findingsJSON = ""
        try FindingsJSON.write(scan, inventory: inv, events: obs.events) { findingsJSON += $0 }
        try writer.write("findings.json", findingsJSON)
        try writer.write("inputs.json", Output.json(pack.inputs))
        for m in fetchManifests { try writer.write(m.name, m.data) }
        let manifest = try writer.finish(
            manifest: Manifest(tool: "crosstrail", version: CrossTrailVersion.current, generatedAt: generated.iso8601, period: period?.label,
                               command: meta.command, rulesHash: ruleSet.fingerprint, files: []),
            signingKey: key)

        if zip {
            do { try PackZip.write(folder: writer.destination, to: writer.destination + ".zip", time: generated) } catch { throw ValidationError("\(error)") }
        }
        if !quiet {
            RunSummary.print(stats, elapsed: Date().timeIntervalSince(started))
            let open = pack.findings.filter { $0.status != "suppressed" }
            let by = Dictionary(grouping: pack.controls.filter(\.inCatalog), by: \.status)
            var lines = ["crosstrail: evidence pack \(writer.destination): \(manifest.files.count + 1) files, \(total) events, \(open.count) open findings; controls "
                + "\(by[.satisfied]?.count ?? 0) satisfied, \(by[.notSatisfied]?.count ?? 0) not satisfied, \(by[.notAssessed]?.count ?? 0) not assessed"]
            if let key { lines.append("  signed by \(PackKeys.fingerprint(key.publicKey)); public key in \(Manifest.publicKeyName)") }
            if zip { lines.append("  zip: \(writer.destination).zip") }
            lines.append("  check it with: crosstrail verify \(writer.destination)" + (key == nil ? "" : " --trusted-key KEY.pub"))
            FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        }
        if strict && (!invDiags.isEmpty || stats.diagnosticsTotal > 0) { throw ExitCode(3) }
    }
}

/// The command line as recorded in packs and manifests: arguments after the program name, with
/// anything that looks like a secret replaced by its keyed hash.
func commandLineForRecords() -> String {
    // The redactor reads JSON: give it the arguments as a JSON array of strings.
    let args = Array(CommandLine.arguments.dropFirst())
    guard let json = try? JSONEncoder().encode(args), let redacted = Redactor.redact(String(decoding: json, as: UTF8.self)),
          let back = try? JSONDecoder().decode([String].self, from: Data(redacted.text.utf8)) else {
        return "crosstrail " + args.joined(separator: " ")
    }
    return "crosstrail " + back.joined(separator: " ")
}

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check an evidence pack: every file's SHA-256 against the manifest, the signature, and the XML schemas.",
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
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: pack, isDirectory: &isDir) else { throw ValidationError("\(pack) does not exist") }
        var folder = pack
        var scratch: String?
        defer { if let scratch { try? FileManager.default.removeItem(atPath: scratch) } }
        if !isDir.boolValue {
            let tmp = (ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp") + "/crosstrail-verify-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            scratch = tmp
            do { folder = try PackZip.extract(pack, into: tmp) } catch {
                print("FAIL \(String(describing: error).terminalSafe)\nFAILED: the ZIP cannot be read")
                throw ExitCode(1)
            }
        }
        let key = try trustedKey.map { path -> Curve25519.Signing.PublicKey in
            guard let pem = try? String(contentsOfFile: path, encoding: .utf8) else { throw ValidationError("cannot read \(path)") }
            do { return try PackKeys.publicKey(pem: pem, source: path) } catch { throw ValidationError("\(error)") }
        }
        let r = PackVerifier.verify(pack: folder, trustedKey: key, requireSignature: requireSignature)
        var lines: [String] = []
        if !quiet {
            if let m = r.manifest {
                lines.append("pack: \(pack) (\(m.tool) \(m.version), generated \(m.generatedAt)\(m.period.map { ", period \($0)" } ?? ""))")
            }
            lines.append("files: \(r.verified.count) of \(r.manifest?.files.count ?? 0) match the manifest")
            switch r.signature {
            case .absent: lines.append("signature: none")
            case .trusted(let fp): lines.append("signature: valid, trusted key \(fp)")
            case .untrusted(let fp): lines.append("signature: valid for the key in the pack (\(fp)), not checked against a trusted key")
            case .invalid(let why): lines.append("signature: INVALID, \(why)")
            }
        }
        for p in r.problems { lines.append("FAIL " + p.terminalSafe) }
        lines.append(r.ok ? "OK: the pack is intact" : "FAILED: \(r.problems.count) problem\(r.problems.count == 1 ? "" : "s")")
        print(lines.joined(separator: "\n"))
        if !r.ok { throw ExitCode(1) }
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

    func run() throws {
        guard !FileManager.default.fileExists(atPath: out) else { throw ValidationError("\(out) exists; not overwriting a key") }
        let key = Curve25519.Signing.PrivateKey()
        let fd = open(out, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw ValidationError("cannot create \(out): \(String(cString: strerror(errno)))") }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        try handle.write(contentsOf: Data(PackKeys.pem(key).utf8))
        let pub = (out.hasSuffix(".pem") ? String(out.dropLast(4)) : out) + ".pub"
        try Data(PackKeys.pem(key.publicKey).utf8).write(to: URL(fileURLWithPath: pub))
        print("private key: \(out)\npublic key:  \(pub)\nfingerprint: \(PackKeys.fingerprint(key.publicKey))")
    }
}

/// Runs `cleanup` and exits with 130 on SIGINT or SIGTERM (partial output is removed).
final class InterruptCleanup: @unchecked Sendable {
    private var sources: [any DispatchSourceSignal] = []

    init(message: String = "interrupted; no pack was written", _ cleanup: @escaping @Sendable () -> Void) {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler {
                cleanup()
                FileHandle.standardError.write(Data("crosstrail: \(message)\n".utf8))
                // _exit, not exit: worker threads are still running, and exit's static destructors
                // (C++ libraries) under their feet aborted the process now and then (SIGABRT, not 130).
                _exit(130)
            }
            s.resume()
            sources.append(s)
        }
    }

    func cancel() {
        for s in sources { s.cancel() }
        sources = []
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
