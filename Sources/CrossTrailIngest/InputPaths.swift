import CrossTrailModel

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

/// The one check that keeps outputs away from inputs: an output equal to an input, inside an
/// input folder, or a folder containing an input would truncate, replace or delete evidence
/// (`timeline a.json -o a.json`, `report logs --out logs --force`, `report logs --out . --force`).
/// Paths are compared resolved: absolute, symlinks followed, `.` and `..` removed, also for an
/// output that does not exist yet; an existing output is also compared by device and inode, so a
/// hard link to an input is caught.
public enum PathOverlap {
    public enum Relation: Sendable, Equatable {
        /// The output is the input (same path, symlink or hard link).
        case same
        /// The output would be written inside the input folder.
        case outputInsideInput
        /// The output (a folder, or replacing one) contains the input.
        case inputInsideOutput
    }

    /// An output that overlaps an input; its description is the usage error shown.
    public struct Conflict: Error, Sendable, CustomStringConvertible {
        public var option: String
        public var output: String
        public var input: String
        public var resolvedOutput: String
        public var resolvedInput: String
        public var relation: Relation

        public var description: String {
            let what: String
            switch relation {
            case .same:
                what =
                    resolvedOutput == resolvedInput
                    ? "is the input '\(input)' (both are \(resolvedOutput))"
                    : "is the input '\(input)' (\(resolvedOutput) is a hard link to \(resolvedInput))"
            case .outputInsideInput:
                what = "is inside the input '\(input)' (\(resolvedOutput) is under \(resolvedInput))"
            case .inputInsideOutput:
                what = "contains the input '\(input)' (\(resolvedInput) is under \(resolvedOutput))"
            }
            return
                "\(option) '\(output)' \(what); writing there would destroy or change the evidence: choose an output outside the inputs"
        }
    }

    /// Throws when `output` (given with `option`) overlaps one of `inputs`. `-` (standard input or
    /// output) and nil are never in conflict.
    public static func check(_ option: String, _ output: String?, inputs: [String?]) throws(Conflict) {
        guard let output, output != "-", !output.isEmpty else { return }
        let out = resolve(output)
        let outID = identity(out)
        for case let input? in inputs where input != "-" && !input.isEmpty {
            let resolved = resolve(input)
            let relation: Relation?
            if resolved == out || (outID != nil && outID == identity(resolved)) {
                relation = .same
            } else if contains(resolved, out) {
                relation = .outputInsideInput
            } else if contains(out, resolved) {
                relation = .inputInsideOutput
            } else {
                relation = nil
            }
            if let relation {
                throw Conflict(
                    option: option, output: output, input: input, resolvedOutput: out, resolvedInput: resolved,
                    relation: relation)
            }
        }
        // An existing output with other hard links may be one of the files inside an input folder.
        var st = stat()
        if stat(out, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_nlink > 1 {
            var ignored: [Diagnostic] = []
            let folders = inputs.compactMap { $0 }.filter { $0 != "-" && FileKind.of($0) == .directory }
            for file in Ingestor.discover(folders, diagnostics: &ignored) where identity(file.path) == outID {
                throw Conflict(
                    option: option, output: output, input: file.display, resolvedOutput: out,
                    resolvedInput: resolve(file.path), relation: .same)
            }
        }
    }

    /// True when `inner` lies under the folder `outer` (both resolved).
    static func contains(_ outer: String, _ inner: String) -> Bool {
        let prefix = outer.hasSuffix("/") ? outer : outer + "/"
        return inner.hasPrefix(prefix)
    }

    static func identity(_ path: String) -> [UInt64]? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return [UInt64(st.st_dev), UInt64(st.st_ino)]
    }

    /// `path` absolute, with symlinks resolved and `.`/`..` removed. A path that does not exist
    /// yet resolves its nearest existing ancestor and appends the rest; a dangling symlink
    /// resolves to where writing through it would create the file.
    public static func resolve(_ path: String) -> String {
        resolve(path.hasPrefix("/") ? path : currentDirectory() + "/" + path, depth: 0)
    }

    private static func resolve(_ absolute: String, depth: Int) -> String {
        if let real = realpath(absolute, nil) {
            defer { free(real) }
            return String(cString: real)
        }
        guard depth < 64 else { return absolute }
        var st = stat()
        if lstat(absolute, &st) == 0, (st.st_mode & S_IFMT) == S_IFLNK {
            var buf = [UInt8](repeating: 0, count: 4096)
            let n = buf.withUnsafeMutableBufferPointer { b in
                b.withMemoryRebound(to: CChar.self) { readlink(absolute, $0.baseAddress!, $0.count - 1) }
            }
            if n > 0 {
                let target = String(decoding: buf[..<n], as: UTF8.self)
                let (parent, _) = split(absolute)
                return resolve(target.hasPrefix("/") ? target : parent + "/" + target, depth: depth + 1)
            }
        }
        let (parent, name) = split(absolute)
        if parent == absolute { return absolute }  // the root
        let base = resolve(parent, depth: depth + 1)
        switch name {
        case "", ".": return base
        case "..": return split(base).parent
        default: return base == "/" ? "/" + name : base + "/" + name
        }
    }

    /// The folder and the last component of an absolute path (trailing slashes ignored).
    private static func split(_ path: String) -> (parent: String, name: String) {
        var p = Substring(path)
        while p.count > 1, p.hasSuffix("/") { p = p.dropLast() }
        guard let slash = p.lastIndex(of: "/") else { return ("/", String(p)) }
        let parent = p[..<slash]
        return (parent.isEmpty ? "/" : String(parent), String(p[p.index(after: slash)...]))
    }

    private static func currentDirectory() -> String {
        guard let cwd = getcwd(nil, 0) else { return "/" }
        defer { free(cwd) }
        return String(cString: cwd)
    }
}
