import CrossTrailModel
import Foundation

/// The time span an evidence pack covers: `2026Q3`, `2026-08`, `2026`, or `START..END` (ISO 8601,
/// end exclusive). Without `--period` the pack covers its events' own span.
public struct ReportPeriod: Sendable, Hashable, CustomStringConvertible {
    public var label: String
    public var start: Timestamp
    /// Exclusive.
    public var end: Timestamp

    public init(label: String, start: Timestamp, end: Timestamp) {
        self.label = label
        self.start = start
        self.end = end
    }

    public var description: String { "\(label) (\(start.iso8601) to \(end.iso8601))" }

    public static func parse(_ text: String) -> ReportPeriod? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if let range = t.range(of: "..") {
            guard let s = Timestamp(iso: String(t[..<range.lowerBound])),
                let e = Timestamp(iso: String(t[range.upperBound...])), s < e
            else { return nil }
            return ReportPeriod(label: t, start: s, end: e)
        }
        let upper = t.uppercased()
        func month(_ y: Int, _ m: Int) -> Timestamp {
            let (yy, mm) = m > 12 ? (y + 1, m - 12) : (y, m)
            return Timestamp(year: yy, month: mm, day: 1)
        }
        let parts = upper.split(separator: "Q", omittingEmptySubsequences: false)
        if parts.count == 2, let y = Int(parts[0]), (1970...9999).contains(y), let q = Int(parts[1]),
            (1...4).contains(q)
        {
            return ReportPeriod(label: "\(y)Q\(q)", start: month(y, q * 3 - 2), end: month(y, q * 3 + 1))
        }
        let dash = upper.split(separator: "-")
        if dash.count == 2, dash[1].count == 2, let y = Int(dash[0]), (1970...9999).contains(y), let m = Int(dash[1]),
            (1...12).contains(m)
        {
            return ReportPeriod(label: upper, start: month(y, m), end: month(y, m + 1))
        }
        if dash.count == 1, upper.count == 4, let y = Int(upper), (1970...9999).contains(y) {
            return ReportPeriod(label: upper, start: month(y, 1), end: month(y + 1, 1))
        }
        return nil
    }
}
