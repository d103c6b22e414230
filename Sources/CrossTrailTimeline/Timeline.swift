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
    /// Sorted runs merged at once; beyond it runs are first merged in groups (bounds merge memory).
    public var maxFanIn = RunHeap.maxFanIn
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
    public static func build(
        files: [Ingestor.InputFile], options: TimelineOptions, output: OutputSink,
        progress: IngestProgress? = nil
    ) throws -> IngestStats {
        let spillDir = try SpillDirectory(parent: options.temporaryDirectory)
        defer { spillDir.remove() }
        let workers = max(1, options.workers)
        let collectors = CollectorBox(count: workers)
        let renderer = options.format.renderer(fields: options.fields)
        let budget = max(1 << 20, options.memoryBudget / workers)
        let filter = options.filter
        var ingestor = Ingestor(filter: filter, limits: options.limits, workers: workers)
        // Decode only what the output shows (filters add what they need in the reader).
        // OCSF reads the request to pick the class (the user an account change is about).
        ingestor.detail =
            switch options.format {
            case .jsonl: options.fields.detail
            case .ocsf: EventDetail.all
            default: EventDetail.all.subtracting(.requestParameters)
            }
        var stats = ingestor.run(files: files, progress: progress) { w in
            let c = RunCollector(
                worker: w, renderer: renderer, filter: filter, budget: budget, spillDir: spillDir,
                attribution: options.attribution)
            collectors.set(w, c)
            return c
        }
        var runs: [RunCursor] = []
        for c in collectors.all {
            stats.filtered += c.filteredLate
            stats.accepted -= c.filteredLate
            runs.append(contentsOf: try c.runs())
        }
        runs = try RunHeap.limitFanIn(runs, to: max(2, options.maxFanIn), spillDir: spillDir)
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
    /// The buffer the writer finished with, reused so each hand-off does not fault in fresh pages.
    private var spare: [UInt8]?
    private var writing = false
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
        while (pending != nil || writing) && writerError == nil { lock.wait() }
        if let e = writerError { lock.unlock(); throw e }
        var next = spare ?? []
        spare = nil
        if next.capacity < chunk + (1 << 20) { next.reserveCapacity(chunk + (1 << 20)) }
        swap(&next, &buffer)
        pending = next
        lock.broadcast()
        lock.unlock()
    }

    /// Writes everything buffered and waits until it is written.
    public func flush() throws {
        if writerStarted {
            lock.lock()
            while (pending != nil || writing) && writerError == nil { lock.wait() }
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
                guard var data = pending.take() else { lock.unlock(); return }
                writing = true
                lock.unlock()
                var failure: IngestError?
                do { try OutputSink.writeAll(fd, data) } catch { failure = error as? IngestError }
                data.removeAll(keepingCapacity: true)
                lock.lock()
                writing = false
                spare = data
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
        if let code = data.withUnsafeBytes({ writeFully(fd, $0) }) {
            throw IngestError(path: "output", reason: String(cString: strerror(code)))
        }
    }
}

/// Writes all of `data` to `fd`, retrying interrupted and partial writes; returns the `errno` of a
/// failed write, or nil.
func writeFully(_ fd: Int32, _ data: UnsafeRawBufferPointer) -> Int32? {
    var off = 0
    while off < data.count {
        let n = Glibc.write(fd, data.baseAddress! + off, data.count - off)
        if n < 0 {
            if errno == EINTR { continue }
            return errno
        }
        off += n
    }
    return nil
}

/// Record layout in runs: [u32 length of the rest][i64 time][u64 content hash][u8 plane][u16 id length][id][body].
enum RecordLayout {
    static let header = 4 + 8 + 8 + 1 + 2

    @inline(__always) static func time(_ p: UnsafeRawPointer) -> Int64 {
        p.loadUnaligned(fromByteOffset: 4, as: Int64.self)
    }
    @inline(__always) static func hash(_ p: UnsafeRawPointer) -> UInt64 {
        p.loadUnaligned(fromByteOffset: 12, as: UInt64.self)
    }
    @inline(__always) static func plane(_ p: UnsafeRawPointer) -> UInt8 { p.load(fromByteOffset: 20, as: UInt8.self) }
    @inline(__always) static func idLength(_ p: UnsafeRawPointer) -> Int {
        Int(p.loadUnaligned(fromByteOffset: 21, as: UInt16.self))
    }
    @inline(__always) static func totalLength(_ p: UnsafeRawPointer) -> Int {
        Int(p.loadUnaligned(as: UInt32.self)) + 4
    }
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
    /// Rendered records, back to back, in memory allocated once (pages are touched as it fills):
    /// no growth copies, and the last run is handed to the merge without a copy.
    private var arena: UnsafeMutableRawBufferPointer?
    private var used = 0
    private var offsets: [Int] = []
    /// One record being rendered.
    private var scratch: [UInt8] = []
    private var spills: [String] = []
    private(set) var filteredLate = 0
    private(set) var spillError: (any Error)?
    private let needsLateFilter: Bool

    private let attribution: AttributionMap?

    init(
        worker: Int, renderer: any TimelineRenderer, filter: EventFilter, budget: Int, spillDir: SpillDirectory,
        attribution: AttributionMap?
    ) {
        self.worker = worker
        self.attribution = attribution
        self.renderer = renderer
        self.filter = filter
        self.budget = budget
        self.spillDir = spillDir
        needsLateFilter = filter.hasLateChecks
        scratch.reserveCapacity(64 << 10)
    }

    deinit { arena?.deallocate() }

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
        // Rendered into a local taken from `scratch` (appends to a class property each pay a
        // dynamic exclusivity check), then copied into the arena.
        var r: [UInt8] = []
        swap(&r, &scratch)
        defer { swap(&r, &scratch) }
        r.removeAll(keepingCapacity: true)
        withUnsafeBytes(of: UInt32(0)) { r.append(contentsOf: $0) }  // length, filled in below
        withUnsafeBytes(of: e.time.millis.littleEndian) { r.append(contentsOf: $0) }
        withUnsafeBytes(of: e.contentHash.littleEndian) { r.append(contentsOf: $0) }
        r.append(e.plane.sortRank)
        let idBytes = e.id.utf8.prefix(Int(UInt16.max))
        withUnsafeBytes(of: UInt16(idBytes.count).littleEndian) { r.append(contentsOf: $0) }
        r.append(contentsOf: idBytes)
        renderer.render(e, into: &r)
        let length = UInt32(r.count - 4)
        r.withUnsafeMutableBytes { $0.storeBytes(of: length.littleEndian, as: UInt32.self) }

        if used + r.count > (arena?.count ?? 0) {
            if !offsets.isEmpty { spill() }
            if r.count > (arena?.count ?? 0) {
                // The first record, or one larger than the budget: (re)allocate to fit.
                arena?.deallocate()
                arena = .allocate(byteCount: max(budget, r.count), alignment: 8)
            }
        }
        let start = used
        r.withUnsafeBytes {
            arena!.baseAddress!.advanced(by: start).copyMemory(from: $0.baseAddress!, byteCount: $0.count)
        }
        used += r.count
        offsets.append(start)
    }

    private func sortOffsets() {
        guard let base = arena?.baseAddress, !offsets.isEmpty else { return }
        offsets.sort { RecordLayout.less(base + $0, base + $1) }
    }

    private func spill() {
        defer {
            used = 0
            offsets.removeAll(keepingCapacity: true)
        }
        guard spillError == nil, let base = arena?.baseAddress else { return }
        sortOffsets()
        let path = spillDir.path + "/run-\(worker)-\(spills.count)"
        do {
            let out = try SpillWriter(path: path)
            for o in offsets {
                let p = UnsafeRawPointer(base + o)
                try out.append(UnsafeRawBufferPointer(start: p, count: RecordLayout.totalLength(p)))
            }
            try out.finish()
            spills.append(path)
        } catch {
            spillError = error
        }
    }

    private var finished: [RunCursor] = []
    private var finishError: (any Error)?

    /// On the worker's thread: sorts what is in memory and hands it, with the spilled runs, to the
    /// merge. The last run stays in memory (at most this worker's share of the budget).
    func workerFinished() {
        sortOffsets()
        do {
            finished = try spills.map { try FileRun(path: $0) }
        } catch {
            finishError = error
        }
        if let arena, !offsets.isEmpty {
            finished.append(MemoryRun(storage: arena, offsets: offsets))
            self.arena = nil
        }
        arena?.deallocate()
        arena = nil
        used = 0
        offsets = []
    }

    /// This worker's sorted runs (after `workerFinished`).
    func runs() throws -> [RunCursor] {
        if let error = spillError ?? finishError { throw error }
        return finished
    }
}

/// A sorted run still in memory; owns (and frees) its storage.
final class MemoryRun: RunCursor {
    private let storage: UnsafeMutableRawBufferPointer
    private let offsets: [Int]
    private var index = 0

    init(storage: UnsafeMutableRawBufferPointer, offsets: [Int]) {
        self.storage = storage
        self.offsets = offsets
        super.init()
        current = offsets.isEmpty ? nil : UnsafeRawPointer(storage.baseAddress! + offsets[0])
    }

    deinit { storage.deallocate() }

    override func advance() {
        index += 1
        current = index < offsets.count ? UnsafeRawPointer(storage.baseAddress! + offsets[index]) : nil
    }
}

/// k-way merge with duplicate removal and shared-id marking.
struct Merger {
    let renderer: any TimelineRenderer
    let window: Int64
    private var recent: RecentIDs

    init(renderer: any TimelineRenderer, window: Int64) {
        self.renderer = renderer
        self.window = window
        recent = RecentIDs(generation: 200_000, window: window)
    }

    mutating func merge(_ runs: [RunCursor], into out: OutputSink, stats: inout IngestStats) throws {
        var heap = RunHeap(runs)
        var groupTime: Int64 = .min
        var groupID: [UInt8] = []
        groupID.reserveCapacity(256)
        var groupHashes: [UInt64] = []
        var tail: [UInt8] = []
        var conflictsReported = 0
        while let p = heap.top {
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
                if let seen = recent.time(of: key), time - seen <= window {
                    shared = RecordLayout.plane(p) == 1 ? .pair : .conflict
                }
                recent.insert(key, time)
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
                        stats.add(
                            Diagnostic(
                                .warning, file: "(timeline)",
                                reason:
                                    "event id \(idText) appears more than once with different content; all copies kept and marked idShared=conflict"
                            ))
                    }
                }
            }
            try heap.advance()
        }
    }
}

/// A private temporary directory (mode 0700) for spill files, removed after the run. Public so a
/// command can remove it when interrupted.
public final class SpillDirectory: @unchecked Sendable {
    public let path: String

    public init(parent: String) throws {
        var template = Array((parent + "/crosstrail-XXXXXX").utf8CString)
        guard let p = mkdtemp(&template) else {
            throw IngestError(
                path: parent, reason: "cannot create a temporary directory: \(String(cString: strerror(errno)))")
        }
        path = String(cString: p)
    }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}

private final class CollectorBox: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [RunCollector?]
    init(count: Int) { items = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ c: RunCollector) { lock.lock(); items[i] = c; lock.unlock() }
    var all: [RunCollector] { lock.lock(); defer { lock.unlock() }; return items.compactMap { $0 } }
}
