import CrossTrailIngest
import CrossTrailInventory
import CrossTrailModel
import CrossTrailRules
import Foundation

/// What a pipeline tells its caller while it runs. The pipelines compute; the caller presents
/// (the CLI draws a progress line and prints summaries on standard error; tests collect).
/// Every method has an empty default, so an observer implements only what it shows.
public protocol PipelineObserver: AnyObject {
    /// An inventory was loaded (only when one was given).
    func inventoryLoaded(_ inventory: Inventory, diagnostics: [Diagnostic])
    /// Rule files that could not be loaded; the other rules still run.
    func ruleErrors(_ errors: [RuleError])
    /// Reading log files begins: `progress` is updated by the workers until `readingFinished`.
    func readingStarted(_ progress: IngestProgress)
    /// Reading ended with these counts (`deduplicated` is false for analysis-only passes).
    func readingFinished(_ stats: IngestStats, elapsed: TimeInterval, deduplicated: Bool)
    /// A case store took in the new and changed files of this run.
    func storeIngested(_ delta: StoreDelta)
}

extension PipelineObserver {
    public func inventoryLoaded(_ inventory: Inventory, diagnostics: [Diagnostic]) {}
    public func ruleErrors(_ errors: [RuleError]) {}
    public func readingStarted(_ progress: IngestProgress) {}
    public func readingFinished(_ stats: IngestStats, elapsed: TimeInterval, deduplicated: Bool) {}
    public func storeIngested(_ delta: StoreDelta) {}
}

/// An observer that shows nothing (library callers and tests that only want the outcome).
public final class SilentObserver: PipelineObserver {
    public init() {}
}

/// What one run changed in a case store.
public struct StoreDelta: Sendable, Equatable {
    public var filesStored = 0
    public var eventsAdded = 0
    public var filesUnchanged = 0
    /// Unchanged files were skipped (`--since-last`) rather than re-read for the analysis.
    public var skippedUnchanged = false
    public init() {}
}
