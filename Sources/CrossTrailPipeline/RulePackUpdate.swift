import CrossTrailBase
import CrossTrailHTTP
import CrossTrailIngest
import CrossTrailModel
import CrossTrailRules
import Crypto
import Foundation

/// `crosstrail rules update`: downloads a published Sigma rule set over HTTPS, checks it, and
/// installs its rule files in a folder, replacing the previous copy in one move. The folder then
/// goes to `scan`/`report` as `--rules DIR`; `SOURCE.json` beside the rules records the URL and
/// the SHA-256 of what was fetched, and the rules hash of every pack covers the files.
public struct RulePackUpdate {
    /// Rule sets crosstrail knows by name: the archive and the folder inside it that holds the
    /// AWS CloudTrail rules.
    public static let sources: [String: (url: String, folder: String)] = [
        "sigmahq": ("https://codeload.github.com/SigmaHQ/sigma/tar.gz/refs/heads/master", "rules/cloud/aws"),
        "suzaku": ("https://codeload.github.com/Yamato-Security/suzaku-rules/tar.gz/refs/heads/main", "suzaku/aws"),
    ]

    public struct Configuration: Sendable {
        /// A name from `sources`, or an https:// URL of a .tar.gz archive.
        public var source: String
        /// The folder inside the archive (below its top folder) to take rules from; a named
        /// source has its own.
        public var folder: String?
        /// Where to install (default: `$XDG_DATA_HOME/crosstrail/rules/NAME`).
        public var directory: String?
        /// The archive's expected SHA-256 (hex); without it the digest is only recorded.
        public var sha256: String?
        public var http = HTTPOptions()
        public var now = Date()

        public init(source: String) { self.source = source }
    }

    public struct Outcome: Sendable {
        public var directory: String
        public var url: String
        public var sha256: String
        public var files: Int
        public var rules: Int
        public var correlations: Int
        public var errors: [RuleError]
    }

    public let configuration: Configuration
    public init(_ configuration: Configuration) { self.configuration = configuration }

    static let maxArchiveBytes = 512 << 20
    static let maxRuleBytes = 1 << 20

    /// - Throws: `CrossTrailError`: `usage` for an unknown source or a URL that is not https;
    ///   `network`/`authentication` for the download, or an archive whose SHA-256 is not the one
    ///   given; `input-empty` for an archive without rules in the folder; `output` when the
    ///   folder cannot be written.
    public func run() throws -> Outcome {
        let c = configuration
        if let ca = c.http.caBundle { try EventInput.requireRegularFile(ca, option: "--ca-bundle") }
        let known = Self.sources[c.source.lowercased()]
        let url = known?.url ?? c.source
        guard url.lowercased().hasPrefix("https://") else {
            throw CrossTrailError(
                .usage,
                "rules update: '\(c.source)' is neither \(Self.sources.keys.sorted().joined(separator: " nor ")) nor an https:// URL"
            )
        }
        let folder = (c.folder ?? known?.folder ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        let name = known == nil ? "custom" : c.source.lowercased()
        let directory = c.directory ?? Self.defaultDirectory(name)
        // Only a previous install (it has SOURCE.json) or an empty folder is replaced: never a
        // folder of the user's own rules, never their home.
        if FileManager.default.fileExists(atPath: directory),
            !FileManager.default.fileExists(atPath: directory + "/SOURCE.json"),
            !((try? FileManager.default.contentsOfDirectory(atPath: directory))?.isEmpty ?? false)
        {
            throw CrossTrailError(
                .usage,
                "\(directory) exists and is not a rule set `rules update` installed (no SOURCE.json); choose another --dir",
                at: .file(path: directory))
        }
        let parent = PathText.parent(directory)
        do { try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) } catch {
            throw CrossTrailError(.output, "cannot create \(parent): \(error)", at: .file(path: parent))
        }

        // Download next to the destination (same file system), checked, then read.
        let archive = AtomicFile.temporaryPath(for: directory + ".tar.gz")
        defer { unlink(archive) }
        let download: Download
        do {
            let client = try HTTPClient(options: c.http)
            download = try client.download(HTTPRequest(method: "GET", url: url, label: "rule set \(name)"), to: archive)
        } catch { throw FetchPlan.classify(error) }
        guard (200..<300).contains(download.status) else {
            throw CrossTrailError(
                download.status == 401 || download.status == 403 ? .authentication : .network,
                "rule set \(name): HTTP \(download.status)", at: .url(url, status: download.status))
        }
        if let want = c.sha256?.lowercased(), want != download.sha256 {
            throw CrossTrailError(
                .network, "rule set \(name): the archive's SHA-256 is \(download.sha256), not \(want) as given",
                at: .url(url))
        }
        guard let compressed = FileManager.default.contents(atPath: archive),
            let tar = GzipCodec.decompress(Array(compressed), limit: Self.maxArchiveBytes)
        else {
            throw CrossTrailError(
                .inputUnreadable, "rule set \(name): the download is not a gzip archive", at: .url(url))
        }
        let entries: [TarArchive.Entry]
        do { entries = try TarArchive.regularFiles(tar) } catch {
            throw CrossTrailError(.inputUnreadable, "rule set \(name): \(error)", at: .url(url))
        }

        // Rule files under the folder, below the archive's top folder; nothing that climbs out.
        let staging = AtomicFile.temporaryPath(for: directory)
        var written = 0
        defer { try? FileManager.default.removeItem(atPath: staging) }
        for entry in entries {
            // Printable ASCII only: Swift compares Characters (grapheme clusters), the file system
            // bytes, and a "/" joined to a combining mark is one Character — `..` could hide in it.
            guard entry.path.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7f && $0 != UInt8(ascii: "\\") }) else { continue }
            let parts = entry.path.split(separator: "/").map(String.init)
            guard parts.count > 1, !parts.contains(".."), !parts.contains("."), !entry.path.hasPrefix("/") else {
                continue
            }
            let inside = parts.dropFirst().joined(separator: "/")
            guard folder.isEmpty || inside.hasPrefix(folder + "/"),
                inside.hasSuffix(".yml") || inside.hasSuffix(".yaml"), entry.data.count <= Self.maxRuleBytes
            else { continue }
            let relative = folder.isEmpty ? inside : String(inside.dropFirst(folder.count + 1))
            do {
                try AtomicFile.write(
                    entry.data, to: (staging as NSString).appendingPathComponent(relative), createFolders: true)
            } catch {
                throw CrossTrailError(.output, "\(error)", at: .file(path: directory))
            }
            written += 1
        }
        guard written > 0 else {
            throw CrossTrailError(
                .inputEmpty, "rule set \(name): the archive holds no .yml rules under '\(folder)'", at: .url(url))
        }
        let set = RuleSet.load(directories: [staging], builtins: false)
        let errors = set.errors.map {
            RuleError(
                file: $0.file.replacingOccurrences(of: staging, with: directory), line: $0.line, reason: $0.reason)
        }
        let source = SourceRecord(
            url: url, folder: folder, sha256: download.sha256,
            fetched: Timestamp(millis: Int64(c.now.timeIntervalSince1970 * 1000)).iso8601,
            files: written, rules: set.rules.count, correlations: set.correlations.count, errors: errors.count)
        do {
            try AtomicFile.write(Data(PrettyJSON.encode(source).utf8), to: staging + "/SOURCE.json")
            try AtomicFile.replaceFolder(directory, with: staging)
        } catch {
            throw CrossTrailError(
                .output, "cannot install the rules in \(directory): \(error)", at: .file(path: directory))
        }
        return Outcome(
            directory: directory, url: url, sha256: download.sha256, files: written, rules: set.rules.count,
            correlations: set.correlations.count, errors: errors)
    }

    struct SourceRecord: Encodable {
        var url: String
        var folder: String
        var sha256: String
        var fetched: String
        var files: Int
        var rules: Int
        var correlations: Int
        var errors: Int
    }

    /// `--rules` entries with a bare name that is not a path here but a set `rules update`
    /// installed (`--rules suzaku`) replaced by that set's folder.
    public static func resolve(_ entries: [String]) -> [String] {
        entries.map { entry in
            guard !entry.contains("/"), !FileManager.default.fileExists(atPath: entry) else { return entry }
            let installed = defaultDirectory(entry)
            return FileManager.default.fileExists(atPath: installed) ? installed : entry
        }
    }

    static func defaultDirectory(_ name: String) -> String {
        let env = ProcessInfo.processInfo.environment
        let data = env["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.local/share")
        return data + "/crosstrail/rules/" + name
    }

}
