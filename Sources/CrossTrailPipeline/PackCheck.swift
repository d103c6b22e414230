import CrossTrailModel
import CrossTrailReport
import Crypto
import Foundation

/// `crosstrail verify` and `keygen` as library calls.
public enum PackCheck {
    public enum Outcome: Sendable {
        /// The pack was read and checked: `result.ok` says whether it is intact.
        case checked(PackVerifier.Report)
        /// The ZIP could not be read (a damaged or hostile archive): the pack fails.
        case unreadableZip(String)
    }

    /// Checks a pack folder or its ZIP (extracted into a private temporary folder, removed after).
    /// - Throws: `CrossTrailError` — `input-missing` when the pack does not exist, `usage` for a
    ///   trusted key that cannot be read or parsed.
    public static func verify(_ pack: String, trustedKey: String?, requireSignature: Bool) throws -> Outcome {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: pack, isDirectory: &isDir) else {
            throw CrossTrailError(.inputMissing, "\(pack) does not exist", at: .file(path: pack))
        }
        let key = try trustedKey.map { path -> Curve25519.Signing.PublicKey in
            let pem = String(decoding: try EventInput.readOptionFile(path, option: "--trusted-key"), as: UTF8.self)
            do { return try PackKeys.publicKey(pem: pem, source: path) } catch {
                throw CrossTrailError(.usage, "\(error)", at: .file(path: path), underlying: error)
            }
        }
        guard !isDir.boolValue else {
            return .checked(PackVerifier.verify(pack: pack, trustedKey: key, requireSignature: requireSignature))
        }
        let scratch =
            (ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp")
            + "/crosstrail-verify-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do {
            try FileManager.default.createDirectory(
                atPath: scratch, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        } catch {
            throw CrossTrailError(
                .output, "cannot create \(scratch): \(error)", at: .file(path: scratch), underlying: error)
        }
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let folder: String
        do { folder = try PackZip.extract(pack, into: scratch) } catch {
            return .unreadableZip(String(describing: error))
        }
        return .checked(PackVerifier.verify(pack: folder, trustedKey: key, requireSignature: requireSignature))
    }

    /// Creates an Ed25519 key pair: the private key at `path` (PEM, mode 0600, never overwritten)
    /// and the public key next to it as `.pub`. Returns the public key's path and fingerprint.
    public static func generateKey(at path: String) throws -> (publicKey: String, fingerprint: String) {
        let key = Curve25519.Signing.PrivateKey()
        let pub = (path.hasSuffix(".pem") ? String(path.dropLast(4)) : path) + ".pub"
        // Neither file is ever replaced: a public key may be one auditors already trust.
        func create(_ file: String, mode: mode_t) throws -> FileHandle {
            let fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode)
            guard fd >= 0 else {
                let why = errno == EEXIST ? "it exists; not overwriting a key" : String(cString: strerror(errno))
                throw CrossTrailError(
                    errno == EEXIST ? .usage : .output, "cannot create \(file): \(why)", at: .file(path: file))
            }
            return FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        }
        let pubHandle = try create(pub, mode: 0o644)
        let handle: FileHandle
        do { handle = try create(path, mode: 0o600) } catch {
            unlink(pub)
            throw error
        }
        do {
            try handle.write(contentsOf: Data(PackKeys.pem(key).utf8))
            try pubHandle.write(contentsOf: Data(PackKeys.pem(key.publicKey).utf8))
        } catch {
            unlink(path)
            unlink(pub)
            throw CrossTrailError(
                .output, "cannot write the key pair \(path): \(error)", at: .file(path: path), underlying: error)
        }
        return (pub, PackKeys.fingerprint(key.publicKey))
    }
}
