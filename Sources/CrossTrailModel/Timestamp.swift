/// A UTC instant with millisecond precision, parsed and formatted without Foundation
/// (it sits on the ingest hot path).
public struct Timestamp: Sendable, Hashable, Comparable, Codable {
    public var millis: Int64

    public init(millis: Int64) { self.millis = millis }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.millis < b.millis }

    /// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func days(year y0: Int64, month m: Int64, day d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = m > 2 ? m - 3 : m + 9
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    static func civil(days z0: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0, millisecond: Int = 0)
    {
        let d = Timestamp.days(year: Int64(year), month: Int64(month), day: Int64(day))
        millis = ((d * 24 + Int64(hour)) * 60 + Int64(minute)) * 60_000 + Int64(second) * 1000 + Int64(millisecond)
    }

    /// Parses ISO 8601 / RFC 3339 and the common variants found in exports:
    /// `2023-03-09T10:41:45Z`, `2023-03-09T10:41:45.123456Z`, `2023-03-09 10:41:45+00:00`,
    /// `2025-01-21 17:49:47.000000000` (no zone: UTC), `2026-08-01T00:00Z`, `2026-08-01`.
    /// Dates that do not exist (February 30, month 13, hour 25, offset +25:00) are nil, never
    /// normalised into another instant.
    public init?(iso text: String) {
        var copy = text
        guard let value = copy.withUTF8({ Timestamp.parse(UnsafeRawBufferPointer($0)) }) else { return nil }
        self = value
    }

    /// Why a text is not a timestamp.
    public enum ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        /// Not in any of the accepted layouts.
        case syntax
        /// In the layout, but not a real date, time of day or UTC offset.
        case invalid(String)

        public var description: String {
            switch self {
            case .syntax: return "not an ISO 8601 time"
            case .invalid(let why): return why
            }
        }
    }

    /// Byte-level parser used by the readers.
    public static func parse(_ b: UnsafeRawBufferPointer) -> Timestamp? {
        if case .success(let t) = parseChecked(b) { return t }
        return nil
    }

    /// Days in a month of the proleptic Gregorian calendar.
    public static func daysIn(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// As `parse`, saying why a text is not a timestamp. Every field is range-checked before any
    /// arithmetic (years have four digits), so no input can overflow.
    public static func parseChecked(_ b: UnsafeRawBufferPointer) -> Result<Timestamp, ParseError> {
        let n = b.count
        var i = 0
        @inline(__always) func digits(_ count: Int) -> Int64? {
            guard i + count <= n else { return nil }
            var v: Int64 = 0
            for k in 0..<count {
                let c = b[i + k] &- 48
                guard c < 10 else { return nil }
                v = v * 10 + Int64(c)
            }
            i += count
            return v
        }
        @inline(__always) func expect(_ c: UInt8) -> Bool {
            guard i < n, b[i] == c else { return false }
            i += 1
            return true
        }
        @inline(__always) func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        guard let year = digits(4), expect(UInt8(ascii: "-")), let month = digits(2), expect(UInt8(ascii: "-")),
            let day = digits(2)
        else { return .failure(.syntax) }
        var hour: Int64 = 0, minute: Int64 = 0, second: Int64 = 0, ms: Int64 = 0
        if i < n, b[i] == UInt8(ascii: "T") || b[i] == UInt8(ascii: " ") || b[i] == UInt8(ascii: "t") {
            i += 1
            guard let h = digits(2), expect(UInt8(ascii: ":")), let mi = digits(2) else { return .failure(.syntax) }
            hour = h
            minute = mi
            if i < n, b[i] == UInt8(ascii: ":") {
                i += 1
                guard let s = digits(2) else { return .failure(.syntax) }
                second = s
                if i < n, b[i] == UInt8(ascii: ".") || b[i] == UInt8(ascii: ",") {
                    i += 1
                    var scale: Int64 = 100
                    var any = false
                    while i < n, b[i] &- 48 < 10 {
                        ms += Int64(b[i] &- 48) * scale
                        scale /= 10
                        any = true
                        i += 1
                    }
                    guard any else { return .failure(.syntax) }
                }
            }
        }
        var offsetMinutes: Int64 = 0
        var offsetText = ""
        if i < n {
            let c = b[i]
            if c == UInt8(ascii: "Z") || c == UInt8(ascii: "z") {
                i += 1
            } else if c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
                i += 1
                guard let oh = digits(2) else { return .failure(.syntax) }
                var om: Int64 = 0
                if expect(UInt8(ascii: ":")) {
                    guard let m = digits(2) else { return .failure(.syntax) }
                    om = m
                } else if let m = digits(2) {
                    om = m
                }
                offsetText = (c == UInt8(ascii: "-") ? "-" : "+") + two(oh) + ":" + two(om)
                guard oh <= 23, om <= 59 else {
                    return .failure(.invalid("offset \(offsetText) is not a UTC offset (at most ±23:59)"))
                }
                offsetMinutes = (oh * 60 + om) * (c == UInt8(ascii: "-") ? -1 : 1)
            } else if c == UInt8(ascii: " ") {
                // "UTC" suffix as written by some exporters
                i += 1
                guard i + 3 <= n, b[i] == UInt8(ascii: "U"), b[i + 1] == UInt8(ascii: "T"),
                    b[i + 2] == UInt8(ascii: "C")
                else { return .failure(.syntax) }
                i += 3
            }
        }
        guard i == n else { return .failure(.syntax) }
        guard (1...12).contains(month) else { return .failure(.invalid("month \(two(month)) does not exist")) }
        let length = daysIn(year: year, month: month)
        guard (1...length).contains(day) else {
            return .failure(.invalid("day \(two(day)) does not exist in \(year)-\(two(month)) (\(length) days)"))
        }
        guard hour < 24 else { return .failure(.invalid("hour \(two(hour)) does not exist")) }
        guard minute < 60 else { return .failure(.invalid("minute \(two(minute)) does not exist")) }
        // 60 is a leap second (RFC 3339); it counts as the first second of the next minute.
        guard second <= 60 else { return .failure(.invalid("second \(two(second)) does not exist")) }
        let d = days(year: year, month: month, day: day)
        let total = ((d * 24 + hour) * 60 + minute - offsetMinutes) * 60_000 + second * 1000 + ms
        return .success(Timestamp(millis: total))
    }

    // MARK: - The range of event times

    /// Event times are accepted from 1970-01-01T00:00:00Z (inclusive) to 2100-01-01T00:00:00Z
    /// (exclusive). Anything else in an audit log is damage or an attack, and rejecting it keeps
    /// every later computation on times (buckets, windows, formats) far from overflow.
    public static let earliestEvent = Timestamp(millis: 0)
    public static let endOfEvents = Timestamp(millis: 4_102_444_800_000)
    public static let eventRangeDescription = "1970-01-01T00:00:00Z to 2100-01-01T00:00:00Z"

    /// True when this instant is an acceptable event time.
    public var isEventTime: Bool { millis >= Timestamp.earliestEvent.millis && millis < Timestamp.endOfEvents.millis }

    /// This instant moved by `delta` milliseconds, clamped to the representable range instead of trapping.
    public func adding(millis delta: Int64) -> Timestamp {
        let (sum, overflow) = millis.addingReportingOverflow(delta)
        guard overflow else { return Timestamp(millis: sum) }
        return Timestamp(millis: delta > 0 ? .max : .min)
    }

    /// `2026-08-01T12:34:56.789Z`: ISO 8601 UTC with milliseconds.
    public var iso8601: String {
        var out = [UInt8]()
        out.reserveCapacity(24)
        appendISO8601(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the ISO 8601 text to a byte buffer (used by the writers). Defined for every value:
    /// years outside 0000...9999 are written in the expanded form (`+12345-…`, `-0001-…`).
    public func appendISO8601(to out: inout [UInt8]) {
        let dayMs: Int64 = 86_400_000
        var days = millis / dayMs
        var rem = millis % dayMs
        if rem < 0 { rem += dayMs; days -= 1 }
        let (y, m, d) = Timestamp.civil(days: days)
        @inline(__always) func put(_ v: Int64, _ width: Int) {
            // v is never negative here; wider values keep all their digits.
            var digits = 1
            var limit: Int64 = 10
            while digits < 19, v >= limit { digits += 1; limit = limit &* 10 }
            var div: Int64 = 1
            for _ in 1..<max(width, digits) { div *= 10 }
            var x = v
            while div > 0 {
                out.append(UInt8(48 + (x / div) % 10))
                x %= div
                div /= 10
            }
        }
        if y < 0 { out.append(45) } else if y > 9999 { out.append(43) }
        put(y < 0 ? -y : y, 4); out.append(45); put(m, 2); out.append(45); put(d, 2)
        out.append(84)
        put(rem / 3_600_000, 2); out.append(58)
        put(rem / 60_000 % 60, 2); out.append(58)
        put(rem / 1000 % 60, 2); out.append(46)
        put(rem % 1000, 3); out.append(90)
    }

    public var day: String { String(iso8601.prefix(10)) }
}
