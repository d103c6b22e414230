import CrossTrailModel
import Testing

@Suite struct TimestampTests {
    @Test(arguments: [
        ("2023-03-09T10:41:45Z", "2023-03-09T10:41:45.000Z"),
        ("2023-03-09 10:41:45+00:00", "2023-03-09T10:41:45.000Z"),
        ("2025-01-21 17:49:47.000000000", "2025-01-21T17:49:47.000Z"),
        ("2026-08-01T12:34:56.789123Z", "2026-08-01T12:34:56.789Z"),
        ("2026-08-01T00:00Z", "2026-08-01T00:00:00.000Z"),
        ("2026-08-01", "2026-08-01T00:00:00.000Z"),
        ("2026-08-01T02:00:00+02:00", "2026-08-01T00:00:00.000Z"),
        ("2026-07-31T20:30:00-03:30", "2026-08-01T00:00:00.000Z"),
        ("1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999Z"),
        ("2024-02-29T12:00:00Z", "2024-02-29T12:00:00.000Z"),
    ])
    func parsesExportStyles(input: String, expected: String) throws {
        let t = try #require(Timestamp(iso: input))
        #expect(t.iso8601 == expected)
    }

    @Test(arguments: [
        "", "2026", "2026-13-01T00:00:00Z", "2026-08-01T25:00:00Z", "2026-08-01T00:00:00Zjunk", "yesterday",
        "2026-08-01T00:00:00.",
    ])
    func rejectsGarbage(input: String) {
        #expect(Timestamp(iso: input) == nil)
    }

    /// Dates that do not exist are refused, never normalised into another day or hour.
    @Test(arguments: [
        ("2026-02-30T00:00:00Z", "day 30 does not exist in 2026-02 (28 days)"),
        ("2025-02-29", "day 29 does not exist in 2025-02 (28 days)"),
        ("1900-02-29T00:00:00Z", "day 29 does not exist in 1900-02 (28 days)"),
        ("2026-04-31T00:00:00Z", "day 31 does not exist in 2026-04 (30 days)"),
        ("2026-00-01T00:00:00Z", "month 00 does not exist"),
        ("2026-13-01T00:00:00Z", "month 13 does not exist"),
        ("2026-08-00T00:00:00Z", "day 00 does not exist in 2026-08 (31 days)"),
        ("2026-08-01T24:00:00Z", "hour 24 does not exist"),
        ("2026-08-01T25:00:00Z", "hour 25 does not exist"),
        ("2026-08-01T10:60:00Z", "minute 60 does not exist"),
        ("2026-08-01T10:00:61Z", "second 61 does not exist"),
        ("2026-08-01T00:00:00+25:00", "offset +25:00 is not a UTC offset (at most ±23:59)"),
        ("2026-08-01T00:00:00-24:00", "offset -24:00 is not a UTC offset (at most ±23:59)"),
        ("2026-08-01T00:00:00+0599", "offset +05:99 is not a UTC offset (at most ±23:59)"),
    ])
    func refusesDatesThatDoNotExist(input: String, why: String) {
        var copy = input
        let r = copy.withUTF8 { Timestamp.parseChecked(UnsafeRawBufferPointer($0)) }
        #expect(r == .failure(.invalid(why)))
        #expect(Timestamp(iso: input) == nil)
    }

    @Test(arguments: [
        "2024-02-29T00:00:00Z", "2000-02-29T00:00:00Z", "2026-12-31T23:59:59.999Z", "2026-08-01T23:59:60Z",
        "2026-08-01T00:00:00+23:59", "2026-08-01T00:00:00-0530", "2026-08-01T00:00:00+05",
    ])
    func acceptsRealEdges(input: String) {
        #expect(Timestamp(iso: input) != nil, "\(input)")
    }

    @Test(arguments: ["2026-08-01T00:00:00+05:", "2026-08-01T00:00:00+5", "2026-8-01", "２０２６-08-01"])
    func refusesBrokenSyntax(input: String) {
        var copy = input
        #expect(copy.withUTF8 { Timestamp.parseChecked(UnsafeRawBufferPointer($0)) } == .failure(.syntax))
    }

    /// Formatting is defined for every value: no input can make it trap.
    @Test(arguments: [
        Int64.min, Int64.min + 1, -86_400_001, -1, 0, 4_102_444_800_000, 253_402_300_799_999, 253_402_300_800_000,
        Int64.max,
    ])
    func formatsEveryValue(millis: Int64) {
        let text = Timestamp(millis: millis).iso8601
        #expect(text.hasSuffix("Z"))
        if (-62_167_219_200_000..<253_402_300_800_000).contains(millis) {
            #expect(text.count == 24)
            #expect(Timestamp(iso: text)?.millis == millis)
        } else {
            #expect(text.hasPrefix("-") || text.hasPrefix("+"), "\(text)")
        }
    }

    @Test func expandedYears() {
        #expect(Timestamp(millis: 253_402_300_800_000).iso8601 == "+10000-01-01T00:00:00.000Z")
        #expect(Timestamp(millis: -62_167_219_200_001).iso8601 == "-0001-12-31T23:59:59.999Z")
    }

    @Test func eventRangeAndSaturatingArithmetic() {
        #expect(Timestamp(millis: 0).isEventTime)
        #expect(!Timestamp(millis: -1).isEventTime)
        #expect(Timestamp(iso: "2099-12-31T23:59:59.999Z")!.isEventTime)
        #expect(!Timestamp(iso: "2100-01-01T00:00:00Z")!.isEventTime)
        #expect(!Timestamp(millis: .max).isEventTime && !Timestamp(millis: .min).isEventTime)
        #expect(Timestamp(millis: .max).adding(millis: 1).millis == .max)
        #expect(Timestamp(millis: .min).adding(millis: -3_600_000).millis == .min)
        #expect(Timestamp(millis: 10).adding(millis: -3).millis == 7)
    }

    @Test func epochAndOrdering() {
        #expect(Timestamp(iso: "1970-01-01T00:00:00Z")?.millis == 0)
        #expect(Timestamp(iso: "2026-08-01T00:00:00Z")!.millis == 1_785_542_400_000)
        #expect(Timestamp(millis: 1) < Timestamp(millis: 2))
    }
}

@Suite struct GlobTests {
    @Test func matching() {
        #expect(Glob("alice@acme.example").matches("Alice@Acme.Example"))
        #expect(Glob("*@acme.example").matches("bob@acme.example"))
        #expect(!Glob("*@acme.example").matches("bob@evil.example"))
        #expect(Glob("Delete*").matches("DeleteTrail"))
        #expect(Glob("s3:Get?bject").matches("s3:GetObject"))
        #expect(!Glob("Get").matches("GetObject"))
        #expect(Glob("*").matches(""))
    }

    @Test func filterChecksEveryActorField() {
        var f = EventFilter()
        f.actors = [Glob("*carol@acme.example")]
        var a = Actor(
            kind: .assumedRole, key: "arn:aws:sts::1:assumed-role/R/carol@acme.example",
            displayName: "R/carol@acme.example")
        #expect(f.matchesActor(a))
        a = Actor(kind: .iamUser, key: "arn:aws:iam::1:user/bob", displayName: "bob")
        #expect(!f.matchesActor(a))
        a.accessKeyId = "AKIAEXAMPLE"
        f.actors = [Glob("AKIAEXAMPLE")]
        #expect(f.matchesActor(a))
    }
}
