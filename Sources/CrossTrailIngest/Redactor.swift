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
    public static let benignKinds: Set<String> = ["aws-access-key-id", "email-identity"]

    /// The text with every finding replaced, and the kinds found; nil when there was nothing.
    public static func redact(_ json: String) -> (text: String, kinds: [String])? {
        let possible = json.utf8.withContiguousStorageIfAvailable { mayContain($0) } ?? mayContain(Array(json.utf8))
        guard possible else { return nil }
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
            } else {
                out += scan(content, key: lastKey, kinds: &kinds)
            }
            if end < b.count { out.append(UInt8(ascii: "\"")) }
            i = end + 1
        }
        guard !kinds.isEmpty else { return nil }
        // An access key id is a leaked credential only with a secret access key beside it.
        if kinds.contains("aws-access-key-id"), kinds.contains("secret") || containsSecretKeyShape(b) {
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
    static func containsSecretKeyShape(_ b: [UInt8]) -> Bool {
        func isB64(_ c: UInt8) -> Bool {
            (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 43 || c == 47
        }
        var i = 0
        while i < b.count {
            guard isB64(b[i]) else { i += 1; continue }
            var e = i
            while e < b.count, isB64(b[e]) { e += 1 }
            if e - i == 40 {
                let run = b[i..<e]
                let upper = run.contains { $0 >= 65 && $0 <= 90 }, lower = run.contains { $0 >= 97 && $0 <= 122 }
                let digit = run.contains { $0 >= 48 && $0 <= 57 }
                if upper && lower && digit { return true }
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
    ]

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
        "bytes_value", "eyj", "://",
    ].map { Array($0.utf8) }

    /// One pass over the bytes: is there an '@', a run of 15+ digits (with separators), a
    /// ddd-dd-dddd shape, or a trigger word (case-insensitive)? Most parameters have none.
    static func mayContain<C: RandomAccessCollection>(_ b: C) -> Bool where C.Element == UInt8, C.Index == Int {
        var run = 0, sepOK = false
        let n = b.endIndex
        var i = b.startIndex
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
                // Trigger words start with one of a few letters: compare only there.
                let f = c | 0x20
                if f == 0x70 || f == 0x73 || f == 0x74 || f == 0x63 || f == 0x61 || f == 0x64 || f == 0x65 || c == 0x3a
                {
                    for w in triggerWords where w[0] == f && i + w.count <= n {
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
        while i < s.count {
            let c = s[i]
            let boundary = i == 0 || !isAlnum(s[i - 1])
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
