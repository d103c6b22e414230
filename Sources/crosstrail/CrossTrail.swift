import ArgumentParser
import CrossTrailBase
import CrossTrailIngest
import CrossTrailModel
import Foundation

@main
struct CrossTrail: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crosstrail",
        abstract: "Audit-log forensics and compliance reporting across AWS CloudTrail and Databricks.",
        discussion: "Exit status:\n"
            + ExitStatus.allCases.map { "  \(String($0.rawValue).padded(4)) \($0.meaning)" }.joined(separator: "\n")
                + """


                Documentation: Docs/guide.md, Docs/formats.md, Docs/analysis.md,
                Docs/rules.md, Docs/store.md, Docs/extending.md.
                """,
        version: CrossTrailVersion.current,
        subcommands: [
            TimelineCommand.self, ScanCommand.self, ReportCommand.self, VerifyCommand.self, KeygenCommand.self,
            VerifyDigestsCommand.self,
            FetchCommand.self, FindingsCommand.self, StoreCommand.self, RulesCommand.self, WhoCanCommand.self,
            WhoisCommand.self,
            SamplesCommand.self,
        ]
    )

    /// Runs the command and maps how it ended to the documented exit statuses: usage errors 2,
    /// `CrossTrailError`s their code's status, with the cause on standard error (each line made
    /// safe for the terminal). An error crosstrail does not classify exits 6, never 1, which
    /// scripts read as "findings".
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as CrossTrailError {
            fail(error.description, status: error.exitStatus)
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(ExitStatus.usage.rawValue)
            }
            // Help, --version and the statuses commands chose.
            if error is ExitCode || code == .success { exit(withError: error) }
            fail(String(describing: error), status: .storage)
        }
    }

    private static func fail(_ message: String, status: ExitStatus) -> Never {
        let lines = message.split(separator: "\n", omittingEmptySubsequences: false).map { String($0).terminalSafe }
        FileHandle.standardError.write(Data(("crosstrail: " + lines.joined(separator: "\n") + "\n").utf8))
        Foundation.exit(status.rawValue)
    }
}

extension ExitCode {
    init(_ status: ExitStatus) { self.init(status.rawValue) }
}

/// Refuses, as a usage error (exit 2) before anything is read or written, an output that is,
/// is inside, or contains one of the inputs (PathOverlap, the one check every command uses).
func refuseOverlaps(_ outputs: [(option: String, path: String?)], inputs: [String?]) throws {
    for (option, path) in outputs {
        do { try PathOverlap.check(option, path, inputs: inputs) } catch { throw ValidationError(error.description) }
    }
}

/// The command line as recorded in packs and manifests: arguments after the program name, with
/// anything that looks like a secret replaced by its keyed hash.
func commandLineForRecords() -> String {
    // The redactor reads JSON: give it the arguments as a JSON array of strings.
    let args = Array(CommandLine.arguments.dropFirst())
    guard let json = try? JSONEncoder().encode(args),
        let redacted = Redactor.redact(String(decoding: json, as: UTF8.self)),
        let back = try? JSONDecoder().decode([String].self, from: Data(redacted.text.utf8))
    else {
        return "crosstrail " + args.joined(separator: " ")
    }
    return "crosstrail " + back.joined(separator: " ")
}

/// Runs the registered cleanups and exits with 130 on SIGINT or SIGTERM (partial output is
/// removed). Pipelines register what they stage through their `onStaging` parameter.
/// Sendable: the cleanups are behind a lock and the signal sources are set once, in `init`
/// (Dispatch's source type does not declare Sendable itself).
final class InterruptCleanup: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]
    private let cleanups = Locked<[@Sendable () -> Void]>([])

    init(message: String) {
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler { [cleanups] in
                for c in cleanups.current { c() }
                FileHandle.standardError.write(Data("crosstrail: \(message)\n".utf8))
                // _exit, not exit: worker threads are still running, and exit's static destructors
                // (C++ libraries) under their feet aborted the process now and then (SIGABRT, not 130).
                _exit(ExitStatus.interrupted.rawValue)
            }
            s.resume()
            sources.append(s)
        }
        self.sources = sources
    }

    func add(_ cleanup: @escaping @Sendable () -> Void) {
        cleanups.withLock { $0.append(cleanup) }
    }

    func cancel() {
        for s in sources { s.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
