import CrossTrailBase
import CrossTrailModel
import Crypto

#if canImport(Glibc)
    import Glibc
#endif

/// Receives the events a worker reads. One sink per worker thread; never shared.
public protocol EventSink: AnyObject {
    func accept(_ event: AuditEvent)
    /// Called once on the worker's thread after its last file, so a sink can finish its own work
    /// (sorting, spilling) in parallel with the other workers.
    func workerFinished()
    /// Called on the worker's thread after each file, with its size and SHA-256 when it could be
    /// read (nil when it could not be opened). Events of one file arrive before this call.
    func fileFinished(_ file: Ingestor.InputFile, input: IngestStats.Input?)
}

extension EventSink {
    public func workerFinished() {}
    public func fileFinished(_ file: Ingestor.InputFile, input: IngestStats.Input?) {}
}

/// Limits that keep memory bounded on hostile or huge input.
public struct IngestLimits: Sendable {
    /// Largest decompressed file read as one document (bytes).
    public var maxFileBytes: Int = 512 << 20
    /// Largest single record (bytes).
    public var maxRecordBytes: Int = 128 << 20
    /// Deepest JSON nesting accepted.
    public var maxDepth: Int = 1024

    public init() {}
}

/// Reads one file: decompresses, detects its layout, splits it into records, normalizes them.
final class FileReader {
    private let parser: JSONParser
    private let normalizer: Normalizer
    private let limits: IngestLimits
    private let csv = CSVRecords()

    init(filter: EventFilter, limits: IngestLimits, detail: EventDetail = .all) {
        self.limits = limits
        self.parser = JSONParser(maxDepth: limits.maxDepth)
        self.normalizer = Normalizer(filter: filter, detail: detail)
    }

    /// Reused across files: the bytes as stored and, for gzip, the decompressed bytes.
    private let stored = PaddedBuffer()
    private let inflated = PaddedBuffer()

    /// `stream`: the input is standard input or an anonymous pipe, read whole; otherwise only a
    /// regular file is read (anything else is a diagnostic naming its kind).
    func read(path: String, display: String, stream: Bool = false, sink: any EventSink, stats: inout IngestStats) {
        stats.files += 1
        defer {
            stored.shrink(to: 64 << 20)
            inflated.shrink(to: 64 << 20)
        }
        let rereadable: Bool
        do {
            switch try load(path, into: stored, stream: stream) {
            case .whole(let canReread):
                rereadable = canReread
            case .tooLarge:
                streamLines(path: path, display: display, digest: nil, sink: sink, stats: &stats)
                return
            }
        } catch {
            stats.filesFailed += 1
            stats.add(Diagnostic(.error, file: display, reason: "cannot read file: \(error.reason)"))
            return
        }
        let sha = Hex.encode(SHA256.hash(data: stored.bytes))

        var content = stored
        if PaddedBuffer.isGzip(stored.bytes) {
            switch inflated.gunzip(stored.bytes, limit: limits.maxFileBytes) {
            case .ok:
                break
            case .damaged(let reason, let at):
                stats.add(
                    Diagnostic(
                        .error, file: display,
                        reason:
                            "\(reason) at compressed byte \(at); reading the \(inflated.count) bytes decoded before it")
                )
            case .tooLarge:
                if rereadable {
                    streamLines(
                        path: path, display: display, digest: (sha, Int64(stored.count)), sink: sink, stats: &stats)
                } else {
                    account(display, sha, Int64(stored.count), &stats)
                    stats.filesFailed += 1
                    stats.add(
                        Diagnostic(
                            .error, file: display,
                            reason:
                                "input stream decompresses to more than --max-file-mib (\(limits.maxFileBytes >> 20) MiB); save it to a file, which is streamed"
                        ))
                }
                return
            }
            content = inflated
        }
        account(display, sha, Int64(stored.count), &stats)
        stats.bytesDecompressed += Int64(content.count)
        let ctx = Context(display: display, sha: sha, sink: sink)
        parse(content, ctx, &stats)
    }

    /// Counts a file's bytes and lists it with its SHA-256 in the run's inputs.
    private func account(_ display: String, _ sha: String, _ size: Int64, _ stats: inout IngestStats) {
        stats.bytesRead += size
        stats.inputs.append(IngestStats.Input(file: display, bytes: size, sha256: sha))
    }

    // MARK: - Files too large to hold whole

    /// Reads a file larger than --max-file-mib (after decompression) in chunks, one JSON line at a
    /// time, in bounded memory. Other layouts that large get a diagnostic.
    /// `digest` is the file's SHA-256 and size when already known (the file was read whole).
    private func streamLines(
        path: String, display: String, digest: (String, Int64)?, sink: any EventSink, stats: inout IngestStats
    ) {
        // Pass 1 (unless known): the file's SHA-256, which provenance needs before the first event.
        let sha: String, size: Int64
        do {
            if let digest { (sha, size) = digest } else { (sha, size) = try FileReader.hashFile(path, scratch: stored) }
        } catch {
            stats.filesFailed += 1
            stats.add(Diagnostic(.error, file: display, reason: "cannot read file: \(error.reason)"))
            return
        }
        account(display, sha, size, &stats)
        let ctx = Context(display: display, sha: sha, sink: sink)
        // Pass 2: decompressed chunks, split at newlines.
        let source: ChunkSource
        do { source = try ChunkSource(path: path) } catch {
            stats.filesFailed += 1
            stats.add(Diagnostic(.error, file: display, reason: "cannot read file: \(error.reason)"))
            return
        }
        defer { source.close() }
        let chunk = 8 << 20
        let buf = inflated
        buf.reserve(chunk * 2)
        var filled = 0, base = 0, line = 1
        var skipping = false, checkedLayout = false, eof = false
        while !eof {
            if buf.capacity - filled < chunk { buf.reserve(filled + chunk) }
            let n: Int
            do { n = try source.read(into: buf.base + filled, count: buf.capacity - filled) } catch {
                stats.add(
                    Diagnostic(
                        .error, file: display, offset: base + filled,
                        reason: "\(error.reason); the records before it were read"))
                n = 0
            }
            eof = n == 0
            filled += n
            buf.setCount(filled)
            let bytes = buf.bytes
            if !checkedLayout {
                var i = 0
                if filled >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { i = 3 }
                while i < filled, FileReader.isSpace(bytes[i]) { i += 1 }
                let looksLikeLines =
                    i < filled && bytes[i] == UInt8(ascii: "{") && !FileReader.looksLikeContainer(bytes, from: i)
                    && (FileReader.firstLineIsObject(bytes, from: i) || memchr(buf.base + i, 10, filled - i) == nil)
                guard looksLikeLines else {
                    stats.filesFailed += 1
                    stats.add(
                        Diagnostic(
                            .error, file: display,
                            reason:
                                "larger than --max-file-mib (\(limits.maxFileBytes >> 20) MiB) after decompression and not JSON lines, so it cannot be streamed; raise --max-file-mib or split the file"
                        ))
                    return
                }
                checkedLayout = true
            }
            var pos = 0
            while pos < filled, let nl = memchr(buf.base + pos, 10, filled - pos) {
                let end = buf.base.distance(to: nl)
                if skipping {
                    skipping = false
                } else {
                    streamedLine(bytes, pos, end, base: base, line: line, ctx, &stats)
                }
                line += 1
                pos = end + 1
            }
            if eof {
                if pos < filled, !skipping { streamedLine(bytes, pos, filled, base: base, line: line, ctx, &stats) }
                break
            }
            let rest = filled - pos
            if rest > limits.maxRecordBytes && !skipping {
                stats.recordsRead += 1
                stats.rejected += 1
                stats.add(
                    Diagnostic(
                        .error, file: display, line: line, offset: base + pos,
                        reason: "record exceeds the \(limits.maxRecordBytes)-byte limit (--max-record-mib)"))
                skipping = true
            }
            if skipping {
                base += filled
                filled = 0
            } else {
                memmove(buf.base, buf.base + pos, rest)
                base += pos
                filled = rest
            }
        }
        stats.bytesDecompressed += Int64(base + filled)
    }

    private func streamedLine(
        _ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int, base: Int, line: Int, _ ctx: Context,
        _ stats: inout IngestStats
    ) {
        var s = start, e = end
        while s < e, FileReader.isSpace(bytes[s]) { s += 1 }
        while e > s, FileReader.isSpace(bytes[e - 1]) { e -= 1 }
        guard s < e else { return }
        record(
            in: UnsafeRawBufferPointer(rebasing: bytes[s..<e]), padded: true, line: line, offset: base + s,
            container: nil, ctx, &stats)
    }

    /// SHA-256 and size of a file, read in chunks through `scratch`.
    static func hashFile(_ path: String, scratch: PaddedBuffer) throws(IngestError) -> (String, Int64) {
        let fh = try FileHandleReader(path: path)
        defer { fh.close() }
        scratch.reserve(4 << 20)
        var hasher = SHA256()
        var total: Int64 = 0
        while true {
            let n = try fh.read(into: scratch.base, count: scratch.capacity)
            if n == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(start: scratch.base, count: n))
            total += Int64(n)
            if n < scratch.capacity { break }
        }
        return (Hex.encode(hasher.finalize()), total)
    }

    private struct Context {
        let display: String
        let sha: String
        let sink: any EventSink
    }

    enum Loaded {
        /// The whole content is in the buffer; `canReread` is false for pipes.
        case whole(canReread: Bool)
        /// A regular file larger than --max-file-mib; nothing was read.
        case tooLarge
    }

    /// Reads the whole file into `buf`, unless it is a regular file larger than --max-file-mib.
    private func load(_ path: String, into buf: PaddedBuffer, stream: Bool) throws(IngestError) -> Loaded {
        let fh = try FileHandleReader(path: path, stream: stream)
        defer { fh.close() }
        var st = stat()
        guard fstat(fh.fd, &st) == 0 else { throw IngestError(path: path, errno: errno) }
        let type = st.st_mode & S_IFMT
        if type == S_IFIFO || type == S_IFCHR || type == S_IFSOCK {
            // A stream the user named (`-` for standard input, `<(…)`): read it whole; it cannot be
            // read twice. FileHandleReader refused every other kind of file that is not regular.
            var n = 0
            buf.reserve(1 << 20)
            while n <= limits.maxFileBytes {
                if n == buf.capacity { buf.reserve(min(buf.capacity * 2, limits.maxFileBytes + 1)) }
                let r = try fh.read(into: buf.base + n, count: min(buf.capacity, limits.maxFileBytes + 1) - n)
                if r == 0 { break }
                n += r
            }
            guard n <= limits.maxFileBytes else {
                throw IngestError(
                    path: path,
                    reason:
                        "input stream larger than --max-file-mib (\(limits.maxFileBytes >> 20) MiB); save it to a file, which is streamed"
                )
            }
            buf.setCount(n)
            return .whole(canReread: false)
        }
        guard type == S_IFREG else { throw IngestError(path: path, reason: "not a regular file") }
        guard Int(st.st_size) <= limits.maxFileBytes else { return .tooLarge }
        // One byte more than the size tells a file that grew while read apart.
        let cap = Int(st.st_size) + 1
        buf.reserve(cap)
        let n = try fh.read(into: buf.base, count: min(cap, limits.maxFileBytes + 1))
        guard n <= limits.maxFileBytes else { return .tooLarge }
        buf.setCount(n)
        return .whole(canReread: true)
    }

    // MARK: - Layout detection

    private func parse(_ buf: PaddedBuffer, _ ctx: Context, _ stats: inout IngestStats) {
        let bytes = buf.bytes
        var start = 0
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { start = 3 }
        if bytes.count >= 2, (bytes[0] == 0xFF && bytes[1] == 0xFE) || (bytes[0] == 0xFE && bytes[1] == 0xFF) {
            stats.filesUnrecognized += 1
            stats.add(
                Diagnostic(.error, file: ctx.display, offset: 0, reason: "UTF-16 encoded file; convert it to UTF-8"))
            return
        }
        while start < bytes.count, FileReader.isSpace(bytes[start]) { start += 1 }
        if start == bytes.count {
            stats.add(Diagnostic(.warning, file: ctx.display, reason: "empty file"))
            return
        }
        let first = bytes[start]
        if first == UInt8(ascii: "[") {
            // A top-level array goes through the same span reader (it reports the array's records).
            objectDocument(buf, from: start, ctx, &stats)
        } else if first == UInt8(ascii: "{") {
            if !FileReader.looksLikeContainer(bytes, from: start) && FileReader.firstLineIsObject(bytes, from: start) {
                lineRecords(buf, from: start, ctx, &stats)
            } else {
                objectDocument(buf, from: start, ctx, &stats)
            }
        } else if csv.looksLikeAuditCSV(bytes, from: start) {
            csv.read(bytes, from: start) { row in
                switch row {
                case .record(let text, let line, let offset):
                    text.withUnsafeBytes {
                        record(
                            in: $0, padded: false, line: line, offset: offset, container: .databricksSystemTable, ctx,
                            &stats)
                    }
                case .bad(let line, let offset, let reason):
                    stats.recordsRead += 1
                    stats.rejected += 1
                    stats.add(Diagnostic(.error, file: ctx.display, line: line, offset: offset, reason: reason))
                }
            }
        } else {
            stats.filesUnrecognized += 1
            stats.add(
                Diagnostic(
                    .error, file: ctx.display, offset: start,
                    reason: "not a recognized log format (expected JSON, JSON lines or an audit CSV export)"))
        }
    }

    /// The record arrays of a top-level object, with the format their records are read as.
    private static let containers: [(key: StaticString, format: SourceFormat?)] = [
        ("Records", .cloudtrailDelivery), ("records", nil), ("Events", .cloudtrailLookup),
    ]

    /// `{"Records":[...]}`, `{"records":[...]}` (Azure), `{"Events":[...]}` (lookup-events), a digest,
    /// one record, or a top-level JSON array of records.
    /// Every record array is read, a repeated key's included (`{"Records":[…],"Records":[…]}`):
    /// parsers disagree on which of two values counts, so no record is dropped for it, and each
    /// repeated top-level key is a diagnostic with its offset.
    private func objectDocument(_ buf: PaddedBuffer, from start: Int, _ ctx: Context, _ stats: inout IngestStats) {
        switch parser.recordSpans(buf.bytes, keys: Self.containers.map(\.key)) {
        case .noSuchKey:
            // A single object: a digest file, one pretty-printed record, or concatenated objects.
            lineRecordsOrConcatenated(buf, from: start, ctx, &stats)
        case .spans(let spans, let repeats, let error):
            reportRepeats(repeats, spans: spans, buf, ctx, &stats)
            emit(spans: spans, error: error, buf, ctx, &stats)
        }
    }

    /// One diagnostic per repeated top-level key, and one when records come from differently
    /// named arrays (`Records` and `records`): both are read, and the reader is told.
    private func reportRepeats(
        _ repeats: [JSONParser.Span], spans: [JSONParser.Span], _ buf: PaddedBuffer, _ ctx: Context,
        _ stats: inout IngestStats
    ) {
        let bytes = buf.bytes
        for r in repeats {
            let raw = UnsafeRawBufferPointer(rebasing: bytes[r.offset..<min(bytes.count, r.offset + r.length)])
            let key = Normalizer.quoted(raw)
            if r.key <= -2 {
                stats.add(
                    Diagnostic(
                        .error, file: ctx.display, offset: r.offset,
                        reason: "the value of \(key) is not an array of records: not read"))
                continue
            }
            let name = key.count >= 2 ? String(key.dropFirst().dropLast(key.hasSuffix("\"") ? 1 : 0)) : key
            let isContainer = Self.containers.contains { c in
                c.key.withUTF8Buffer { String(decoding: $0, as: UTF8.self) } == name
            }
            let counted = spans.filter {
                $0.key >= 0
                    && Self.containers[$0.key].key.withUTF8Buffer { String(decoding: $0, as: UTF8.self) } == name
            }.count
            stats.add(
                Diagnostic(
                    .warning, file: ctx.display, offset: r.offset,
                    reason: isContainer
                        ? "duplicate key \(key) in the top-level object: every \(key) array is read (\(counted) records in all)"
                        : "duplicate key \(key) in the top-level object (not a record array; ignored)"))
        }
        let arrays = Set(spans.map(\.key)).filter { $0 >= 0 }.sorted()
        if arrays.count > 1 {
            let names = arrays.map {
                "\"" + Self.containers[$0].key.withUTF8Buffer { String(decoding: $0, as: UTF8.self) } + "\""
            }
            stats.add(
                Diagnostic(
                    .warning, file: ctx.display, offset: spans.first?.offset,
                    reason:
                        "the document has record arrays under \(names.joined(separator: " and ")); the records of each are read"
                ))
        }
    }

    private func emit(
        spans: [JSONParser.Span], error: JSONParser.ParseError?, _ buf: PaddedBuffer, _ ctx: Context,
        _ stats: inout IngestStats
    ) {
        let bytes = buf.bytes
        for s in spans {
            let container = s.key >= 0 ? Self.containers[s.key].format : nil
            record(
                in: UnsafeRawBufferPointer(rebasing: bytes[s.offset..<(s.offset + s.length)]), padded: true, line: nil,
                offset: s.offset, container: container, ctx, &stats)
        }
        // Recovery reads on in the array the last good record was in (or the one the document opens with).
        let container =
            spans.last.map { $0.key >= 0 ? Self.containers[$0.key].format : nil } ?? Self.leadingContainer(bytes)
        guard let error else { return }
        // Recovery: rescan from the end of the last good record, record by record.
        let before = stats.diagnosticsTotal
        let resume = spans.last.map { $0.offset + $0.length } ?? FileReader.firstElementStart(bytes)
        let keys = Self.containers.map { c in c.key.withUTF8Buffer { Array($0) } }
        scan(
            RecordScanner(bytes: bytes, from: resume, keys: keys), bytes, lines: false, container: container, ctx,
            &stats)
        if stats.diagnosticsTotal == before {
            stats.add(
                Diagnostic(
                    .warning, file: ctx.display, offset: error.offset,
                    reason: "document is not valid JSON (\(error)); its records were read one by one"))
        }
    }

    private func scan(
        _ scanner: RecordScanner, _ bytes: UnsafeRawBufferPointer, lines: Bool, container: SourceFormat?,
        _ ctx: Context, _ stats: inout IngestStats
    ) {
        var container = container
        scanner.elements { item in
            switch item {
            case .element(let off, let len, let line):
                record(
                    in: UnsafeRawBufferPointer(rebasing: bytes[off..<(off + len)]), padded: true,
                    line: lines ? line : nil, offset: off, container: container, ctx, &stats)
            case .nextArray(let off, let line, let key):
                container = Self.containers[key].format
                let name = Self.containers[key].key.withUTF8Buffer { String(decoding: $0, as: UTF8.self) }
                stats.add(
                    Diagnostic(
                        .warning, file: ctx.display, line: lines ? line : nil, offset: off,
                        reason: "another record array \"\(name)\" follows the damaged one: its records are read"))
            case .garbage(let off, let line, let reason):
                stats.add(Diagnostic(.error, file: ctx.display, line: lines ? line : nil, offset: off, reason: reason))
            case .truncated(let off, let line):
                stats.recordsRead += 1
                stats.rejected += 1
                stats.add(
                    Diagnostic(
                        .error, file: ctx.display, line: lines ? line : nil, offset: off,
                        reason: "truncated record (the file ends inside it)"))
            }
        }
    }

    /// JSON lines: one record per line (memchr split). Pretty-printed input falls back to the scanner.
    private func lineRecords(_ buf: PaddedBuffer, from start: Int, _ ctx: Context, _ stats: inout IngestStats) {
        let bytes = buf.bytes
        let base = bytes.baseAddress!
        var pos = start
        var line = 1
        for i in 0..<start where bytes[i] == 10 { line += 1 }
        while pos < bytes.count {
            let rest = bytes.count - pos
            let nl = memchr(base + pos, 10, rest)
            let end = nl.map { base.distance(to: UnsafeRawPointer($0)) } ?? bytes.count
            var s = pos, e = end
            while s < e, FileReader.isSpace(bytes[s]) { s += 1 }
            while e > s, FileReader.isSpace(bytes[e - 1]) { e -= 1 }
            if s < e {
                record(
                    in: UnsafeRawBufferPointer(rebasing: bytes[s..<e]), padded: true, line: line, offset: s,
                    container: nil, ctx, &stats)
            }
            pos = end + 1
            line += 1
        }
    }

    private func lineRecordsOrConcatenated(
        _ buf: PaddedBuffer, from start: Int, _ ctx: Context, _ stats: inout IngestStats
    ) {
        let bytes = buf.bytes
        let line = 1 + (0..<start).reduce(0) { $0 + (bytes[$1] == 10 ? 1 : 0) }
        scan(
            RecordScanner(bytes: bytes, from: start, topLevel: true, startLine: line), bytes, lines: true,
            container: nil, ctx, &stats)
    }

    // MARK: - One record

    private func record(
        in bytes: UnsafeRawBufferPointer, padded: Bool, line: Int?, offset: Int, container: SourceFormat?,
        _ ctx: Context, _ stats: inout IngestStats
    ) {
        if bytes.count > limits.maxRecordBytes {
            stats.recordsRead += 1
            stats.rejected += 1
            stats.add(
                Diagnostic(
                    .error, file: ctx.display, line: line, offset: offset,
                    reason:
                        "record of \(bytes.count) bytes exceeds the \(limits.maxRecordBytes)-byte limit (--max-record-mib)"
                ))
            return
        }
        switch parser.parse(bytes, padded: padded) {
        case .failure(let e):
            stats.recordsRead += 1
            stats.rejected += 1
            stats.add(
                Diagnostic(.error, file: ctx.display, line: line, offset: offset, reason: "invalid JSON record: \(e)"))
        case .success(let v):
            let prov = Provenance(file: ctx.display, line: line, offset: offset, sha256: ctx.sha)
            let result = normalizer.normalize(v, provenance: prov, container: container)
            // Duplicate keys inside a record that is kept or rejected (one a filter leaves out is
            // not used): the record is read with each key's first value, and the reader is told.
            switch result {
            case .event, .rejected:
                normalizer.checkDuplicateKeys(record: v)
                for note in normalizer.notes {
                    stats.add(Diagnostic(.warning, file: ctx.display, line: line, offset: offset, reason: note))
                }
            case .filtered, .digest:
                break
            }
            switch result {
            case .event(var e):
                e.contentHash = v.contentHash
                stats.recordsRead += 1
                stats.accepted += 1
                stats.byFormat[e.format.rawValue, default: 0] += 1
                ctx.sink.accept(e)
            case .filtered:
                stats.recordsRead += 1
                stats.filtered += 1
            case .rejected(let reason):
                stats.recordsRead += 1
                stats.rejected += 1
                stats.add(Diagnostic(.error, file: ctx.display, line: line, offset: offset, reason: reason))
            case .digest:
                stats.digestFiles += 1
            }
        }
    }

    // MARK: - Byte helpers

    @inline(__always) static func isSpace(_ c: UInt8) -> Bool { c == 32 || c == 10 || c == 13 || c == 9 }

    /// True when the first line is a complete JSON object (JSON lines), judged by bracket balance.
    static func firstLineIsObject(_ b: UnsafeRawBufferPointer, from start: Int) -> Bool {
        var depth = 0, inString = false, escape = false
        var i = start
        while i < b.count {
            let c = b[i]
            if inString {
                if escape { escape = false } else if c == 92 { escape = true } else if c == 34 { inString = false }
            } else if c == 34 {
                inString = true
            } else if c == 123 || c == 91 {
                depth += 1
            } else if c == 125 || c == 93 {
                depth -= 1
                if depth == 0 {
                    // The rest of this line must be blank.
                    var j = i + 1
                    while j < b.count, b[j] != 10 { if !isSpace(b[j]) { return false }; j += 1 }
                    return true
                }
            } else if c == 10 {
                return false
            }
            i += 1
        }
        return false
    }

    /// True when the object starts with a records container key.
    static func looksLikeContainer(_ b: UnsafeRawBufferPointer, from start: Int) -> Bool {
        var i = start + 1
        while i < b.count, isSpace(b[i]) { i += 1 }
        for key in ["\"Records\"", "\"records\"", "\"Events\""] {
            let k = Array(key.utf8)
            if i + k.count <= b.count, (0..<k.count).allSatisfy({ b[i + $0] == k[$0] }) { return true }
        }
        return false
    }

    /// The format of the records array a document opens with (`{"Records": [`), for recovery
    /// when no record parsed.
    static func leadingContainer(_ b: UnsafeRawBufferPointer) -> SourceFormat? {
        var i = 0
        while i < b.count, isSpace(b[i]) || b[i] == 0xEF || b[i] == 0xBB || b[i] == 0xBF { i += 1 }
        guard i < b.count, b[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        while i < b.count, isSpace(b[i]) { i += 1 }
        for (key, format) in containers {
            let k = key.withUTF8Buffer { Array($0) }
            if i + k.count + 2 <= b.count, b[i] == 34, b[i + k.count + 1] == 34,
                (0..<k.count).allSatisfy({ b[i + 1 + $0] == k[$0] })
            {
                return format
            }
        }
        return nil
    }

    /// Where the first array element would start, for recovery when nothing parsed.
    static func firstElementStart(_ b: UnsafeRawBufferPointer) -> Int {
        var i = 0
        while i < b.count, b[i] != UInt8(ascii: "[") { i += 1 }
        return min(i + 1, b.count)
    }
}
