import CrossTrailAnalysis
import CrossTrailModel

/// `--format table`: the findings for a terminal, most severe first, with the actors to start
/// from and who can read classified data. Every string from input is made terminal-safe.
public struct TableFindingsReporter: FindingsReporter {
    public static let identifier = "table"
    public static let summary = "aligned text for a terminal (default when standard output is one)"

    public init() {}

    public func write(_ findings: FindingsDocument, to write: (String) -> Void) throws {
        let r = findings.result
        var lines = [String]()
        func emit() {
            for l in lines { write(l + "\n") }
            lines.removeAll(keepingCapacity: true)
        }
        for f in r.findings {
            lines.append(
                "\(f.severity.rawValue.uppercased().padded(9)) " + (f.status.map { "[\($0)] ".padded(13) } ?? "")
                    + "\(f.rule.padded(30)) \(f.id)  \(f.title.terminalSafe)")
            let indent = String(repeating: " ", count: 10)
            if !f.subjects.isEmpty {
                lines.append(
                    indent + "subjects: "
                        + f.subjects.prefix(8).map { s in
                            (s.arn ?? s.email ?? s.name)
                                + (s.person.map { $0 != (s.email ?? s.name) ? " (\($0))" : "" } ?? "")
                        }.joined(separator: ", ").terminalSafe
                        + (f.subjects.count > 8 ? ", … \(f.subjects.count - 8) more" : ""))
            }
            for c in f.evidence.chain.prefix(6) { lines.append(indent + "· " + c.terminalSafe) }
            if f.evidence.chain.count > 6 {
                lines.append(indent + "· … \(f.evidence.chain.count - 6) more steps (--format json)")
            }
            if !f.evidence.events.isEmpty {
                lines.append(
                    indent + "events: " + f.evidence.events.prefix(5).joined(separator: ", ").terminalSafe
                        + (f.evidence.events.count > 5 ? ", …" : ""))
            }
            lines.append(indent + "fix: " + f.remediation.terminalSafe)
            emit()
        }
        if !findings.resolved.isEmpty {
            lines.append("")
            lines.append("Resolved since the last scan (no longer found):")
            for f in findings.resolved {
                lines.append(
                    "  \(f.severity.rawValue.uppercased().padded(9)) \(f.rule.padded(30)) \(f.id)  \(f.title.terminalSafe)"
                )
            }
        }
        let ranks = Triage.rank(r.findings).filter { $0.rules.count > 1 }
        if !ranks.isEmpty {
            lines.append("")
            lines.append("Actors by breadth (distinct ATT&CK tactics in their findings; start here)")
            for a in ranks.prefix(10) {
                lines.append(
                    "  \(a.actor.terminalSafe.padded(44)) \(String(a.tactics.count).padded(3)) \(a.highest.rawValue.padded(9)) "
                        + a.tactics.joined(separator: ", ").terminalSafe)
            }
        }
        if !r.flatness.isEmpty {
            lines.append("")
            lines.append("Classified data: who can read it, who did")
            for f in r.flatness {
                lines.append(
                    "  \(f.resource.terminalSafe.padded(48)) \(f.dataClass.padded(13)) can \(String(f.canAccess.count).padded(5)) used \(f.used.count)"
                )
            }
        }
        emit()
    }
}
