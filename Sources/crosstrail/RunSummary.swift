import CrossTrailIngest
import CrossTrailModel
import Foundation

/// The run summary on stderr and the --stats-json file.
enum RunSummary {
    /// `deduplicated` is false for analysis passes, which read events without building a timeline.
    static func print(_ s: IngestStats, elapsed: TimeInterval, deduplicated: Bool = true) {
        var lines: [String] = []
        let mb = Double(s.bytesDecompressed) / 1_048_576
        lines.append("crosstrail: \(s.files) file\(s.files == 1 ? "" : "s") " + String(format: "(%.1f MB of log data) in %.2f s", mb, elapsed))
        var accounting = deduplicated
            ? "  records read \(s.recordsRead) = timeline \(s.accepted) + filtered \(s.filtered) + rejected \(s.rejected) + duplicates \(s.duplicates)"
            : "  records read \(s.recordsRead) = analyzed \(s.accepted) + filtered \(s.filtered) + rejected \(s.rejected)"
        if !s.reconciles { accounting += "  (does not add up: please report)" }
        lines.append(accounting)
        var extras: [String] = []
        func count(_ n: Int, _ one: String, _ many: String) -> String { "\(n) \(n == 1 ? one : many)" }
        if s.digestFiles > 0 { extras.append(count(s.digestFiles, "digest or signature file", "digest and signature files") + " kept out of the timeline (crosstrail verify-digests)") }
        if s.filesUnrecognized > 0 { extras.append(count(s.filesUnrecognized, "file", "files") + " not recognized") }
        if s.filesFailed > 0 { extras.append(count(s.filesFailed, "file", "files") + " not read") }
        if s.databricksPairs > 0 { extras.append(count(s.databricksPairs, "Databricks request pair", "Databricks request pairs") + " marked") }
        if s.idConflicts > 0 { extras.append(count(s.idConflicts, "record shares", "records share") + " an id with different content") }
        if !extras.isEmpty { lines.append("  " + extras.joined(separator: ", ")) }
        if s.diagnosticsTotal > 0 {
            lines.append("  \(s.diagnosticsTotal) diagnostic\(s.diagnosticsTotal == 1 ? "" : "s"):")
            // File names and reasons quote input: neutralised so a crafted file name cannot drive the terminal.
            for d in s.diagnostics.prefix(20) { lines.append("    " + d.description.terminalSafe) }
            if s.diagnosticsTotal > 20 { lines.append("    ... \(s.diagnosticsTotal - 20) more (use --stats-json FILE for all)") }
        }
        FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }

    static func writeJSON(_ s: IngestStats, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(s).write(to: URL(fileURLWithPath: path))
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
        let line = String(format: "\r\u{1B}[K  reading %d/%d files, %d records, %.0f MB/s", s.files, progress.totalFiles, s.records,
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
