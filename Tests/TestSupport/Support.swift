import Foundation

/// Paths and helpers shared by the test targets.
public enum TestPaths {
    /// The package root, found from this file's location.
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The debug `crosstrail` executable built by `swift build --build-tests`.
    public static var executable: URL { packageRoot.appendingPathComponent(".build/debug/crosstrail") }

    /// A fresh temporary directory, unique per call.
    public static func temporaryDirectory(_ name: String = "t") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "crosstrail-tests-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Result of running the CLI.
public struct CommandResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    /// True when the process ran past its timeout and was killed.
    public var timedOut = false
}

/// Runs the built `crosstrail` with arguments, writing `stdin` (when given) to its standard input
/// through a pipe; never touches the network. With `timeout` (seconds), a process still running
/// then is killed and the result says `timedOut` (tests of inputs that could block).
public func runCrossTrail(_ arguments: [String], cwd: URL? = nil, stdin: Data? = nil, timeout: Double? = nil) throws
    -> CommandResult
{
    try runProcess(TestPaths.executable, arguments, cwd: cwd, stdin: stdin, timeout: timeout)
}

/// Runs a program and collects its exit status and output. Standard error goes to a file, so neither
/// pipe can fill up while the other is read; `environment` entries are added to this process's.
public func runProcess(
    _ executable: URL, _ arguments: [String], cwd: URL? = nil, stdin: Data? = nil,
    environment: [String: String] = [:], timeout: Double? = nil
) throws -> CommandResult {
    let p = Process()
    p.executableURL = executable
    p.arguments = arguments
    if let cwd { p.currentDirectoryURL = cwd }
    if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, b in b } }
    let errDir = try TestPaths.temporaryDirectory("stderr")
    defer { try? FileManager.default.removeItem(at: errDir) }
    let errFile = errDir.appendingPathComponent("err.txt")
    _ = FileManager.default.createFile(atPath: errFile.path, contents: nil)
    let out = Pipe(), input = Pipe()
    p.standardOutput = out
    p.standardError = try FileHandle(forWritingTo: errFile)
    if stdin != nil { p.standardInput = input }
    try p.run()
    if let stdin {
        let writer = Thread {
            input.fileHandleForWriting.write(stdin)
            try? input.fileHandleForWriting.close()
        }
        writer.start()
    }
    // The watchdog kills a process that outlives its timeout; that closes its end of the pipes,
    // so the read below returns.
    let watchdog = Watchdog()
    if let timeout {
        let pid = p.processIdentifier
        let t = Thread {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if watchdog.finished { return }
                usleep(20_000)
            }
            if !watchdog.finished {
                watchdog.fired = true
                kill(pid, SIGKILL)
            }
        }
        t.start()
    }
    let o = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    watchdog.finished = true
    return CommandResult(
        status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
        stderr: String(decoding: (try? Data(contentsOf: errFile)) ?? Data(), as: UTF8.self),
        timedOut: watchdog.fired)
}

private final class Watchdog: @unchecked Sendable {
    private let lock = NSLock()
    private var _finished = false, _fired = false
    var finished: Bool {
        get { lock.lock(); defer { lock.unlock() }; return _finished }
        set { lock.lock(); _finished = newValue; lock.unlock() }
    }
    var fired: Bool {
        get { lock.lock(); defer { lock.unlock() }; return _fired }
        set { lock.lock(); _fired = newValue; lock.unlock() }
    }
}

/// Parses JSON lines into dictionaries; fails the caller's expectation by returning nil on a bad line.
public func parseJSONLines(_ text: String) -> [[String: Any]]? {
    var out: [[String: Any]] = []
    for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
        guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
        out.append(obj)
    }
    return out
}

/// A throwaway certificate authority and a server certificate for 127.0.0.1/localhost, made with
/// OpenSSL for one test run: the servers below use it, and crosstrail trusts it via --ca-bundle.
public struct TestTLS: Sendable {
    public let dir: URL
    public var ca: String { dir.appendingPathComponent("ca.pem").path }
    public var cert: String { dir.appendingPathComponent("server.pem").path }
    public var key: String { dir.appendingPathComponent("server.key").path }

    public static func make() throws -> TestTLS {
        let dir = try TestPaths.temporaryDirectory("tls")
        let ext = dir.appendingPathComponent("ext.cnf")
        try Data(
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n".utf8
        ).write(to: ext)
        let steps: [[String]] = [
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
                "-subj", "/CN=crosstrail test CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            ],
            [
                "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj",
                "/CN=127.0.0.1",
            ],
            [
                "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out",
                "server.pem", "-days", "2",
                "-extfile", "ext.cnf",
            ],
        ]
        for args in steps {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            p.arguments = args
            p.currentDirectoryURL = dir
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            p.waitUntilExit()
            guard p.terminationStatus == 0 else { throw TestServerError("openssl \(args[0]) failed") }
        }
        return TestTLS(dir: dir)
    }
}

public struct TestServerError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

/// A server process on loopback, stopped when the value is released.
public final class TestServer: @unchecked Sendable {
    public let process: Process
    public let port: Int
    public var url: String { "https://127.0.0.1:\(port)" }

    init(process: Process, port: Int) {
        self.process = process
        self.port = port
    }

    deinit { stop() }

    /// SIGKILL: moto's server ignores SIGTERM and SIGINT.
    public func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// The fake Databricks / LookupEvents server (Tests/Servers/fake_apis.py); it prints its port.
    public static func fakeAPIs(_ tls: TestTLS) throws -> TestServer {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [
            "python3", TestPaths.packageRoot.appendingPathComponent("Tests/Servers/fake_apis.py").path, "--cert",
            tls.cert, "--key", tls.key,
        ]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let line = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self).trimmingCharacters(
            in: .whitespacesAndNewlines)
        guard let port = Int(line.split(separator: "\n").first ?? "") else {
            p.terminate()
            throw TestServerError("fake_apis.py did not start (printed '\(line)')")
        }
        return TestServer(process: p, port: port)
    }

    /// moto's server (`moto_server`) over TLS with the test certificate, on a free port.
    public static func moto(_ tls: TestTLS) throws -> TestServer {
        for _ in 0..<5 {
            let port = try freePort()
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["moto_server", "-H", "127.0.0.1", "-p", String(port), "-c", tls.cert, "-k", tls.key]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            for _ in 0..<150 {
                if !p.isRunning { break }
                if canConnect(port) { return TestServer(process: p, port: port) }
                usleep(100_000)
            }
            if p.isRunning { p.terminate() }
        }
        throw TestServerError("moto_server did not start (is moto[server] installed? make test-setup installs it)")
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { ptr in
            ptr.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0
            }
        }
        guard ok else { throw TestServerError("no free port") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    static func canConnect(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &addr) { ptr in
            ptr.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}

/// Runs a Python script with arguments; returns its status and combined output.
public func runPython(_ script: String, _ args: [String], environment: [String: String]? = nil) throws -> (
    status: Int32, output: String
) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", script] + args
    if let environment { p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, b in b } }
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    try p.run()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    return (p.terminationStatus, text)
}

/// Runs the CLI with extra environment variables.
public func runCrossTrail(_ arguments: [String], environment: [String: String], timeout: Double? = nil) throws
    -> CommandResult
{
    try runProcess(TestPaths.executable, arguments, environment: environment, timeout: timeout)
}
