import Crypto
import Foundation

/// Finds secrets and personal data inside request parameters (minified JSON text) and replaces
/// each with `[redacted:<kind>:<keyed hash>]`, so no output of crosstrail repeats them while equal
/// values stay linkable. The key is `CROSSTRAIL_REDACTION_KEY` (set one: without it a public
/// default key is used, and short values such as SSNs could be recovered by trying them all).
///
/// Kinds: `aws-access-key`, `databricks-token`, `secret` (the string value of a key named like a
/// secret: password, secret, token, private key, credential), `email`, `ssn`, `card` (15–16
/// digits passing the Luhn check, not under a key ending in `id`).
public enum Redactor {
    /// The key's bytes (immutable; a SymmetricKey is made per use).
    static let keyBytes: [UInt8] = {
        let configured = ProcessInfo.processInfo.environment["CROSSTRAIL_REDACTION_KEY"].flatMap {
            $0.isEmpty ? nil : $0
        }
        return Array((configured ?? "crosstrail-default-redaction-key-v1").utf8)
    }()

    public static let secretKinds: Set<String> = [
        "aws-access-key", "databricks-token", "secret", "jwt", "private-key", "connection-string",
    ]
    /// Kinds that are redacted in outputs but are not a leak by themselves: an access key id with
    /// no secret key beside it (IAM's own key management names key ids), and emails in identity
    /// fields (adding a user to a group names the user).
    public static let benignKinds: Set<String> = ["aws-access-key-id", "email-identity", "secret-key-shape"]

    /// The text with every finding replaced, and the kinds found; nil when there was nothing.
    public static func redact(_ json: String) -> (text: String, kinds: [String])? {
        guard mayContainSecret(json) else { return nil }
        let b = Array(json.utf8)
        var out = [UInt8]()
        out.reserveCapacity(b.count)
        var kinds = Set<String>()
        var i = 0
        var lastKey = ""
        while i < b.count {
            guard b[i] == UInt8(ascii: "\"") else { out.append(b[i]); i += 1; continue }
            // A JSON string: find its end (escapes skipped).
            var j = i + 1
            while j < b.count && b[j] != UInt8(ascii: "\"") { j += b[j] == UInt8(ascii: "\\") ? 2 : 1 }
            let end = min(j, b.count)
            let content = Array(b[(i + 1)..<end])
            var k = end + 1
            while k < b.count && (b[k] == 32) { k += 1 }
            let isKey = k < b.count && b[k] == UInt8(ascii: ":")
            out.append(UInt8(ascii: "\""))
            if isKey {
                out += content
                lastKey = String(decoding: content, as: UTF8.self).lowercased()
            } else if isSecretKey(lastKey) && !isPlaceholder(content) {
                out += token("secret", content)
                kinds.insert("secret")
            } else if let inner = embeddedJSON(content), let redacted = redact(inner) {
                // JSON given as text (a policy, a Databricks parameter): its keys count too.
                out += escapedJSONString(redacted.text)
                kinds.formUnion(redacted.kinds)
            } else {
                var value = scan(content, key: lastKey, kinds: &kinds)
                if containsSecretKeyShape(value) {
                    value = replaceSecretKeyShapes(value)
                    kinds.insert("secret-key-shape")
                }
                out += value
            }
            if end < b.count { out.append(UInt8(ascii: "\"")) }
            i = end + 1
        }
        guard !kinds.isEmpty else { return nil }
        // An access key id is a leaked credential only with a secret access key beside it.
        if kinds.contains("aws-access-key-id"), kinds.contains("secret") || kinds.contains("secret-key-shape") {
            kinds.insert("aws-access-key")
        }
        return (String(decoding: out, as: UTF8.self), kinds.sorted())
    }

    /// Paging cursors, idempotency tokens and request ids are named "token" but protect nothing.
    static let notSecretKeys: Set<String> = [
        "nexttoken", "clienttoken", "continuationtoken", "paginationtoken", "idempotencytoken", "pagetoken",
        "nextpagetoken",
        "starttoken", "startingtoken", "resumetoken", "marker", "nextmarker", "next_page_token", "page_token",
        "client_token",
        "idempotency_token", "continuation_token", "tokencode", "maxtokens", "max_tokens", "tokenexpirationtime",
        "tokenlifetime",
        "passwordreuseprevention", "passwordlastused", "passwordresetrequired", "secretversionstage", "versionstage",
        "httptokens", "http_tokens", "tokentype", "token_type", "tokenendpoint",
    ]

    /// Values CloudTrail or Databricks already masked, or too short or too regular to be a secret.
    static func isPlaceholder(_ v: [UInt8]) -> Bool {
        if v.count < 4 { return true }
        let s = String(decoding: v, as: UTF8.self)
        let lower = s.lowercased()
        if v.allSatisfy({ $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "x") || $0 == UInt8(ascii: "X") }) {
            return true
        }
        if lower.hasPrefix("hidden_due_to") || lower.hasPrefix("[redacted") || lower.hasPrefix("<redacted")
            || lower == "redacted"
            || lower.hasPrefix("****") || lower.hasPrefix("arn:") || lower == "true" || lower == "false"
            || lower == "null" || lower == "none"
        {
            return true
        }
        return false
    }

    /// A 40-character base64 run (the shape of an AWS secret access key) that is not hex (a SHA-1).
    static func containsSecretKeyShape<C: RandomAccessCollection>(_ b: C) -> Bool
    where C.Element == UInt8, C.Index == Int {
        var i = b.startIndex
        while i < b.endIndex {
            guard isBase64(b[i]) else { i += 1; continue }
            var e = i
            while e < b.endIndex, isBase64(b[e]) { e += 1 }
            if e - i >= 40 {
                for at in i..<e where secretKeyShape(in: b, from: at, to: e) != nil { return true }
            }
            i = e
        }
        return false
    }

    /// Keys whose values name an identity (an email there is who, not leaked data).
    static func isIdentityKey(_ k: String) -> Bool {
        [
            "user", "email", "principal", "member", "owner", "grantee", "recipient", "assignee", "creator", "admin",
            "group", "login",
            "identity", "run_as", "runas", "account", "target", "name", "subject", "sso", "invitee", "contact",
            // Tags (`{"key": "Owner", "value": "ann@…"}`, custom_tags) and notification endpoints name people too.
            "tag", "value", "endpoint", "notification", "alert",
        ].contains { k.contains($0) }
    }

    static let secretKeyWords = [
        "password", "passwd", "secret", "token", "privatekey", "private_key", "credential", "apikey", "api_key",
        "authorization", "cookie",
    ]

    /// Names that introduce a credential in `name=value` or `name: value` text (query strings,
    /// command lines, error messages, object keys), lower case.
    static let assignmentWords = [
        "password", "passwd", "pwd", "secret", "token", "apikey", "api_key", "api-key", "access_key", "secret_key",
        "secret_access_key", "aws_secret_access_key", "aws_session_token", "authorization", "client_secret",
    ].map { Array($0.utf8) }

    /// A string value holding a JSON object or array as text (escaped), unescaped; nil otherwise.
    static func embeddedJSON(_ content: [UInt8]) -> String? {
        guard let first = content.first(where: { $0 != 32 }), first == UInt8(ascii: "{") || first == UInt8(ascii: "[")
        else { return nil }
        let quoted = Data([UInt8(ascii: "\"")] + content + [UInt8(ascii: "\"")])
        return (try? JSONSerialization.jsonObject(with: quoted, options: [.fragmentsAllowed])) as? String
    }

    /// `s` as the inside of a JSON string (escaped, without the quotes).
    static func escapedJSONString(_ s: String) -> [UInt8] {
        let data =
            (try? JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes]))
            ?? Data("[\"\"]".utf8)
        return Array(data.dropFirst(2).dropLast(2))
    }

    /// Free text that may quote a credential — a user agent, an error message, an object key or
    /// another resource id — with each secret replaced (`redact`'s patterns, `name=value` and
    /// `Bearer`/`Basic` credentials, and 40-character AWS secret keys); nil when there was none.
    public static func redactText(_ s: String) -> String? {
        guard mayContainSecret(s) else { return nil }
        let b = Array(s.utf8)
        var kinds = Set<String>()
        var out = scan(b, key: "", kinds: &kinds)
        if containsSecretKeyShape(out) {
            out = replaceSecretKeyShapes(out)
            kinds.insert("secret")
        }
        return kinds.isEmpty ? nil : String(decoding: out, as: UTF8.self)
    }

    /// The one-pass prefilter of `redact` and `redactText`, on the string's own bytes (no copy
    /// for native strings): a trigger word, an address, a long digit run or a secret-key shape.
    static func mayContainSecret(_ s: String) -> Bool {
        s.utf8.withContiguousStorageIfAvailable { mayContain($0) || containsSecretKeyShape($0) }
            ?? { (b: [UInt8]) in mayContain(b) || containsSecretKeyShape(b) }(Array(s.utf8))
    }

    /// Replaces each 40-character base64 run with upper case, lower case and digits (an AWS
    /// secret access key's shape) with a token. Keys contain `/`, and so do the paths around them
    /// (`dumps/KEY/part-1`): any stretch of a run that starts and ends at a `/` boundary counts.
    static func replaceSecretKeyShapes(_ b: [UInt8]) -> [UInt8] {
        var out = [UInt8](), i = 0
        while i < b.count {
            guard isBase64(b[i]) else { out.append(b[i]); i += 1; continue }
            var e = i
            while e < b.count, isBase64(b[e]) { e += 1 }
            var at = i
            while at < e {
                if let end = secretKeyShape(in: b, from: at, to: e) {
                    out += token("secret", Array(b[at..<end]))
                    at = end
                } else {
                    out.append(b[at])
                    at += 1
                }
            }
            i = e
        }
        return out
    }

    static func isBase64(_ c: UInt8) -> Bool {
        (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 43 || c == 47
    }

    /// The end of a secret-key shape starting at `at` inside the base64 run `[at, runEnd)`: 40
    /// characters with upper case, lower case and digits, starting at the run's start or after
    /// a `/`, ending at the run's end or before a `/`.
    static func secretKeyShape<C: RandomAccessCollection>(in b: C, from at: Int, to runEnd: Int) -> Int?
    where C.Element == UInt8, C.Index == Int {
        let startsClean = at == b.startIndex || !isBase64(b[at - 1]) || b[at - 1] == 47
        guard startsClean, b[at] != 47, at + 40 <= runEnd else { return nil }
        let end = at + 40
        guard end == runEnd || b[end] == 47, b[end - 1] != 47 else { return nil }
        let run = b[at..<end]
        guard run.contains(where: { $0 >= 65 && $0 <= 90 }), run.contains(where: { $0 >= 97 && $0 <= 122 }),
            run.contains(where: { $0 >= 48 && $0 <= 57 })
        else { return nil }
        return end
    }

    static func isSecretKey(_ k: String) -> Bool {
        let compact = k.replacingOccurrences(of: "-", with: "_")
        // `tokenId`, `secretName`, `tokenType` name things; they are not secrets.
        if compact.hasSuffix("id") || compact.hasSuffix("name") || compact.hasSuffix("type") || compact.hasSuffix("arn")
            || compact.hasSuffix("scope")
        {
            return false
        }
        if compact.contains("token"),
            [
                "next", "client", "request", "page", "continuation", "idempoten", "pagination", "marker", "cursor",
                "resume", "start",
            ]
            .contains(where: compact.contains)
        {
            return false
        }
        if notSecretKeys.contains(compact)
            || ["policy", "enabled", "date", "hash", "time", "count", "length", "days", "seconds", "status", "url"]
                .contains(where: compact.hasSuffix)
        {
            return false
        }
        // Databricks `putSecret` carries the secret itself in string_value / bytes_value.
        if compact == "string_value" || compact == "bytes_value" { return true }
        return secretKeyWords.contains { compact.contains($0) }
    }

    static let triggerWords = [
        "passw", "secret", "token", "private", "credential", "apikey", "api_key", "akia", "asia", "dapi",
        "string_value",
        "bytes_value", "eyj", "://", "bearer", "basic", "authoriz", "pwd", "api-key", "access_key",
    ].map { Array($0.utf8) }

    /// `triggerWords` by their first byte (lower case), so a byte is compared only with the words
    /// that start with it.
    static let triggersByFirst: [[[UInt8]]] = {
        var table = [[[UInt8]]](repeating: [], count: 256)
        for w in triggerWords { table[Int(w[0])].append(w) }
        return table
    }()

    /// Bit `b` set when a trigger word starts with byte `b`: the common case is one test per byte.
    static let triggerGate: [UInt64] = {
        var bits = [UInt64](repeating: 0, count: 4)
        for w in triggerWords { bits[Int(w[0]) >> 6] |= 1 << UInt64(Int(w[0]) & 63) }
        return bits
    }()

    /// One pass over the bytes: is there an '@', a run of 15+ digits (with separators), a
    /// ddd-dd-dddd shape, or a trigger word (case-insensitive)? Most parameters have none.
    static func mayContain<C: RandomAccessCollection>(_ b: C) -> Bool where C.Element == UInt8, C.Index == Int {
        var run = 0, sepOK = false
        let n = b.endIndex
        var i = b.startIndex
        let (gate, byFirst) = (triggerGate, triggersByFirst)
        while i < n {
            let c = b[i]
            if c == UInt8(ascii: "@") { return true }
            if c >= 48 && c <= 57 {
                run += 1
                sepOK = false
                if run >= 15 { return true }
            } else if (c == 32 || c == 45) && run > 0 && !sepOK {
                sepOK = true
                if c == 45, run == 3, i + 7 < n, b[i + 3] == 45 { return true }  // ddd-dd-
            } else {
                run = 0
                sepOK = false
                // Only the trigger words starting with this letter are compared.
                let f = Int(c | 0x20)
                if (gate[f >> 6] >> UInt64(f & 63)) & 1 == 1 {
                    for w in byFirst[f] where i + w.count <= n {
                        var k = 1
                        while k < w.count && (b[i + k] | 0x20) == w[k] { k += 1 }
                        if k == w.count { return true }
                    }
                }
            }
            i += 1
        }
        return false
    }

    static func token(_ kind: String, _ value: [UInt8]) -> [UInt8] {
        let mac = HMAC<SHA256>.authenticationCode(for: value, using: SymmetricKey(data: keyBytes))
        let hex = mac.prefix(6).hexString
        return Array("[redacted:\(kind):\(hex)]".utf8)
    }

    /// Redacts the patterns inside one string value.
    static func scan(_ s: [UInt8], key: String, kinds: inout Set<String>) -> [UInt8] {
        var out = [UInt8]()
        var i = 0
        let idLike = key.hasSuffix("id") || key.hasSuffix("ids")
        func isAlnum(_ c: UInt8) -> Bool { (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) }
        func isUpperDigit(_ c: UInt8) -> Bool { (c >= 48 && c <= 57) || (c >= 65 && c <= 90) }
        func isHex(_ c: UInt8) -> Bool { (c >= 48 && c <= 57) || (c >= 97 && c <= 102) }
        func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
        func lower(_ c: UInt8) -> UInt8 { c >= 65 && c <= 90 ? c | 0x20 : c }
        func startsWord(_ w: [UInt8], at i: Int) -> Bool {
            i + w.count <= s.count && (0..<w.count).allSatisfy { lower(s[i + $0]) == w[$0] }
        }
        /// The end of a credential value: up to space, quote, backslash (a JSON escape), `&`, `;`, `,`.
        /// Secret-like: six characters or more, not a plain word (a digit, an upper-case letter after
        /// the first character, or a symbol), so `password: required` stays readable.
        func secretLike(_ v: ArraySlice<UInt8>) -> Bool {
            v.count >= 6 && !isPlaceholder(Array(v))
                && v.dropFirst().contains { !(($0 >= 97 && $0 <= 122) || $0 == 45 || $0 == 46) }
        }
        func valueEnd(_ from: Int) -> Int {
            var e = from
            while e < s.count, ![32, 34, 39, 92, 38, 59, 44, 9, 10, 13].contains(s[e]) { e += 1 }
            return e
        }
        while i < s.count {
            let c = s[i]
            let boundary = i == 0 || !isAlnum(s[i - 1])
            // `password=…`, `token: …`, `aws_secret_access_key=…`: the value is a secret.
            if boundary, let w = assignmentWords.first(where: { startsWord($0, at: i) }) {
                var j = i + w.count
                while j < s.count, s[j] == 32 { j += 1 }
                if j < s.count, s[j] == UInt8(ascii: "=") || s[j] == UInt8(ascii: ":") {
                    j += 1
                    while j < s.count, s[j] == 32 { j += 1 }
                    let e = valueEnd(j)
                    if secretLike(s[j..<e]) {
                        out += s[i..<j]
                        out += token("secret", Array(s[j..<e]))
                        kinds.insert("secret")
                        i = e
                        continue
                    }
                }
            }
            // `Bearer …` / `Basic …` credentials (HTTP Authorization values).
            if boundary, startsWord(Array("bearer ".utf8), at: i) || startsWord(Array("basic ".utf8), at: i) {
                var j = i + (lower(s[i]) == UInt8(ascii: "b") && lower(s[i + 1]) == UInt8(ascii: "e") ? 7 : 6)
                while j < s.count, s[j] == 32 { j += 1 }
                let e = valueEnd(j)
                // A JWT after it is redacted as one (below).
                if e - j >= 8, !s[j..<e].starts(with: Array("[redacted".utf8)),
                    !s[j..<e].starts(with: Array("eyJ".utf8))
                {
                    out += s[i..<j]
                    out += token("secret", Array(s[j..<e]))
                    kinds.insert("secret")
                    i = e
                    continue
                }
            }
            // AWS access key ids.
            if boundary, i + 20 <= s.count,
                s[i...].starts(with: Array("AKIA".utf8)) || s[i...].starts(with: Array("ASIA".utf8)),
                s[(i + 4)..<(i + 20)].allSatisfy(isUpperDigit), i + 20 == s.count || !isAlnum(s[i + 20])
            {
                out += token("aws-access-key", Array(s[i..<(i + 20)])); kinds.insert("aws-access-key-id"); i += 20;
                continue
            }
            // Databricks personal access tokens.
            if boundary, i + 36 <= s.count, s[i...].starts(with: Array("dapi".utf8)),
                s[(i + 4)..<(i + 36)].allSatisfy(isHex)
            {
                var e = i + 36
                while e < s.count && (isAlnum(s[e]) || s[e] == UInt8(ascii: "-")) { e += 1 }
                out += token("databricks-token", Array(s[i..<e])); kinds.insert("databricks-token"); i = e; continue
            }
            // JSON Web Tokens: three base64url parts, the first two JSON objects ("eyJ").
            if boundary, i + 20 < s.count, s[i...].starts(with: Array("eyJ".utf8)) {
                var e = i, dots = 0
                while e < s.count, isAlnum(s[e]) || s[e] == 45 || s[e] == 95 || s[e] == 46 {
                    if s[e] == 46 { dots += 1 }
                    e += 1
                }
                if dots == 2, e - i >= 30, s[i..<e].split(separator: 46).count == 3 {
                    out += token("jwt", Array(s[i..<e])); kinds.insert("jwt"); i = e; continue
                }
            }
            // PEM private keys.
            if c == 45, s[i...].starts(with: Array("-----BEGIN ".utf8)) {
                let header = String(decoding: s[i..<min(s.count, i + 60)], as: UTF8.self)
                if header.contains("PRIVATE KEY") {
                    var e = i + 11
                    let endMark = Array("PRIVATE KEY-----".utf8)
                    var found = false
                    while e + endMark.count <= s.count {
                        if e > i + 40, s[e...].starts(with: endMark) { e += endMark.count; found = true; break }
                        e += 1
                    }
                    if !found { e = s.count }
                    out += token("private-key", Array(s[i..<e])); kinds.insert("private-key"); i = e; continue
                }
            }
            // Connection strings with a password: scheme://user:password@host.
            if c == 58, i + 2 < s.count, s[i + 1] == 47, s[i + 2] == 47 {
                var e = i + 3, colon = -1, at = -1
                while e < s.count, s[e] != 47, s[e] != 32, s[e] != 34 {
                    if s[e] == 58, colon < 0 { colon = e }
                    if s[e] == 64 { at = e }
                    e += 1
                }
                if colon > i + 3, at > colon + 1 {
                    out += s[i...colon]
                    out += token("connection-string", Array(s[(colon + 1)..<at]))
                    kinds.insert("connection-string")
                    i = at
                    continue
                }
            }
            // Emails: local part before '@', domain with a dot after it.
            if c == UInt8(ascii: "@"), i > 0, i + 3 < s.count {
                var a = out.count
                while a > 0, isAlnum(out[a - 1]) || [46, 95, 37, 43, 45].contains(out[a - 1]) { a -= 1 }
                var e = i + 1, dot = false
                while e < s.count, isAlnum(s[e]) || s[e] == 46 || s[e] == 45 { if s[e] == 46 { dot = true }; e += 1 }
                if a < out.count, dot, e > i + 3, s[e - 1] != 46 {
                    let local = Array(out[a...])
                    out.removeLast(out.count - a)
                    out += token("email", local + Array(s[i..<e]))
                    kinds.insert(isIdentityKey(key) || s.starts(with: Array("arn:".utf8)) ? "email-identity" : "email")
                    i = e
                    continue
                }
            }
            // SSNs (ddd-dd-dddd) and card numbers (15-16 digits, spaces or dashes allowed, Luhn).
            if boundary, isDigit(c), !idLike {
                if i + 11 <= s.count, s[i..<(i + 3)].allSatisfy(isDigit), s[i + 3] == 45,
                    s[(i + 4)..<(i + 6)].allSatisfy(isDigit), s[i + 6] == 45,
                    s[(i + 7)..<(i + 11)].allSatisfy(isDigit), i + 11 == s.count || !isAlnum(s[i + 11])
                {
                    out += token("ssn", Array(s[i..<(i + 11)])); kinds.insert("ssn"); i += 11; continue
                }
                var e = i, digits = [UInt8]()
                while e < s.count, isDigit(s[e]) || ((s[e] == 32 || s[e] == 45) && e + 1 < s.count && isDigit(s[e + 1]))
                {
                    if isDigit(s[e]) { digits.append(s[e] - 48) }
                    e += 1
                }
                if (15...16).contains(digits.count), e == s.count || !isAlnum(s[e]), luhn(digits) {
                    out += token("card", Array(s[i..<e])); kinds.insert("card"); i = e; continue
                }
                out += s[i..<e]
                i = e
                continue
            }
            out.append(c)
            i += 1
        }
        return out
    }

    static func luhn(_ d: [UInt8]) -> Bool {
        var sum = 0
        for (n, x) in d.reversed().enumerated() {
            var v = Int(x)
            if n % 2 == 1 { v *= 2; if v > 9 { v -= 9 } }
            sum += v
        }
        return sum % 10 == 0
    }
}
