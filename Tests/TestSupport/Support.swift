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
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("crosstrail-tests-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Result of running the CLI.
public struct CommandResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs the built `crosstrail` with arguments, writing `stdin` (when given) to its standard input
/// through a pipe; never touches the network.
public func runCrossTrail(_ arguments: [String], cwd: URL? = nil, stdin: Data? = nil) throws -> CommandResult {
    let p = Process()
    p.executableURL = TestPaths.executable
    p.arguments = arguments
    if let cwd { p.currentDirectoryURL = cwd }
    let out = Pipe(), err = Pipe(), input = Pipe()
    p.standardOutput = out
    p.standardError = err
    if stdin != nil { p.standardInput = input }
    try p.run()
    if let stdin {
        let writer = Thread {
            input.fileHandleForWriting.write(stdin)
            try? input.fileHandleForWriting.close()
        }
        writer.start()
    }
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return CommandResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
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
