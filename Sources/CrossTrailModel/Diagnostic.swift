/// A problem with the input that did not stop the run: a bad record, a corrupt file.
public struct Diagnostic: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Severity: String, Sendable, Codable { case warning, error }

    public var severity: Severity
    public var file: String
    /// 1-based line, when the position is on a line-oriented file.
    public var line: Int?
    /// Byte offset in the (decompressed) file.
    public var offset: Int?
    public var reason: String

    public init(_ severity: Severity, file: String, line: Int? = nil, offset: Int? = nil, reason: String) {
        self.severity = severity
        self.file = file
        self.line = line
        self.offset = offset
        self.reason = reason
    }

    public var description: String {
        var where_ = file
        if let line { where_ += ":\(line)" }
        if let offset { where_ += " (byte \(offset))" }
        return "\(where_): \(severity.rawValue): \(reason)"
    }
}
