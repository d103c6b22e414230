import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Temporary files and staging folders carry the writing process's id (`.name.tmp-PID-N`,
/// `.pack.partial-PID`). A process killed outright (SIGKILL, the OOM killer, a full disk that
/// made it abort) leaves them behind; the first write into a folder removes those whose process
/// is gone, so they do not pile up next to the outputs. Entries of live processes (another
/// crosstrail writing now) are left alone.
public enum StaleFiles {
    private static let swept = Locked<Set<String>>([])

    /// Sweeps `folder` once per process.
    public static func sweepOnce(folder: String) {
        let key = folder.isEmpty ? "." : folder
        guard swept.withLock({ $0.insert(key).inserted }) else { return }
        sweep(folder: key)
    }

    /// Removes `.…tmp-PID-N` files and `.…partial-PID` folders (and their `.abandoned` copies) of
    /// processes that no longer run.
    public static func sweep(folder: String) {
        guard let handle = opendir(folder) else { return }
        var doomed: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name.hasPrefix("."), let pid = ownerPID(name), pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { doomed.append(name) }
        }
        closedir(handle)
        for name in doomed { try? FileManager.default.removeItem(atPath: folder + "/" + name) }
    }

    /// The process id in a temporary name crosstrail makes, or nil for any other name.
    static func ownerPID(_ name: String) -> pid_t? {
        for marker in [".tmp-", ".partial-"] {
            guard let r = name.range(of: marker, options: .backwards) else { continue }
            let rest = name[r.upperBound...]
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            let after = rest.dropFirst(digits.count)
            let shapeOK =
                marker == ".tmp-"
                ? after.first == "-" && after.dropFirst().allSatisfy { $0.isASCII && $0.isNumber } && after.count > 1
                : after.isEmpty || after == ".abandoned"
            if shapeOK, let pid = pid_t(digits), pid > 0 { return pid }
        }
        return nil
    }
}
