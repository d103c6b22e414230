import ArgumentParser
import CrossTrailSamples
import Foundation

struct SamplesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "samples",
        abstract: "Write a deterministic demo dataset (both planes, with a planted cross-plane incident).",
        discussion: """
            Writes CloudTrail delivery files in the AWSLogs/ S3 layout (gzip), Databricks
            audit JSON lines, Azure diagnostic logs, a system.access.audit CSV export,
            lookup-events output, a digest file and inventory exports. Same --seed and
            --events give byte-identical files.
            """
    )

    @Option(name: [.short, .long], help: "Output directory.")
    var out: String = "Samples/data"

    @Option(help: "Routine background events besides the planted incident.")
    var events: Int = 4000

    @Option(help: "Random seed.")
    var seed: UInt64 = 2026

    @Option(help: "Days the dataset spans, from 2026-08-01.")
    var days: Int = 2

    @Option(help: "CloudTrail records per delivery file.")
    var recordsPerFile: Int = 100

    @Flag(
        help: "Only log files in the two main layouts (for benchmarks): no variants, inventory or re-delivered copies.")
    var logsOnly = false

    func validate() throws {
        if !(0...100_000_000).contains(events) || !(1...3650).contains(days)
            || !(1...1_000_000).contains(recordsPerFile)
        {
            throw ValidationError(
                "--events must be 0 to 100000000, --days 1 to 3650, --records-per-file 1 to 1000000")
        }
    }

    func run() throws {
        var options = SampleGenerator.Options()
        options.events = events
        options.seed = seed
        options.days = days
        options.recordsPerFile = recordsPerFile
        options.full = !logsOnly
        var generator = SampleGenerator(options: options, outputDirectory: out)
        let s = try generator.generate()
        FileHandle.standardError.write(
            Data(
                "crosstrail samples: wrote \(s.files) files (\(s.bytes / 1024) KiB) to \(out): \(s.cloudTrailRecords) CloudTrail and \(s.databricksRecords) Databricks records\n"
                    .utf8))
    }
}
