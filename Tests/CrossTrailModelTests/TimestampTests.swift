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

    @Test(arguments: ["", "2026", "2026-13-01T00:00:00Z", "2026-08-01T25:00:00Z", "2026-08-01T00:00:00Zjunk", "yesterday", "2026-08-01T00:00:00."])
    func rejectsGarbage(input: String) {
        #expect(Timestamp(iso: input) == nil)
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
        var a = Actor(kind: .assumedRole, key: "arn:aws:sts::1:assumed-role/R/carol@acme.example", displayName: "R/carol@acme.example")
        #expect(f.matchesActor(a))
        a = Actor(kind: .iamUser, key: "arn:aws:iam::1:user/bob", displayName: "bob")
        #expect(!f.matchesActor(a))
        a.accessKeyId = "AKIAEXAMPLE"
        f.actors = [Glob("AKIAEXAMPLE")]
        #expect(f.matchesActor(a))
    }
}
