import CrossTrailIngest
import CrossTrailModel
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Settings for building a timeline.
public struct TimelineOptions: Sendable {
    public var format: TimelineFormat = .jsonl
    /// Keys written by the JSONL format.
    public var fields: JSONLFields = .all
    public var filter = EventFilter()
    public var limits = IngestLimits()
    /// Bytes of rendered records held in memory before sorted runs are spilled to disk (all workers together).
    public var memoryBudget = 96 << 20
    /// Where spill files go (a private subdirectory is created and removed).
    public var temporaryDirectory: String = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
    public var workers = ProcessInfo.processInfo.activeProcessorCount
    /// Records with the same id seen within this window (event time) are marked `idShared`.
    public var sharedIDWindowMillis: Int64 = 3_600_000
    /// When set, events get the person behind their actor (JSONL `person`, table actor column).
    public var attribution: AttributionMap?

    public init() {}
}

/// Builds an ordered, deduplicated timeline: parallel ingest and rendering into sorted runs
/// (spilled past the memory budget), then a k-way merge that drops exact duplicates.
public enum Timeline {
    /// Reads `files`, writes the timeline to `output` and returns the run's statistics.
    public static func build(files: [Ingestor.InputFile], options: TimelineOptions, output: OutputSink,
                             progress: IngestProgress? = nil) throws -> IngestStats {
        let spillDir = try SpillDirectory(parent: options.temporaryDirectory)
        defer { spillDir.remove() }
        let workers = max(1, options.workers)
        let collectors = CollectorBox(count: workers)
        let renderer = options.format.renderer(fields: options.fields)
        let budget = max(1 << 20, options.memoryBudget / workers)
        let filter = options.filter
        var ingestor = Ingestor(filter: filter, limits: options.limits, workers: workers)
        // Decode only what the output shows (filters add what they need in the reader).
        ingestor.detail = options.format == .jsonl ? options.fields.detail : EventDetail.all.subtracting(.requestParameters)
        var stats = ingestor.run(files: files, progress: progress) { w in
            let c = RunCollector(worker: w, renderer: renderer, filter: filter, budget: budget, spillDir: spillDir, attribution: options.attribution)
            collectors.set(w, c)
            return c
        }
        var runs: [RunCursor] = []
        for c in collectors.all {
            stats.filtered += c.filteredLate
            stats.accepted -= c.filteredLate
            runs.append(contentsOf: try c.runs())
        }
        var merger = Merger(renderer: renderer, window: options.sharedIDWindowMillis)
        try output.write(renderer.header())
        defer { output.close() }
        try merger.merge(runs, into: output, stats: &stats)
        try output.flush()
        return stats
    }
}

/// Where timeline bytes go: a file descriptor with a large buffer. Full buffers are written by a
/// background thread, so the kernel's copy overlaps the merge (two cores, two jobs).
public final class OutputSink: @unchecked Sendable {
    private let fd: Int32
    private let ownsFD: Bool
    private var buffer: [UInt8] = []
    private let chunk = 4 << 20
    // Hand-off to the writer thread: at most one buffer in flight.
    private let lock = NSCondition()
    private var pending: [UInt8]?
    private var writerError: IngestError?
    private var closed = false
    private var writerStarted = false
    private var writerDone = false

    public init(fd: Int32) {
        self.fd = fd
        ownsFD = false
        buffer.reserveCapacity(chunk + (1 << 20))
    }

    /// Creates (truncates) a file.
    public init(path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw IngestError(path: path, reason: String(cString: strerror(errno))) }
        self.fd = fd
        ownsFD = true
        buffer.reserveCapacity(chunk + (1 << 20))
    }

    deinit {
        try? flush()
        if ownsFD { Glibc.close(fd) }
    }

    func append(_ body: UnsafeRawBufferPointer) { buffer.append(contentsOf: body) }
    func append(contentsOf bytes: [UInt8]) { buffer.append(contentsOf: bytes) }
    var needsFlush: Bool { buffer.count >= chunk }

    public func write(_ bytes: [UInt8]) throws {
        buffer.append(contentsOf: bytes)
        if needsFlush { try handOff() }
    }

    /// Passes the full buffer to the writer thread (waiting while the previous one is written).
    func handOff() throws {
        startWriter()
        lock.lock()
        while pending != nil && writerError == nil { lock.wait() }
        if let e = writerError { lock.unlock(); throw e }
        var next: [UInt8] = []
        next.reserveCapacity(chunk + (1 << 20))
        swap(&next, &buffer)
        pending = next
        lock.broadcast()
        lock.unlock()
    }

    /// Writes everything buffered and waits until it is written.
    public func flush() throws {
        if writerStarted {
            lock.lock()
            while pending != nil && writerError == nil { lock.wait() }
            let e = writerError
            lock.unlock()
            if let e { throw e }
        }
        try OutputSink.writeAll(fd, buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    private func startWriter() {
        guard !writerStarted else { return }
        writerStarted = true
        let t = Thread { [self] in
            while true {
                lock.lock()
                while pending == nil && !closed { lock.wait() }
                guard let data = pending else { lock.unlock(); return }
                lock.unlock()
                var failure: IngestError?
                do { try OutputSink.writeAll(fd, data) } catch { failure = error as? IngestError }
                lock.lock()
                pending = nil
                writerError = writerError ?? failure
                lock.broadcast()
                lock.unlock()
            }
        }
        t.name = "crosstrail-writer"
        t.start()
    }

    /// Stops the writer thread (after flush).
    func close() {
        lock.lock()
        closed = true
        lock.broadcast()
        lock.unlock()
    }

    static func writeAll(_ fd: Int32, _ data: [UInt8]) throws(IngestError) {
        var off = 0
        while off < data.count {
            let n = data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + off, $0.count - off) }
            if n < 0 {
                if errno == EINTR { continue }
                throw IngestError(path: "output", reason: String(cString: strerror(errno)))
            }
            off += n
        }
    }
}

/// Record layout in runs: [u32 length of the rest][i64 time][u64 content hash][u8 plane][u16 id length][id][body].
enum RecordLayout {
    static let header = 4 + 8 + 8 + 1 + 2

    @inline(__always) static func time(_ p: UnsafeRawPointer) -> Int64 { p.loadUnaligned(fromByteOffset: 4, as: Int64.self) }
    @inline(__always) static func hash(_ p: UnsafeRawPointer) -> UInt64 { p.loadUnaligned(fromByteOffset: 12, as: UInt64.self) }
    @inline(__always) static func plane(_ p: UnsafeRawPointer) -> UInt8 { p.load(fromByteOffset: 20, as: UInt8.self) }
    @inline(__always) static func idLength(_ p: UnsafeRawPointer) -> Int { Int(p.loadUnaligned(fromByteOffset: 21, as: UInt16.self)) }
    @inline(__always) static func totalLength(_ p: UnsafeRawPointer) -> Int { Int(p.loadUnaligned(as: UInt32.self)) + 4 }
    @inline(__always) static func id(_ p: UnsafeRawPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: p + header, count: idLength(p))
    }
    @inline(__always) static func body(_ p: UnsafeRawPointer) -> UnsafeRawBufferPointer {
        let start = header + idLength(p)
        return UnsafeRawBufferPointer(start: p + start, count: totalLength(p) - start)
    }

    /// Orders by time, then id bytes, then the rendered bytes (which end with the source file and
    /// offset), so the order, and which copy of a duplicate is kept, never depends on threads or memory.
    @inline(__always) static func less(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer) -> Bool {
        let ta = time(a), tb = time(b)
        if ta != tb { return ta < tb }
        let la = idLength(a), lb = idLength(b)
        let c = memcmp(a + header, b + header, min(la, lb))
        if c != 0 { return c < 0 }
        if la != lb { return la < lb }
        let ba = body(a), bb = body(b)
        let d = memcmp(ba.baseAddress!, bb.baseAddress!, min(ba.count, bb.count))
        return d != 0 ? d < 0 : ba.count < bb.count
    }
}

/// A sorted sequence of records.
class RunCursor {
    /// Pointer to the current record, or nil at the end (a stored property: the merge reads it
    /// for every comparison).
    var current: UnsafeRawPointer?
    func advance() throws { fatalError("subclass") }
}

/// One worker's sink: filters, renders, buffers and spills sorted runs.
final class RunCollector: EventSink {
    private let renderer: any TimelineRenderer
    private let filter: EventFilter
    private let budget: Int
    private let spillDir: SpillDirectory
    private let worker: Int
    private var arena: [UInt8] = []
    private var offsets: [Int] = []
    private var spills: [String] = []
    private(set) var filteredLate = 0
    private(set) var spillError: (any Error)?
    private let needsLateFilter: Bool

    private let attribution: AttributionMap?

    init(worker: Int, renderer: any TimelineRenderer, filter: EventFilter, budget: Int, spillDir: SpillDirectory, attribution: AttributionMap?) {
        self.worker = worker
        self.attribution = attribution
        self.renderer = renderer
        self.filter = filter
        self.budget = budget
        self.spillDir = spillDir
        needsLateFilter = filter.hasLateChecks
        arena.reserveCapacity(min(budget, 8 << 20) + 4096)
    }

    func accept(_ e: AuditEvent) {
        if needsLateFilter, !filter.matchesRest(e) { filteredLate += 1; return }
        if let attribution {
            var attributed = e
            attributed.person = attribution.person(for: e.actor)
            record(attributed)
        } else {
            record(e)
        }
    }

    private func record(_ e: AuditEvent) {
        let start = arena.count
        withUnsafeBytes(of: UInt32(0)) { arena.append(contentsOf: $0) }  // length, filled in below
        withUnsafeBytes(of: e.time.millis.littleEndian) { arena.append(contentsOf: $0) }
        withUnsafeBytes(of: e.contentHash.littleEndian) { arena.append(contentsOf: $0) }
        arena.append(e.plane == .aws ? 0 : 1)
        let idBytes = e.id.utf8.prefix(Int(UInt16.max))
        withUnsafeBytes(of: UInt16(idBytes.count).littleEndian) { arena.append(contentsOf: $0) }
        arena.append(contentsOf: idBytes)
        renderer.render(e, into: &arena)
        let length = UInt32(arena.count - start - 4)
        arena.withUnsafeMutableBytes { $0.storeBytes(of: length.littleEndian, toByteOffset: start, as: UInt32.self) }
        offsets.append(start)
        if arena.count >= budget { spill() }
    }

    private func sortOffsets() {
        guard !offsets.isEmpty else { return }
        arena.withUnsafeBytes { raw in
            let base = raw.baseAddress!
            offsets.sort { RecordLayout.less(base + $0, base + $1) }
        }
    }

    private func spill() {
        guard spillError == nil else { return }
        sortOffsets()
        let path = spillDir.path + "/run-\(worker)-\(spills.count)"
        do {
            let out = try OutputSink(path: path)
            try arena.withUnsafeBytes { raw in
                for o in offsets {
                    let p = raw.baseAddress! + o
                    out.append(UnsafeRawBufferPointer(start: p, count: RecordLayout.totalLength(p)))
                    if out.needsFlush { try out.flush() }
                }
            }
            try out.flush()
            spills.append(path)
        } catch {
            spillError = error
        }
        arena.removeAll(keepingCapacity: true)
        offsets.removeAll(keepingCapacity: true)
    }

    private var finished: [RunCursor] = []
    private var finishError: (any Error)?

    /// On the worker's thread: sorts the remainder and, once anything was spilled, spills it too,
    /// so the merge holds no arena in memory.
    func workerFinished() {
        if !spills.isEmpty && !offsets.isEmpty { spill() }
        sortOffsets()
        do {
            finished = try spills.map { try FileRun(path: $0) }
        } catch {
            finishError = error
        }
        if !offsets.isEmpty { finished.append(MemoryRun(arena: arena, offsets: offsets)) }
        arena = []
        offsets = []
    }

    /// This worker's sorted runs (after `workerFinished`).
    func runs() throws -> [RunCursor] {
        if let error = spillError ?? finishError { throw error }
        return finished
    }
}

final class MemoryRun: RunCursor {
    private let storage: UnsafeMutableRawBufferPointer
    private let offsets: [Int]
    private var index = 0

    init(arena: [UInt8], offsets: [Int]) {
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(arena.count, 1), alignment: 8)
        arena.withUnsafeBytes { src in
            if let base = src.baseAddress { copy.baseAddress!.copyMemory(from: base, byteCount: src.count) }
        }
        storage = copy
        self.offsets = offsets
        super.init()
        current = offsets.isEmpty ? nil : UnsafeRawPointer(copy.baseAddress! + offsets[0])
    }

    deinit { storage.deallocate() }

    override func advance() {
        index += 1
        current = index < offsets.count ? UnsafeRawPointer(storage.baseAddress! + offsets[index]) : nil
    }
}

/// Reads a spilled run back with a buffer.
final class FileRun: RunCursor {
    private let fd: Int32
    private var buffer: UnsafeMutableRawBufferPointer
    private var start = 0, end = 0
    private var eof = false

    init(path: String) throws {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw IngestError(path: path, reason: String(cString: strerror(errno))) }
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 << 10, alignment: 8)
        super.init()
        try load()
    }

    deinit {
        buffer.deallocate()
        close(fd)
    }

    private func fill() throws {
        if start > 0 {
            memmove(buffer.baseAddress!, buffer.baseAddress! + start, end - start)
            end -= start
            start = 0
        }
        while !eof && end < buffer.count {
            let n = read(fd, buffer.baseAddress! + end, buffer.count - end)
            if n < 0 { if errno == EINTR { continue }; throw IngestError(path: "spill file", reason: String(cString: strerror(errno))) }
            if n == 0 { eof = true } else { end += n }
        }
    }

    private func load() throws {
        if end - start < 4 { try fill() }
        guard end - start >= 4 else { current = nil; return }
        let need = RecordLayout.totalLength(UnsafeRawPointer(buffer.baseAddress! + start))
        if end - start < need {
            if need > buffer.count {
                let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: need * 2, alignment: 8)
                memcpy(bigger.baseAddress!, buffer.baseAddress! + start, end - start)
                end -= start
                start = 0
                buffer.deallocate()
                buffer = bigger
            }
            try fill()
            guard end - start >= need else { throw IngestError(path: "spill file", reason: "truncated run") }
        }
        current = UnsafeRawPointer(buffer.baseAddress! + start)
    }

    override func advance() throws {
        guard let c = current else { return }
        start += RecordLayout.totalLength(c)
        try load()
    }
}

/// k-way merge with duplicate removal and shared-id marking.
struct Merger {
    let renderer: any TimelineRenderer
    let window: Int64
    private var recent: [UInt64: Int64] = [:]
    private var order: [(UInt64, Int64)] = []
    private var orderHead = 0
    private static let maxRecent = 200_000

    init(renderer: any TimelineRenderer, window: Int64) {
        self.renderer = renderer
        self.window = window
    }

    mutating func merge(_ runs: [RunCursor], into out: OutputSink, stats: inout IngestStats) throws {
        var heap = runs.filter { $0.current != nil }
        func less(_ a: RunCursor, _ b: RunCursor) -> Bool { RecordLayout.less(a.current!, b.current!) }
        func siftDown(_ i0: Int) {
            var i = i0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < heap.count, less(heap[l], heap[m]) { m = l }
                if r < heap.count, less(heap[r], heap[m]) { m = r }
                if m == i { return }
                heap.swapAt(i, m)
                i = m
            }
        }
        for i in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(i) }

        var groupTime: Int64 = .min
        var groupID: [UInt8] = []
        groupID.reserveCapacity(256)
        var groupHashes: [UInt64] = []
        var tail: [UInt8] = []
        var conflictsReported = 0
        while let top = heap.first {
            let p = top.current!
            let time = RecordLayout.time(p), hash = RecordLayout.hash(p)
            let id = RecordLayout.id(p)
            var shared: SharedID?
            var duplicate = false
            if time == groupTime, id.elementsEqual(groupID) {
                if groupHashes.contains(hash) {
                    duplicate = true
                } else {
                    groupHashes.append(hash)
                    shared = RecordLayout.plane(p) == 1 ? .pair : .conflict
                }
            } else {
                groupTime = time
                groupID.removeAll(keepingCapacity: true)
                groupID.append(contentsOf: id)
                groupHashes.removeAll(keepingCapacity: true)
                groupHashes.append(hash)
                let key = hash64(id)
                if let seen = recent[key], time - seen <= window {
                    shared = RecordLayout.plane(p) == 1 ? .pair : .conflict
                }
                remember(key, time)
            }
            if duplicate {
                stats.duplicates += 1
                stats.accepted -= 1
            } else {
                out.append(RecordLayout.body(p))
                tail.removeAll(keepingCapacity: true)
                renderer.finish(shared: shared, into: &tail)
                out.append(contentsOf: tail)
                if out.needsFlush { try out.handOff() }
                if shared == .pair { stats.databricksPairs += 1 }
                if shared == .conflict {
                    stats.idConflicts += 1
                    if conflictsReported < 1000 {
                        conflictsReported += 1
                        let idText = String(decoding: id, as: UTF8.self)
                        stats.add(Diagnostic(.warning, file: "(timeline)", reason: "event id \(idText) appears more than once with different content; all copies kept and marked idShared=conflict"))
                    }
                }
            }
            try top.advance()
            if top.current == nil {
                heap.swapAt(0, heap.count - 1)
                heap.removeLast()
            }
            if !heap.isEmpty { siftDown(0) }
        }
    }

    private mutating func remember(_ key: UInt64, _ time: Int64) {
        recent[key] = time
        order.append((key, time))
        while orderHead < order.count, time - order[orderHead].1 > window || order.count - orderHead > Merger.maxRecent {
            let (k, t) = order[orderHead]
            if recent[k] == t { recent[k] = nil }
            orderHead += 1
        }
        if orderHead > 65536 && orderHead * 2 > order.count {
            order.removeFirst(orderHead)
            orderHead = 0
        }
    }
}

/// A private temporary directory for spill files, removed after the run.
final class SpillDirectory: @unchecked Sendable {
    let path: String

    init(parent: String) throws {
        var template = Array((parent + "/crosstrail-XXXXXX").utf8CString)
        guard let p = mkdtemp(&template) else {
            throw IngestError(path: parent, reason: "cannot create a temporary directory: \(String(cString: strerror(errno)))")
        }
        path = String(cString: p)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

private final class CollectorBox: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [RunCollector?]
    init(count: Int) { items = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ c: RunCollector) { lock.lock(); items[i] = c; lock.unlock() }
    var all: [RunCollector] { lock.lock(); defer { lock.unlock() }; return items.compactMap { $0 } }
}
