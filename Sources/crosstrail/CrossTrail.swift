import ArgumentParser
import CrossTrailIngest
import Foundation

@main
struct CrossTrail: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crosstrail",
        abstract: "Audit-log forensics and compliance reporting across AWS CloudTrail and Databricks.",
        discussion: """
        Exit codes: 0 ok, 1 findings at or above --fail-on (scan), 2 usage error, 3
        input diagnostics under --strict.

        Documentation: Docs/guide.md, Docs/formats.md, Docs/analysis.md,
        Docs/rules.md, Docs/store.md.
        """,
        version: CrossTrailVersion.current,
        subcommands: [TimelineCommand.self, ScanCommand.self, ReportCommand.self, VerifyCommand.self, KeygenCommand.self, VerifyDigestsCommand.self, FetchCommand.self, FindingsCommand.self, StoreCommand.self, RulesCommand.self, WhoCanCommand.self, WhoisCommand.self, SamplesCommand.self]
    )

    /// Maps usage errors to exit status 2 (documented), everything else as ArgumentParser does.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// Refuses, as a usage error (exit 2) before anything is read or written, an output that is,
/// is inside, or contains one of the inputs (PathOverlap, the one check every command uses).
func refuseOverlaps(_ outputs: [(option: String, path: String?)], inputs: [String?]) throws {
    for (option, path) in outputs {
        do { try PathOverlap.check(option, path, inputs: inputs) } catch { throw ValidationError(error.description) }
    }
}

/// Exit status 4: a log PATH that does not exist or cannot be read. A typo in an hourly job must not
/// read as "0 findings": the run stops before reading anything, naming the path and the reason.
func requireReadableInputs(_ paths: [String]) throws {
    for path in paths where path != "-" {
        var isDirectory: ObjCBool = false
        let reason: String?
        if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            reason = "no such file or directory"
        } else if !FileManager.default.isReadableFile(atPath: path) {
            reason = "not readable"
        } else {
            reason = nil
        }
        if let reason {
            FileHandle.standardError.write(Data("crosstrail: cannot read input \(path.terminalSafe): \(reason)\n".utf8))
            throw ExitCode(4)
        }
    }
}

enum CrossTrailVersion {
    static let current = "0.1.0"
}
