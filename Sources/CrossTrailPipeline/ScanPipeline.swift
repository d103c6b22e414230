import CrossTrailAnalysis
import CrossTrailIngest
import CrossTrailInventory
import CrossTrailModel
import CrossTrailReport
import CrossTrailRules
import CrossTrailStore
import Foundation

/// `crosstrail scan` as a library call: permissions and events in, findings out, optionally
/// reconciled with a case store's earlier runs.
public struct ScanPipeline: Sendable {
    public struct Configuration: Sendable {
        public var events: EventInput
        public var inventory: InventoryInput
        /// Directories of Sigma rules run besides the built-in ones.
        public var ruleDirectories: [String] = []
        /// Also run the change-monitoring rules.
        public var monitoring = false
        /// The case store to reconcile with, and how long to wait for its lock.
        public var store: String?
        public var lockTimeout: Double = 60
        /// With a store: read only new or changed files.
        public var sinceLast = false
        /// Findings below this severity are recorded in the store but not returned.
        public var minSeverity: Severity = .info
        /// The command line recorded with the store's run.
        public var command = "scan"
        /// When permissions are judged (policy Conditions on the time); nil: now.
        public var assessedAt: Timestamp?

        public init(events: EventInput, inventory: InventoryInput) {
            self.events = events
            self.inventory = inventory
        }
    }

    /// What a scan found and what it read.
    public struct Outcome: Sendable {
        /// Findings at or above the minimum severity (with their store status when a store is used).
        public var result: ScanResult
        /// Findings a store remembered that this run no longer found.
        public var resolved: [Finding]
        public var inventory: Inventory
        public var inventoryDiagnostics: [Diagnostic]
        public var ruleErrors: [RuleError]
        /// Counts of the log reading (nil without log paths).
        public var stats: IngestStats?
        /// Events analyzed.
        public var events: Int
        /// What the run changed in the store (nil without one).
        public var storeDelta: StoreDelta?
        /// Every check the scan ran (Sigma rules, correlations, built-in detections).
        public var checks: [EvidencePack.Check] = []

        /// Any inventory, rule or log diagnostic (what `--strict` fails on).
        public var hasDiagnostics: Bool {
            !inventoryDiagnostics.isEmpty || !ruleErrors.isEmpty || (stats?.diagnosticsTotal ?? 0) > 0
        }

        /// True when a finding at or above `severity` is not suppressed.
        public func fails(at severity: Severity) -> Bool {
            result.findings.contains { $0.severity >= severity && $0.status != FindingStatus.suppressed.rawValue }
        }
    }

    public var configuration: Configuration

    public init(_ configuration: Configuration) {
        self.configuration = configuration
    }

    /// Runs the scan.
    /// - Parameter observer: told of the inventory, rule errors, reading progress and store changes.
    /// - Throws: `CrossTrailError` — `input-missing`/`input-unreadable`/`input-empty` for a log
    ///   path or inventory that cannot be used, `installation` without the built-in rules, `store`
    ///   when the case store cannot be opened or written.
    public func run(observer: any PipelineObserver = SilentObserver()) throws -> Outcome {
        let config = configuration
        try EventInput.requireReadable(config.events.paths)
        var (inv, invDiags) = try config.inventory.load(observer: observer)
        if let at = config.assessedAt { inv.iam.assessedAt = at }
        let ruleSet = try RuleSet.loadRequiringBuiltins(
            directories: config.ruleDirectories, monitoring: config.monitoring)
        if !ruleSet.errors.isEmpty { observer.ruleErrors(ruleSet.errors) }

        var obs: Observations
        var stats: IngestStats?
        var delta: StoreDelta?
        var caseStore: (store: CaseStore, run: Int64)?
        if let path = config.store {
            let opened = try StoreAccess.open(path, lockTimeout: config.lockTimeout)
            let run = try StoreAccess.run(opened) { try opened.beginRun(command: config.command) }
            caseStore = (opened, run)
            let stored = try config.events.observeAndStore(
                classification: inv.classification, rules: ruleSet, store: opened, run: run,
                sinceLast: config.sinceLast, observer: observer)
            (obs, stats, delta) = (stored.0, stored.1, stored.2)
        } else {
            (obs, stats) = config.events.observe(classification: inv.classification, rules: ruleSet, observer: observer)
        }
        // With a store, correlation rules continue the matches the last scan carried forward and
        // the baseline rules judge against what earlier scans recorded.
        if let s = caseStore?.store {
            obs.carry(try StoreAccess.run(s) { try s.carriedMatches() }, correlations: ruleSet.correlations)
        }
        let history =
            try caseStore.map { s in
                BaselineHistory(facts: try StoreAccess.run(s.store) { try s.store.baselineFacts() })
            }
            ?? BaselineHistory()
        var result = Analyzer.scan(inv, obs, rules: ruleSet, history: history)
        var resolved = [Finding]()
        if let (s, run) = caseStore {
            try StoreAccess.run(s) {
                try s.recordBaseline(result.baselineFacts, run: run)
                try s.replaceCarriedMatches(obs.carriedMatches(correlations: ruleSet.correlations), run: run)
                // The whole set is recorded; the minimum severity only narrows what is returned.
                let reconciled = try s.reconcile(result.findings, run: run, notEvaluated: result.skippedRules)
                result.findings = reconciled.current
                resolved = reconciled.resolved.filter { $0.severity >= config.minSeverity }
                try s.replaceGraph(
                    nodes: result.graph.nodes.values.sorted { $0.id < $1.id }.map {
                        .init(id: $0.id, kind: $0.kind, label: $0.label)
                    },
                    links: try result.graph.edges.map { e in
                        .init(
                            source: e.from, target: e.to, kind: e.kind, confidence: e.confidence.rawValue,
                            evidenceJSON: String(decoding: try JSONEncoder().encode(e.evidence), as: UTF8.self))
                    }, run: run)
                try s.finishRun(
                    run, filesRead: stats?.files ?? 0, eventsAdded: delta?.eventsAdded ?? 0,
                    findings: result.findings.count)
            }
        }
        result.findings = result.findings.filter { $0.severity >= config.minSeverity }
        return Outcome(
            result: result, resolved: resolved, inventory: inv, inventoryDiagnostics: invDiags,
            ruleErrors: ruleSet.errors,
            stats: stats, events: obs.events, storeDelta: delta, checks: ReportPipeline.checks(ruleSet, result))
    }
}

extension RuleSet {
    /// The built-in rules and those in `directories` (folders or rule files; a bare name such as
    /// `suzaku` is a set `rules update` installed). Without its built-in rules a scan would
    /// report nothing and look clean: that is an `installation` error instead; a `--rules` path
    /// that does not exist is `input-missing` (exit 4), never a scan without those rules.
    public static func loadRequiringBuiltins(directories: [String], monitoring: Bool) throws -> RuleSet {
        let resolved = RulePackUpdate.resolve(directories)
        try EventInput.requireReadable(resolved)
        let set = RuleSet.load(directories: resolved, monitoring: monitoring)
        if let missing = set.missingBuiltins {
            throw CrossTrailError(
                .installation, missing.description, at: .file(path: missing.file), underlying: missing)
        }
        return set
    }
}
