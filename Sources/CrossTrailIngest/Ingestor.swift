import CrossTrailBase
import CrossTrailModel
import Foundation

/// Live counters for progress display, updated by workers after each file.
public final class IngestProgress: @unchecked Sendable {
    private let lock = NSLock()
    private var _files = 0, _records = 0
    private var _bytes: Int64 = 0
    public let totalFiles: Int

    public init(totalFiles: Int) { self.totalFiles = totalFiles }

    func add(files: Int, records: Int, bytes: Int64) {
        lock.lock(); _files += files; _records += records; _bytes += bytes; lock.unlock()
    }

    public var snapshot: (files: Int, records: Int, bytes: Int64) {
        lock.lock(); defer { lock.unlock() }
        return (_files, _records, _bytes)
    }
}

/// Finds input files and reads them in parallel, one file per worker at a time.
public struct Ingestor: Sendable {
    public var filter: EventFilter
    public var limits: IngestLimits
    public var workers: Int
    /// The optional parts of events to decode (everything by default).
    public var detail: EventDetail = .all

    public init(
        filter: EventFilter = EventFilter(), limits: IngestLimits = IngestLimits(),
        workers: Int = ProcessInfo.processInfo.activeProcessorCount
    ) {
        self.filter = filter
        self.limits = limits
        self.workers = max(1, workers)
    }

    /// An input file and how it is named in provenance and diagnostics.
    public struct InputFile: Sendable, Hashable {
        public var path: String
        public var display: String
        /// Standard input or an anonymous pipe (`<(…)`), read whole as it comes. Every other
        /// input must be a regular file.
        public var isStream: Bool

        public init(path: String, display: String, isStream: Bool = false) {
            self.path = path
            self.display = display
            self.isStream = isStream
        }
    }

    /// Expands files and directory trees (recursively; symlinked directories are followed once),
    /// and `-` for standard input,
    /// sorted so runs are deterministic. Hidden files are skipped. Unreadable paths become diagnostics.
    /// Only regular files are listed: a FIFO, socket or device, given or found in a directory, is
    /// a diagnostic naming it and its kind (an anonymous pipe given as `<(…)` is read as a stream).
    public static func discover(_ paths: [String], diagnostics: inout [Diagnostic]) -> [InputFile] {
        var out: [InputFile] = []
        for p in paths {
            if p == "-" {
                out.append(InputFile(path: "/dev/stdin", display: "(stdin)", isStream: true))
                continue
            }
            switch FileKind.of(p) {
            case .missing:
                diagnostics.append(Diagnostic(.error, file: p, reason: "no such file or directory"))
                continue
            case .regular:
                out.append(InputFile(path: p, display: p))
                continue
            case .directory:
                break
            case let kind:
                if kind.isStream, FileKind.isAnonymousPipe(p) {
                    out.append(InputFile(path: p, display: p, isStream: true))
                } else {
                    diagnostics.append(Diagnostic(.error, file: p, reason: kind.notReadReason))
                }
                continue
            }
            var found: [InputFile] = []
            var visited = Set<FileID>()
            walk(p, display: p, into: &found, visited: &visited, diagnostics: &diagnostics)
            found.sort { $0.display < $1.display }
            if found.isEmpty {
                diagnostics.append(Diagnostic(.warning, file: p, reason: "no files under this directory"))
            }
            out.append(contentsOf: found)
        }
        return out
    }

    /// Lists `dir` with POSIX calls: `FileManager`'s resource values look up owner names (a read of
    /// /etc/passwd per entry), which made discovery of a few thousand files take longer than reading them.
    private static func walk(
        _ dir: String, display: String, into out: inout [InputFile], visited: inout Set<FileID>,
        diagnostics: inout [Diagnostic]
    ) {
        var st = stat()
        guard stat(dir, &st) == 0, visited.insert(FileID(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))).inserted
        else {
            diagnostics.append(
                Diagnostic(.warning, file: display, reason: "directory visited twice (symlink loop); skipped"))
            return
        }
        guard let handle = opendir(dir) else {
            diagnostics.append(
                Diagnostic(.error, file: display, reason: "cannot list directory: \(String(cString: strerror(errno)))"))
            return
        }
        var names: [String] = []
        while let entry = readdir(handle) {
            let bytes = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            guard bytes.first != UInt8(ascii: ".") else { continue }
            // A name that is not UTF-8 cannot be opened through a Swift string: say so, with its bytes.
            guard let name = String(validating: bytes, as: UTF8.self) else {
                let shown = bytes.map {
                    (32..<127).contains($0) ? String(UnicodeScalar($0)) : String(format: "\\x%02X", $0)
                }
                .joined()
                diagnostics.append(
                    Diagnostic(
                        .error, file: (display.hasSuffix("/") ? display : display + "/") + shown,
                        reason: "the file name is not valid UTF-8; not read (rename it to read it)"))
                continue
            }
            names.append(name)
        }
        closedir(handle)
        names.sort()
        for name in names {
            let path = dir.hasSuffix("/") ? dir + name : dir + "/" + name
            let shown = display.hasSuffix("/") ? display + name : display + "/" + name
            // stat follows symlinks: a link to a directory is walked (once, by device and inode),
            // a dangling link is listed and reported by the reader, and anything but a regular
            // file (a FIFO would block the run) is a diagnostic.
            switch FileKind.of(path) {
            case .directory: walk(path, display: shown, into: &out, visited: &visited, diagnostics: &diagnostics)
            case .regular, .missing: out.append(InputFile(path: path, display: shown))
            case let kind: diagnostics.append(Diagnostic(.error, file: shown, reason: kind.notReadReason))
            }
        }
    }

    struct FileID: Hashable { var device: UInt64; var inode: UInt64 }

    /// Reads every file, handing events to the worker's sink. Returns merged statistics.
    /// - Parameter makeSink: called once per worker, on that worker's thread.
    public func run(
        files: [InputFile], progress: IngestProgress? = nil, makeSink: @escaping @Sendable (Int) -> any EventSink
    ) -> IngestStats {
        let filter = self.filter, limits = self.limits, detail = self.detail
        let queue = WorkQueue(count: files.count)
        let results = ResultsBox(count: workers)
        // Dedicated threads with a known stack size: callers may be on Swift concurrency's
        // cooperative pool, whose small stacks and few threads must not be blocked by this work.
        let done = DispatchGroup()
        for w in 0..<workers {
            done.enter()
            let thread = Thread {
                let stats = Ingestor.work(
                    files, next: queue.next, reader: FileReader(filter: filter, limits: limits, detail: detail),
                    sink: makeSink(w), progress: progress)
                results.set(w, stats)
                done.leave()
            }
            thread.stackSize = 16 << 20
            thread.name = "crosstrail-ingest-\(w)"
            thread.start()
        }
        done.wait()
        var total = IngestStats()
        for s in results.all { total.merge(s) }
        return total
    }
}

extension Ingestor {
    /// One worker: reads the files `next` hands out until it returns nil.
    private static func work(
        _ files: [InputFile], next: () -> Int?, reader: FileReader, sink: any EventSink, progress: IngestProgress?
    ) -> IngestStats {
        var stats = IngestStats()
        while let i = next() {
            let before = (stats.recordsRead, stats.bytesRead)
            let inputsBefore = stats.inputs.count
            reader.read(
                path: files[i].path, display: files[i].display, stream: files[i].isStream, sink: sink, stats: &stats)
            sink.fileFinished(files[i], input: stats.inputs.count > inputsBefore ? stats.inputs.last : nil)
            progress?.add(files: 1, records: stats.recordsRead - before.0, bytes: stats.bytesRead - before.1)
        }
        sink.workerFinished()
        return stats
    }
}

/// Reads files one after another on the calling thread, reusing one reader's buffers and parser:
/// for callers with a large stack that read many small inputs (the fuzz harness).
public final class SerialReader {
    private let reader: FileReader

    public init(filter: EventFilter = EventFilter(), limits: IngestLimits = IngestLimits(), detail: EventDetail = .all)
    {
        reader = FileReader(filter: filter, limits: limits, detail: detail)
    }

    public func read(_ file: Ingestor.InputFile, into sink: any EventSink) -> IngestStats {
        var stats = IngestStats()
        reader.read(path: file.path, display: file.display, stream: file.isStream, sink: sink, stats: &stats)
        return stats
    }
}

private final class WorkQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var nextIndex = 0
    private let count: Int
    init(count: Int) { self.count = count }
    func next() -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard nextIndex < count else { return nil }
        defer { nextIndex += 1 }
        return nextIndex
    }
}

private final class ResultsBox: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [IngestStats]
    init(count: Int) { items = Array(repeating: IngestStats(), count: count) }
    func set(_ i: Int, _ s: IngestStats) { lock.lock(); items[i] = s; lock.unlock() }
    var all: [IngestStats] { lock.lock(); defer { lock.unlock() }; return items }
}

extension Ingestor {
    /// The files of shard `index` of `count` (0-based): whole directories go to one shard (an
    /// `AWSLogs/<account>/CloudTrail/<region>/<day>` prefix stays together), chosen by a stable
    /// hash of the directory, so parallel jobs split a tree without coordinating.
    public static func shard(_ files: [InputFile], index: Int, count: Int) -> [InputFile] {
        guard count > 1 else { return files }
        return files.filter { f in
            let dir = f.display.split(separator: "/").dropLast().joined(separator: "/")
            return Int(FNV1a.hash(dir) % UInt64(count)) == index
        }
    }
}
