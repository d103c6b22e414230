import CCurl
import CrossTrailBase
import Crypto
import Foundation

/// One HTTP request. `label` names it in messages and the fetch manifest; it never holds a secret.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(String, String)]
    public var body: [UInt8]
    public var label: String

    public init(
        method: String = "GET", url: String, headers: [(String, String)] = [], body: [UInt8] = [], label: String
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.label = label
    }

    /// The URL without its query string (query strings can carry presigned credentials).
    public var redactedURL: String { HTTPRequest.redact(url) }

    public static func redact(_ url: String) -> String {
        guard let q = url.firstIndex(of: "?") else { return url }
        return String(url[..<q]) + "?…"
    }

    /// The value of a header (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    /// Lower-cased names; the last value wins.
    public var headers: [String: String]
    public var body: [UInt8]

    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// A downloaded file: written atomically, with its hashes.
public struct Download: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var bytes: Int64
    public var sha256: String
    public var md5: String
}

/// Timeouts, retries and TLS settings. TLS verification is always on; `caBundle` adds trust
/// (a private CA), it never removes it.
public struct HTTPOptions: Sendable {
    public var caBundle: String?
    public var connectTimeout = 10
    /// Abort a transfer that moves less than 1 byte per second for this long (a stalled server).
    public var stallSeconds = 30
    /// Upper bound for one attempt.
    public var timeout = 600
    /// Retries after the first attempt for retryable failures (5xx, 429, throttling, connection errors).
    public var retries = 5
    public var baseDelay = 0.5
    public var maxDelay = 20.0
    public var userAgent = "crosstrail"
    /// Largest response kept in memory (downloads stream to disk).
    public var maxInMemory = 256 << 20

    public init() {}
}

/// What went wrong, named after the request (never with a credential in it).
public enum HTTPError: Error, CustomStringConvertible, Sendable {
    case transport(label: String, url: String, reason: String)
    case status(label: String, url: String, code: Int, message: String)
    case setup(String)
    case file(String)
    /// A request that would carry credentials over plain HTTP, or to a URL that is not HTTPS.
    case insecure(label: String, url: String, reason: String)
    /// A body longer than the caller allowed (an object's listed size): cut off, not retried.
    case tooLarge(label: String, url: String, reason: String)

    public var description: String {
        switch self {
        case .transport(let label, let url, let reason), .insecure(let label, let url, let reason),
            .tooLarge(let label, let url, let reason):
            "\(label) (\(url)): \(reason)"
        case .status(let label, let url, let code, let message):
            "\(label) (\(url)): HTTP \(code)" + (message.isEmpty ? "" : ": \(message)")
        case .setup(let s), .file(let s): s
        }
    }

    /// The HTTP status, when the server answered.
    public var statusCode: Int? {
        if case .status(_, _, let code, _) = self { return code }
        return nil
    }
}

/// One attempt, for the fetch manifest.
public struct RequestRecord: Sendable, Codable {
    public var label: String
    public var method: String
    public var url: String
    public var time: String
    public var status: Int?
    public var attempt: Int
    public var error: String?
}

/// An HTTP/1.1 client on one libcurl easy handle: connections are kept alive and reused between
/// requests of the same client. Not thread-safe: use one client per worker.
public final class HTTPClient {
    private let curl: UnsafeMutableRawPointer
    public let options: HTTPOptions
    /// Called after every attempt (the fetch manifest records them).
    public var onAttempt: ((RequestRecord) -> Void)?
    /// Sleeps between retries (tests replace it to run fast).
    public var sleep: (Double) -> Void = { Thread.sleep(forTimeInterval: $0) }

    public init(options: HTTPOptions = HTTPOptions()) throws(HTTPError) {
        HTTPClient.globalInit()
        guard let h = curl_easy_init() else { throw .setup("libcurl could not create a handle") }
        curl = h
        self.options = options
    }

    deinit { curl_easy_cleanup(curl) }

    private static let initialized: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK
    static func globalInit() { _ = initialized }

    /// Sends a request and returns the whole response (2xx), retrying what can be retried.
    /// `prepare` runs before every attempt (signing needs a fresh date, OAuth a fresh token).
    public func send(_ request: HTTPRequest, prepare: ((inout HTTPRequest) throws -> Void)? = nil) throws
        -> HTTPResponse
    {
        try withRetries(request, prepare: prepare) { r in
            let sink = Sink(memoryLimit: options.maxInMemory)
            let status = try perform(r, sink)
            return (status, HTTPResponse(status: status, headers: sink.headers, body: sink.buffer))
        }
    }

    /// Streams a 2xx response body to `path` through a temporary file in the same folder, renamed
    /// into place only when complete; a failed or interrupted transfer leaves nothing at `path`.
    /// - Parameter maxBytes: the most the body may hold (an object's listed size): a longer or
    ///   endless body is cut off at it and is an error, not retried.
    public func download(
        _ request: HTTPRequest, to path: String, maxBytes: Int64 = .max,
        prepare: ((inout HTTPRequest) throws -> Void)? = nil
    ) throws -> Download {
        try withRetries(request, prepare: prepare) { r in
            let part = PartialFiles.shared.create(for: path)
            guard let fh = FileHandle(forWritingAtPath: part) else {
                PartialFiles.shared.remove(part)
                throw HTTPError.file("cannot write \(part): \(String(cString: strerror(errno)))")
            }
            let sink = Sink(file: fh, limit: maxBytes)
            let status: Int
            do { status = try perform(r, sink) } catch {
                try? fh.close()
                PartialFiles.shared.remove(part)
                // The disk (full, read-only) is not the network: say so, and do not retry.
                if let e = sink.fileError { throw HTTPError.file("writing \(path): \(e)") }
                if sink.overLimit {
                    throw HTTPError.tooLarge(
                        label: r.label, url: r.redactedURL,
                        reason: "the body is longer than the \(maxBytes) bytes expected; cut off and not kept")
                }
                throw error
            }
            try? fh.synchronize()
            try? fh.close()
            if let e = sink.fileError {
                PartialFiles.shared.remove(part)
                throw HTTPError.file("writing \(path): \(e)")
            }
            guard (200..<300).contains(status) else {
                PartialFiles.shared.remove(part)
                return (status, Download(status: status, headers: sink.headers, bytes: 0, sha256: "", md5: ""))
            }
            do { try AtomicFile.commit(part, to: path) } catch {
                PartialFiles.shared.forget(part)
                throw HTTPError.file("\(error)")
            }
            PartialFiles.shared.forget(part)
            return (
                status,
                Download(
                    status: status, headers: sink.headers, bytes: sink.count,
                    sha256: Hex.encode(sink.sha.finalize()), md5: Hex.encode(sink.md5.finalize()))
            )
        }
    }

    /// Credentials travel only over TLS: a request with an `Authorization` header (a bearer
    /// token, a SigV4 signature, Basic client credentials) or an AWS session token must be
    /// `https://`. Checked after `prepare` added them, for every request of every caller.
    static func requireSecure(_ r: HTTPRequest) throws(HTTPError) {
        let credentialed = r.headers.contains {
            let name = $0.0.lowercased()
            return name == "authorization" || name == "x-amz-security-token"
        }
        guard credentialed, !r.url.lowercased().hasPrefix("https://") else { return }
        throw .insecure(
            label: r.label, url: r.redactedURL,
            reason: "refusing to send credentials without TLS: the URL must be https://")
    }

    // MARK: retries

    private func withRetries<T>(
        _ request: HTTPRequest, prepare: ((inout HTTPRequest) throws -> Void)?,
        _ attempt: (HTTPRequest) throws -> (Int, T)
    ) throws -> T {
        var n = 0
        while true {
            var r = request
            try prepare?(&r)
            try Self.requireSecure(r)
            var record = RequestRecord(
                label: r.label, method: r.method, url: r.redactedURL, time: Self.now(), status: nil, attempt: n + 1,
                error: nil)
            do {
                let (status, value) = try attempt(r)
                record.status = status
                if (200..<300).contains(status) {
                    onAttempt?(record)
                    return value
                }
                let body = (value as? HTTPResponse)?.body ?? []
                let message = Self.errorMessage(body)
                record.error = message
                onAttempt?(record)
                let retryable = status >= 500 || status == 429 || (status == 400 && Self.isThrottle(message))
                guard retryable, n < options.retries else {
                    throw HTTPError.status(
                        label: r.label, url: r.redactedURL, code: status,
                        message: message + (retryable ? " (gave up after \(n + 1) attempts)" : ""))
                }
                let headers = (value as? HTTPResponse)?.headers ?? (value as? Download)?.headers ?? [:]
                sleep(delay(n, retryAfter: headers["retry-after"]))
            } catch let e as HTTPError {
                guard case .transport(_, _, let reason) = e else { throw e }
                record.error = reason
                onAttempt?(record)
                guard Self.retryableTransport(reason), n < options.retries else {
                    if n > 0 {
                        throw HTTPError.transport(
                            label: r.label, url: r.redactedURL, reason: reason + " (gave up after \(n + 1) attempts)")
                    }
                    throw e
                }
                sleep(delay(n, retryAfter: nil))
            }
            n += 1
        }
    }

    /// Exponential backoff with full jitter, or the server's Retry-After (seconds), capped.
    func delay(_ attempt: Int, retryAfter: String?) -> Double {
        if let s = retryAfter.flatMap({ Double($0.trimmingCharacters(in: .whitespaces)) }), s >= 0 {
            return min(s, options.maxDelay * 3)
        }
        let cap = min(options.maxDelay, options.baseDelay * pow(2, Double(attempt)))
        return Double.random(in: (cap / 2)...max(cap / 2, cap))
    }

    static func isThrottle(_ message: String) -> Bool {
        [
            "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequests", "SlowDown",
            "RequestThrottled",
        ].contains { message.contains($0) }
    }

    /// Connection problems worth another attempt; certificate and usage errors are not.
    static func retryableTransport(_ reason: String) -> Bool {
        !(reason.contains("certificate") || reason.contains("SSL peer")
            || reason.contains("resolve host") && reason.contains("proxy")
            || reason.contains("URL using bad") || reason.contains("Unsupported protocol"))
    }

    /// The first 300 characters of an error body, on one line, control characters removed.
    static func errorMessage(_ body: [UInt8]) -> String {
        var s = String(decoding: body.prefix(2000), as: UTF8.self)
        // AWS XML errors: <Code>…</Code><Message>…</Message>; JSON: "message"/"error_code".
        if let code = between(s, "<Code>", "</Code>") {
            s = code + (between(s, "<Message>", "</Message>").map { ": " + $0 } ?? "")
        }
        let flat = s.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : String($0) }.joined()
        return String(flat.prefix(300)).trimmingCharacters(in: .whitespaces)
    }

    static func between(_ s: String, _ a: String, _ b: String) -> String? {
        guard let r1 = s.range(of: a), let r2 = s.range(of: b, range: r1.upperBound..<s.endIndex) else { return nil }
        return String(s[r1.upperBound..<r2.lowerBound])
    }

    static func now() -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date())
    }

    // MARK: one transfer

    private func perform(_ r: HTTPRequest, _ sink: Sink) throws -> Int {
        curl_easy_reset(curl)
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        for (k, v) in r.headers { headerList = curl_slist_append(headerList, "\(k): \(v)") }
        // No "Expect: 100-continue" round trip; an empty Accept-Encoding lets curl decode what it supports.
        headerList = curl_slist_append(headerList, "Expect:")
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let code: CURLcode = try r.url.withCString { url in
            try r.method.withCString { method in
                try errorBuffer.withUnsafeMutableBufferPointer { eb in
                    try r.body.withUnsafeBufferPointer { body in
                        var ok = ct_setopt_string(curl, CURLOPT_URL, url) == CURLE_OK
                        ok = ok && ct_setopt_pointer(curl, CURLOPT_ERRORBUFFER, eb.baseAddress) == CURLE_OK
                        ok = ok && ct_setopt_long(curl, CURLOPT_NOSIGNAL, 1) == CURLE_OK
                        ok = ok && ct_setopt_long(curl, CURLOPT_SSL_VERIFYPEER, 1) == CURLE_OK
                        ok = ok && ct_setopt_long(curl, CURLOPT_SSL_VERIFYHOST, 2) == CURLE_OK
                        ok =
                            ok
                            && ct_setopt_long(curl, CURLOPT_PROTOCOLS, Int(CURLPROTO_HTTPS | CURLPROTO_HTTP))
                                == CURLE_OK
                        ok = ok && ct_setopt_long(curl, CURLOPT_FOLLOWLOCATION, 0) == CURLE_OK
                        // Send the path exactly as signed: S3 keys may contain "..", "//" or ".".
                        ok = ok && ct_setopt_long(curl, CURLOPT_PATH_AS_IS, 1) == CURLE_OK
                        ok = ok && ct_setopt_long(curl, CURLOPT_CONNECTTIMEOUT, options.connectTimeout) == CURLE_OK
                        ok = ok && ct_setopt_long(curl, CURLOPT_TIMEOUT, options.timeout) == CURLE_OK
                        ok = ok && ct_setopt_long(curl, CURLOPT_LOW_SPEED_LIMIT, 1) == CURLE_OK
                        ok = ok && ct_setopt_long(curl, CURLOPT_LOW_SPEED_TIME, options.stallSeconds) == CURLE_OK
                        ok = ok && ct_setopt_string(curl, CURLOPT_USERAGENT, options.userAgent) == CURLE_OK
                        if sink.file == nil {
                            ok = ok && ct_setopt_string(curl, CURLOPT_ACCEPT_ENCODING, "") == CURLE_OK
                        } else {
                            // Files are kept as the server stores them (their listed size and
                            // checksum); a Content-Encoding is not undone, so it cannot inflate them.
                            ok = ok && ct_setopt_long(curl, CURLOPT_HTTP_CONTENT_DECODING, 0) == CURLE_OK
                        }
                        ok = ok && ct_setopt_slist(curl, CURLOPT_HTTPHEADER, headerList) == CURLE_OK
                        if let ca = options.caBundle {
                            ok = ok && ct_setopt_string(curl, CURLOPT_CAINFO, ca) == CURLE_OK
                        }
                        ok = ok && ct_setopt_string(curl, CURLOPT_CUSTOMREQUEST, method) == CURLE_OK
                        if r.method == "HEAD" { ok = ok && ct_setopt_long(curl, CURLOPT_NOBODY, 1) == CURLE_OK }
                        if !r.body.isEmpty || r.method == "POST" || r.method == "PUT" {
                            ok =
                                ok
                                && ct_setopt_pointer(
                                    curl, CURLOPT_POSTFIELDS,
                                    UnsafeMutableRawPointer(mutating: body.baseAddress ?? UnsafePointer(bitPattern: 1)))
                                    == CURLE_OK
                            ok =
                                ok
                                && ct_setopt_off(curl, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)) == CURLE_OK
                        }
                        let ctx = Unmanaged.passUnretained(sink).toOpaque()
                        ok = ok && ct_setopt_data_callback(curl, CURLOPT_WRITEFUNCTION, writeBody) == CURLE_OK
                        ok = ok && ct_setopt_pointer(curl, CURLOPT_WRITEDATA, ctx) == CURLE_OK
                        ok = ok && ct_setopt_data_callback(curl, CURLOPT_HEADERFUNCTION, writeHeader) == CURLE_OK
                        ok = ok && ct_setopt_pointer(curl, CURLOPT_HEADERDATA, ctx) == CURLE_OK
                        guard ok else { throw HTTPError.setup("libcurl rejected an option for \(r.label)") }
                        return curl_easy_perform(curl)
                    }
                }
            }
        }
        withExtendedLifetime(sink) {}
        if sink.overLimit {
            throw HTTPError.transport(
                label: r.label, url: r.redactedURL, reason: "response larger than \(options.maxInMemory >> 20) MiB")
        }
        guard code == CURLE_OK else {
            let detail = String(cString: errorBuffer)
            let reason = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            throw HTTPError.transport(label: r.label, url: r.redactedURL, reason: reason)
        }
        var status = 0
        _ = ct_getinfo_long(curl, CURLINFO_RESPONSE_CODE, &status)
        return status
    }
}

/// Where a transfer's bytes and headers go (the callbacks' context).
final class Sink {
    var buffer: [UInt8] = []
    var headers: [String: String] = [:]
    let memoryLimit: Int
    var overLimit = false
    let file: FileHandle?
    var fileError: String?
    var sha = SHA256()
    var md5 = Insecure.MD5()
    var count: Int64 = 0

    init(memoryLimit: Int) {
        self.memoryLimit = memoryLimit
        file = nil
    }

    init(file: FileHandle, limit: Int64 = .max) {
        self.file = file
        memoryLimit = .max
        fileLimit = limit
    }
    var fileLimit: Int64 = .max

    /// Returns false to abort the transfer.
    func append(_ p: UnsafeRawBufferPointer) -> Bool {
        if let file {
            guard count + Int64(p.count) <= fileLimit else {
                overLimit = true
                return false
            }
            do { try file.write(contentsOf: Data(p)) } catch {
                fileError = "\(error)"
                return false
            }
            sha.update(bufferPointer: p)
            md5.update(bufferPointer: p)
            count += Int64(p.count)
            return true
        }
        guard buffer.count + p.count <= memoryLimit else { overLimit = true; return false }
        buffer.append(contentsOf: p)
        return true
    }

    func header(_ line: String) {
        // A new status line (redirect, 100-continue, retry on the same handle) starts a new set.
        if line.hasPrefix("HTTP/") { headers = [:]; return }
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
        headers[name] = value
    }
}

private let writeBody: ct_data_callback = { ptr, size, n, ctx in
    guard let ptr, let ctx else { return 0 }
    let sink = Unmanaged<Sink>.fromOpaque(ctx).takeUnretainedValue()
    let len = size * n
    return sink.append(UnsafeRawBufferPointer(start: ptr, count: len)) ? len : 0
}

private let writeHeader: ct_data_callback = { ptr, size, n, ctx in
    guard let ptr, let ctx else { return 0 }
    let len = size * n
    let line = String(decoding: UnsafeRawBufferPointer(start: ptr, count: len), as: UTF8.self)
    Unmanaged<Sink>.fromOpaque(ctx).takeUnretainedValue().header(line)
    return len
}

/// Temporary files of downloads in progress, removed on failure and on Ctrl-C.
public final class PartialFiles: @unchecked Sendable {
    public static let shared = PartialFiles()
    private var paths = Set<String>()
    private let lock = NSLock()

    /// A new empty temporary file next to `path` (hidden, unique).
    func create(for path: String) -> String {
        let part = AtomicFile.temporaryPath(for: path)
        FileManager.default.createFile(atPath: part, contents: nil, attributes: [.posixPermissions: 0o644])
        lock.lock(); paths.insert(part); lock.unlock()
        return part
    }

    func remove(_ part: String) {
        unlink(part)
        forget(part)
    }

    func forget(_ part: String) {
        lock.lock(); paths.remove(part); lock.unlock()
    }

    /// Deletes every partial file (the interrupt handler calls this).
    public func removeAll() {
        lock.lock()
        let all = paths
        paths = []
        lock.unlock()
        for p in all { unlink(p) }
    }
}
