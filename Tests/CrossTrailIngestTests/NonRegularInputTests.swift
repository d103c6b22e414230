import CrossTrailIngest
import CrossTrailModel
import Foundation
import Testing

/// Inputs that could block a run: only regular files are read (and directories walked for them);
/// a FIFO, socket or device, given or found, is a diagnostic naming it and its kind.
@Suite struct NonRegularInputTests {
    static let good = HostileInputTests.record("good-1") + "\n"

    /// A listening Unix socket at `path` (closed by the caller).
    static func unixSocket(_ path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            throw CocoaError(.fileWriteInvalidFileName)
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let ok = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
            }
        }
        guard ok, listen(fd, 1) == 0 else { close(fd); throw CocoaError(.fileWriteUnknown) }
        return fd
    }

    /// Runs `body` on a thread and fails (instead of hanging the suite) when it takes over `seconds`.
    static func withinTime<T: Sendable>(_ seconds: Double, _ body: @escaping @Sendable () -> T) -> T? {
        let box = ResultBox<T>()
        Thread {
            box.value = body()
            box.done.signal()
        }.start()
        guard box.done.wait(timeout: .now() + seconds) == .success else { return nil }
        return box.value
    }

    @Test func fifosSocketsAndDevicesInAFolderAreDiagnosticsAndTheRestIsRead() throws {
        let dir = try TemporaryFiles()
        let logs = dir.dir.appendingPathComponent("logs")
        try FileManager.default.createDirectory(
            at: logs.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try Data(Self.good.utf8).write(to: logs.appendingPathComponent("a.jsonl"))
        try Data((HostileInputTests.record("good-2") + "\n").utf8).write(to: logs.appendingPathComponent("sub/b.jsonl"))
        #expect(mkfifo(logs.appendingPathComponent("fifo.json").path, 0o644) == 0)
        #expect(mkfifo(logs.appendingPathComponent("sub/fifo.jsonl.gz").path, 0o644) == 0)
        let sock = try Self.unixSocket(logs.appendingPathComponent("s.sock").path)
        defer { close(sock) }
        // Links to devices: stat follows them, and /dev/zero never ends.
        try FileManager.default.createSymbolicLink(
            atPath: logs.appendingPathComponent("zero.json").path, withDestinationPath: "/dev/zero")
        try FileManager.default.createSymbolicLink(
            atPath: logs.appendingPathComponent("fifo-link.json").path,
            withDestinationPath: logs.appendingPathComponent("fifo.json").path)
        let result = Self.withinTime(60) { ingest([logs.path]) }
        let (events, stats) = try #require(result, "the run blocked on a non-regular file")
        #expect(events.map(\.id).sorted() == ["good-1", "good-2"])
        #expect(stats.reconciles)
        let byFile = Dictionary(
            stats.diagnostics.map { (($0.file as NSString).lastPathComponent, $0.reason) },
            uniquingKeysWith: { a, _ in a })
        #expect(
            byFile["fifo.json"]?.hasPrefix("a named pipe (FIFO), not a regular file: not read") == true,
            "\(stats.diagnostics)")
        #expect(byFile["fifo.jsonl.gz"]?.hasPrefix("a named pipe (FIFO)") == true)
        #expect(byFile["fifo-link.json"]?.hasPrefix("a named pipe (FIFO)") == true)
        #expect(byFile["s.sock"]?.hasPrefix("a socket, not a regular file") == true)
        #expect(byFile["zero.json"]?.hasPrefix("a character device, not a regular file") == true)
        #expect(stats.diagnostics.count == 5)
        #expect(stats.diagnostics.allSatisfy { $0.file.hasPrefix(logs.path + "/") })
    }

    @Test func fifosAndDevicesGivenDirectlyAreDiagnostics() throws {
        let dir = try TemporaryFiles()
        let fifo = dir.dir.appendingPathComponent("direct.fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let good = try dir.write("good.jsonl", Self.good)
        let result = Self.withinTime(60) { ingest([fifo, "/dev/zero", "/dev/null", good]) }
        let (events, stats) = try #require(result, "the run blocked on a FIFO or device given as an argument")
        #expect(events.map(\.id) == ["good-1"])
        #expect(stats.diagnostics.map(\.file).sorted() == ["/dev/null", "/dev/zero", fifo].sorted())
        #expect(stats.diagnostics.first { $0.file == fifo }?.reason.hasPrefix("a named pipe (FIFO)") == true)
        #expect(stats.diagnostics.first { $0.file == "/dev/zero" }?.reason.hasPrefix("a character device") == true)
        #expect(stats.reconciles && stats.files == 1)
    }

    /// A regular file swapped for a FIFO after discovery: the reader refuses it without blocking.
    @Test func aFifoSwappedInAfterDiscoveryDoesNotBlockTheReader() throws {
        let dir = try TemporaryFiles()
        let path = try dir.write("swap.json", Self.good)
        var discovery: [Diagnostic] = []
        let files = Ingestor.discover([path], diagnostics: &discovery)
        #expect(files.count == 1 && discovery.isEmpty)
        try FileManager.default.removeItem(atPath: path)
        #expect(mkfifo(path, 0o644) == 0)
        let result = Self.withinTime(60) { Ingestor(workers: 1).run(files: files) { _ in HostileInputTests.Collect() } }
        let stats = try #require(result, "the reader blocked opening a FIFO")
        #expect(stats.filesFailed == 1)
        #expect(
            stats.diagnostics.first?.reason.contains("a named pipe (FIFO), not a regular file") == true,
            "\(stats.diagnostics)")
        // The same through the serial reader (fuzzing) and the whole-file reader (inventory, digests, rules).
        let serial = Self.withinTime(60) {
            SerialReader().read(Ingestor.InputFile(path: path, display: "swap"), into: HostileInputTests.Collect())
        }
        #expect(try #require(serial).filesFailed == 1)
        let whole = Self.withinTime(60) { () -> String? in
            do { _ = try JSON.readRegularFile(path: path); return nil } catch {
                return (error as? IngestError)?.reason ?? "\(error)"
            }
        }
        #expect(try #require(whole)?.hasPrefix("a named pipe (FIFO)") == true)
    }

    @Test func standardInputIsStillAStream() {
        var discovery: [Diagnostic] = []
        let files = Ingestor.discover(["-"], diagnostics: &discovery)
        #expect(files == [Ingestor.InputFile(path: "/dev/stdin", display: "(stdin)", isStream: true)])
        #expect(discovery.isEmpty)
    }

    @Test func kindsAreNamed() throws {
        let dir = try TemporaryFiles()
        let fifo = dir.dir.appendingPathComponent("k.fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(FileKind.of(fifo) == .fifo)
        #expect(FileKind.of(dir.dir.path) == .directory)
        #expect(FileKind.of(try dir.write("r", "x")) == .regular)
        #expect(FileKind.of("/dev/null") == .characterDevice)
        if case .missing = FileKind.of(dir.dir.appendingPathComponent("nope").path) {} else { Issue.record("missing") }
        #expect(!FileKind.isAnonymousPipe(fifo))
        #expect(!FileKind.isAnonymousPipe("/dev/null"))
        // An anonymous pipe of this process, as `<(…)` hands one over.
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        #expect(FileKind.isAnonymousPipe("/dev/fd/\(fds[0])"))
        #expect(FileKind.of("/dev/fd/\(fds[0])") == .fifo)
    }
}

private final class ResultBox<T>: @unchecked Sendable {
    var value: T?
    let done = DispatchSemaphore(value: 0)
}
