#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An owned, immutable JSON tree, for documents read whole and walked many times (inventory
/// exports, API responses). Event readers use the borrowed `JSONValue` views instead.
public enum JSON: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSON])
    case object([String: JSON])

    public subscript(key: String) -> JSON? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    public var string: String? {
        switch self {
        case .string(let s): return s
        case .number(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case .bool(let b): return b ? "true" : "false"
        default: return nil
        }
    }

    public var bool: Bool? {
        switch self {
        case .bool(let b): return b
        case .string("true"): return true
        case .string("false"): return false
        default: return nil
        }
    }

    public var array: [JSON]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var object: [String: JSON]? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// A string or an array of strings (IAM `Action`, `Resource`, principals) as a list.
    public var strings: [String] {
        switch self {
        case .string(let s): return [s]
        case .array(let a): return a.compactMap(\.string)
        default: return []
        }
    }

    /// Members sorted by key, for deterministic walks.
    public var sortedMembers: [(key: String, value: JSON)] {
        (object ?? [:]).sorted { $0.key < $1.key }
    }

    /// Compact JSON text with sorted keys (deterministic).
    public var text: String {
        var out = [UInt8]()
        write(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private func write(to out: inout [UInt8]) {
        switch self {
        case .null: out += "null".utf8
        case .bool(let b): out += (b ? "true" : "false").utf8
        case .number: out += (string ?? "null").utf8
        case .string(let s): JSONText.appendString(s.utf8, to: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (i, v) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                v.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object:
            out.append(UInt8(ascii: "{"))
            for (i, m) in sortedMembers.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONText.appendString(m.key.utf8, to: &out)
                out.append(UInt8(ascii: ":"))
                m.value.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }
}

/// A reusable parser for owned JSON trees (one per thread; not shareable).
public final class JSONDocumentReader {
    private let parser: JSONParser

    public init(maxDepth: Int = 1024) { parser = JSONParser(maxDepth: maxDepth) }

    public func parse(_ bytes: [UInt8]) throws(JSONDocumentError) -> JSON {
        // The borrowed views point into the parser's document: copy out before it is reused.
        let result = withExtendedLifetime(parser) {
            bytes.withUnsafeBytes { parser.parse($0, padded: false).map(JSON.init(borrowing:)) }
        }
        switch result {
        case .success(let v): return v
        case .failure(let e): throw JSONDocumentError(reason: "invalid JSON: \(e)")
        }
    }

    public func parse(text: String) throws(JSONDocumentError) -> JSON { try parse(Array(text.utf8)) }
}

public struct JSONDocumentError: Error, CustomStringConvertible, Sendable {
    public var reason: String
    public var description: String { reason }
}

extension JSON {
    /// Parses one JSON document (simdjson). Depth beyond `maxDepth` is an error, not a crash.
    /// Parsing many small documents: keep a `JSONDocumentReader` instead.
    public static func parse(_ bytes: [UInt8], maxDepth: Int = 1024) throws(JSONDocumentError) -> JSON {
        try JSONDocumentReader(maxDepth: maxDepth).parse(bytes)
    }

    /// Parses a string that holds JSON (IAM policy documents URL-encoded or embedded as text).
    public static func parse(text: String) throws(JSONDocumentError) -> JSON {
        try parse(Array(text.utf8))
    }

    /// Reads and parses a file, decompressing gzip. Files larger than `maxBytes` are refused.
    public static func read(path: String, maxBytes: Int = 512 << 20) throws(IngestError) -> JSON {
        let bytes = try readBytes(path: path, maxBytes: maxBytes)
        do {
            return try parse(bytes)
        } catch {
            throw IngestError(path: path, reason: error.reason)
        }
    }

    /// A file's bytes, gunzipped when it is gzip.
    public static func readBytes(path: String, maxBytes: Int = 512 << 20) throws(IngestError) -> [UInt8] {
        let raw = try readRegularFile(path: path, maxBytes: maxBytes)
        guard raw.count >= 2, raw[0] == 0x1f, raw[1] == 0x8b else { return raw }
        let buf = PaddedBuffer(capacity: raw.count * 4)
        let status = raw.withUnsafeBytes { buf.gunzip($0, limit: maxBytes) }
        switch status {
        case .ok: return Array(buf.bytes)
        case .tooLarge: throw IngestError(path: path, reason: "decompresses to more than \(maxBytes >> 20) MiB")
        case .damaged(let reason, let offset):
            throw IngestError(path: path, reason: "\(reason) at compressed byte \(offset)")
        }
    }

    /// A regular file's bytes as stored (at most `maxBytes`). A FIFO, socket or device is refused
    /// with its kind before it is opened: inputs of every kind (logs, inventory, digests, rules)
    /// must never block a run. An anonymous pipe the shell hands over (`--inventory <(…)`) is
    /// read as the stream it is.
    public static func readRegularFile(path: String, maxBytes: Int = 512 << 20) throws(IngestError) -> [UInt8] {
        let fd = try FileHandleReader(path: path, stream: FileKind.isAnonymousPipe(path)).fd
        defer { close(fd) }
        var raw = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw IngestError(path: path, errno: errno)
            }
            if n == 0 { break }
            raw.append(contentsOf: chunk[0..<n])
            if raw.count > maxBytes { throw IngestError(path: path, reason: "larger than \(maxBytes >> 20) MiB") }
        }
        return raw
    }

    init(borrowing v: JSONValue) {
        switch v.kind {
        case .null: self = .null
        case .bool: self = .bool(v.bool ?? false)
        case .number: self = .number(v.double ?? 0)
        case .string: self = .string(v.withStringBytes { String(decoding: $0, as: UTF8.self) } ?? "")
        case .array:
            var a = [JSON]()
            v.forEachElement { a.append(JSON(borrowing: $0)) }
            self = .array(a)
        case .object:
            var o = [String: JSON]()
            // A key written twice keeps its first value, as the event readers' lookups do.
            v.forEachMember { k, m in
                let key = String(decoding: k, as: UTF8.self)
                if o[key] == nil { o[key] = JSON(borrowing: m) }
            }
            self = .object(o)
        }
    }
}
