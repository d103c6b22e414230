import CrossTrailBase
import CrossTrailHTTP
import CrossTrailModel
import Crypto
import Foundation

/// The state of one `--out` folder across runs: a checkpoint of what was fetched (so a rerun gets
/// only what is new or changed) and the provenance manifest of the last run. Both live in the
/// hidden folder `.crosstrail-fetch/`, which the log and inventory readers skip.
public final class FetchRun: @unchecked Sendable {
    public static let stateFolder = ".crosstrail-fetch"

    public struct Entry: Codable, Sendable, Equatable {
        public var path: String
        public var bytes: Int64
        public var etag: String?
        public var sha256: String
        public var fetchedAt: String
    }

    public struct Manifest: Codable, Sendable {
        public var format = "crosstrail-fetch-manifest/1"
        public var tool: String
        public var command: String
        public var started: String
        public var finished: String?
        /// Every request of this run (attempts included), without query strings or credentials.
        public var requests: [RequestRecord]
        /// Every file in the folder that crosstrail fetched (this run and earlier ones), with its hash.
        public var files: [String: Entry]
        public var warnings: [String]
    }

    public let out: String
    private var checkpoint: [String: Entry]
    private var manifest: Manifest
    private let lock = NSLock()
    private var unsaved = 0

    public init(out: String, tool: String, command: String) throws {
        self.out = (out as NSString).standardizingPath
        try FileManager.default.createDirectory(
            atPath: self.out + "/" + Self.stateFolder, withIntermediateDirectories: true)
        let data = FileManager.default.contents(atPath: self.out + "/\(Self.stateFolder)/checkpoint.json")
        checkpoint = data.flatMap { try? JSONDecoder().decode([String: Entry].self, from: $0) } ?? [:]
        manifest = Manifest(tool: tool, command: command, started: Self.now(), requests: [], files: [:], warnings: [])
    }

    /// The manifest of the last completed run, when the folder has one.
    public static func lastManifest(in dir: String) -> String? {
        let p = (dir as NSString).appendingPathComponent("\(stateFolder)/fetch-manifest.json")
        return FileManager.default.fileExists(atPath: p) ? p : nil
    }

    /// True when `key` was fetched before with this size and ETag and the file is still there.
    public func isCurrent(_ key: String, bytes: Int64, etag: String?) -> Bool {
        lock.lock(); defer { lock.unlock() }
        guard let e = checkpoint[key], e.bytes == bytes, e.etag == etag else { return false }
        var st = stat()
        return lstat(out + "/" + e.path, &st) == 0 && Int64(st.st_size) == bytes
    }

    public func record(key: String, path: String, bytes: Int64, etag: String?, sha256: String) {
        lock.lock()
        checkpoint[key] = Entry(path: path, bytes: bytes, etag: etag, sha256: sha256, fetchedAt: Self.now())
        unsaved += 1
        let save = unsaved >= 200
        lock.unlock()
        if save { try? saveCheckpoint() }
    }

    /// Hashes a file crosstrail wrote itself (inventory, audit rows) and records it.
    public func record(key: String, file path: String) throws {
        let (bytes, digest) = try Self.sha256(file: out + "/" + path)
        record(key: key, path: path, bytes: bytes, etag: nil, sha256: digest)
    }

    public func attempt(_ r: RequestRecord) {
        lock.lock(); manifest.requests.append(r); lock.unlock()
    }

    public func warn(_ message: String) {
        lock.lock(); manifest.warnings.append(message); lock.unlock()
    }

    public var warnings: [String] { lock.lock(); defer { lock.unlock() }; return manifest.warnings }

    public func saveCheckpoint() throws {
        lock.lock()
        let snapshot = checkpoint
        unsaved = 0
        lock.unlock()
        try write(snapshot, to: "checkpoint.json")
    }

    /// Writes the checkpoint and the run's manifest.
    public func finish() throws {
        try saveCheckpoint()
        lock.lock()
        manifest.finished = Self.now()
        manifest.files = checkpoint
        let m = manifest
        lock.unlock()
        try write(m, to: "fetch-manifest.json")
    }

    private func write<T: Encodable>(_ value: T, to name: String) throws {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try Self.writeAtomically(try e.encode(value), to: out + "/\(Self.stateFolder)/" + name)
    }

    /// Writes whole or not at all, creating the folders above `path`.
    static func writeAtomically(_ data: Data, to path: String) throws {
        do { try AtomicFile.write(data, to: path, createFolders: true) } catch { throw FetchError("\(error)") }
    }

    static func sha256(file: String) throws -> (Int64, String) {
        guard let data = FileManager.default.contents(atPath: file) else { throw FetchError("cannot read \(file)") }
        return (Int64(data.count), SHA256.hash(data: data).hexString)
    }

    static func now() -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: Date())
    }
}

/// Maps untrusted names (S3 keys, API ids) to relative paths that stay inside the output folder:
/// each segment is kept when it is plain, and percent-encoded otherwise (`..`, `.`, empty
/// segments, control characters, `%`, backslashes, names starting with a dot, overlong names).
public enum SafePath {
    public static func relative(_ key: String) -> String {
        key.split(separator: "/", omittingEmptySubsequences: false).map { segment(String($0)) }.joined(separator: "/")
    }

    public static func segment(_ s: String) -> String {
        if s.isEmpty { return "%00empty" }
        if s == "." || s == ".." { return s.replacingOccurrences(of: ".", with: "%2E") }
        var out = ""
        for (i, u) in s.unicodeScalars.enumerated() {
            let bad = u.value < 0x20 || u.value == 0x7F || u == "%" || u == "\\" || (i == 0 && u == ".")
            if bad {
                for b in String(u).utf8 { out += String(format: "%%%02X", b) }
            } else {
                out.unicodeScalars.append(u)
            }
        }
        // File systems limit names to 255 bytes: keep a prefix and a hash of the rest.
        if out.utf8.count > 200 {
            let digest = SHA256.hash(data: Data(out.utf8)).hexString.prefix(16)
            out = String(out.prefix(150)) + "~" + digest
        }
        return out
    }

    /// `root/relative`, checked to be inside `root` after normalisation.
    public static func join(_ root: String, _ relative: String) throws -> String {
        let base = (root as NSString).standardizingPath
        let full = ((base as NSString).appendingPathComponent(relative) as NSString).standardizingPath
        guard full.hasPrefix(base + "/") else { throw FetchError("refusing to write \(relative): outside \(base)") }
        return full
    }
}
