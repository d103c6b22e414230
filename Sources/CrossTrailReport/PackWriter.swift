import CrossTrailBase
import CrossTrailXML
import Crypto
import Foundation

/// Writes an evidence pack atomically: everything goes into a hidden staging folder next to the
/// destination, is hashed, validated and signed there, and only then renamed into place. An
/// interrupted run never leaves a half-written pack at the destination.
/// `abandon()` may be called from a signal handler's queue while the main thread writes.
public final class PackWriter: Sendable {
    public let destination: String
    public let staging: String
    private let finished = Locked(false)

    public struct PackError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Fails before any work when the destination exists (unless `replace`) or its folder is not writable.
    public init(destination: String, replace: Bool) throws {
        let dest = (destination as NSString).standardizingPath
        let parent =
            PathText.parent(dest).isEmpty ? "." : PathText.parent(dest)
        let name = (dest as NSString).lastPathComponent
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: dest, isDirectory: &isDir) && !replace {
            throw PackError(description: "\(dest) already exists; choose another --out or pass --force to replace it")
        }
        if FileManager.default.fileExists(atPath: dest) && !isDir.boolValue {
            throw PackError(description: "\(dest) exists and is not a folder")
        }
        guard FileManager.default.isWritableFile(atPath: parent) else {
            throw PackError(description: "cannot write in \(parent)")
        }
        self.destination = dest
        staging = Self.stagingPath(for: dest)
        StaleFiles.sweepOnce(folder: PathText.parent(staging))
        try? FileManager.default.removeItem(atPath: staging)
        try FileManager.default.createDirectory(
            atPath: staging, withIntermediateDirectories: false,
            attributes: [.posixPermissions: 0o755])
    }

    deinit { if !finished.current { abandon() } }

    /// The hidden staging folder next to `destination` (this process's): known before the writer
    /// exists, so an interrupt cleanup can be registered before the folder is made.
    public static func stagingPath(for destination: String) -> String {
        let dest = (destination as NSString).standardizingPath
        let parent =
            PathText.parent(dest).isEmpty ? "." : PathText.parent(dest)
        return (parent as NSString).appendingPathComponent(
            ".\((dest as NSString).lastPathComponent).partial-\(getpid())")
    }

    /// Removes a staging folder even while other threads still write into it (an interrupt):
    /// renamed away first, so no new file appears in it by its path, then removed, retried while
    /// files still land in it.
    public static func removeStaging(_ staging: String) {
        let doomed = staging + ".abandoned"
        let target = rename(staging, doomed) == 0 ? doomed : staging
        for _ in 0..<50 {
            try? FileManager.default.removeItem(atPath: target)
            guard FileManager.default.fileExists(atPath: target) else { return }
            usleep(10_000)
        }
    }

    /// The path of a file inside the staging folder.
    public func path(_ name: String) -> String { (staging as NSString).appendingPathComponent(name) }

    public func write(_ name: String, _ text: String) throws { try write(name, Data(text.utf8)) }

    public func write(_ name: String, _ data: Data) throws {
        do { try data.write(to: URL(fileURLWithPath: path(name))) } catch {
            throw PackError(description: "cannot write \(name) in \(staging): \(error.localizedDescription)")
        }
    }

    public func copy(resource: String) throws {
        try write(resource, ReportResources.data(resource))
    }

    /// Validates the pack's XML, writes the manifest (and signature), and moves the pack into place.
    public func finish(manifest: Manifest, signingKey: Curve25519.Signing.PrivateKey?) throws -> Manifest {
        for issue in try PackVerifier.validateXML(in: staging) {
            throw PackError(description: "internal error: the pack's XML does not validate: \(issue)")
        }
        var m = manifest
        if let key = signingKey {
            try write(Manifest.publicKeyName, PackKeys.pem(key.publicKey))
            m.signedBy = PackKeys.fingerprint(key.publicKey)
        }
        m.files = try Manifest.hashFiles(in: staging)
        let body = try m.encoded()
        try write(Manifest.fileName, body)
        if let key = signingKey {
            try write(Manifest.signatureName, try key.signature(for: body).base64EncodedString() + "\n")
        }
        do { try AtomicFile.replaceFolder(destination, with: staging) } catch {
            throw PackError(description: "cannot move the pack into \(destination): \(error.reason)")
        }
        finished.withLock { $0 = true }
        return m
    }

    /// Removes the staging folder (on errors and interrupts).
    public func abandon() {
        finished.withLock { $0 = true }
        Self.removeStaging(staging)
    }
}
