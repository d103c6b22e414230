import Foundation

/// Files that appear whole or not at all: bytes go to a hidden temporary file in the
/// destination's folder (so the rename never crosses file systems), which is renamed over the
/// destination only when complete. Temporary names are unique per process and per call, so two
/// threads writing the same file never share one.
public enum AtomicFile {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var path: String
        public var reason: String
        public var description: String { "cannot write \(path): \(reason)" }
    }

    private static let counter = Locked(0)

    /// `folder/.name.tmp-PID-N` for `folder/name`.
    public static func temporaryPath(for path: String) -> String {
        let n = counter.withLock { n in
            n += 1
            return n
        }
        let folder = PathText.parent(path)
        StaleFiles.sweepOnce(folder: folder)
        return (folder.isEmpty ? "" : folder + "/") + "." + (path as NSString).lastPathComponent
            + ".tmp-\(getpid())-\(n)"
    }

    /// Writes `bytes` to `path` whole.
    /// - Parameter createFolders: create the missing folders above `path` first.
    public static func write(_ bytes: some DataProtocol, to path: String, createFolders: Bool = false) throws(Failure) {
        if createFolders {
            let folder = PathText.parent(path)
            if !folder.isEmpty {
                do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch
                {
                    throw Failure(path: path, reason: "cannot create \(folder): \(error.localizedDescription)")
                }
            }
        }
        let temporary = temporaryPath(for: path)
        do { try Data(bytes).write(to: URL(fileURLWithPath: temporary)) } catch {
            unlink(temporary)
            throw Failure(path: path, reason: error.localizedDescription)
        }
        try commit(temporary, to: path)
    }

    /// Puts the complete folder `staging` at `destination` (same file system): a folder already
    /// there is moved aside first, put back if the move fails, and removed after it succeeds.
    public static func replaceFolder(_ destination: String, with staging: String) throws(Failure) {
        var old: String?
        if FileManager.default.fileExists(atPath: destination) {
            let aside = temporaryPath(for: destination) + ".old"
            guard rename(destination, aside) == 0 else {
                throw Failure(path: destination, reason: "cannot move it aside: \(String(cString: strerror(errno)))")
            }
            old = aside
        }
        guard rename(staging, destination) == 0 else {
            let reason = String(cString: strerror(errno))
            if let old { rename(old, destination) }
            throw Failure(path: destination, reason: reason)
        }
        if let old { try? FileManager.default.removeItem(atPath: old) }
    }

    /// Moves a complete temporary file over `path`; on failure the temporary file is removed.
    public static func commit(_ temporary: String, to path: String) throws(Failure) {
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw Failure(path: path, reason: reason)
        }
    }
}
