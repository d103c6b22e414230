import CrossTrailAnalysis
import CrossTrailInventory
import CrossTrailModel

/// A way to write a scan's findings (`scan --format NAME`). Adding a format is one new file with
/// a type conforming to this protocol and one entry in `FindingsReporters.all`.
public protocol FindingsReporter: Sendable {
    /// The `--format` value.
    static var identifier: String { get }
    /// One line for `--help`.
    static var summary: String { get }
    init()
    /// Writes the findings in pieces through `write` (the caller buffers them to a file or
    /// standard output).
    func write(_ findings: FindingsDocument, to write: (String) -> Void) throws
}

/// Everything a findings format may show.
public struct FindingsDocument: Sendable {
    public var result: ScanResult
    /// Findings a case store remembered that this run no longer found.
    public var resolved: [Finding]
    public var inventory: Inventory
    /// Events analyzed.
    public var events: Int

    public init(result: ScanResult, resolved: [Finding] = [], inventory: Inventory, events: Int) {
        self.result = result
        self.resolved = resolved
        self.inventory = inventory
        self.events = events
    }

    public init(_ outcome: ScanPipeline.Outcome) {
        self.init(
            result: outcome.result, resolved: outcome.resolved, inventory: outcome.inventory, events: outcome.events)
    }
}

/// The findings formats, in the order `--help` lists them.
public enum FindingsReporters {
    public static let all: [any FindingsReporter.Type] = [
        TableFindingsReporter.self,
        JSONFindingsReporter.self,
    ]

    public static func named(_ identifier: String) -> (any FindingsReporter.Type)? {
        all.first { $0.identifier == identifier }
    }

    public static var identifiers: [String] { all.map { $0.identifier } }
}
