import CrossTrailModel

#if canImport(Glibc)
    import Glibc
#endif

/// Turns one parsed record of any supported format into an `AuditEvent`.
/// One instance per worker thread (it owns the parsers for JSON-in-string fields).
final class Normalizer {
    enum Result {
        case event(AuditEvent)
        case filtered
        case rejected(String)
        case digest
    }

    let filter: EventFilter
    let nested = JSONParser()
    /// Parses CloudTrail fields given as JSON text (a separate parser: `nested` may hold the record itself).
    let textFields = JSONParser()
    let strings = StringCache()
    let actors = ActorCache()

    let keepRequestParameters: Bool
    let detail: EventDetail

    /// Warnings about the record last normalized: keys written twice in one of its objects (a
    /// JSON-in-string field such as CloudTrailEvent or user_identity, and, after
    /// `checkDuplicateKeys(record:)`, the record and any object inside it). The record is read
    /// with each key's first value, as every lookup does; the caller turns these into
    /// diagnostics for the record.
    var notes: [String] = []

    init(filter: EventFilter, detail: EventDetail = .all) {
        self.filter = filter
        var d = detail
        if !filter.resources.isEmpty { d.insert(.resources) }
        self.detail = d
        self.keepRequestParameters = d.contains(.requestParameters)
    }

    /// Detects the record's format from its keys (the first of `RecordFormats.ordered` that
    /// recognizes it) and normalizes it.
    func normalize(_ v: JSONValue, provenance: Provenance, container: SourceFormat?)
        -> Result
    {
        notes.removeAll(keepingCapacity: true)
        guard v.isObject else { return .rejected("record is not a JSON object") }
        for format in RecordFormats.ordered where format.recognizes(v, container: container) {
            let result = format.normalize(v, provenance: provenance, container: container, with: self)
            guard case .event(var e) = result else { return result }
            Self.redactFreeText(&e)
            return .event(e)
        }
        return .rejected("not a recognized audit record (no eventName, actionName, action_name or operationName)")
    }

    /// Credentials quoted in free text — a user agent, an error message, an object key — are
    /// replaced before any output or rule sees the event (request parameters are redacted where
    /// they are written, as JSON).
    static func redactFreeText(_ e: inout AuditEvent) {
        if let ua = e.userAgent, let r = Redactor.redactText(ua) { e.userAgent = r }
        if let m = e.outcome.errorMessage, let r = Redactor.redactText(m) { e.outcome.errorMessage = r }
        for i in e.resources.indices {
            if let r = Redactor.redactText(e.resources[i].id) { e.resources[i].id = r }
        }
    }

    /// Calls `body` with the value as an object, parsing it first when it is JSON text.
    func withObject(_ v: JSONValue?, _ body: (JSONValue) -> Void) {
        guard let v else { return }
        if v.isObject { body(v); return }
        _ = v.withStringBytes { text in
            if case .success(let inner) = nested.parse(embedded: text), inner.isObject {
                checkDuplicateKeys(inner, in: "JSON-text field")
                body(inner)
            }
        }
    }

    /// Notes a key written twice in one object inside `v`, with the value that is used (the first).
    /// Checks the whole record (every object in it) for repeated keys, adding to `notes`. The
    /// readers call it for records that are kept or rejected; a record a filter leaves out is not
    /// used, so narrow queries do not pay for it.
    func checkDuplicateKeys(record v: JSONValue) {
        checkDuplicateKeys(v, in: nil)
    }

    func checkDuplicateKeys(_ v: JSONValue, in context: String?) {
        guard let dup = nested.duplicateKey(in: v) else { return }
        let used: String
        if let text = dup.first.withStringBytes({ "\"" + Normalizer.quoted($0) + "\"" }) {
            used = text
        } else {
            var minified = Array(nested.minified(dup.first).utf8)
            let cut = minified.count > 64
            if cut { minified = Array(minified.prefix(64)) }
            used = minified.withUnsafeBytes { Normalizer.quoted($0) } + (cut ? "…" : "")
        }
        var path = Array(dup.path.utf8)
        let longPath = path.count > 128
        if longPath { path = Array(path.prefix(128)) }
        let shownPath =
            path.withUnsafeBytes { String(decoding: $0, as: UTF8.self).terminalSafe } + (longPath ? "…" : "")
        let more =
            dup.total > 1
            ? " (\(dup.total - 1) more repeated key\(dup.total == 2 ? "" : "s") there, read the same way)" : ""
        notes.append(
            "duplicate key \"\(shownPath)\" in the record\(context.map { "'s " + $0 } ?? ""): its first value (\(used)) is used, later ones are ignored\(more)"
        )
    }

    enum TimeValue {
        case time(Timestamp)
        case rejected(String)
    }

    /// An event time: ISO 8601 text or, with `epochMillis`, epoch milliseconds (a JSON number or a
    /// string of digits). Dates that do not exist and times outside `Timestamp.eventRangeDescription`
    /// are rejected with the field, the value and why, never normalised or clamped: one record must
    /// not move in time, nor make later arithmetic on times overflow.
    func eventTime(_ v: JSONValue, field: String, epochMillis: Bool) -> TimeValue {
        func outOfRange(_ shown: String) -> TimeValue {
            .rejected("\(field) \(shown) is outside the accepted range (\(Timestamp.eventRangeDescription))")
        }
        func checked(_ t: Timestamp, _ shown: String) -> TimeValue { t.isEventTime ? .time(t) : outOfRange(shown) }
        let text = v.withStringBytes { b -> TimeValue in
            let shown = "'" + Normalizer.quoted(b) + "'"
            switch Timestamp.parseChecked(b) {
            case .success(let t): return checked(t, shown)
            case .failure(.invalid(let why)): return .rejected("invalid \(field) \(shown): \(why)")
            case .failure(.syntax):
                let negative = b.first == UInt8(ascii: "-")
                let digits = b.dropFirst(negative ? 1 : 0)
                if epochMillis, !digits.isEmpty, digits.allSatisfy({ $0 &- 48 < 10 }) {
                    // Epoch milliseconds as text: below 19 digits they fit; above, and below zero, out of range.
                    guard !negative, digits.count < 19, let ms = Int64(String(decoding: digits, as: UTF8.self)) else {
                        return outOfRange(shown)
                    }
                    return checked(Timestamp(millis: ms), shown)
                }
                return .rejected("unparseable \(field) \(shown)")
            }
        }
        if let text { return text }
        guard epochMillis, v.kind == .number else { return .rejected("unparseable \(field) (not a string)") }
        let shown = v.string ?? "(number)"
        // A number: exact when integral and within Int64, otherwise out of range (1e30, 2^64, -1e20).
        guard let ms = v.int64 else { return outOfRange(shown) }
        return checked(Timestamp(millis: ms), shown)
    }

    /// A value as quoted in a diagnostic: at most 64 bytes, control characters and invalid UTF-8 made visible.
    static func quoted(_ b: UnsafeRawBufferPointer) -> String {
        let cut = b.count > 64
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: b[..<min(b.count, 64)]), as: UTF8.self)
            .terminalSafe
        return cut ? text + "…" : text
    }

    static func lastPathComponent(_ arn: String) -> String {
        arn.split(separator: "/").last.map(String.init) ?? arn
    }

    /// `arn:aws:sts::1:assumed-role/Role/session` → `Role/session`.
    static func roleSessionName(_ arn: String) -> String {
        guard let r = arn.firstRange(of: ":assumed-role/") else { return lastPathComponent(arn) }
        return String(arn[r.upperBound...])
    }

    static func azureWorkspace(_ resourceId: String?) -> String? {
        guard let resourceId else { return nil }
        let parts = resourceId.split(separator: "/")
        if let i = parts.lastIndex(where: { $0.uppercased() == "WORKSPACES" }), i + 1 < parts.count {
            return String(parts[i + 1])
        }
        return nil
    }

    static func looksLikeUUID(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard u.count == 36 else { return false }
        for (i, c) in u.enumerated() {
            if i == 8 || i == 13 || i == 18 || i == 23 {
                if c != UInt8(ascii: "-") { return false }
            } else if !(c &- 48 < 10 || c &- 97 < 6) {
                return false
            }
        }
        return true
    }

    /// A stable id for records that carry none: `h-` + the record's 64-bit content hash (the same
    /// for copies that differ only in whitespace, key order or escaping).
    static func contentID(_ v: JSONValue) -> String {
        "h-" + hex64(v.contentHash)
    }
}

/// Adds a resource unless one with the same id is already listed (the first, most specific type wins).
func appendUnique(_ list: inout [Resource], _ r: Resource) {
    if !list.contains(where: { $0.id == r.id }) { list.append(r) }
}

/// 64-bit hash of bytes: four independent multiply-mix lanes over 32-byte blocks (so the CPU
/// overlaps them), folded together. Stable across runs and machines; not cryptographic.
public func hash64(_ b: UnsafeRawBufferPointer, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> UInt64 {
    @inline(__always) func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let r = a.multipliedFullWidth(by: b)
        return r.high ^ r.low
    }
    let n = b.count
    var h0 = seed ^ UInt64(n), h1 = seed &+ 0xA076_1D64_78BD_642F, h2 = seed &+ 0xE703_7ED1_A0B4_28DB,
        h3 = seed ^ 0x8EBC_6AF0_9C88_C6E3
    var i = 0
    while i + 32 <= n {
        h0 = mix(h0 ^ b.loadUnaligned(fromByteOffset: i, as: UInt64.self), 0xA076_1D64_78BD_642F)
        h1 = mix(h1 ^ b.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self), 0xE703_7ED1_A0B4_28DB)
        h2 = mix(h2 ^ b.loadUnaligned(fromByteOffset: i + 16, as: UInt64.self), 0x8EBC_6AF0_9C88_C6E3)
        h3 = mix(h3 ^ b.loadUnaligned(fromByteOffset: i + 24, as: UInt64.self), 0x5899_65CC_7537_4CC3)
        i += 32
    }
    var h = mix(h0 ^ h1, 0xA076_1D64_78BD_642F) ^ mix(h2 ^ h3, 0xE703_7ED1_A0B4_28DB)
    while i + 8 <= n {
        h = mix(h ^ b.loadUnaligned(fromByteOffset: i, as: UInt64.self), 0xA076_1D64_78BD_642F)
        i += 8
    }
    var tail: UInt64 = 0
    var shift: UInt64 = 0
    while i < n {
        tail |= UInt64(b[i]) << shift
        shift += 8
        i += 1
    }
    h = mix(h ^ tail, 0xE703_7ED1_A0B4_28DB)
    return mix(h, 0x8EBC_6AF0_9C88_C6E3)
}

public func hex64(_ v: UInt64) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8](repeating: 0, count: 16)
    var x = v
    for i in stride(from: 15, through: 0, by: -1) {
        out[i] = digits[Int(x & 0xf)]
        x >>= 4
    }
    return String(decoding: out, as: UTF8.self)
}

/// Normalizes single records given as JSON text (rule examples, tests, API responses), detecting
/// their format as the file readers do. One per thread.
public final class RecordNormalizer {
    private let parser = JSONParser()
    private let normalizer: Normalizer

    /// Everything decoded by default, response elements included (rule examples read them).
    public init(detail: EventDetail = EventDetail.all.union(.responseElements)) {
        normalizer = Normalizer(filter: EventFilter(), detail: detail)
    }

    /// The event, or why the record is not one.
    public func normalize(_ text: String, source: String = "-") -> Swift.Result<AuditEvent, IngestError> {
        let bytes = Array(text.utf8)
        return withExtendedLifetime(parser) {
            bytes.withUnsafeBytes { raw -> Swift.Result<AuditEvent, IngestError> in
                switch parser.parse(raw, padded: false) {
                case .failure(let e):
                    return .failure(IngestError(path: source, reason: "invalid JSON: \(e)"))
                case .success(let v):
                    let p = Provenance(file: source, line: nil, offset: 0, sha256: "")
                    switch normalizer.normalize(v, provenance: p, container: nil) {
                    case .event(let e): return .success(e)
                    case .rejected(let reason): return .failure(IngestError(path: source, reason: reason))
                    case .filtered, .digest: return .failure(IngestError(path: source, reason: "not an audit event"))
                    }
                }
            }
        }
    }
}
