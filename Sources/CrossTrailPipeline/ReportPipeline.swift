import CrossTrailAnalysis
import CrossTrailFetch
import CrossTrailIngest
import CrossTrailIntegrity
import CrossTrailInventory
import CrossTrailModel
import CrossTrailReport
import CrossTrailRules
import CrossTrailStore
import CrossTrailTimeline
import Crypto
import Foundation

/// `crosstrail report` as a library call: two passes over the logs (observations → findings and
/// the identity graph; then the attributed timeline) and the evidence pack written atomically.
public struct ReportPipeline: Sendable {
    public struct Configuration: Sendable {
        public var paths: [String]
        public var inventory: InventoryInput
        public var period: ReportPeriod?
        /// The pack folder; replaced only with `replace`.
        public var out: String
        public var replace = false
        /// Also write OUT.zip.
        public var zip = false
        /// PEM file of the Ed25519 key that signs the manifest.
        public var signingKey: String?
        public var generatedAt: Timestamp
        /// Framework ids (soc2, iso27001, pci, hipaa, nist); empty means all.
        public var frameworks: [String] = []
        public var ruleDirectories: [String] = []
        public var monitoring = true
        /// `aws cloudtrail list-public-keys` output: enables digest validation.
        public var cloudTrailPublicKeys: String?
        public var title = "crosstrail evidence pack"
        /// A case store (opened read-only) whose suppressions are the findings accepted as risk.
        public var store: String?
        public var workers: Int?
        /// The command line recorded in the pack (secrets already redacted).
        public var command = "crosstrail report"
        public var toolVersion: String

        public init(
            paths: [String], inventory: InventoryInput, out: String, generatedAt: Timestamp, toolVersion: String
        ) {
            self.paths = paths
            self.inventory = inventory
            self.out = out
            self.generatedAt = generatedAt
            self.toolVersion = toolVersion
        }
    }

    public struct Outcome: Sendable {
        /// The pack folder.
        public var destination: String
        /// Files in the pack, the manifest included.
        public var files: Int
        /// Events in the timeline.
        public var events: Int
        public var openFindings: Int
        /// The control statuses, as every view of the pack counts them.
        public var controls: ControlSummary
        /// The fingerprint of the signing key (nil when unsigned).
        public var signedBy: String?
        public var zip: String?
        public var stats: IngestStats
        public var inventoryDiagnostics: [Diagnostic]
        public var ruleErrors: [RuleError]

        public var hasDiagnostics: Bool { !inventoryDiagnostics.isEmpty || stats.diagnosticsTotal > 0 }
    }

    public var configuration: Configuration

    public init(_ configuration: Configuration) {
        self.configuration = configuration
    }

    /// The pack writer is created before reading (so a bad --out fails fast); `onStaging` gets a
    /// cleanup that removes the unfinished pack, for the caller's interrupt handler.
    /// - Throws: `CrossTrailError` — `usage` for a signing key, framework, public-key file or
    ///   destination that cannot be used; input errors as `ScanPipeline`; `output` when the pack
    ///   cannot be written.
    public func run(
        observer: any PipelineObserver = SilentObserver(),
        onStaging: (@escaping @Sendable () -> Void) -> Void = { _ in }
    ) throws -> Outcome {
        let config = configuration
        try EventInput.requireReadable(config.paths)
        // Everything that can fail fast does, before any reading.
        let existingZip = (config.out as NSString).standardizingPath + ".zip"
        if config.zip && !config.replace && FileManager.default.fileExists(atPath: existingZip) {
            throw CrossTrailError(
                .usage, "\(existingZip) already exists; choose another --out or pass --force to replace it",
                at: .file(path: existingZip))
        }
        let key = try config.signingKey.map { path -> Curve25519.Signing.PrivateKey in
            let pem = String(decoding: try EventInput.readOptionFile(path, option: "--sign"), as: UTF8.self)
            do { return try PackKeys.privateKey(pem: pem, source: path) } catch {
                throw CrossTrailError(.usage, "\(error)", at: .file(path: path), underlying: error)
            }
        }
        let catalog: ControlCatalog
        let unknown: [String]
        do { (catalog, unknown) = try ControlCatalog.builtin().selecting(config.frameworks) } catch {
            throw CrossTrailError(.installation, "the built-in control catalog: \(error)", underlying: error)
        }
        if !unknown.isEmpty {
            throw CrossTrailError(
                .usage,
                "unknown --framework \(unknown.joined(separator: ", ")); use soc2, iso27001, pci, hipaa, nist, cis, cis-aws-1.5, cis-aws-3.0 or securityhub"
            )
        }
        // The cleanup is registered before the staging folder exists: an interrupt at any moment
        // leaves nothing behind.
        let staging = PackWriter.stagingPath(for: config.out)
        onStaging { PackWriter.removeStaging(staging) }
        let writer: PackWriter
        do { writer = try PackWriter(destination: config.out, replace: config.replace) } catch {
            throw CrossTrailError(.usage, "\(error)", at: .file(path: config.out), underlying: error)
        }
        let cloudTrailKeys = try config.cloudTrailPublicKeys.map { try DigestKeys.load($0) }

        var (inv, invDiags) = try config.inventory.load(observer: observer)
        // Permissions are judged at the pack's time: same inputs and time, same judgments.
        inv.iam.assessedAt = config.generatedAt
        let ruleSet = try RuleSet.loadRequiringBuiltins(
            directories: config.ruleDirectories, monitoring: config.monitoring)
        if !ruleSet.errors.isEmpty { observer.ruleErrors(ruleSet.errors) }

        // Pass 1: observations → findings and the identity graph.
        let input = EventInput(
            paths: config.paths, since: config.period?.start, until: config.period?.end, workers: config.workers)
        let (ingestor, files, discovery) = input.prepare()
        let (obs, _) =
            files.isEmpty
            ? (Observations(), IngestStats())
            : ObservationPass.run(ingestor, files: files, classification: inv.classification, rules: ruleSet)
        var scan = Analyzer.scan(inv, obs, rules: ruleSet)
        let acceptedRisks =
            try config.store.map { try Self.acceptedRisks(in: $0, on: config.generatedAt, &scan) } ?? [:]

        // Pass 2: the attributed, deduplicated timeline, straight into the pack.
        var options = TimelineOptions()
        options.filter = input.filter
        options.attribution = scan.graph.attributionMap
        if let workers = config.workers { options.workers = workers }
        let (_, stats) = try EventInput.reading(files, discovery: discovery, observer: observer, deduplicated: true) {
            progress in
            let stats = try OutputAccess.run("the pack's timeline", at: writer.path("timeline.jsonl")) {
                try Timeline.build(
                    files: files, options: options, output: OutputSink(path: writer.path("timeline.jsonl")),
                    progress: progress)
            }
            return (stats, stats)
        }
        let (rows, total) = try OutputAccess.run("the pack's timeline", at: writer.path("timeline.jsonl")) {
            try EvidencePack.Row.read(timeline: writer.path("timeline.jsonl"), limit: EvidencePack.rowLimit)
        }

        // CloudTrail digests among the logs: validated when AWS's public keys are given.
        let integrity = cloudTrailKeys.map { DigestValidator.validate(paths: config.paths, keys: $0).packIntegrity }
        var inputs = stats.inputs.map {
            EvidencePack.InputFile(path: $0.file, kind: "log", bytes: $0.bytes, sha256: $0.sha256)
        }
        inputs += inv.files.map {
            EvidencePack.InputFile(
                path: $0.path, kind: "inventory/" + $0.kind, bytes: Int64($0.bytes), sha256: $0.sha256)
        }
        // Inputs collected by `crosstrail fetch` carry their provenance: it goes into the pack.
        var fetchManifests: [(name: String, data: Data)] = []
        for dir in (config.paths + config.inventory.paths).uniqued() {
            guard let path = FetchRun.lastManifest(in: dir), let data = FileManager.default.contents(atPath: path)
            else { continue }
            let name =
                fetchManifests.isEmpty ? "fetch-manifest.json" : "fetch-manifest-\(fetchManifests.count + 1).json"
            fetchManifests.append((name, data))
            inputs.append(
                EvidencePack.InputFile(
                    path: path, kind: "fetch-manifest", bytes: Int64(data.count), sha256: Manifest.sha256(data)))
        }
        let meta = EvidencePack.Meta(
            title: config.title, toolVersion: config.toolVersion, generatedAt: config.generatedAt,
            period: config.period,
            command: config.command, rulesHash: ruleSet.fingerprint)
        var pack = EvidencePack.assemble(
            meta: meta, scan: scan, observations: obs, inventory: inv, logsGiven: !config.paths.isEmpty, stats: stats,
            rows: rows, timelineTotal: total,
            inputs: inputs, catalog: catalog, integrity: integrity, acceptedRisks: acceptedRisks)
        pack.checks = Self.checks(ruleSet, scan)

        let manifest: Manifest
        do {
            for artifact in PackArtifacts.all {
                try artifact.write(
                    PackArtifacts.Context(pack: pack, scan: scan, inventory: inv, events: obs.events), writer)
            }
            for m in fetchManifests { try writer.write(m.name, m.data) }
            manifest = try writer.finish(
                manifest: Manifest(
                    tool: "crosstrail", version: config.toolVersion, generatedAt: config.generatedAt.iso8601,
                    period: config.period?.label,
                    command: meta.command, rulesHash: ruleSet.fingerprint, files: []),
                signingKey: key)
        } catch let e as CrossTrailError { throw e } catch {
            throw CrossTrailError(.output, "\(error)", at: .file(path: config.out), underlying: error)
        }
        var zipPath: String?
        if config.zip {
            zipPath = writer.destination + ".zip"
            do {
                try PackZip.write(folder: writer.destination, to: writer.destination + ".zip", time: config.generatedAt)
            } catch {
                throw CrossTrailError(
                    .output, "\(error)", at: .file(path: writer.destination + ".zip"), underlying: error)
            }
        }
        let controls = ControlSummary(pack.controls)
        return Outcome(
            destination: writer.destination, files: manifest.files.count + 1, events: total,
            openFindings: pack.findings.filter { $0.status != "suppressed" }.count, controls: controls,
            signedBy: key.map { PackKeys.fingerprint($0.publicKey) }, zip: zipPath, stats: stats,
            inventoryDiagnostics: invDiags, ruleErrors: ruleSet.errors)
    }
}

extension ReportPipeline {
    /// Every check the scan ran and its findings: Sigma rules (not those that only feed a
    /// correlation), correlations, and the built-in detections.
    static func checks(_ rules: RuleSet, _ scan: ScanResult) -> [EvidencePack.Check] {
        var count = [String: Int]()
        for f in scan.findings { count[f.rule, default: 0] += 1 }
        func check(
            _ id: String, _ kind: EvidencePack.Check.Kind, _ title: String?, _ confidence: EvidencePack.Confidence,
            _ tactics: [String] = []
        ) -> EvidencePack.Check {
            EvidencePack.Check(
                id: id, kind: kind, title: title, findings: count[id] ?? 0, skipped: scan.skippedRules.contains(id),
                confidence: confidence, tactics: tactics)
        }
        var out = rules.rules.filter { !rules.correlationOnly.contains($0.id) }.map {
            check(
                $0.id, .sigma, $0.title, EvidencePack.Confidence(sigmaStatus: $0.metadata.status), $0.metadata.tactics)
        }
        // A correlation is as sure as its weakest base rule.
        let byID = Dictionary(rules.rules.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        out += rules.correlations.map { c in
            let levels = c.ruleIDs.map { EvidencePack.Confidence(sigmaStatus: byID[$0]?.metadata.status) }
            return check(c.id, .correlation, c.title, levels.min() ?? .unrated, c.tactics)
        }
        // Permission checks evaluate the policies themselves; detections over time use tunable thresholds.
        out += Analyzer.permissionRuleIDs.map { check($0, .detection, Analyzer.builtinTitles[$0], .high) }
        out += Analyzer.statefulRuleIDs.map { check($0, .detection, Analyzer.builtinTitles[$0], .medium) }
        return out.sorted { $0.id < $1.id }
    }

    /// Marks the findings a store's suppressions hold (those not expired on `day`) as suppressed
    /// and returns why each was accepted: `reason (by AUTHOR, until DAY)`.
    static func acceptedRisks(in store: String, on now: Timestamp, _ scan: inout ScanResult) throws -> [String: String]
    {
        try EventInput.requireReadable([store])
        let suppressions = try CaseStore.using(store, readOnly: true) { try $0.suppressions() }
        let today = now.day
        var accepted = [String: String]()
        for s in suppressions where s.until.map({ $0 >= today }) ?? true {
            accepted[s.finding] = s.reason + " (by \(s.author)" + (s.until.map { ", until \($0)" } ?? "") + ")"
        }
        for i in scan.findings.indices where accepted[scan.findings[i].id] != nil {
            scan.findings[i].status = FindingStatus.suppressed.rawValue
        }
        return accepted.filter { id, _ in scan.findings.contains { $0.id == id } }
    }
}

/// The files of an evidence pack besides the timeline, the fetch manifests and the manifest
/// itself, in the order they are written. A new pack artifact is one entry here.
public enum PackArtifacts {
    public struct Context {
        public var pack: EvidencePack
        public var scan: ScanResult
        public var inventory: Inventory
        public var events: Int

        /// The pack's findings in a findings format.
        func findings(_ reporter: some FindingsReporter) throws -> String {
            var text = ""
            let doc = FindingsDocument(
                result: scan, inventory: inventory, events: events, generatedAt: pack.meta.generatedAt,
                checks: pack.checks)
            try reporter.write(doc) { text += $0 }
            return text
        }
    }

    public struct Artifact: Sendable {
        public var name: String
        public var write: @Sendable (Context, PackWriter) throws -> Void
    }

    public static let all: [Artifact] = [
        Artifact(name: "index.html") { c, w in try w.write("index.html", HTMLReport.render(c.pack)) },
        Artifact(name: "evidence.xml") { c, w in try w.write("evidence.xml", EvidenceXML.render(c.pack)) },
        Artifact(name: "oscal-assessment-results.xml") { c, w in
            try w.write("oscal-assessment-results.xml", OSCALReport.render(c.pack))
        },
        Artifact(name: "controls.csv") { c, w in try w.write("controls.csv", ControlsCSV.render(c.pack)) },
        Artifact(name: "evidence.xsd") { _, w in try w.copy(resource: "evidence.xsd") },
        Artifact(name: "oscal_assessment-results_schema.xsd") { _, w in
            try w.copy(resource: "oscal_assessment-results_schema.xsd")
        },
        Artifact(name: "findings.json") { c, w in try w.write("findings.json", c.findings(JSONFindingsReporter())) },
        Artifact(name: "findings.ocsf.jsonl") { c, w in
            try w.write("findings.ocsf.jsonl", c.findings(OCSFFindingsReporter()))
        },
        Artifact(name: "inputs.json") { c, w in try w.write("inputs.json", PrettyJSON.encode(c.pack.inputs)) },
        Artifact(name: OSCALDocuments.planFile) { c, w in
            try w.write(OSCALDocuments.planFile, OSCALDocuments.text(OSCALDocuments.plan(c.pack)))
        },
        Artifact(name: OSCALDocuments.sspFile) { c, w in
            try w.write(OSCALDocuments.sspFile, OSCALDocuments.text(OSCALDocuments.ssp(c.pack)))
        },
        Artifact(name: OSCALDocuments.catalogFile) { c, w in
            try w.write(OSCALDocuments.catalogFile, OSCALDocuments.text(OSCALDocuments.catalog(c.pack)))
        },
        // Last: the results name the other files' SHA-256 (back-matter resources).
        Artifact(name: OSCALDocuments.resultsFile) { c, w in
            var hashes = [String: String]()
            for name in OSCALDocuments.evidenceFiles {
                hashes[name] = try Manifest.sha256(file: w.path(name)).1
            }
            try w.write(
                OSCALDocuments.resultsFile, OSCALDocuments.text(OSCALDocuments.results(c.pack, hashes: hashes)))
        },
    ]
}

/// CloudTrail's public keys, as `aws cloudtrail list-public-keys` prints them.
public enum DigestKeys {
    /// - Throws: `CrossTrailError.usage` naming the file when it cannot be read or parsed.
    public static func load(_ path: String) throws -> [String: DigestValidator.PublicKey] {
        let data = try EventInput.readOptionFile(path, option: "--public-keys")
        do { return try DigestValidator.publicKeys(json: data, source: path) } catch {
            throw CrossTrailError(.usage, "\(error)", at: .file(path: path), underlying: error)
        }
    }
}

extension DigestValidator.Result {
    /// The summary an evidence pack shows.
    public var packIntegrity: EvidencePack.Integrity {
        EvidencePack.Integrity(
            digestFiles: digestFiles, logFiles: logFilesListed, verified: logFilesVerified,
            problems: problems.map(\.description))
    }
}
