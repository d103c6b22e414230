import CrossTrailIngest
import CrossTrailInventory
import CrossTrailModel
import CrossTrailPipeline
import CrossTrailRules
import Foundation

/// Shows a pipeline's progress and summaries on standard error, as a terminal user expects:
/// a progress line while reading (only on a terminal), the run summary, inventory and store
/// lines. Everything quoted from input is made terminal-safe.
final class TerminalObserver: PipelineObserver {
    let quiet: Bool
    private var reporter: ProgressReporter?

    init(quiet: Bool) { self.quiet = quiet }

    func inventoryLoaded(_ inv: Inventory, diagnostics diags: [Diagnostic]) {
        guard !quiet else { return }
        var lines = [
            "crosstrail: inventory \(inv.files.count) file\(inv.files.count == 1 ? "" : "s"): "
                + "\(inv.iam.users.count) IAM users, \(inv.iam.roles.count) roles, \(inv.iam.policies.count) managed policies; "
                + "\(inv.databricks.users.count) Databricks users, \(inv.databricks.groups.count) groups, \(inv.databricks.grants.count) grants, "
                + "\(inv.databricks.acls.count) ACLs, \(inv.databricks.clusters.count) clusters; "
                + "\(inv.classification.prefixes.count) classified prefixes, \(inv.classification.tables.count) classified tables"
                + (inv.iam.organization.isEmpty
                    ? ""
                    : "; \(inv.iam.organization.accountCount) organisation accounts, \(inv.iam.organization.policyCount) SCPs/RCPs")
                + (inv.resources.isEmpty ? "" : "; \(inv.resources.policies.count) resource policies")
        ]
        if !inv.iam.unresolvedPolicies.isEmpty {
            lines.append(
                "  attached policies missing from the export (permissions unknown): "
                    + inv.iam.unresolvedPolicies.sorted().joined(separator: ", "))
        }
        for d in diags.prefix(20) { lines.append("  " + d.description.terminalSafe) }
        if diags.count > 20 { lines.append("  ... \(diags.count - 20) more inventory diagnostics") }
        Self.print(lines)
    }

    func ruleErrors(_ errors: [RuleError]) {
        guard !quiet else { return }
        Self.print(
            errors.prefix(20).map { "  rule error: " + $0.description.terminalSafe }
                + (errors.count > 20 ? ["  ... \(errors.count - 20) more rule errors (crosstrail rules test)"] : []))
    }

    func readingStarted(_ progress: IngestProgress) {
        reporter?.stop()  // a pass that ended without readingFinished (it threw)
        let r = ProgressReporter(progress: progress, enabled: isatty(2) == 1 && !quiet)
        r.start()
        reporter = r
    }

    func readingFinished(_ stats: IngestStats, elapsed: TimeInterval, deduplicated: Bool) {
        reporter?.stop()
        reporter = nil
        if !quiet { RunSummary.print(stats, elapsed: elapsed, deduplicated: deduplicated) }
    }

    func storeIngested(_ d: StoreDelta) {
        guard !quiet else { return }
        Self.print([
            "  store: \(d.filesStored) new or changed file\(d.filesStored == 1 ? "" : "s") stored, "
                + "\(d.eventsAdded) new event\(d.eventsAdded == 1 ? "" : "s"); \(d.filesUnchanged) unchanged file\(d.filesUnchanged == 1 ? "" : "s") "
                + (d.skippedUnchanged ? "skipped" : "re-read for the analysis")
        ])
    }

    /// Stops a progress line left drawing by a pipeline that failed.
    func finish() {
        reporter?.stop()
        reporter = nil
    }

    static func print(_ lines: [String]) {
        guard !lines.isEmpty else { return }
        FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }
}

/// The run summary on stderr and the --stats-json file.
enum RunSummary {
    /// `deduplicated` is false for analysis passes, which read events without building a timeline.
    static func print(_ s: IngestStats, elapsed: TimeInterval, deduplicated: Bool = true) {
        var lines: [String] = []
        let mb = Double(s.bytesDecompressed) / 1_048_576
        lines.append(
            "crosstrail: \(s.files) file\(s.files == 1 ? "" : "s") "
                + String(format: "(%.1f MB of log data) in %.2f s", mb, elapsed))
        var accounting =
            deduplicated
            ? "  records read \(s.recordsRead) = timeline \(s.accepted) + filtered \(s.filtered) + rejected \(s.rejected) + duplicates \(s.duplicates)"
            : "  records read \(s.recordsRead) = analyzed \(s.accepted) + filtered \(s.filtered) + rejected \(s.rejected) + duplicates \(s.duplicates)"
        if !s.reconciles { accounting += "  (does not add up: please report)" }
        lines.append(accounting)
        var extras: [String] = []
        func count(_ n: Int, _ one: String, _ many: String) -> String { "\(n) \(n == 1 ? one : many)" }
        if s.digestFiles > 0 {
            extras.append(
                count(s.digestFiles, "digest or signature file", "digest and signature files")
                    + " kept out of the timeline (crosstrail verify-digests)")
        }
        if s.filesUnrecognized > 0 { extras.append(count(s.filesUnrecognized, "file", "files") + " not recognized") }
        if s.filesFailed > 0 { extras.append(count(s.filesFailed, "file", "files") + " not read") }
        if s.databricksPairs > 0 {
            extras.append(count(s.databricksPairs, "Databricks request pair", "Databricks request pairs") + " marked")
        }
        if s.idConflicts > 0 {
            extras.append(count(s.idConflicts, "record shares", "records share") + " an id with different content")
        }
        if !extras.isEmpty { lines.append("  " + extras.joined(separator: ", ")) }
        if s.diagnosticsTotal > 0 {
            lines.append("  \(s.diagnosticsTotal) diagnostic\(s.diagnosticsTotal == 1 ? "" : "s"):")
            // File names and reasons quote input: neutralised so a crafted file name cannot drive the terminal.
            for d in s.diagnostics.prefix(20) { lines.append("    " + d.description.terminalSafe) }
            if s.diagnosticsTotal > 20 {
                lines.append("    ... \(s.diagnosticsTotal - 20) more (use --stats-json FILE for all)")
            }
        }
        TerminalObserver.print(lines)
    }

    static func writeJSON(_ s: IngestStats, to path: String) throws {
        try TextOutput.write(PrettyJSON.encode(s), to: path)
    }
}

/// Progress on stderr while reading (only when stderr is a terminal).
final class ProgressReporter: @unchecked Sendable {
    private let progress: IngestProgress
    private let enabled: Bool
    private var timer: (any DispatchSourceTimer)?
    private let started = Date()

    init(progress: IngestProgress, enabled: Bool) {
        self.progress = progress
        self.enabled = enabled
    }

    func start() {
        guard enabled else { return }
        let t = DispatchSource.makeTimerSource(queue: DispatchQueue.global())
        t.schedule(deadline: .now() + 0.5, repeating: 0.5)
        t.setEventHandler { [self] in draw() }
        t.resume()
        timer = t
    }

    private func draw() {
        let s = progress.snapshot
        let secs = max(Date().timeIntervalSince(started), 0.001)
        let line = String(
            format: "\r\u{1B}[K  reading %d/%d files, %d records, %.0f MB/s", s.files, progress.totalFiles, s.records,
            Double(s.bytes) / 1_048_576 / secs)
        FileHandle.standardError.write(Data(line.utf8))
    }

    func stop() {
        guard let timer else { return }
        timer.cancel()
        self.timer = nil
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
