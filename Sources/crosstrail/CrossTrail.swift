import ArgumentParser

@main
struct CrossTrail: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crosstrail",
        abstract: "Audit-log forensics and compliance reporting across AWS CloudTrail and Databricks.",
        discussion: """
        Exit codes: 0 ok, 2 usage error, 3 input diagnostics under --strict.
        Documentation: Docs/guide.md and Docs/formats.md.
        """,
        version: CrossTrailVersion.current,
        subcommands: [TimelineCommand.self, SamplesCommand.self]
    )
}

enum CrossTrailVersion {
    static let current = "0.1.0"
}
