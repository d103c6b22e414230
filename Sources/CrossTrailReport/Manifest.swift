import CrossTrailModel
import Crypto
import Foundation

/// `manifest.json`: the SHA-256 of every file in the pack plus how the pack was made. Signed
/// (Ed25519, `manifest.sig`) when a key is given; `crosstrail verify` checks both.
public struct Manifest: Codable, Sendable, Equatable {
    public struct File: Codable, Sendable, Equatable {
        public var path: String
        public var bytes: Int64
        public var sha256: String
    }

    public var format = "crosstrail-evidence-pack/1"
    public var tool: String
    public var version: String
    public var generatedAt: String
    public var period: String?
    public var command: String
    public var rulesHash: String
    /// `SHA256:<base64>` of the signing key, when signed.
    public var signedBy: String?
    public var files: [File]

    public init(
        tool: String, version: String, generatedAt: String, period: String?, command: String, rulesHash: String,
        files: [File] = []
    ) {
        self.tool = tool
        self.version = version
        self.generatedAt = generatedAt
        self.period = period
        self.command = command
        self.rulesHash = rulesHash
        self.files = files
    }

    public static let fileName = "manifest.json"
    public static let signatureName = "manifest.sig"
    public static let publicKeyName = "manifest.pub"

    public func encoded() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try e.encode(self) + Data("\n".utf8)
    }

    /// Every regular file under `dir` except the manifest and its signature, sorted by path.
    static func hashFiles(in dir: String) throws -> [File] {
        try listFiles(dir).filter { $0 != fileName && $0 != signatureName }.map { rel in
            let (size, digest) = try sha256(file: (dir as NSString).appendingPathComponent(rel))
            return File(path: rel, bytes: size, sha256: digest)
        }
    }

    /// Relative paths of the regular files under `dir`, sorted; symbolic links are reported as
    /// files so a verifier notices them (they are never followed).
    static func listFiles(_ dir: String) throws -> [String] {
        var out: [String] = []
        func walk(_ rel: String) throws {
            let abs = rel.isEmpty ? dir : (dir as NSString).appendingPathComponent(rel)
            for name in try FileManager.default.contentsOfDirectory(atPath: abs).sorted() {
                let r = rel.isEmpty ? name : rel + "/" + name
                var st = stat()
                guard lstat((dir as NSString).appendingPathComponent(r), &st) == 0 else { continue }
                if (st.st_mode & S_IFMT) == S_IFDIR { try walk(r) } else { out.append(r) }
            }
        }
        try walk("")
        return out.sorted()
    }

    /// Size and lower-case hex SHA-256 of a file, streamed.
    public static func sha256(file path: String) throws -> (Int64, String) {
        guard let h = FileHandle(forReadingAtPath: path) else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path])
        }
        defer { try? h.close() }
        var hasher = SHA256()
        var size: Int64 = 0
        while true {
            let chunk = try h.read(upToCount: 1 << 20) ?? Data()
            if chunk.isEmpty { break }
            size += Int64(chunk.count)
            hasher.update(data: chunk)
        }
        return (size, hasher.finalize().hexString)
    }

    /// Lower-case hex SHA-256 of bytes in memory.
    public static func sha256(_ data: Data) -> String { SHA256.hash(data: data).hexString }

}
