import CrossTrailAnalysis
import CrossTrailInventory
import CrossTrailModel
import CrossTrailReport

/// A way to write a scan's findings (`scan --format NAME`). Adding a format is one new file with
/// a type conforming to this protocol and one entry in `FindingsReporters.all`.
public protocol FindingsReporter: Sendable {
    /// The `--format` value.
    static var identifier: String { get }
    /// One line for `--help`.
    static var summary: String { get }
    init()
    /// True when the format points at each evidence event's file and line (the scan then
    /// locates them: `EventInput.locate`).
    static var needsLocations: Bool { get }
    /// Writes the findings in pieces through `write` (the caller buffers them to a file or
    /// standard output).
    func write(_ findings: FindingsDocument, to write: (String) -> Void) throws
}

extension FindingsReporter {
    public static var needsLocations: Bool { false }
}

/// Everything a findings format may show.
public struct FindingsDocument: Sendable {
    public var result: ScanResult
    /// Findings a case store remembered that this run no longer found.
    public var resolved: [Finding]
    public var inventory: Inventory
    /// Events analyzed.
    public var events: Int
    /// When the findings were made (`--generated-at`, else now): the time formats stamp on them.
    public var generatedAt: Timestamp
    /// Every check the scan ran, with its title and confidence.
    public var checks: [EvidencePack.Check] {
        didSet { checksByID = Self.index(checks) }
    }
    /// Where evidence events were read (for reporters with `needsLocations`).
    public var locations: [String: Provenance] = [:]
    /// `--fail-on`: what fails a CI job (JUnit failures).
    public var failOn: Severity?
    /// The log and inventory paths read (a result with nothing else to point at names one).
    public var inputs: [String] = []
    /// SARIF `automationDetails.id` category: separate uploads (per account, per job) do not
    /// close each other's alerts.
    public var category: String?
    /// The AWS account and region Security Hub imports into (ASFF `ProductArn`).
    public var securityHub: (account: String, region: String)?

    public init(
        result: ScanResult, resolved: [Finding] = [], inventory: Inventory, events: Int, generatedAt: Timestamp,
        checks: [EvidencePack.Check] = []
    ) {
        self.result = result
        self.resolved = resolved
        self.inventory = inventory
        self.events = events
        self.generatedAt = generatedAt
        self.checks = checks
        checksByID = Self.index(checks)
    }

    public init(_ outcome: ScanPipeline.Outcome, generatedAt: Timestamp) {
        self.init(
            result: outcome.result, resolved: outcome.resolved, inventory: outcome.inventory, events: outcome.events,
            generatedAt: generatedAt, checks: outcome.checks)
    }

    /// The findings of this run and those a store saw resolved, in output order.
    public var all: [Finding] { result.findings + resolved }

    /// Every evidence event id of the findings.
    public var evidenceEvents: Set<String> { Set(all.flatMap(\.evidence.events)) }

    /// The check each finding's rule is (nil for a rule no longer run: a store's resolved finding).
    public func check(_ rule: String) -> EvidencePack.Check? { checksByID[rule] }

    private var checksByID: [String: EvidencePack.Check] = [:]

    private static func index(_ checks: [EvidencePack.Check]) -> [String: EvidencePack.Check] {
        Dictionary(checks.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
    }
}

/// The findings formats, in the order `--help` lists them.
public enum FindingsReporters {
    public static let all: [any FindingsReporter.Type] = [
        TableFindingsReporter.self,
        JSONFindingsReporter.self,
        OCSFFindingsReporter.self,
        SARIFFindingsReporter.self,
        JUnitFindingsReporter.self,
        ASFFFindingsReporter.self,
    ]

    public static func named(_ identifier: String) -> (any FindingsReporter.Type)? {
        all.first { $0.identifier == identifier }
    }

    public static var identifiers: [String] { all.map { $0.identifier } }
}
