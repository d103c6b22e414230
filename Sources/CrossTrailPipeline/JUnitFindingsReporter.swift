import CrossTrailModel
import CrossTrailReport

/// `--format junit`: JUnit XML for CI dashboards. One test suite per kind of check (Sigma rules,
/// correlations, built-in detections), one test case per check the scan ran; a check fails
/// when it has a finding at or above `--fail-on` (default low: informational observations never
/// fail) that a store has not suppressed or resolved; a check that could not run is skipped.
public struct JUnitFindingsReporter: FindingsReporter {
    public static let identifier = "junit"
    public static let summary = "JUnit XML, one test case per check (CI dashboards)"

    public init() {}

    struct Case {
        var id: String
        var kind: String
        var skipped: Bool
        var failing: [Finding]
        var passing: [Finding]
    }

    public func write(_ doc: FindingsDocument, to write: (String) -> Void) throws {
        let threshold = doc.failOn ?? .low
        func fails(_ f: Finding) -> Bool {
            f.severity >= threshold && f.lifecycle.map(\.isActive) ?? true
        }
        let byRule = Dictionary(grouping: doc.all, by: \.rule)
        var cases = doc.checks.map {
            Case(id: $0.id, kind: $0.kind.rawValue, skipped: $0.skipped, failing: [], passing: [])
        }
        // Findings of a rule this run did not list (a store's resolved findings of a removed rule).
        let listed = Set(cases.map(\.id))
        cases += byRule.keys.filter { !listed.contains($0) }.sorted().map {
            Case(id: $0, kind: "other", skipped: false, failing: [], passing: [])
        }
        for i in cases.indices {
            let found = byRule[cases[i].id] ?? []
            cases[i].failing = found.filter(fails)
            cases[i].passing = found.filter { !fails($0) }
        }
        let suites = Dictionary(grouping: cases, by: \.kind).sorted { $0.key < $1.key }
        let stamp = String(doc.generatedAt.iso8601.prefix(19))
        let totalFailures = cases.filter { !$0.failing.isEmpty }.count
        write("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        write(
            "<testsuites name=\"crosstrail\" tests=\"\(cases.count)\" failures=\"\(totalFailures)\" errors=\"0\""
                + " time=\"0\">\n")
        for (id, (kind, members)) in suites.enumerated() {
            let failures = members.filter { !$0.failing.isEmpty }.count
            let skipped = members.filter { $0.skipped && $0.failing.isEmpty }.count
            write(
                "  <testsuite name=\"crosstrail.\(kind)\" id=\"\(id)\" package=\"crosstrail\" hostname=\"crosstrail\""
                    + " tests=\"\(members.count)\" failures=\"\(failures)\" errors=\"0\" skipped=\"\(skipped)\""
                    + " time=\"0\" timestamp=\"\(stamp)\">\n")
            for c in members.sorted(by: { $0.id < $1.id }) {
                // The rule id alone: CI history follows a test case by name, and titles change.
                let name = Escape.markup(c.id)
                write("    <testcase name=\"\(name)\" classname=\"crosstrail.\(kind)\" time=\"0\"")
                if c.failing.isEmpty && !c.skipped && c.passing.isEmpty {
                    write("/>\n")
                    continue
                }
                write(">\n")
                if let worst = c.failing.map(\.severity).max() {
                    let message =
                        "\(c.failing.count) finding\(c.failing.count == 1 ? "" : "s") at or above \(threshold.rawValue)"
                    write(
                        "      <failure message=\"\(message)\" type=\"\(worst.rawValue)\">"
                            + Escape.markup(c.failing.map(Self.line).joined(separator: "\n")) + "</failure>\n")
                } else if c.skipped {
                    write("      <skipped message=\"not evaluated: the inputs had nothing this check reads\"/>\n")
                }
                if !c.passing.isEmpty {
                    write(
                        "      <system-out>" + Escape.markup(c.passing.map(Self.line).joined(separator: "\n"))
                            + "</system-out>\n")
                }
                write("    </testcase>\n")
            }
            write("  </testsuite>\n")
        }
        write("</testsuites>\n")
    }

    static func line(_ f: Finding) -> String {
        var s = "\(f.severity.rawValue.uppercased()) \(f.id) \(f.title)"
        if let status = f.status { s += " [\(status)]" }
        let who = f.subjects.map { $0.arn ?? $0.email ?? $0.name }
        if !who.isEmpty { s += " — " + who.joined(separator: ", ") }
        return s
    }
}
