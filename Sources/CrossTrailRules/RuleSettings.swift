import CrossTrailModel
import Foundation
import Yams

/// Accepted activity: findings of `rule` (glob) whose subject matches `actor` (glob on name,
/// ARN, email or person) are kept but marked suppressed, with the reason, until the last day.
public struct AllowEntry: Sendable, Hashable {
    public var rule: Glob
    public var actor: Glob
    public var reason: String
    /// YYYY-MM-DD (UTC, inclusive); nil: no expiry.
    public var until: String?
    public var file: String

    public func covers(_ f: Finding, today: String) -> Bool {
        if let until, until < today { return false }
        guard rule.matches(f.rule) else { return false }
        return f.subjects.contains { s in
            [s.name, s.arn, s.email, s.person].compactMap { $0 }.contains(where: actor.matches)
        }
    }
}

/// Settings documents in rule directories:
///
///     stateful: {failed_login_burst: 5, secret_read_burst: 20, source_gap_hours: 3}
///     allowlist:
///       - {rule: ct-trail-changed, actor: "arn:aws:sts::*:assumed-role/terraform/*", reason: "Terraform manages trails", until: 2026-12-31}
public struct RuleSettings: Sendable {
    public var allowlist: [AllowEntry] = []
    /// Stateful thresholds by name.
    public var stateful: [String: Int] = [:]
    /// Lists of the stateful rules by name (trusted accounts, approved locations).
    public var lists: [String: [String]] = [:]
    /// Values of the `%name%` placeholders that the `expand` modifier replaces.
    public var placeholders: [String: [String]] = [:]

    public static let statefulKeys: Set<String> = [
        "failed_login_burst", "secret_read_burst", "compute_launch_burst",
        "enumeration_burst", "destruction_burst", "s3_mass_delete", "uc_denied_burst",
        "classified_reads_per_hour", "source_gap_hours", "max_token_lifetime_days",
        "baseline_days", "read_spike_factor", "read_spike_minimum",
    ]
    public static let listKeys: Set<String> = ["trusted_accounts", "approved_init_script_locations"]

    /// Adds a later file's settings: allowlists and lists add up, a later threshold wins.
    mutating func absorb(_ other: RuleSettings) {
        allowlist += other.allowlist
        stateful.merge(other.stateful) { _, new in new }
        lists.merge(other.lists) { a, b in a + b }
        placeholders.merge(other.placeholders) { a, b in a + b }
    }

    static func placeholderCharacter(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber || c == "_" || c == "-" || c == ".")
    }

    /// `value` with each `%name%` replaced by each of the placeholder's values (every
    /// combination when there are several); a `%` not around a name is kept as written.
    /// - Throws: a placeholder that is not defined, or more than 10,000 combinations.
    static func expand(_ value: String, _ placeholders: [String: [String]]) throws(RuleParseError) -> [String] {
        var results = [""]
        var rest = Substring(value)
        while let open = rest.firstIndex(of: "%") {
            let after = rest.index(after: open)
            guard let close = rest[after...].firstIndex(of: "%"), close > after,
                rest[after..<close].allSatisfy(placeholderCharacter)
            else {
                results = results.map { $0 + rest[...open] }
                rest = rest[after...]
                continue
            }
            let name = String(rest[after..<close])
            guard let values = placeholders[name] else {
                throw RuleParseError(
                    "placeholder '%\(name)%' is not defined: give its values in a settings document in a --rules folder (placeholders: {\(name): [...]})"
                )
            }
            let prefix = rest[..<open]
            results = results.flatMap { r in values.map { r + prefix + $0 } }
            guard results.count <= 10_000 else {
                throw RuleParseError("placeholders in '\(value)' expand to more than 10,000 values")
            }
            rest = rest[rest.index(after: close)...]
        }
        return results.map { $0 + rest }
    }

    mutating func merge(_ doc: Node, file: String) throws(RuleParseError) {
        guard let map = doc.mapping else { return }
        if let st = map["stateful"] {
            guard let m = st.mapping else { throw RuleParseError("stateful must be a mapping", line: st.mark?.line) }
            for (k, v) in m {
                if let key = k.string, Self.listKeys.contains(key) {
                    guard let items = v.sequence?.map({ $0.string }), !items.contains(nil) else {
                        throw RuleParseError("\(key) must be a list of strings", line: v.mark?.line)
                    }
                    lists[key, default: []] += items.compactMap { $0 }
                    continue
                }
                guard let key = k.string, Self.statefulKeys.contains(key) else {
                    throw RuleParseError(
                        "unknown stateful setting '\(k.string ?? "?")' (\(Self.statefulKeys.union(Self.listKeys).sorted().joined(separator: ", ")))",
                        line: k.mark?.line)
                }
                guard let n = v.int, n > 0 else {
                    throw RuleParseError("\(key) must be a positive integer", line: v.mark?.line)
                }
                stateful[key] = n
            }
        }
        if let p = map["placeholders"] {
            guard let m = p.mapping else {
                throw RuleParseError("placeholders must be a mapping of names to values", line: p.mark?.line)
            }
            for (k, v) in m {
                guard let name = k.string, !name.isEmpty, name.allSatisfy(Self.placeholderCharacter) else {
                    throw RuleParseError(
                        "placeholder name '\(k.string ?? "?")' must be letters, digits, '_', '-' or '.'",
                        line: k.mark?.line)
                }
                let values = v.sequence.map { $0.map(\.string) } ?? [v.string]
                guard !values.isEmpty, !values.contains(nil) else {
                    throw RuleParseError("placeholder '\(name)' needs a value or a list of values", line: v.mark?.line)
                }
                placeholders[name, default: []] += values.compactMap { $0 }
            }
        }
        if let list = map["allowlist"] {
            guard let items = list.sequence else {
                throw RuleParseError("allowlist must be a list", line: list.mark?.line)
            }
            for item in items {
                guard let m = item.mapping else {
                    throw RuleParseError("an allowlist entry must be a mapping", line: item.mark?.line)
                }
                guard let reason = m["reason"]?.string, !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
                    throw RuleParseError("an allowlist entry needs a reason", line: item.mark?.line)
                }
                let until = m["until"]?.string
                if let until, until.count != 10 || Timestamp(iso: until + "T00:00Z") == nil {
                    throw RuleParseError("until '\(until)' is not a date (YYYY-MM-DD)", line: m["until"]?.mark?.line)
                }
                allowlist.append(
                    AllowEntry(
                        rule: Glob(m["rule"]?.string ?? "*"), actor: Glob(m["actor"]?.string ?? "*"),
                        reason: reason, until: until, file: file))
            }
        }
    }
}
