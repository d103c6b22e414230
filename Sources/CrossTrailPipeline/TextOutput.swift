import CrossTrailBase
import CrossTrailIngest
import CrossTrailModel
import Foundation

/// Buffered text output to standard output or a file. A file is written under a temporary name
/// and renamed into place when complete, so a failed run never leaves half a report.
public final class TextOutput {
    private let handle: FileHandle
    private let path: String?
    private let temporary: String?
    private var buffer = [UInt8]()
    /// The first write error, reported by `finish()` (writes themselves do not throw).
    private var writeError: (any Error)?
    private var finished = false

    /// - Parameter path: the file to write, or nil for standard output.
    /// - Throws: `CrossTrailError.output` (exit 6) when the file cannot be created.
    public init(path: String?) throws {
        self.path = path
        // A device or pipe named as the output (`-o /dev/null`, `-o /dev/stdout`, a FIFO) is
        // written in place: renaming a file over it would replace the device itself.
        if let path, [.characterDevice, .fifo].contains(FileKind.of(path)) {
            guard let h = FileHandle(forWritingAtPath: path) else {
                throw CrossTrailError(
                    .output, "cannot write \(path): \(String(cString: strerror(errno)))", at: .file(path: path))
            }
            handle = h
            temporary = nil
        } else if let path {
            let tmp = AtomicFile.temporaryPath(for: path)
            guard FileManager.default.createFile(atPath: tmp, contents: nil), let h = FileHandle(forWritingAtPath: tmp)
            else {
                throw CrossTrailError(
                    .output, "cannot write \(path): \(String(cString: strerror(errno)))", at: .file(path: path))
            }
            handle = h
            temporary = tmp
        } else {
            handle = FileHandle.standardOutput
            temporary = nil
        }
        buffer.reserveCapacity(1 << 20)
    }

    public func write(_ s: String) {
        buffer.append(contentsOf: s.utf8)
        if buffer.count >= 1 << 20 { flush() }
    }

    private func flush() {
        if writeError == nil {
            do { try handle.write(contentsOf: buffer) } catch { writeError = error }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, and moves a file into place.
    /// - Throws: `CrossTrailError.output` (exit 6) when a write or the move failed; the
    ///   partial file is removed.
    public func finish() throws {
        flush()
        finished = true
        if let writeError {
            if let temporary { unlink(temporary) }
            throw CrossTrailError(
                .output, "cannot write \(path ?? "standard output"): \(writeError)", at: path.map { .file(path: $0) },
                underlying: writeError)
        }
        guard let path, let temporary else {
            if path != nil { try handle.close() }
            return
        }
        try handle.close()
        do { try AtomicFile.commit(temporary, to: path) } catch {
            throw CrossTrailError(.output, "\(error)", at: .file(path: path), underlying: error)
        }
    }

    /// A run that stopped before `finish()` leaves no partial file.
    deinit {
        if !finished, let temporary {
            try? handle.close()
            unlink(temporary)
        }
    }

    /// Writes `text` whole to `path` (or standard output).
    public static func write(_ text: String, to path: String?) throws {
        let out = try TextOutput(path: path)
        out.write(text)
        try out.finish()
    }
}

/// The JSON every crosstrail document uses: pretty, keys sorted, slashes as they are.
public enum PrettyJSON {
    public static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
    }
}
