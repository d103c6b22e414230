import CrossTrailBase
import CrossTrailIngest
import CrossTrailModel
import Crypto
import Foundation
import Yams

/// Loads Sigma rules from YAML (one or more documents per file), with errors that name the file
/// and line.
public enum RuleLoader {
    public static func load(yaml text: String, file: String) -> ([SigmaRule], [RuleError]) {
        var loaded = loadAll(yaml: text, file: file)
        loaded.resolveDeferred()
        return (loaded.rules, loaded.errors)
    }

    /// What rule files hold: rules, correlation rules, and settings documents.
    struct Loaded {
        var rules = [SigmaRule]()
        var correlations = [SigmaCorrelation]()
        var filters = [SigmaFilter]()
        var settings = RuleSettings()
        var errors = [RuleError]()
        /// Rules and filters using `expand`: parsed once every settings document (with the
        /// placeholders) is read, wherever it is.
        var deferred = [(document: Node, file: String)]()

        mutating func absorb(_ o: Loaded) {
            rules += o.rules
            correlations += o.correlations
            filters += o.filters
            settings.absorb(o.settings)
            errors += o.errors
            deferred += o.deferred
        }

        /// Parses the deferred documents with the placeholders read so far.
        mutating func resolveDeferred() {
            for (doc, file) in deferred {
                RuleLoader.parse(doc, file: file, placeholders: settings.placeholders, into: &self)
            }
            deferred = []
            rules.sort { $0.file < $1.file || ($0.file == $1.file && $0.id < $1.id) }
        }
    }

    /// Whether a rule or filter uses the `expand` modifier anywhere in its selections.
    static func usesExpand(_ map: Node.Mapping) -> Bool {
        func keys(_ n: Node) -> Bool {
            switch n {
            case .mapping(let m):
                return m.contains { k, v in
                    (k.string?.lowercased().split(separator: "|").dropFirst().contains("expand") ?? false) || keys(v)
                }
            case .sequence(let s): return s.contains(where: keys)
            default: return false
            }
        }
        return (map["detection"] ?? map["filter"]).map(keys) ?? false
    }

    /// Parses a filter or rule document into `out` (or its error).
    static func parse(_ doc: Node, file: String, placeholders: [String: [String]], into out: inout Loaded) {
        guard let map = doc.mapping else { return }
        if map["filter"] != nil, map["detection"] == nil {
            do {
                out.filters.append(
                    try SigmaFilter.parse(map, file: file, line: doc.mark?.line, placeholders: placeholders))
            } catch {
                out.errors.append(RuleError(file: file, line: error.line ?? doc.mark?.line, reason: error.reason))
            }
            return
        }
        do {
            out.rules.append(try rule(doc, file: file, placeholders: placeholders))
        } catch {
            out.errors.append(RuleError(file: file, line: error.line ?? doc.mark.map { $0.line }, reason: error.reason))
        }
    }

    /// Rules and correlation rules, plus settings documents (`allowlist:`, `stateful:`) found among them.
    static func loadAll(yaml text: String, file: String) -> Loaded {
        var out = Loaded()
        var documents = [Node]()
        if let refused = YAMLGuard.check(text) {
            out.errors.append(RuleError(file: file, line: refused.line, reason: refused.reason))
            return out
        }
        do {
            let parser = try Parser(yaml: text)
            while let doc = try parser.nextRoot() { documents.append(doc) }
        } catch let e as YamlError {
            out.errors.append(RuleError(file: file, line: nil, reason: "invalid YAML: " + YAMLGuard.shorten("\(e)")))
            return out
        } catch {
            out.errors.append(RuleError(file: file, line: nil, reason: "\(error)"))
            return out
        }
        for doc in documents {
            if let map = doc.mapping, map["correlation"] != nil {
                do { out.correlations.append(try SigmaCorrelation.parse(map, file: file, line: doc.mark?.line)) } catch
                {
                    out.errors.append(RuleError(file: file, line: error.line ?? doc.mark?.line, reason: error.reason))
                }
                continue
            }
            guard let map = doc.mapping, map["detection"] != nil || map["filter"] != nil else {
                // Settings documents; anything else (Sigma collections' global parts) is skipped.
                do { try out.settings.merge(doc, file: file) } catch {
                    out.errors.append(RuleError(file: file, line: error.line, reason: error.reason))
                }
                continue
            }
            if usesExpand(map) {
                out.deferred.append((doc, file))
            } else {
                parse(doc, file: file, placeholders: [:], into: &out)
            }
        }
        return out
    }

    /// Every `*.yml` / `*.yaml` under a directory, sorted by path.
    public static func load(directory: String) -> ([SigmaRule], [RuleError]) {
        var hasher = SHA256()
        var loaded = loadAll(directory: directory, hasher: &hasher)
        loaded.resolveDeferred()
        return (loaded.rules, loaded.errors)
    }

    /// Every rule file under `directory`, read in path order; each file's path and bytes go into `hasher`.
    /// `label` replaces the directory in the names rules and errors carry (`builtin/core/x.yml`), so
    /// outputs do not depend on where the binary is installed.
    static func loadAll(directory: String, label: String? = nil, hasher: inout SHA256) -> Loaded {
        var out = Loaded()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            out.errors.append(RuleError(file: directory, line: nil, reason: "no such file or directory"))
            return out
        }
        let base: String
        let files: [String]
        if isDirectory.boolValue {
            guard let e = FileManager.default.enumerator(atPath: directory) else {
                out.errors.append(RuleError(file: directory, line: nil, reason: "cannot list directory"))
                return out
            }
            base = directory
            files = e.compactMap { $0 as? String }.filter { $0.hasSuffix(".yml") || $0.hasSuffix(".yaml") }.sorted()
        } else {
            // A single rule file is a set of its own.
            base = PathText.parent(directory)
            files = [(directory as NSString).lastPathComponent]
        }
        for rel in files {
            let path = (base as NSString).appendingPathComponent(rel)
            // Regular files only: a FIFO named *.yml would block the run.
            let data: Data
            do { data = Data(try JSON.readRegularFile(path: path, maxBytes: 64 << 20)) } catch {
                out.errors.append(RuleError(file: path, line: nil, reason: "cannot read file: \(error.reason)"))
                continue
            }
            hasher.update(data: Data((rel + "\u{0}").utf8))
            hasher.update(data: data)
            out.absorb(loadAll(yaml: String(decoding: data, as: UTF8.self), file: label.map { $0 + "/" + rel } ?? path))
        }
        out.rules.sort { $0.file < $1.file || ($0.file == $1.file && $0.id < $1.id) }
        out.correlations.sort { $0.file < $1.file || ($0.file == $1.file && $0.id < $1.id) }
        return out
    }

    static func string(_ n: Node?) -> String? { n?.scalar?.string }

    // MARK: Parts rules, correlation rules and filters share

    /// Sigma's `name` (v2) is the readable unique key crosstrail reports findings under; `id` (a
    /// UUID in published rules) is kept as well. Documents with only an id (SigmaHQ's) are keyed by
    /// it, and with neither by their title.
    static func key(_ map: Node.Mapping, title: String) -> (id: String, uuid: String?) {
        let uuid = string(map["id"])
        return (string(map["name"]) ?? uuid ?? title.lowercased().replacingOccurrences(of: " ", with: "-"), uuid)
    }

    /// `level`, with `informational` as info and anything unknown as medium.
    static func severity(_ map: Node.Mapping) -> Severity {
        let level = string(map["level"])?.lowercased() ?? "medium"
        return level == "informational" ? .info : (Severity(rawValue: level) ?? .medium)
    }

    /// ATT&CK technique ids (`attack.t1098.003` → `T1098.003`) and tactics (`attack.persistence`) from `tags`.
    static func attack(_ map: Node.Mapping) -> (techniques: [String], tactics: [String]) {
        let tags = map["tags"]?.sequence?.compactMap { $0.string } ?? []
        let attack = tags.filter { $0.lowercased().hasPrefix("attack.") }
        return (
            attack.filter { $0.lowercased().hasPrefix("attack.t") }.map { String($0.dropFirst(7)).uppercased() },
            attack.filter { !$0.lowercased().hasPrefix("attack.t") }.map { String($0.dropFirst(7)) }
        )
    }

    /// `controls: ["SOC 2 CC7.2", ...]`: the last word is the control, the rest the framework.
    static func controls(_ map: Node.Mapping) -> [ControlRef] {
        (map["controls"]?.sequence?.compactMap { $0.string } ?? []).map { c in
            let parts = c.split(separator: " ")
            return parts.count > 1
                ? ControlRef(parts.dropLast().joined(separator: " "), String(parts.last!)) : ControlRef("", c)
        }
    }

    /// Named selections and the `condition` over them: a rule's `detection` or a filter's `filter`
    /// (`skipping` its other keys). `owner` names the block in the errors.
    static func selectionsAndCondition(
        _ block: Node.Mapping, owner: String, at line: Int?, skipping: Set<String> = [],
        placeholders: [String: [String]] = [:], warnings: inout [String]
    ) throws(RuleParseError) -> ([String: Selection], Condition) {
        var selections = [String: Selection]()
        var conditionText: String?
        for (k, v) in block {
            guard let name = k.string, !skipping.contains(name) else { continue }
            if name == "condition" {
                conditionText = v.scalar?.string ?? v.sequence?.compactMap { $0.string }.joined(separator: " or ")
                continue
            }
            if name == "timeframe" && owner == "detection" {
                throw RuleParseError(
                    "'timeframe' in a detection (Sigma 1 aggregation) is not supported; write a correlation rule (Docs/rules.md)",
                    line: k.mark?.line)
            }
            selections[name] = try selection(v, name, placeholders, &warnings)
        }
        guard let conditionText else { throw RuleParseError("\(owner) has no condition", line: line) }
        do { return (selections, try Condition.parse(conditionText, names: selections.keys.sorted())) } catch {
            throw RuleParseError(error.reason, line: block["condition"]?.mark?.line ?? line)
        }
    }

    static func rule(_ doc: Node, file: String, placeholders: [String: [String]] = [:]) throws(RuleParseError)
        -> SigmaRule
    {
        guard let map = doc.mapping else { throw RuleParseError("a rule must be a mapping") }
        guard let title = string(map["title"]) else { throw RuleParseError("rule has no title", line: doc.mark?.line) }
        let (id, uuid) = key(map, title: title)
        var warnings = [String]()
        let severity = severity(map)
        guard let detection = map["detection"]?.mapping else {
            throw RuleParseError("detection must be a mapping", line: map["detection"]?.mark?.line)
        }
        let (selections, condition) = try selectionsAndCondition(
            detection, owner: "detection", at: map["detection"]?.mark?.line, placeholders: placeholders,
            warnings: &warnings)
        let (mitre, tactics) = attack(map)
        let controls = controls(map)
        let examples = map["examples"]?.mapping
        return SigmaRule(
            id: id, title: title, description: string(map["description"]), severity: severity,
            product: string(map["logsource"]?.mapping?["product"]),
            service: string(map["logsource"]?.mapping?["service"]),
            mitre: mitre, remediation: string(map["remediation"]) ?? "Review the events; confirm they were authorised.",
            controls: controls, file: file, selections: selections, condition: condition,
            matchExamples: (examples?["match"]?.sequence ?? []).map(jsonText),
            nomatchExamples: (examples?["nomatch"]?.sequence ?? []).map(jsonText),
            metadata: SigmaRule.Metadata(
                uuid: uuid, status: string(map["status"]), author: string(map["author"]), date: string(map["date"]),
                references: map["references"]?.sequence?.compactMap { $0.string } ?? [],
                falsePositives: map["falsepositives"]?.sequence?.compactMap { $0.string } ?? [],
                fields: map["fields"]?.sequence?.compactMap { $0.string } ?? [],
                stratus: map["stratus"]?.sequence?.compactMap { $0.string } ?? [],
                tactics: tactics),
            warnings: warnings)
    }

    static func selection(
        _ v: Node, _ name: String, _ placeholders: [String: [String]], _ warnings: inout [String]
    ) throws(RuleParseError) -> Selection {
        switch v {
        case .mapping(let m):
            return Selection(alternatives: [try tests(m, placeholders, &warnings)])
        case .sequence(let s) where !s.isEmpty && s.allSatisfy({ $0.scalar != nil }):
            return try keywords(s.compactMap { $0.scalar?.string }, line: v.mark?.line)
        case .scalar(let s):
            return try keywords([s.string], line: v.mark?.line)
        case .sequence(let s):
            var alts = [[FieldTest]]()
            for item in s {
                guard let m = item.mapping else {
                    throw RuleParseError(
                        "selection '\(name)': a list holds either keywords or field mappings, not both",
                        line: item.mark?.line)
                }
                alts.append(try tests(m, placeholders, &warnings))
            }
            return Selection(alternatives: alts)
        default:
            throw RuleParseError("selection '\(name)' must be a mapping or a list of mappings", line: v.mark?.line)
        }
    }

    /// Keywords (full-text search): any of them inside any text of the event (`EventFields.keywordField`).
    static func keywords(_ values: [String], line: Int?) throws(RuleParseError) -> Selection {
        do {
            return Selection(alternatives: [
                [try FieldTest(field: EventFields.keywordField, op: .contains, all: false, values: values)]
            ])
        } catch { throw RuleParseError(error.reason, line: line) }
    }

    static func tests(
        _ m: Node.Mapping, _ placeholders: [String: [String]], _ warnings: inout [String]
    ) throws(RuleParseError) -> [FieldTest] {
        var out = [FieldTest]()
        for (k, v) in m {
            guard let key = k.string else { continue }
            let parts = key.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            // An empty name (`|contains`, or a key left empty by a YAML anchor) was an index out of range (found by fuzzing).
            guard let field = parts.first, !field.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw RuleParseError("a selection key needs a field name", line: k.mark?.line)
            }
            var op = FieldTest.Op.equals, all = false, cased = false, expand = false
            var regexOptions: NSRegularExpression.Options = []
            var transforms = [ValueTransform]()
            for mod in parts.dropFirst() {
                if let t = ValueTransform(rawValue: mod.lowercased()) {
                    transforms.append(t)
                    continue
                }
                switch mod.lowercased() {
                case "contains": op = .contains
                case "startswith": op = .startsWith
                case "endswith": op = .endsWith
                case "re": op = .regex
                case "all": all = true
                case "fieldref": op = .fieldRef
                case "exists": op = .exists
                case "cidr": op = .cidr
                case "cased": cased = true
                case "expand": expand = true
                case "gt", "gte", "lt", "lte": op = .compare(FieldTest.Comparison(rawValue: mod.lowercased())!)
                case "i" where op == .regex: regexOptions.insert(.caseInsensitive)
                case "m" where op == .regex: regexOptions.insert(.anchorsMatchLines)
                case "s" where op == .regex: regexOptions.insert(.dotMatchesLineSeparators)
                default:
                    throw RuleParseError(
                        "field modifier '\(mod)' is not supported (contains, startswith, endswith, re with i/m/s, all, fieldref, exists, cidr, gt, gte, lt, lte, cased, expand, base64, base64offset, windash, wide, utf16, utf16le, utf16be)",
                        line: k.mark?.line)
                }
            }
            var values: [String?]
            switch v {
            case .sequence(let s): values = s.map { $0.scalar.map(\.string).flatMap { $0 == "null" ? nil : $0 } }
            case .scalar(let s):
                values = [
                    s.string == "null" || s.string == "~" || s.string.isEmpty && s.style == .plain ? nil : s.string
                ]
            default: throw RuleParseError("field '\(field)' needs a value or a list of values", line: v.mark?.line)
            }
            if expand {
                var expanded = [String?]()
                for value in values {
                    guard let value else {
                        expanded.append(nil)
                        continue
                    }
                    do { expanded += try RuleSettings.expand(value, placeholders).map(Optional.some) } catch {
                        throw RuleParseError("field '\(field)|expand': \(error.reason)", line: v.mark?.line)
                    }
                }
                values = expanded
            }
            if !transforms.isEmpty {
                if transforms.contains(.base64offset) && op != .contains {
                    throw RuleParseError(
                        "field '\(field)': base64offset only works with contains (the encoded value sits anywhere)",
                        line: k.mark?.line)
                }
                if transforms.contains(.windash),
                    let v = values.compactMap({ $0 }).first(where: {
                        ValueTransform.windashCount($0) > ValueTransform.maxDashes
                    })
                {
                    throw RuleParseError(
                        "field '\(field)|windash': '\(v)' has more than three dashes to expand; split it into separate values",
                        line: k.mark?.line)
                }
                var current = values
                for t in transforms {
                    current = current.flatMap { v in v.map { t.apply($0).map(Optional.some) } ?? [nil] }
                }
                values = current
            }
            if !EventFields.isKnown(field) {
                warnings.append("field '\(field)' is not one crosstrail reads: this test never matches")
            }
            do {
                out.append(
                    try FieldTest(
                        field: field, op: op, all: all, cased: cased, regexOptions: regexOptions, values: values))
            } catch {
                throw RuleParseError(error.reason, line: v.mark?.line)
            }
        }
        return out
    }

    /// A YAML example (a mapping, or a string holding JSON) as JSON text.
    static func jsonText(_ n: Node) -> String {
        if let s = n.scalar, n.mapping == nil { return s.string }
        return json(n).text
    }

    static func json(_ n: Node) -> JSON {
        switch n {
        case .mapping(let m):
            var o = [String: JSON]()
            for (k, v) in m { if let key = k.string { o[key] = json(v) } }
            return .object(o)
        case .sequence(let s): return .array(s.map(json))
        case .scalar(let s):
            if s.style == .plain {
                if s.string == "true" { return .bool(true) }
                if s.string == "false" { return .bool(false) }
                if s.string == "null" || s.string == "~" { return .null }
                if let d = Double(s.string), !s.string.isEmpty { return .number(d) }
            }
            return .string(s.string)
        default: return .null
        }
    }
}
