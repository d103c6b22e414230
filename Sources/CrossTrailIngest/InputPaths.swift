#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a path names, symlinks followed. Only regular files are read as inputs (and directories
/// walked for them): opening a FIFO waits for a writer, a device may never end, and a socket
/// cannot be opened at all, so any of them would stall or break a run.
public enum FileKind: Sendable, Equatable {
    case regular, directory, fifo, socket, characterDevice, blockDevice, symbolicLink, other
    /// The path does not exist (or a symlink on it dangles), or `stat` failed.
    case missing(errno: Int32)

    public init(mode: mode_t) {
        switch mode & S_IFMT {
        case S_IFREG: self = .regular
        case S_IFDIR: self = .directory
        case S_IFIFO: self = .fifo
        case S_IFSOCK: self = .socket
        case S_IFCHR: self = .characterDevice
        case S_IFBLK: self = .blockDevice
        case S_IFLNK: self = .symbolicLink
        default: self = .other
        }
    }

    /// The kind of `path`, following symlinks (`stat`, which never opens the file, so never blocks).
    public static func of(_ path: String) -> FileKind {
        var st = stat()
        guard stat(path, &st) == 0 else { return .missing(errno: errno) }
        return FileKind(mode: st.st_mode)
    }

    /// "a named pipe (FIFO)", "a socket", ...
    public var name: String {
        switch self {
        case .regular: return "a regular file"
        case .directory: return "a directory"
        case .fifo: return "a named pipe (FIFO)"
        case .socket: return "a socket"
        case .characterDevice: return "a character device"
        case .blockDevice: return "a block device"
        case .symbolicLink: return "a symbolic link"
        case .other: return "a special file"
        case .missing: return "missing"
        }
    }

    /// The diagnostic for an input of this kind that is not read.
    public var notReadReason: String {
        "\(name), not a regular file: not read (only regular files, and directories walked for them, are read; pipe a stream into `-`)"
    }

    /// True for the kinds read as a stream when the user asked for one (`-`, `<(…)`).
    var isStream: Bool {
        switch self {
        case .fifo, .socket, .characterDevice: return true
        default: return false
        }
    }

    /// True when `path` is an anonymous pipe handed over by the shell (`<(command)` gives
    /// `/dev/fd/63`): it is already open in this process, so reading it cannot wait for a writer
    /// that never comes, unlike a named FIFO. Found without opening anything.
    public static func isAnonymousPipe(_ path: String) -> Bool {
        #if os(Linux)
        // /dev/fd/63 → /proc/self/fd/63 → "pipe:[123456]"
        var p = path
        for _ in 0..<8 {
            var st = stat()
            guard lstat(p, &st) == 0, (st.st_mode & S_IFMT) == S_IFLNK else { return false }
            var buf = [UInt8](repeating: 0, count: 4096)
            let n = buf.withUnsafeMutableBufferPointer { b in
                b.withMemoryRebound(to: CChar.self) { readlink(p, $0.baseAddress!, $0.count - 1) }
            }
            guard n > 0 else { return false }
            let target = String(decoding: buf[..<n], as: UTF8.self)
            if target.hasPrefix("pipe:[") { return true }
            if target.hasPrefix("/") {
                p = target
            } else if let slash = p.lastIndex(of: "/") {
                p = String(p[...slash]) + target
            } else {
                p = target
            }
        }
        return false
        #else
        return path.hasPrefix("/dev/fd/")
        #endif
    }
}
