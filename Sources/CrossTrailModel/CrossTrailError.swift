/// How a run ended, as the process exit status scripts test (Docs/guide.md, "Exit status").
public enum ExitStatus: Int32, Sendable, CaseIterable, Codable {
    /// The run completed; nothing at or above `--fail-on`.
    case success = 0
    /// Findings at or above `--fail-on` (scan), or a pack that fails verification (verify).
    case findings = 1
    /// A command line crosstrail cannot run: unknown option, bad value, conflicting options.
    case usage = 2
    /// `--strict` and an input produced diagnostics (the outputs are still written).
    case diagnostics = 3
    /// An input is missing, unreadable, or holds nothing crosstrail recognizes.
    case input = 4
    /// A remote call failed: connection, TLS, HTTP status, credentials.
    case network = 5
    /// The case store or an output could not be read or written; also any error crosstrail does
    /// not classify (never 1, which scripts read as findings).
    case storage = 6
    /// SIGINT or SIGTERM; partial outputs were removed.
    case interrupted = 130

    /// The one-line meaning, as the exit-status tables in the help and docs print it.
    public var meaning: String {
        switch self {
        case .success: "success (no finding at or above --fail-on)"
        case .findings: "findings at or above --fail-on (scan); the pack fails verification (verify)"
        case .usage: "usage error"
        case .diagnostics: "input diagnostics under --strict (outputs still written)"
        case .input: "an input is missing, unreadable, or holds nothing crosstrail recognizes"
        case .network: "a remote call failed (connection, TLS, HTTP status, credentials)"
        case .storage: "the case store or an output cannot be read or written"
        case .interrupted: "interrupted (partial outputs removed)"
        }
    }
}

/// An error that stops a run: what went wrong (a code scripts can test), where (a file and
/// position, or a URL and HTTP status), and the error underneath.
public struct CrossTrailError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable, Codable {
        /// A path given on the command line does not exist.
        case inputMissing = "input-missing"
        /// A path exists but cannot be read (permissions, not a regular file or directory).
        case inputUnreadable = "input-unreadable"
        /// A path can be read but holds nothing of the kind expected (an empty inventory folder).
        case inputEmpty = "input-empty"
        /// A required resource of crosstrail itself is missing (its built-in rules).
        case installation
        /// An option's value is wrong in a way only reading it reveals (a key file that is not a key).
        case usage
        /// A request failed: connection, TLS, timeout, or an HTTP error status.
        case network
        /// The remote side refused the credentials.
        case authentication
        /// The case store cannot be opened, read or written.
        case store
        /// An output file or folder cannot be written.
        case output
    }

    /// Where the error is.
    public enum Location: Sendable, CustomStringConvertible {
        case file(path: String, line: Int? = nil, offset: Int? = nil)
        case url(String, status: Int? = nil)

        public var description: String {
            switch self {
            case .file(let path, let line, let offset):
                path + (line.map { ":\($0)" } ?? "") + (offset.map { " (byte \($0))" } ?? "")
            case .url(let url, let status):
                url + (status.map { " (HTTP \($0))" } ?? "")
            }
        }
    }

    public var code: Code
    public var message: String
    public var location: Location?
    /// The error this one wraps (a POSIX, SQLite or HTTP client error), for logs and debugging.
    public var underlying: (any Error)?

    public init(_ code: Code, _ message: String, at location: Location? = nil, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.location = location
        self.underlying = underlying
    }

    /// The exit status a command ends with when this error stops it.
    public var exitStatus: ExitStatus {
        switch code {
        case .inputMissing, .inputUnreadable, .inputEmpty: .input
        case .usage: .usage
        case .network, .authentication: .network
        case .store, .output: .storage
        case .installation: .input
        }
    }

    /// "LOCATION: MESSAGE" (the location is part of the message when it reads better there).
    public var description: String {
        guard let location else { return message }
        let place = location.description
        return message.contains(place) ? message : "\(place): \(message)"
    }
}
