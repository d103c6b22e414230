import ArgumentParser
import CrossTrailAnalysis
import CrossTrailModel
import CrossTrailPipeline
import CrossTrailStore
import Foundation

struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Inspect case stores and merge shard stores.",
        subcommands: [Info.self, Merge.self]
    )

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Counts, schema migrations and recent runs of a store.")

        @Argument(help: "Case store (SQLite file).")
        var store: String

        func run() throws {
            let lines = try CaseStore.using(store, readOnly: true) { db in
                let c = try db.counts()
                let baseline = try db.baselineCount().map { ", \($0) baseline facts" } ?? ""
                var lines = [
                    "\(store): \(c.files) files, \(c.events) events, \(c.findings) findings\(baseline)",
                    "migrations: " + (try db.migrations()).joined(separator: ", "), "recent runs:",
                ]
                for r in try db.runs() {
                    lines.append(
                        "  #\(r.id) \(r.started) → \(r.finished ?? "did not finish")  +\(r.events ?? 0) events, \(r.findings.map(String.init) ?? "-") findings  \(r.command.terminalSafe)"
                    )
                }
                return lines
            }
            try TextOutput.write(lines.joined(separator: "\n") + "\n", to: nil)
        }
    }

    struct Merge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Merge shard stores into one (files and events; scan the result for findings).",
            discussion: "Example: crosstrail store merge --into case.db shard-0.db shard-1.db shard-2.db"
        )

        @Option(help: "The store to merge into (created if missing).")
        var into: String

        @Argument(help: "Shard stores to merge.")
        var shards: [String]

        @Option(help: "Seconds to wait for another run holding the store.")
        var lockTimeout: Double = 60

        func validate() throws {
            try checkLockTimeout(lockTimeout)
            try refuseOverlaps([("--into", into)], inputs: shards)
        }

        func run() throws {
            try CaseStore.using(into, lockTimeout: lockTimeout) { db in
                for shard in shards {
                    let (files, events) = try db.merge(from: shard)
                    FileHandle.standardError.write(
                        Data("crosstrail: merged \(shard.terminalSafe): \(files) files, \(events) new events\n".utf8))
                }
            }
        }
    }
}

struct FindingsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "findings",
        abstract: "Findings remembered by a case store: list, suppress, unsuppress.",
        subcommands: [List.self, Suppress.self, Unsuppress.self],
        defaultSubcommand: List.self
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List stored findings with their status (new, open, resolved, reopened, suppressed).",
            discussion: """
                Examples:
                  crosstrail findings --store crosstrail.db --status new,open --format json
                  crosstrail findings --store crosstrail.db --history F-a55bdde067dd
                """
        )

        @Option(help: "Case store (SQLite file).")
        var store: String

        @Option(help: "Comma-separated statuses to list (default: all).")
        var status: String?

        @Option(help: "Output: table (default on a terminal) or json.")
        var format: ReportFormat?

        @Option(help: "Print one finding's status changes.")
        var history: String?

        func validate() throws {
            for s in (status ?? "").split(separator: ",")
            where FindingStatus(rawValue: s.trimmingCharacters(in: .whitespaces)) == nil {
                throw ValidationError(
                    "--status: unknown status '\(s)'; one of "
                        + FindingStatus.allCases.map(\.rawValue).joined(separator: ", "))
            }
        }

        func run() throws {
            if let id = history {
                let changes = try CaseStore.using(store, readOnly: true) { try $0.history(id) }
                guard !changes.isEmpty else {
                    throw CrossTrailError(.usage, "no finding \(id.terminalSafe) in \(store)", at: .file(path: store))
                }
                let lines = changes.map { "\($0.at)  run \($0.run)  \($0.status)" }
                try TextOutput.write(lines.joined(separator: "\n") + "\n", to: nil)
                return
            }
            let wanted = Set(
                (status ?? "").split(separator: ",").compactMap {
                    FindingStatus(rawValue: $0.trimmingCharacters(in: .whitespaces))
                })
            let (findings, suppressions) = try CaseStore.using(store, readOnly: true) { db in
                (
                    try db.findings(status: wanted),
                    Dictionary(uniqueKeysWithValues: try db.suppressions().map { ($0.finding, $0) })
                )
            }
            switch format ?? .default() {
            case .json:
                try TextOutput.write(
                    PrettyJSON.encode(
                        FindingsList(
                            findings: findings, suppressions: suppressions.values.sorted { $0.finding < $1.finding })),
                    to: nil)
            case .table:
                var lines =
                    findings.isEmpty ? ["no findings" + (wanted.isEmpty ? "" : " with status \(status ?? "")")] : []
                for f in findings {
                    lines.append(
                        "\(f.severity.rawValue.uppercased().padded(9)) \(("[" + (f.status ?? "?") + "]").padded(13)) \(f.rule.padded(30)) \(f.id)  \(f.title.terminalSafe)"
                    )
                    if let s = suppressions[f.id] {
                        lines.append(
                            String(repeating: " ", count: 10) + "suppressed by \(s.author.terminalSafe)"
                                + (s.until.map { " until \($0)" } ?? "") + ": \(s.reason.terminalSafe)")
                    }
                }
                try TextOutput.write(lines.joined(separator: "\n") + "\n", to: nil)
            }
        }
    }

    struct Suppress: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Suppress a finding with a reason (shown in reports) and an optional expiry.",
            discussion:
                "Example: crosstrail findings suppress F-1234 --store crosstrail.db --reason \"approved break-glass role\" --until 2026-12-31"
        )

        @Argument(help: "Finding id (F-...).")
        var id: String

        @Option(help: "Case store (SQLite file).")
        var store: String

        @Option(help: "Why this finding is accepted (required).")
        var reason: String

        @Option(help: "Last day the suppression holds (YYYY-MM-DD); after it the finding counts again.")
        var until: String?

        @Option(help: "Who accepted it (default: $USER).")
        var author: String?

        @Option(help: "Seconds to wait for another run holding the store.")
        var lockTimeout: Double = 60

        func validate() throws {
            try checkLockTimeout(lockTimeout)
            if reason.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--reason must say why") }
            if let until, Timestamp(iso: until + "T00:00Z") == nil || until.count != 10 {
                throw ValidationError("--until '\(until)' is not a date (YYYY-MM-DD)")
            }
        }

        func run() throws {
            let who = author ?? ProcessInfo.processInfo.environment["USER"] ?? "unknown"
            try CaseStore.using(store, lockTimeout: lockTimeout) {
                try $0.suppress(id, reason: reason, author: who, until: until)
            }
            FileHandle.standardError.write(
                Data("crosstrail: \(id) suppressed by \(who)\(until.map { " until \($0)" } ?? "")\n".utf8))
        }
    }

    struct Unsuppress: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a finding's suppression.")

        @Argument(help: "Finding id (F-...).")
        var id: String

        @Option(help: "Case store (SQLite file).")
        var store: String

        @Option(help: "Seconds to wait for another run holding the store.")
        var lockTimeout: Double = 60

        func validate() throws { try checkLockTimeout(lockTimeout) }

        func run() throws {
            try CaseStore.using(store, lockTimeout: lockTimeout) { try $0.unsuppress(id) }
        }
    }

    struct FindingsList: Encodable {
        var findings: [Finding]
        var suppressions: [Suppression]
    }
}
