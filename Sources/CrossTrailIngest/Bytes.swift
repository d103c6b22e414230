import CGzip

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A reusable malloc'ed byte buffer whose content is always followed by `JSONParser.padding`
/// zero bytes (simdjson reads past the end). Workers keep theirs across files.
final class PaddedBuffer {
    private(set) var base: UnsafeMutableRawPointer
    /// Bytes allocated, padding included.
    private var allocated: Int
    private(set) var count = 0

    init(capacity: Int = 0) {
        allocated = capacity + JSONParser.padding
        guard let p = malloc(allocated) else { fatalError("out of memory (\(capacity) bytes)") }
        base = p
        memset(p, 0, JSONParser.padding)
    }

    deinit { free(base) }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
    /// Bytes that fit before the padding.
    var capacity: Int { allocated - JSONParser.padding }

    /// Makes room for `n` bytes of content, keeping the current content.
    func reserve(_ n: Int) {
        guard n > capacity else { return }
        guard let p = realloc(base, n + JSONParser.padding) else { fatalError("out of memory (\(n) bytes)") }
        base = p
        allocated = n + JSONParser.padding
    }

    func setCount(_ n: Int) {
        count = n
        memset(base + n, 0, JSONParser.padding)
    }

    /// Returns memory after an unusually large file, so one big file does not pin it for the run.
    func shrink(to n: Int) {
        guard allocated > n * 2 + JSONParser.padding, let p = realloc(base, n + JSONParser.padding) else { return }
        base = p
        allocated = n + JSONParser.padding
        count = min(count, n)
        memset(base + count, 0, JSONParser.padding)
    }

    /// Lets C code reallocate the block (cg_gunzip_whole).
    func withStorage<R>(_ body: (inout UnsafeMutablePointer<UInt8>?, inout Int) -> R) -> R {
        var p: UnsafeMutablePointer<UInt8>? = base.assumingMemoryBound(to: UInt8.self)
        var size = allocated
        let r = body(&p, &size)
        if let p { base = UnsafeMutableRawPointer(p) }
        allocated = size
        return r
    }
}

/// Reads a whole file descriptor's content (or up to `limit` bytes).
struct FileHandleReader {
    let fd: Int32

    /// Opens a regular file, or with `stream` (standard input, `<(…)`) also a pipe, socket or
    /// terminal. Anything else is refused with its kind: checked with `stat` before opening (a
    /// socket cannot be opened, a FIFO's `open` waits for a writer), and opened non-blocking and
    /// checked again, so a FIFO swapped in after the check cannot block the run either.
    init(path: String, stream: Bool = false) throws(IngestError) {
        let before = FileKind.of(path)
        if case .missing = before {
        } else if before != .regular, !(stream && before.isStream) {
            throw IngestError(path: path, reason: before.notReadReason)
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw IngestError(path: path, errno: errno) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let code = errno
            _ = Glibc.close(fd)
            throw IngestError(path: path, errno: code)
        }
        let kind = FileKind(mode: st.st_mode)
        if kind != .regular {
            guard stream, kind.isStream else {
                _ = Glibc.close(fd)
                throw IngestError(path: path, reason: kind.notReadReason)
            }
            // A stream the user asked for: reads wait for data as usual.
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        }
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

/// Outcome of decompressing a whole gzip file into a PaddedBuffer.
enum GunzipStatus {
    case ok
    /// The data was corrupt or truncated; the buffer holds what decoded before the damage.
    case damaged(reason: String, compressedOffset: Int)
    case tooLarge
}

extension PaddedBuffer {
    static func isGzip(_ b: UnsafeRawBufferPointer) -> Bool { b.count >= 2 && b[0] == 0x1f && b[1] == 0x8b }

    /// Replaces the content with the decompressed `input` (libdeflate; zlib to salvage damaged data).
    func gunzip(_ input: UnsafeRawBufferPointer, limit: Int) -> GunzipStatus {
        var outLen = 0
        let rc = withStorage { p, size in
            cg_gunzip_whole(
                input.baseAddress!.assumingMemoryBound(to: UInt8.self), input.count, limit, JSONParser.padding, &p,
                &size, &outLen)
        }
        if rc == Int32(CG_OK.rawValue) { setCount(outLen); return .ok }
        if rc == Int32(CG_TOO_LARGE.rawValue) { setCount(0); return .tooLarge }
        if rc == Int32(CG_NOMEM.rawValue) { fatalError("out of memory decompressing") }
        return salvage(input, limit: limit)
    }

    /// Streams with zlib to keep everything before the damage.
    private func salvage(_ input: UnsafeRawBufferPointer, limit: Int) -> GunzipStatus {
        guard let s = cg_stream_new() else { fatalError("out of memory") }
        defer { cg_stream_free(s) }
        reserve(max(input.count * 4, 1 << 16))
        var used = 0, pos = 0
        var memberEnded = true
        while pos < input.count {
            if used == capacity {
                if capacity >= limit { setCount(0); return .tooLarge }
                reserve(min(capacity * 2, limit))
            }
            var consumed = 0, produced = 0
            var ended: Int32 = 0
            let rc = cg_stream_inflate(
                s, input.baseAddress!.assumingMemoryBound(to: UInt8.self) + pos, input.count - pos,
                base.assumingMemoryBound(to: UInt8.self) + used, capacity - used, &consumed, &produced, &ended)
            pos += consumed
            used += produced
            if rc != Int32(CG_OK.rawValue) {
                setCount(used)
                return .damaged(
                    reason: "corrupt gzip data (\(String(cString: cg_stream_error(s))))", compressedOffset: pos)
            }
            memberEnded = ended != 0
            if consumed == 0 && produced == 0 && used < capacity { break }
        }
        setCount(used)
        if !memberEnded {
            return .damaged(reason: "truncated gzip file (unexpected end of compressed data)", compressedOffset: pos)
        }
        return .ok
    }
}

/// Decompressed (or plain) bytes of a file, chunk by chunk, for files too large to hold whole.
final class ChunkSource {
    private let file: FileHandleReader
    private let path: String
    private var stream: OpaquePointer?
    private var input: UnsafeMutableRawBufferPointer
    private var inStart = 0, inEnd = 0, inEOF = false
    private var compressedOffset = 0
    private var memberEnded = false

    init(path: String) throws(IngestError) {
        self.path = path
        file = try FileHandleReader(path: path)
        input = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 8)
        var magic: [UInt8] = [0, 0]
        let n = try file.read(into: &magic, count: 2)
        if n == 2, magic[0] == 0x1f, magic[1] == 0x8b {
            guard let s = cg_stream_new() else { fatalError("out of memory") }
            stream = s
        }
        input.baseAddress!.copyMemory(from: magic, byteCount: n)
        inEnd = n
    }

    deinit {
        input.deallocate()
        if let stream { cg_stream_free(stream) }
    }

    func close() { file.close() }

    /// Fills up to `count` bytes; returns 0 at the end. Throws on corrupt compressed data.
    func read(into p: UnsafeMutableRawPointer, count: Int) throws(IngestError) -> Int {
        guard let stream else {
            // Plain: whatever is buffered first, then straight from the file.
            if inStart < inEnd {
                let n = min(count, inEnd - inStart)
                p.copyMemory(from: input.baseAddress! + inStart, byteCount: n)
                inStart += n
                return n + (try file.read(into: p + n, count: count - n))
            }
            return try file.read(into: p, count: count)
        }
        var produced = 0
        while produced < count {
            if inStart == inEnd && !inEOF {
                inStart = 0
                inEnd = try file.read(into: input.baseAddress!, count: input.count)
                inEOF = inEnd < input.count
            }
            if inStart == inEnd && inEOF {
                if produced == 0 && !memberEnded {
                    throw IngestError(path: path, reason: "truncated gzip file (unexpected end of compressed data)")
                }
                break
            }
            var used = 0, made = 0
            var ended: Int32 = 0
            let rc = cg_stream_inflate(
                stream, input.baseAddress!.assumingMemoryBound(to: UInt8.self) + inStart, inEnd - inStart,
                (p + produced).assumingMemoryBound(to: UInt8.self), count - produced, &used, &made, &ended)
            inStart += used
            compressedOffset += used
            produced += made
            if ended != 0 { memberEnded = true } else if used > 0 || made > 0 { memberEnded = false }
            if rc != Int32(CG_OK.rawValue) {
                throw IngestError(
                    path: path,
                    reason:
                        "corrupt gzip data (\(String(cString: cg_stream_error(stream)))) at compressed byte \(compressedOffset)"
                )
            }
            if used == 0 && made == 0 { break }
        }
        return produced
    }
}

/// gzip compression, for writers of sample and benchmark data and for stored event text.
public enum GzipCodec {
    /// Per-thread decompressors alive now (they are freed when their thread ends).
    public static var liveDecompressors: Int { cg_live_decompressors() }

    /// Decompresses a whole gzip buffer (at most `limit` bytes out); nil when it is not valid gzip.
    public static func decompress(_ bytes: [UInt8], limit: Int = 64 << 20) -> [UInt8]? {
        let buf = PaddedBuffer(capacity: max(bytes.count * 4, 256))
        let status = bytes.withUnsafeBytes { buf.gunzip($0, limit: limit) }
        guard case .ok = status else { return nil }
        return Array(buf.bytes)
    }

    public static func compress(_ bytes: [UInt8], level: Int = 6) -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>?
        var n = 0
        let rc = bytes.withUnsafeBufferPointer { cg_gzip($0.baseAddress, $0.count, Int32(level), &out, &n) }
        guard rc == Int32(CG_OK.rawValue), let out else { fatalError("out of memory compressing") }
        defer { free(out) }
        return Array(UnsafeBufferPointer(start: out, count: n))
    }
}
