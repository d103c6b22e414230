import CrossTrailBase
import CrossTrailIngest
import CrossTrailModel

/// How a later record relates to an earlier one with the same id.
public enum SharedID: String, Sendable {
    /// Databricks logs two records for one long-running request.
    case pair
    /// Same id, different content: both kept, and reported.
    case conflict
}

/// Renders events to output bytes. Rendering happens on the worker threads; the merge only
/// copies bytes and appends the terminator (plus an `idShared` mark when needed).
public protocol TimelineRenderer: Sendable {
    /// The `--format` name.
    static var identifier: String { get }
    /// Bytes written before the first record (CSV header, table header).
    func header() -> [UInt8]
    /// Appends the record's body (everything but the terminator).
    func render(_ e: AuditEvent, into out: inout [UInt8])
    /// Appends the terminator, with the id mark when the record shares its id with an earlier one.
    func finish(shared: SharedID?, into out: inout [UInt8])
}

extension TimelineRenderer {
    public func header() -> [UInt8] { [] }
}

/// Picks the renderer for a `--format` value.
public enum TimelineFormat: String, Sendable, CaseIterable {
    case table, jsonl, csv, ocsf, timesketch

    /// The renderer; `fields` narrows JSONL output.
    public func renderer(fields: JSONLFields = .all) -> any TimelineRenderer {
        switch self {
        case .table: TableRenderer()
        case .jsonl: JSONLRenderer(fields: fields)
        case .csv: CSVRenderer()
        case .ocsf: OCSFRenderer()
        case .timesketch: TimesketchRenderer()
        }
    }
}

/// Small JSON object builder over a byte buffer.
struct JSONObjectWriter {
    var first = true

    mutating func key(_ k: StaticString, _ out: inout [UInt8]) {
        if !first { out.append(44) }
        first = false
        out.append(34)
        k.withUTF8Buffer { out.append(contentsOf: $0) }
        out.append(34)
        out.append(58)
    }

    mutating func string(_ k: StaticString, _ v: String?, _ out: inout [UInt8], includeNull: Bool = false) {
        guard let v else {
            if includeNull { key(k, &out); out.append(contentsOf: "null".utf8) }
            return
        }
        key(k, &out)
        appendJSONString(v, &out)
    }

    mutating func raw(_ k: StaticString, _ v: String?, _ out: inout [UInt8]) {
        guard let v else { return }
        key(k, &out)
        out.append(contentsOf: v.utf8)
    }

    mutating func int(_ k: StaticString, _ v: Int64?, _ out: inout [UInt8]) {
        guard let v else { return }
        key(k, &out)
        out.append(contentsOf: String(v).utf8)
    }

    mutating func bool(_ k: StaticString, _ v: Bool?, _ out: inout [UInt8]) {
        guard let v else { return }
        key(k, &out)
        out.append(contentsOf: (v ? "true" : "false").utf8)
    }

    /// Writes `"k":["…",…]`.
    mutating func strings(_ k: StaticString, _ list: [String], _ out: inout [UInt8]) {
        key(k, &out)
        out.append(91)
        for (i, s) in list.enumerated() {
            if i > 0 { out.append(44) }
            appendJSONString(s, &out)
        }
        out.append(93)
    }

    /// Writes `"k":{…}` with `body` filling the nested object.
    mutating func object(
        _ k: StaticString, _ out: inout [UInt8], _ body: (inout JSONObjectWriter, inout [UInt8]) -> Void
    ) {
        key(k, &out)
        JSONObjectWriter.object(&out, body)
    }

    /// Writes a bare `{…}`.
    static func object(_ out: inout [UInt8], _ body: (inout JSONObjectWriter, inout [UInt8]) -> Void) {
        out.append(123)
        var inner = JSONObjectWriter()
        body(&inner, &out)
        out.append(125)
    }

    /// Writes `"k":[{"type":…,"<idKey>":…},…]`.
    mutating func resources(_ k: StaticString, _ list: [Resource], idKey: StaticString, _ out: inout [UInt8]) {
        key(k, &out)
        out.append(91)
        for (i, r) in list.enumerated() {
            if i > 0 { out.append(44) }
            JSONObjectWriter.object(&out) { ro, out in
                ro.string("type", r.type, &out)
                ro.string(idKey, r.id, &out)
            }
        }
        out.append(93)
    }
}

@inline(__always) func appendJSONString(_ s: String, _ out: inout [UInt8]) {
    out.append(34)
    JSONText.appendEscaped(s.utf8, to: &out)
    out.append(34)
}

/// The documented, stable JSONL schema (Docs/formats.md), optionally narrowed by `--fields`.
public struct JSONLRenderer: TimelineRenderer {
    public static let identifier = "jsonl"
    let fields: JSONLFields

    public init(fields: JSONLFields = .all) { self.fields = fields }

    public func render(_ e: AuditEvent, into out: inout [UInt8]) {
        let f = fields
        out.append(123)
        var o = JSONObjectWriter()
        if f.has(.id) { o.string("id", e.id, &out) }
        if f.has(.time) { o.key("time", &out); out.append(34); e.time.appendISO8601(to: &out); out.append(34) }
        if f.has(.plane) { o.string("plane", e.plane.rawValue, &out) }
        if f.has(.service) { o.string("service", e.service, &out) }
        if f.has(.action) { o.string("action", e.action, &out) }
        if f.has(.outcome) {
            o.object("outcome", &out) { oc, out in
                oc.string("status", e.outcome.status.rawValue, &out)
                oc.string("errorCode", e.outcome.errorCode, &out)
                oc.string("errorMessage", e.outcome.errorMessage, &out)
            }
        }
        if f.has(.actor) {
            o.key("actor", &out)
            JSONLRenderer.actor(e.actor, f, &out)
        }
        if f.has(.person), let p = e.person {
            o.object("person", &out) { po, out in
                po.string("email", p.email, &out)
                if p.email == nil {
                    po.key("candidates", &out)
                    out.append(UInt8(ascii: "["))
                    for (i, c) in p.candidates.enumerated() {
                        if i > 0 { out.append(UInt8(ascii: ",")) }
                        appendJSONString(c, &out)
                    }
                    out.append(UInt8(ascii: "]"))
                }
                po.string("confidence", p.confidence, &out)
            }
        }
        if f.has(.sourceIPAddress) { o.string("sourceIPAddress", e.sourceIPAddress, &out, includeNull: true) }
        if f.has(.userAgent) { o.string("userAgent", e.userAgent, &out) }
        if f.has(.vpcEndpointId) { o.string("vpcEndpointId", e.vpcEndpointId, &out) }
        if f.has(.tlsVersion) { o.string("tlsVersion", e.tlsVersion, &out) }
        if f.has(.account) { o.string("account", e.account, &out) }
        if f.has(.region) { o.string("region", e.region, &out) }
        if f.has(.workspace) { o.string("workspace", e.workspace, &out) }
        if f.has(.resources) { o.resources("resources", e.resources, idKey: "id", &out) }
        if f.has(.requestId) { o.string("requestId", e.requestId, &out) }
        if f.has(.eventType) { o.string("eventType", e.eventType, &out) }
        if f.has(.readOnly) { o.bool("readOnly", e.readOnly, &out) }
        // Secrets and personal data inside the parameters never reach an output (Redactor).
        if f.has(.requestParameters) {
            o.raw("requestParameters", e.requestParameters.map { Redactor.redact($0)?.text ?? $0 }, &out)
        }
        if f.has(.format) { o.string("format", e.format.rawValue, &out) }
        if f.has(.source) {
            o.key("source", &out)
            JSONLRenderer.provenance(e.provenance, &out)
        }
        // Keeps the line an object even when nothing was selected, and lets finish() add a key.
        if o.first { out.append(contentsOf: "\"id\":".utf8); appendJSONString(e.id, &out) }
    }

    static func actor(_ a: Actor, _ f: JSONLFields = .all, _ out: inout [UInt8]) {
        JSONObjectWriter.object(&out) { ao, out in
            if f.has(.kind) { ao.string("kind", a.kind.rawValue, &out) }
            if f.has(.key) { ao.string("key", a.key, &out) }
            if f.has(.name) { ao.string("name", a.displayName, &out) }
            if f.has(.arn) { ao.string("arn", a.arn, &out) }
            if f.has(.email) { ao.string("email", a.email, &out) }
            if f.has(.principalId) { ao.string("principalId", a.principalId, &out) }
            if f.has(.accountId) { ao.string("accountId", a.accountId, &out) }
            if f.has(.sessionIssuer) { ao.string("sessionIssuer", a.sessionIssuer, &out) }
            if f.has(.sessionName) { ao.string("sessionName", a.sessionName, &out) }
            if f.has(.accessKeyId) { ao.string("accessKeyId", a.accessKeyId, &out) }
            if f.has(.mfa) { ao.bool("mfa", a.mfa, &out) }
            if f.has(.runAs) { ao.string("runAs", a.runAs, &out) }
            if f.has(.onBehalfOf) { ao.string("onBehalfOf", a.onBehalfOf, &out) }
        }
    }

    static func provenance(_ p: Provenance, _ out: inout [UInt8]) {
        JSONObjectWriter.object(&out) { so, out in
            so.string("file", p.file, &out)
            so.int("line", p.line.map(Int64.init), &out)
            so.int("offset", Int64(p.offset), &out)
        }
    }

    public func finish(shared: SharedID?, into out: inout [UInt8]) {
        if let shared {
            out.append(contentsOf: ",\"idShared\":\"".utf8)
            out.append(contentsOf: shared.rawValue.utf8)
            out.append(34)
        }
        out.append(125)
        out.append(10)
    }
}

/// Timesketch JSONL: `message`, `datetime`, `timestamp` (microseconds), `timestamp_desc`, plus flat fields.
public struct TimesketchRenderer: TimelineRenderer {
    public static let identifier = "timesketch"
    public init() {}

    public func render(_ e: AuditEvent, into out: inout [UInt8]) {
        out.append(123)
        var o = JSONObjectWriter()
        var message = "\(e.actor.displayName) \(e.service):\(e.action)"
        if e.outcome.status == .failure { message += " failed" + (e.outcome.errorCode.map { " (\($0))" } ?? "") }
        if let r = e.resources.first { message += " on \(r.id)" }
        o.string("message", message, &out)
        o.key("datetime", &out); out.append(34); e.time.appendISO8601(to: &out); out.append(34)
        // Microseconds; saturating, although ingest only admits times far from the limits.
        let (micros, overflow) = e.time.millis.multipliedReportingOverflow(by: 1000)
        o.int("timestamp", overflow ? (e.time.millis < 0 ? .min : .max) : micros, &out)
        o.string("timestamp_desc", "Event Time", &out)
        // What Timesketch analyzers and tags key on: plaso's and Timesketch's CloudTrail analyzer
        // use `aws:cloudtrail:entry` and `event_name`.
        let dataType =
            switch e.plane {
            case .aws: "aws:cloudtrail:entry"
            case .databricks: "databricks:audit:event"
            }
        o.string("data_type", dataType, &out)
        o.string("event_name", e.action, &out)
        o.string("event_id", e.id, &out)
        o.string("plane", e.plane.rawValue, &out)
        o.string("service", e.service, &out)
        o.string("action", e.action, &out)
        o.string("outcome", e.outcome.status.rawValue, &out)
        o.string("error_code", e.outcome.errorCode, &out)
        o.string("actor", e.actor.key, &out)
        o.string("actor_kind", e.actor.kind.rawValue, &out)
        o.string("source_ip", e.sourceIPAddress, &out)
        o.string("user_agent", e.userAgent, &out)
        o.string("account", e.account, &out)
        o.string("region", e.region, &out)
        o.string("workspace", e.workspace, &out)
        if !e.resources.isEmpty { o.strings("resources", e.resources.map(\.id), &out) }
        o.string("source_file", e.provenance.file, &out)
        o.int("source_offset", Int64(e.provenance.offset), &out)
    }

    public func finish(shared: SharedID?, into out: inout [UInt8]) {
        JSONLRenderer().finish(shared: shared, into: &out)
    }
}

/// CSV with a fixed header; fields quoted when needed (RFC 4180). Cells that a spreadsheet would
/// run as a formula (`=`, `+`, `-`, `@` first) are prefixed with `'`. Account and workspace ids
/// are always quoted (text, so readers that honour quoting keep leading zeros); `resources` is one cell
/// holding a JSON array of ids (ids may contain spaces).
public struct CSVRenderer: TimelineRenderer {
    public static let identifier = "csv"
    public init() {}
    static let columns = [
        "time", "id", "plane", "service", "action", "outcome", "errorCode", "actorKind", "actor",
        "actorName", "sourceIPAddress", "userAgent", "account", "region", "workspace", "resources",
        "requestId", "sourceFile", "sourceLine", "sourceOffset", "idShared",
    ]

    public func header() -> [UInt8] { Array((CSVRenderer.columns.joined(separator: ",") + "\n").utf8) }
    /// Numeric-looking identifiers kept as text: AWS account and Databricks workspace ids.
    static let textColumns = Set(["account", "workspace"].compactMap { columns.firstIndex(of: $0) })

    static func jsonArray(_ resources: [Resource]) -> String {
        var out: [UInt8] = [91]
        for (i, r) in resources.enumerated() {
            if i > 0 { out.append(44) }
            appendJSONString(r.id, &out)
        }
        out.append(93)
        return String(decoding: out, as: UTF8.self)
    }

    public func render(_ e: AuditEvent, into out: inout [UInt8]) {
        let cells: [String?] = [
            e.time.iso8601, e.id, e.plane.rawValue, e.service, e.action, e.outcome.status.rawValue,
            e.outcome.errorCode, e.actor.kind.rawValue, e.actor.key, e.actor.displayName, e.sourceIPAddress,
            e.userAgent, e.account, e.region, e.workspace, e.resources.isEmpty ? nil : Self.jsonArray(e.resources),
            e.requestId, e.provenance.file, e.provenance.line.map(String.init), String(e.provenance.offset),
        ]
        for (i, c) in cells.enumerated() {
            if i > 0 { out.append(44) }
            guard let c else { continue }
            if Self.textColumns.contains(i) { CSV.quoted(c, &out) } else { CSV.cell(c, &out) }
        }
    }

    public func finish(shared: SharedID?, into out: inout [UInt8]) {
        out.append(44)
        if let shared { out.append(contentsOf: shared.rawValue.utf8) }
        out.append(10)
    }
}

/// A readable terminal table (the default on a TTY). Control characters in log strings are
/// replaced so a hostile log cannot drive the terminal.
public struct TableRenderer: TimelineRenderer {
    public static let identifier = "table"
    public init() {}
    static let widths = [24, 10, 18, 30, 8, 36, 15]

    public func header() -> [UInt8] {
        var out: [UInt8] = []
        row(["TIME", "PLANE", "SERVICE", "ACTION", "OUTCOME", "ACTOR", "SOURCE IP", "RESOURCE"], &out)
        out.append(10)
        return out
    }

    func row(_ cells: [String], _ out: inout [UInt8]) {
        for (i, c) in cells.enumerated() {
            let clean = c.terminalSafe
            if i < TableRenderer.widths.count {
                let w = TableRenderer.widths[i]
                var cell = clean.count > w ? String(clean.prefix(w - 1)) + "…" : clean
                cell += String(repeating: " ", count: max(0, w - cell.count))
                out.append(contentsOf: cell.utf8)
                out.append(32)
            } else {
                // The last column is not padded, but one huge value must not make a line of it.
                let w = TableRenderer.lastWidth
                out.append(contentsOf: (clean.count > w ? String(clean.prefix(w - 1)) + "…" : clean).utf8)
            }
        }
    }
    static let lastWidth = 200

    public func render(_ e: AuditEvent, into out: inout [UInt8]) {
        let outcome =
            e.outcome.status == .failure
            ? "FAIL" + (e.outcome.errorCode.map { ":" + $0 } ?? "") : e.outcome.status.rawValue
        var actor = e.actor.displayName
        // Role sessions: the session name first (it names the person or instance), then the role, which may be cut.
        if e.actor.kind == .assumedRole, let session = e.actor.sessionName,
            let role = e.actor.sessionIssuer?.split(separator: "/").last
        {
            actor = "\(session) (\(role))"
        }
        if let p = e.person, p.email != e.actor.email {
            actor = (p.email ?? p.candidates.joined(separator: "|")) + " via " + actor
        }
        row(
            [
                e.time.iso8601, e.plane.rawValue, e.service, e.action, outcome, actor, e.sourceIPAddress ?? "-",
                e.resources.first?.id ?? "",
            ], &out)
    }

    public func finish(shared: SharedID?, into out: inout [UInt8]) {
        if let shared { out.append(contentsOf: " [\(shared.rawValue)]".utf8) }
        out.append(10)
    }
}
