import CGzip
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A malloc'ed byte buffer followed by `JSONParser.padding` zero bytes (simdjson reads past the end).
final class PaddedBuffer {
    let base: UnsafeMutableRawPointer
    private(set) var count: Int
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        guard let p = malloc(capacity + JSONParser.padding) else { fatalError("out of memory (\(capacity) bytes)") }
        base = p
        count = 0
        memset(p, 0, JSONParser.padding)
    }

    /// Takes ownership of a malloc'ed buffer that already has the padding after `count` bytes.
    init(adopting p: UnsafeMutableRawPointer, count: Int) {
        base = p
        self.count = count
        capacity = count
    }

    deinit { free(base) }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    func setCount(_ n: Int) {
        count = n
        memset(base + n, 0, JSONParser.padding)
    }
}

/// Reads a whole file descriptor's content (or up to `limit` bytes).
struct FileHandleReader {
    let fd: Int32

    init(path: String) throws(IngestError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw IngestError(path: path, errno: errno) }
        self.fd = fd
    }

    func close() { _ = Glibc.close(fd) }

    /// Reads into `into` until full or EOF; returns bytes read.
    func read(into p: UnsafeMutableRawPointer, count: Int) throws(IngestError) -> Int {
        var total = 0
        while total < count {
            let n = Glibc.read(fd, p + total, count - total)
            if n < 0 {
                if errno == EINTR { continue }
                throw IngestError(path: "", errno: errno)
            }
            if n == 0 { break }
            total += n
        }
        return total
    }
}

/// An error that stops reading one file (the run continues with the others).
public struct IngestError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    init(path: String, errno code: Int32) {
        self.path = path
        self.reason = String(cString: strerror(code))
    }

    public var description: String { "\(path): \(reason)" }
}

/// Outcome of decompressing a whole gzip file in memory.
enum Gunzip {
    case ok(PaddedBuffer)
    /// The data was corrupt or truncated; `prefix` holds what decoded before the damage.
    case damaged(prefix: PaddedBuffer, reason: String, compressedOffset: Int)
    case tooLarge

    static func isGzip(_ b: UnsafeRawBufferPointer) -> Bool { b.count >= 2 && b[0] == 0x1f && b[1] == 0x8b }

    static func decompress(_ input: UnsafeRawBufferPointer, limit: Int) -> Gunzip {
        var out: UnsafeMutablePointer<UInt8>?
        var outLen = 0
        let rc = cg_gunzip_whole(input.baseAddress!.assumingMemoryBound(to: UInt8.self), input.count, limit, JSONParser.padding, &out, &outLen)
        if rc == Int32(CG_OK.rawValue), let out { return .ok(PaddedBuffer(adopting: out, count: outLen)) }
        if rc == Int32(CG_TOO_LARGE.rawValue) { return .tooLarge }
        if rc == Int32(CG_NOMEM.rawValue) { fatalError("out of memory decompressing") }
        return recover(input, limit: limit)
    }

    /// Streams with zlib to keep everything before the damage.
    static func recover(_ input: UnsafeRawBufferPointer, limit: Int) -> Gunzip {
        guard let s = cg_stream_new() else { fatalError("out of memory") }
        defer { cg_stream_free(s) }
        var cap = max(input.count * 4, 1 << 16)
        var buf = PaddedBuffer(capacity: cap)
        var used = 0, pos = 0
        var memberEnded = true
        while pos < input.count {
            if used == cap {
                if cap >= limit { return .tooLarge }
                let bigger = PaddedBuffer(capacity: min(cap * 2, limit))
                memcpy(bigger.base, buf.base, used)
                buf = bigger
                cap = bigger.capacity
            }
            var consumed = 0, produced = 0
            var ended: Int32 = 0
            let rc = cg_stream_inflate(s, input.baseAddress!.assumingMemoryBound(to: UInt8.self) + pos, input.count - pos,
                                       buf.base.assumingMemoryBound(to: UInt8.self) + used, cap - used, &consumed, &produced, &ended)
            pos += consumed
            used += produced
            if rc != Int32(CG_OK.rawValue) {
                buf.setCount(used)
                return .damaged(prefix: buf, reason: "corrupt gzip data (\(String(cString: cg_stream_error(s))))", compressedOffset: pos)
            }
            memberEnded = ended != 0
            if consumed == 0 && produced == 0 && used < cap { break }
        }
        buf.setCount(used)
        if !memberEnded {
            return .damaged(prefix: buf, reason: "truncated gzip file (unexpected end of compressed data)", compressedOffset: pos)
        }
        return .ok(buf)
    }
}

/// gzip compression, for writers of sample and benchmark data.
public enum GzipCodec {
    public static func compress(_ bytes: [UInt8], level: Int = 6) -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>?
        var n = 0
        let rc = bytes.withUnsafeBufferPointer { cg_gzip($0.baseAddress, $0.count, Int32(level), &out, &n) }
        guard rc == Int32(CG_OK.rawValue), let out else { fatalError("out of memory compressing") }
        defer { free(out) }
        return Array(UnsafeBufferPointer(start: out, count: n))
    }
}
