import ArgumentParser
import CrossTrailAnalysis
import CrossTrailBase
import CrossTrailModel
import CrossTrailPipeline
import CrossTrailRules
import Foundation

struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "List and test the event rules (Sigma format): the built-ins and your own.",
        subcommands: [List.self, Test.self, Coverage.self, Export.self, Update.self]
    )

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download a published Sigma rule set over HTTPS and install it as a --rules folder.",
            discussion: """
                SOURCE is sigmahq (SigmaHQ's AWS CloudTrail rules), suzaku (Yamato-Security's
                suzaku-rules for AWS, with correlation rules) or an https:// URL of a .tar.gz
                archive (give --folder: the rules' folder below the archive's top folder). The
                archive is checked against --sha256 when given; its SHA-256 is recorded in
                SOURCE.json beside the rules either way, and the rules hash of every evidence pack
                covers the files. Only .yml/.yaml files under the folder are installed; the folder
                is replaced in one move, so a failed update leaves the previous copy.

                Examples:
                  crosstrail rules update suzaku
                  crosstrail scan ./logs --rules ~/.local/share/crosstrail/rules/suzaku
                  crosstrail rules update https://example.com/rules.tar.gz --folder aws --sha256 9f86…
                """)

        @Argument(help: "sigmahq, suzaku or an https:// URL of a .tar.gz archive.")
        var source: String

        @Option(help: "Install here (default: $XDG_DATA_HOME/crosstrail/rules/NAME, else ~/.local/share/...).")
        var dir: String?

        @Option(help: "The folder holding the rules inside the archive, below its top folder (URL sources).")
        var folder: String?

        @Option(help: "The archive's expected SHA-256 (hex); a different download is refused.")
        var sha256: String?

        @Option(help: "PEM file of extra CA certificates to trust (a TLS-inspecting proxy).")
        var caBundle: String?

        @Flag(name: .shortAndLong, help: "Do not print the summary.")
        var quiet = false

        func validate() throws {
            if let sha256, sha256.count != 64 || !sha256.allSatisfy(\.isHexDigit) {
                throw ValidationError("--sha256 takes 64 hexadecimal digits")
            }
        }

        func run() throws {
            var config = RulePackUpdate.Configuration(source: source)
            config.directory = dir
            config.folder = folder
            config.sha256 = sha256
            config.http.caBundle = caBundle
            let outcome = try RulePackUpdate(config).run()
            if !quiet {
                var lines = [
                    "crosstrail: \(outcome.rules) rules and \(outcome.correlations) correlation rules from \(outcome.url.terminalSafe)",
                    "  sha256 \(outcome.sha256), installed in \(outcome.directory.terminalSafe) (use: --rules \(outcome.directory.terminalSafe))",
                ]
                if !outcome.errors.isEmpty {
                    lines.append(
                        "  \(outcome.errors.count) rule files do not load (`rules list --rules DIR` shows them):")
                    lines += outcome.errors.prefix(5).map { "    " + $0.description.terminalSafe }
                }
                TerminalObserver.print(lines)
            }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the built-in rules as Sigma files (one per rule) to use or tune elsewhere.",
            discussion: """
                Each file is Sigma as pySigma validates it (UUID id, status, date, author, references,
                tags), with crosstrail's additions as custom attributes: name, controls, remediation,
                stratus and the match/nomatch examples `rules test` runs. Copy one into a --rules
                folder and edit it to tune it: a rule with the same name replaces the built-in.

                Example: crosstrail rules export ./crosstrail-rules
                """)

        @Argument(help: "Folder to write the rules into (created if missing).")
        var directory: String

        @Flag(help: "Replace rule files already in the folder.")
        var force = false

        @Flag(name: .shortAndLong, help: "Do not print the summary.")
        var quiet = false

        func run() throws {
            let written: [String]
            do { written = try RuleSet.exportBuiltins(to: directory, replace: force) } catch let e
                as RuleSet.ExportError
            {
                throw CrossTrailError(
                    e.alreadyExists ? .usage : .output, e.description, at: .file(path: e.path), underlying: e)
            }
            if !quiet {
                let set = RuleSet.load(monitoring: true)
                let folders = Set(written.map { PathText.parent($0) }).sorted()
                TerminalObserver.print([
                    "crosstrail: \(written.count) files (\(set.rules.count) rules, \(set.correlations.count) correlation rules) written to \(directory.terminalSafe) (\(folders.joined(separator: ", ")))"
                ])
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the rules with their severity, log source and ATT&CK technique.")

        @Option(help: "Directory of Sigma rules (YAML) to add; repeatable.")
        var rules: [String] = []

        func run() throws {
            let set = try RuleSet.loadRequiringBuiltins(directories: rules, monitoring: true)
            var lines = set.rules.map { r in
                "\(r.severity.rawValue.padded(9)) \(r.id.padded(28)) \((r.product ?? "any").padded(11)) \((r.mitre.first ?? "").padded(10)) \(r.title.terminalSafe)"
            }
            for r in set.rules where !r.warnings.isEmpty {
                lines += r.warnings.map { "  warning: \(r.file): \(r.id): \($0)".terminalSafe }
            }
            for r in set.rules where !r.filteredBy.isEmpty {
                lines.append("  \(r.id) filtered by \(r.filteredBy.joined(separator: ", "))".terminalSafe)
            }
            for c in set.correlations {
                lines.append(
                    "\(c.severity.rawValue.padded(9)) \(c.id.padded(28)) correlation \(c.kind.rawValue) over \(c.timespan) of "
                        + c.ruleIDs.joined(separator: ", ").terminalSafe + ": " + c.title.terminalSafe)
            }
            lines.append(
                "\(set.rules.count) rules, \(set.correlations.count) correlation rules"
                    + (set.errors.isEmpty ? "" : ", \(set.errors.count) not loaded:"))
            lines += set.errors.map { "  " + $0.description.terminalSafe }
            let stateful = Analyzer.statefulRuleIDs
            lines.append(
                "\nStateful detections (counted over time; Docs/rules.md), \(stateful.count): "
                    + stateful.joined(separator: ", "))
            let settings =
                set.settings.stateful.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                + set.settings.lists.sorted { $0.key < $1.key }.map {
                    "\($0.key)=[\($0.value.joined(separator: ", "))]"
                }
            if !settings.isEmpty {
                lines.append("Settings from --rules: " + settings.joined(separator: "; ").terminalSafe)
            }
            if !set.settings.allowlist.isEmpty { lines.append("Allowlist entries: \(set.settings.allowlist.count)") }
            print(lines.joined(separator: "\n"))
            if !set.errors.isEmpty { throw ExitCode(1) }
        }
    }

    struct Coverage: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print which ATT&CK and Stratus Red Team techniques the rules detect (Markdown tables).")

        @Option(help: "Directory of Sigma rules (YAML) to add; repeatable.")
        var rules: [String] = []

        func run() throws {
            let set = try RuleSet.loadRequiringBuiltins(directories: rules, monitoring: true)
            print(RuleCoverage.markdown(set, extra: Analyzer.statefulCoverage), terminator: "")
            if !set.errors.isEmpty { throw ExitCode(1) }
        }
    }

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run each rule's embedded examples (examples: match / nomatch) like unit tests.",
            discussion:
                "Exit status 1 when an example fails or a rule does not load; the message names the file and line."
        )

        @Option(help: "Directory of Sigma rules (YAML) to add; repeatable.")
        var rules: [String] = []

        func run() throws {
            let set = try RuleSet.loadRequiringBuiltins(directories: rules, monitoring: true)
            let results = set.test()
            var failed = 0
            let untested = results.filter(\.untested).count
            for r in results where !r.untested {
                if r.failures.isEmpty {
                    print("ok    \(r.rule) (\(r.passed) examples)")
                } else {
                    failed += 1
                    print("FAIL  \(r.rule): " + r.failures.joined(separator: "; ").terminalSafe)
                }
            }
            for e in set.errors { print("ERROR \(e.description.terminalSafe)") }
            print(
                "\(results.count - untested - failed) of \(results.count - untested) rules with examples pass"
                    + (untested == 0 ? "" : "; \(untested) have no examples (not tested)")
                    + (set.errors.isEmpty ? "" : "; \(set.errors.count) did not load"))
            if failed > 0 || !set.errors.isEmpty { throw ExitCode(1) }
        }
    }
}
