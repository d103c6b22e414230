import CrossTrailModel

/// When each event source was silent: the coverage evidence logging controls are judged on, and
/// the `source-gap` rule's input. Times are UTC hours since the epoch.
public enum SourceCoverage {
    /// A silent span of one source, `[start, end)` in hours.
    public struct Gap: Sendable, Hashable {
        public var source: String
        public var start: Int64
        public var end: Int64
        /// True when measured in hours (the source logs hourly), false for whole silent days.
        public var hourly: Bool

        public var hours: Int64 { end - start }

        public init(source: String, start: Int64, end: Int64, hourly: Bool) {
            self.source = source
            self.start = start
            self.end = end
            self.hourly = hourly
        }

        /// `aws:1111:eu-west-1 silent 2026-08-03 to 2026-08-31 (29 days)`.
        public var description: String { "\(source) \(span)" }

        /// The silence without the source: `silent 2026-08-03 to 2026-08-31 (29 days)`, or with
        /// hours (`silent 2026-08-05 03:00Z to 2026-08-05 08:00Z (5 hours)`) when the span does not
        /// fall on whole days.
        public var span: String {
            func hour(_ h: Int64) -> String {
                let t = Timestamp(millis: h * 3_600_000).iso8601
                return t.prefix(10) + " " + t.dropFirst(11).prefix(5) + "Z"
            }
            if start % 24 == 0 && end % 24 == 0 {
                let days = hours / 24
                let from = Timestamp(millis: start * 3_600_000).day
                let to = Timestamp(millis: end * 3_600_000 - 1).day
                return days == 1 ? "silent on \(from)" : "silent \(from) to \(to) (\(days) days)"
            }
            return "silent \(hour(start)) to \(hour(end)) (\(hours) hour\(hours == 1 ? "" : "s"))"
        }
    }

    /// Whether a source logs every hour: events in at least `coverage` of the hours of its own span,
    /// and a span of at least a day.
    public static func logsHourly(_ hours: Set<Int64>, coverage: Double) -> Bool {
        guard let first = hours.min(), let last = hours.max(), last - first >= 24 else { return false }
        return Double(hours.count) / Double(last - first + 1) >= coverage
    }

    /// Runs of at least `minHours` hours in `[lo, hi)` without an event.
    public static func silentHours(_ hours: Set<Int64>, source: String, from lo: Int64, to hi: Int64, minHours: Int)
        -> [Gap]
    {
        var out = [Gap](), start: Int64?
        var h = lo
        while h <= hi {
            if h < hi && !hours.contains(h) {
                if start == nil { start = h }
            } else if let s = start {
                if h - s >= Int64(max(1, minHours)) { out.append(Gap(source: source, start: s, end: h, hourly: true)) }
                start = nil
            }
            h += 1
        }
        return out
    }

    /// How regularly a source logs, judged from its own events: what a silent span of it means.
    public enum Cadence: String, Sendable {
        /// Events in most hours of its span: a silent run of hours is a gap.
        case hourly
        /// At least `denseDaily` events on each day it logs, on average: a silent day is a gap
        /// (at that rate a day without a single event is not chance).
        case daily
        /// Too few events to tell a quiet day from a gap: silences are not judged.
        case sparse
    }

    /// The UTC days (since the epoch) of a set of hours.
    static func days(of hours: Set<Int64>) -> Set<Int64> {
        Set(hours.map { $0 >= 0 ? $0 / 24 : ($0 - 23) / 24 })
    }

    /// Events per active day from which a source counts as logging daily.
    public static let denseDaily = 24

    public static func cadence(_ hours: Set<Int64>, events: Int, coverage: Double = 0.8) -> Cadence {
        if logsHourly(hours, coverage: coverage) { return .hourly }
        let days = days(of: hours).count
        return days > 0 && events >= denseDaily * days ? .daily : .sparse
    }

    /// The silent spans of a source over `[lo, hi)` (hours; whole UTC days are expected): runs of
    /// at least `minHours` hours for an hourly source, whole days for a daily one, none for a
    /// sparse one.
    public static func gaps(
        _ hours: Set<Int64>, events: Int, source: String, from lo: Int64, to hi: Int64, coverage: Double = 0.8,
        minHours: Int = 3
    ) -> [Gap] {
        guard hi > lo else { return [] }
        switch cadence(hours, events: events, coverage: coverage) {
        case .sparse: return []
        case .hourly: return silentHours(hours, source: source, from: lo, to: hi, minHours: minHours)
        case .daily: break
        }
        let days = days(of: hours)
        var out = [Gap](), start: Int64?
        let firstDay = lo / 24, lastDay = (hi - 1) / 24
        var d = firstDay
        while d <= lastDay + 1 {
            if d <= lastDay && !days.contains(d) {
                if start == nil { start = d }
            } else if let s = start {
                out.append(Gap(source: source, start: max(lo, s * 24), end: min(hi, d * 24), hourly: false))
                start = nil
            }
            d += 1
        }
        return out
    }
}
