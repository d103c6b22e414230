import CSimdjson

/// The one JSON interface the readers use: a simdjson DOM parser (per worker thread) and
/// borrowed views into the parsed document. Swapping the JSON layer means changing this file.
final class JSONParser {
    private let handle: OpaquePointer
    static let padding = Int(CJ_PADDING)

    init(maxDepth: Int = 1024) {
        guard let p = cj_parser_new(1 << 30, maxDepth) else {
            fatalError("out of memory allocating the JSON parser")
        }
        handle = p
    }

    deinit { cj_parser_free(handle) }

    struct ParseError: Error, CustomStringConvertible {
        var code: Int32
        var offset: Int?
        var description: String { String(cString: cj_error_message(code)) }
    }

    /// Parses a record. `padded` promises `JSONParser.padding` readable bytes after the buffer.
    func parse(_ bytes: UnsafeRawBufferPointer, padded: Bool) -> Result<JSONValue, ParseError> {
        var root = cj_value()
        let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(bitPattern: 1)!
        let rc = cj_parse(handle, base, bytes.count, padded && bytes.baseAddress != nil, &root)
        if rc != 0 { return .failure(ParseError(code: rc)) }
        return .success(JSONValue(raw: root))
    }

    /// Parses a string that itself holds JSON (Azure `properties.identity`, lookup-events
    /// `CloudTrailEvent`). Copies, so the source document may be reused afterwards.
    func parse(embedded text: UnsafeRawBufferPointer) -> Result<JSONValue, ParseError> {
        parse(text, padded: false)
    }

    /// Where a record (or, in `repeats`, a repeated key) lies; `key` is the index of the array's
    /// key in the keys asked for, -1 for a top-level array.
    struct Span { var offset: Int; var length: Int; var key: Int = -1 }

    enum SpanResult {
        /// `repeats`: top-level keys written more than once, at their later occurrences (`key` -1),
        /// and record-array keys whose value is not an array (`key` -2 - the key's index).
        case spans([Span], repeats: [Span], error: ParseError?)
        /// The top level is an object with none of the requested keys.
        case noSuchKey
    }

    /// Record spans of a `[...]` document, or of every array under one of `keys` in a top-level
    /// object, in document order (simdjson On-Demand; no DOM). A key written twice is read twice.
    func recordSpans(_ bytes: UnsafeRawBufferPointer, keys: [StaticString]) -> SpanResult {
        var spans: UnsafePointer<cj_span>?
        var repeated: UnsafePointer<cj_span>?
        var count = 0, repeatCount = 0
        var errOffset = 0
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let names: [UnsafePointer<CChar>?] = keys.map {
            UnsafeRawPointer($0.utf8Start).assumingMemoryBound(to: CChar.self)
        }
        let lengths = keys.map(\.utf8CodeUnitCount)
        let rc = names.withUnsafeBufferPointer { n in
            lengths.withUnsafeBufferPointer { l in
                cj_record_spans(
                    handle, base, bytes.count, n.baseAddress, l.baseAddress, keys.count, &spans, &count, &repeated,
                    &repeatCount, &errOffset)
            }
        }
        if rc == -1 { return .noSuchKey }
        var out = [Span]()
        out.reserveCapacity(count)
        if let spans {
            for i in 0..<count {
                out.append(Span(offset: Int(spans[i].offset), length: Int(spans[i].length), key: Int(spans[i].key)))
            }
        }
        var repeats = [Span]()
        if let repeated {
            for i in 0..<repeatCount {
                repeats.append(
                    Span(offset: Int(repeated[i].offset), length: Int(repeated[i].length), key: Int(repeated[i].key)))
            }
        }
        return .spans(out, repeats: repeats, error: rc == 0 ? nil : ParseError(code: rc, offset: errOffset))
    }

    /// A key written twice in one object inside `v`: its path and the value of its first occurrence.
    struct DuplicateKey {
        var path: String
        var first: JSONValue
        /// Repeated occurrences of any key inside the value, this one included.
        var total: Int
    }

    /// The first key found written twice in an object anywhere inside `v` (objects of any depth),
    /// and how many repeats there are in all.
    func duplicateKey(in v: JSONValue) -> DuplicateKey? {
        var p: UnsafePointer<CChar>?
        var n = 0
        var first = cj_value()
        var total = 0
        guard cj_duplicate_key(handle, v.raw, &p, &n, &first, &total), let p else { return nil }
        return DuplicateKey(
            path: String(decoding: UnsafeRawBufferPointer(start: p, count: n), as: UTF8.self),
            first: JSONValue(raw: first), total: total)
    }

    /// Minified JSON text of a value.
    func minified(_ v: JSONValue) -> String {
        var p: UnsafePointer<CChar>?
        var n = 0
        cj_minify(handle, v.raw, &p, &n)
        guard let p else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: p, count: n), as: UTF8.self)
    }
}

/// A borrowed view of one JSON element; valid until its parser parses again.
struct JSONValue {
    let raw: cj_value

    enum Kind { case null, bool, number, string, array, object }

    var kind: Kind {
        switch Int(cj_type(raw)) {
        case Int(CJ_BOOL.rawValue): return .bool
        case Int(CJ_INT.rawValue), Int(CJ_UINT.rawValue), Int(CJ_DOUBLE.rawValue): return .number
        case Int(CJ_STRING.rawValue): return .string
        case Int(CJ_ARRAY.rawValue): return .array
        case Int(CJ_OBJECT.rawValue): return .object
        default: return .null
        }
    }

    var isObject: Bool { cj_type(raw) == Int32(CJ_OBJECT.rawValue) }

    /// A hash of the content that ignores whitespace, key order and string escaping, so two
    /// copies of one record reshaped by different shippers count as duplicates, not conflicts.
    var contentHash: UInt64 { cj_content_hash(raw) }

    subscript(key: StaticString) -> JSONValue? {
        var out = cj_value()
        let found = key.withUTF8Buffer { k in
            k.withMemoryRebound(to: CChar.self) { cj_find(raw, $0.baseAddress, $0.count, &out) }
        }
        return found ? JSONValue(raw: out) : nil
    }

    /// The member named `key`, or, when absent, the member named `key` in lower case (exports
    /// such as Athena's lower-case every key).
    subscript(anyCase key: StaticString) -> JSONValue? {
        if let v = self[key] { return v }
        let lower = key.withUTF8Buffer { String(decoding: $0, as: UTF8.self) }.lowercased()
        return self[dynamicKey: lower]
    }

    subscript(dynamicKey key: String) -> JSONValue? {
        var out = cj_value()
        var k = key
        let found = k.withUTF8 { b in
            b.withMemoryRebound(to: CChar.self) { cj_find(raw, $0.baseAddress, $0.count, &out) }
        }
        return found ? JSONValue(raw: out) : nil
    }

    /// The string's bytes, without allocating.
    func withStringBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R? {
        var p: UnsafePointer<CChar>?
        var n = 0
        guard cj_string(raw, &p, &n) else { return nil }
        return body(UnsafeRawBufferPointer(start: p, count: n))
    }

    /// A non-empty string value. Numbers and booleans are rendered as text (exports disagree on types).
    var string: String? {
        var p: UnsafePointer<CChar>?
        var n = 0
        if cj_string(raw, &p, &n) {
            if n == 0 { return nil }
            return String(decoding: UnsafeRawBufferPointer(start: p, count: n), as: UTF8.self)
        }
        switch kind {
        case .number:
            var i: Int64 = 0
            if cj_int64(raw, &i) { return String(i) }
            var d: Double = 0
            if cj_double(raw, &d) { return String(d) }
            return nil
        case .bool:
            var b = false
            return cj_bool(raw, &b) ? (b ? "true" : "false") : nil
        default:
            return nil
        }
    }

    var int64: Int64? {
        var i: Int64 = 0
        if cj_int64(raw, &i) { return i }
        var d: Double = 0
        if cj_double(raw, &d), d.isFinite, abs(d) < 9.2e18 { return Int64(d) }
        return withStringBytes { b -> Int64? in
            var v: Int64 = 0
            guard !b.isEmpty, b.count < 19 else { return nil }
            for c in b { guard c &- 48 < 10 else { return nil }; v = v * 10 + Int64(c &- 48) }
            return v
        } ?? nil
    }

    var double: Double? {
        var i: Int64 = 0
        if cj_int64(raw, &i) { return Double(i) }
        var d: Double = 0
        return cj_double(raw, &d) ? d : nil
    }

    var bool: Bool? {
        var b = false
        if cj_bool(raw, &b) { return b }
        return withStringBytes { s -> Bool? in
            if s.elementsEqual("true".utf8) { return true }
            if s.elementsEqual("false".utf8) { return false }
            return nil
        } ?? nil
    }

    /// Iterates an object's members.
    func forEachMember(_ body: (UnsafeRawBufferPointer, JSONValue) -> Void) {
        var it = cj_iter()
        guard cj_object_iter(raw, &it) else { return }
        var k: UnsafePointer<CChar>?
        var n = 0
        var v = cj_value()
        while cj_object_next(&it, &k, &n, &v) {
            body(UnsafeRawBufferPointer(start: k, count: n), JSONValue(raw: v))
        }
    }

    /// Iterates an array's elements.
    func forEachElement(_ body: (JSONValue) -> Void) {
        var it = cj_iter()
        guard cj_array_iter(raw, &it) else { return }
        var v = cj_value()
        while cj_array_next(&it, &v) { body(JSONValue(raw: v)) }
    }
}
