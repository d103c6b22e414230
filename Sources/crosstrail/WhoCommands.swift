import ArgumentParser
import CrossTrailAnalysis
import CrossTrailModel
import CrossTrailPipeline
import Foundation

struct WhoCanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "who-can",
        abstract: "Who can perform an action or reach a securable, on both planes, and why.",
        discussion: """
            TARGET is one of:
              an IAM action (s3:GetObject, iam:PassRole) with --resource ARN (default *);
              an S3 URI (s3://bucket/prefix/): s3:GetObject on the objects under it;
              a Unity Catalog table (main.sales.customers): SELECT through grants,
                ownership, and its storage;
              TYPE:ID for a workspace object or securable: cluster:0801-093000-shared01,
                job:42, catalog:main.

            Examples:
              crosstrail who-can s3://acme-pii-customers/ --inventory Samples/inventory
              crosstrail who-can iam:PassRole \\
                  --resource 'arn:aws:iam::111122223333:role/*' \\
                  --inventory Samples/inventory
              crosstrail who-can cluster:0801-093000-shared01 \\
                  --inventory Samples/inventory
            """
    )

    @Argument(help: "Action, S3 URI, table, or TYPE:ID.")
    var target: String

    @Option(help: "Resource ARN for an IAM action (default *).")
    var resource: String = "*"

    @OptionGroup var inventory: InventoryOptions

    @Option(help: "Output: table (default on a terminal) or json.")
    var format: ReportFormat?

    @Flag(name: .shortAndLong, help: "Do not print the inventory summary.")
    var quiet = false

    func validate() throws {
        if inventory.isEmpty { throw ValidationError("who-can needs --inventory DIR") }
    }

    func run() throws {
        let observer = TerminalObserver(quiet: quiet)
        let (inv, _) = try inventory.input.load(observer: observer)
        let answers = AccessQuery.whoCan(target: target, resource: resource, inv)
        switch format ?? .default() {
        case .json:
            try TextOutput.write(PrettyJSON.encode(WhoCanJSON(target: target, answers: answers)), to: nil)
        case .table:
            var lines = answers.isEmpty ? ["nobody in the inventory can \(target)"] : []
            for a in answers {
                lines.append(
                    "\(a.plane.padded(10)) \(a.kind.padded(17)) \(a.principal.terminalSafe.padded(60)) \(a.decision)")
                for v in a.via { lines.append(String(repeating: " ", count: 11) + "via " + v.terminalSafe) }
            }
            try TextOutput.write(lines.joined(separator: "\n") + "\n", to: nil)
        }
    }
}

struct WhoCanJSON: Encodable {
    var target: String
    var answers: [AccessAnswer]
}

struct WhoisCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "whois",
        abstract: "Everything linked to an identity across both planes, with the evidence for each link.",
        discussion: """
            IDENTITY is an email, an IAM ARN or name, a role session (role/session), an
            EC2 instance id, a cluster id, a group or service principal. With log PATHs,
            links observed in events are added (SSO sessions, instance launches for
            clusters, who ran commands where) and the person behind a session is shown
            with its confidence (exact, time-window, ambiguous).

            Examples:
              crosstrail whois alice@acme.example \\
                  --inventory Samples/inventory Samples/logs
              crosstrail whois i-0a1b2c3d4e5f60718 \\
                  --inventory Samples/inventory Samples/logs
            """
    )

    @Argument(help: "The identity to look up.")
    var identity: String

    @Argument(help: "Audit log files or directories (optional).")
    var paths: [String] = []

    @OptionGroup var inventory: InventoryOptions
    @OptionGroup var time: TimeRangeOptions
    @OptionGroup var reading: ReadingOptions

    @Option(help: "Output: table (default on a terminal) or json.")
    var format: ReportFormat?

    @Flag(name: .shortAndLong, help: "Do not print the run summary.")
    var quiet = false

    func validate() throws {
        if paths.isEmpty && inventory.isEmpty { throw ValidationError("give log PATHs, --inventory DIR, or both") }
    }

    func run() throws {
        let observer = TerminalObserver(quiet: quiet)
        defer { observer.finish() }
        try EventInput.requireReadable(paths)
        let (inv, _) = try inventory.input.load(observer: observer)
        let input = EventInput(
            paths: paths, since: time.since, until: time.until, workers: reading.workers,
            shard: reading.shard.map { ($0.index, $0.count) })
        let (obs, _) = input.observe(classification: inv.classification, observer: observer)
        let graph = IdentityGraph.build(inv, obs)
        let nodes = graph.find(identity)
        let report = nodes.map { n in
            WhoisEntry(node: n, links: graph.edges(of: n.id), attributions: graph.attributions(concerning: n.id))
        }
        switch format ?? .default() {
        case .json:
            try TextOutput.write(PrettyJSON.encode(report), to: nil)
        case .table:
            var lines = nodes.isEmpty ? ["no identity matches \(identity.terminalSafe)"] : []
            for e in report {
                lines.append("\(e.node.kind) \(e.node.label.terminalSafe)  [\(e.node.id.terminalSafe)]")
                for a in e.attributions {
                    lines.append(
                        "  person: \(a.person ?? "unknown") (\(a.confidence.rawValue))"
                            + (a.candidates.count > 1 ? ", candidates: \(a.candidates.joined(separator: ", "))" : ""))
                    for c in a.chain { lines.append("    " + c.terminalSafe) }
                }
                for l in e.links {
                    let other = l.from == e.node.id ? "→ \(l.kind) → \(l.to)" : "← \(l.kind) ← \(l.from)"
                    var line = "  \(other.terminalSafe)  (\(l.confidence.rawValue))"
                    let ev = l.evidence.events.prefix(3) + l.evidence.inventory.prefix(2)
                    if !ev.isEmpty { line += "  evidence: " + ev.joined(separator: ", ").terminalSafe }
                    lines.append(line)
                }
            }
            try TextOutput.write(lines.joined(separator: "\n") + "\n", to: nil)
        }
    }
}

struct WhoisEntry: Encodable {
    var node: IdentityGraph.Node
    var links: [IdentityGraph.Edge]
    var attributions: [IdentityGraph.Attribution]
}
