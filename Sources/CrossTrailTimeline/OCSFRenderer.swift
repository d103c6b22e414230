import CrossTrailIngest
import CrossTrailModel

/// OCSF 1.6.0 JSON Lines with the `cloud` and `datetime` profiles declared: Authentication
/// (3002), Account Change (3001), Group Management (3006), User Access Management (3005),
/// Datastore Activity (6005) where the event is one (`OCSFEventClass`), API Activity (6003) for
/// every other call. Each line validates strictly against its class (Docs/formats.md); what OCSF
/// has no attribute for is under `unmapped`.
public struct OCSFRenderer: TimelineRenderer {
    public static let identifier = "ocsf"
    public init() {}

    public func render(_ e: AuditEvent, into out: inout [UInt8]) {
        let cls = OCSFEventClass.of(e)
        let info = cls.classInfo
        let activity = cls.activity
        let (statusID, status): (Int64, String) =
            switch e.outcome.status {
            case .success: (1, "Success")
            case .failure: (2, "Failure")
            case .unknown: (0, "Unknown")
            }
        out.append(123)
        var o = JSONObjectWriter()
        o.int("class_uid", info.uid, &out)
        o.string("class_name", info.name, &out)
        o.int("category_uid", info.category, &out)
        o.string("category_name", info.categoryName, &out)
        o.int("activity_id", activity.id, &out)
        o.string("activity_name", activity.name, &out)
        o.int("type_uid", info.uid * 100 + activity.id, &out)
        o.string("type_name", info.name + ": " + (activity.id == 99 ? "Other" : activity.name), &out)
        o.int("time", e.time.millis, &out)
        o.key("time_dt", &out); out.append(34); e.time.appendISO8601(to: &out); out.append(34)
        o.int("severity_id", 1, &out)
        o.string("severity", "Informational", &out)
        o.int("status_id", statusID, &out)
        o.string("status", status, &out)
        o.string("status_code", e.outcome.errorCode, &out)
        o.string("status_detail", e.outcome.errorMessage, &out)
        o.string("message", Self.message(e), &out)
        o.object("metadata", &out) { m, out in
            m.string("version", OCSF.version, &out)
            m.strings("profiles", OCSF.profiles, &out)
            m.string("uid", e.id, &out)
            m.string("correlation_uid", e.requestId, &out)
            m.object("product", &out) { p, out in
                p.string("name", e.plane.logProduct, &out)
                p.string("vendor_name", e.plane.vendor, &out)
            }
            m.string("log_name", e.format.rawValue, &out)
            m.string("log_provider", e.plane.logProduct, &out)
            m.string("original_time", e.time.iso8601, &out)
        }
        o.object("actor", &out) { a, out in
            a.object("user", &out) { u, out in Self.user(e.actor, e.plane, &u, &out) }
            if e.actor.sessionIssuer != nil || e.actor.mfa != nil || e.actor.sessionName != nil {
                a.object("session", &out) { s, out in
                    s.string("uid", e.actor.sessionName, &out)
                    s.string("issuer", e.actor.sessionIssuer, &out)
                    s.bool("is_mfa", e.actor.mfa, &out)
                    s.string("credential_uid", e.actor.accessKeyId, &out)
                }
            }
            // AWS `invokedBy`: the service that made the call for the identity.
            if e.plane == .aws { a.string("app_name", e.actor.runAs, &out) }
        }
        o.object("api", &out) { api, out in
            api.string("operation", e.action, &out)
            api.object("service", &out) { sv, out in sv.string("name", e.service, &out) }
            if let rid = e.requestId { api.object("request", &out) { rq, out in rq.string("uid", rid, &out) } }
        }
        o.object("src_endpoint", &out) { src, out in Self.sourceEndpoint(e, &src, &out) }
        if let ua = e.userAgent { o.object("http_request", &out) { h, out in h.string("user_agent", ua, &out) } }
        o.object("cloud", &out) { c, out in
            c.string("provider", e.plane.vendor, &out)
            c.string("region", e.region, &out)
            if let acct = e.account { c.object("account", &out) { ac, out in Self.account(acct, e.plane, &ac, &out) } }
        }
        Self.classAttributes(cls, e, &o, &out)
        // Left open: finish() may add the shared-id mark before closing it and the line.
        o.key("unmapped", &out)
        out.append(123)
        var u = JSONObjectWriter()
        u.string("format", e.format.rawValue, &out)
        u.string("actor_kind", e.actor.kind.rawValue, &out)
        u.string("actor_key", e.actor.key, &out)
        u.string("event_type", e.eventType, &out)
        u.bool("read_only", e.readOnly, &out)
        u.string("tls_version", e.tlsVersion, &out)
        u.string("workspace", e.workspace, &out)
        if e.plane == .databricks { u.string("run_as", e.actor.runAs, &out) }
        // Classes without `resources` keep the event's resources here (the object a read was of).
        switch cls {
        case .api, .userAccess: break
        default: if !e.resources.isEmpty { u.resources("resources", e.resources, idKey: "uid", &out) }
        }
        u.string("on_behalf_of", e.actor.onBehalfOf, &out)
        u.key("source", &out)
        JSONLRenderer.provenance(e.provenance, &out)
    }

    /// What only the event's class has: the user a login or account change is about, the group,
    /// the privileges, the data store.
    static func classAttributes(
        _ cls: OCSFEventClass, _ e: AuditEvent, _ o: inout JSONObjectWriter, _ out: inout [UInt8]
    ) {
        switch cls {
        case .authentication(_, let proto):
            o.object("user", &out) { u, out in user(e.actor, e.plane, &u, &out) }
            o.object("service", &out) { s, out in s.string("name", e.service, &out) }
            o.bool("is_mfa", e.actor.mfa, &out)
            if let proto {
                o.int("auth_protocol_id", proto.id, &out)
                o.string("auth_protocol", proto.name, &out)
            }
        case .accountChange(_, let name, let policy):
            o.object("user", &out) { u, out in target(name, e, &u, &out) }
            if let policy {
                o.key("policies", &out)
                out.append(91)
                JSONObjectWriter.object(&out) { p, out in p.string("uid", policy, &out) }
                out.append(93)
            }
        case .groupManagement(_, let group, let member, let privileges):
            o.object("group", &out) { g, out in g.string("name", group, &out) }
            if let member { o.object("user", &out) { u, out in target(member, e, &u, &out) } }
            if !privileges.isEmpty { o.strings("privileges", privileges, &out) }
        case .userAccess(_, let name, let privileges, let resource):
            o.object("user", &out) { u, out in target(name, e, &u, &out) }
            o.strings("privileges", privileges, &out)
            if let resource { o.resources("resources", [resource], idKey: "uid", &out) }
        case .datastore(_, let bucket, let table):
            if let bucket {
                o.int("type_id", 2, &out)
                o.string("type", "Databucket", &out)
                o.object("databucket", &out) { b, out in
                    b.int("type_id", 1, &out)
                    b.string("type", "S3", &out)
                    b.string("name", bucket, &out)
                }
            } else if let table {
                o.int("type_id", 3, &out)
                o.string("type", "Table", &out)
                o.object("table", &out) { t, out in t.string("name", table, &out) }
            }
        case .api:
            if !e.resources.isEmpty { o.resources("resources", e.resources, idKey: "uid", &out) }
        }
    }

    static func message(_ e: AuditEvent) -> String {
        var message = "\(e.actor.displayName) \(e.service):\(e.action)"
        if e.outcome.status == .failure { message += " failed" + (e.outcome.errorCode.map { " (\($0))" } ?? "") }
        if let r = e.resources.first { message += " on \(r.id)" }
        return message
    }

    /// An IP address as `ip`; a service name in its place (`ec2.amazonaws.com`, `AWS Internal`) as
    /// `name`; the VPC endpoint as `uid`. A record without any of them gets `name: "unknown"`: the
    /// attribute is required and one of those is required in it.
    static func sourceEndpoint(_ e: AuditEvent, _ w: inout JSONObjectWriter, _ out: inout [UInt8]) {
        var named = false
        if let source = e.sourceIPAddress {
            if OCSF.isIP(source) { w.string("ip", source, &out) } else { w.string("name", source, &out) }
            named = true
        }
        if let vpce = e.vpcEndpointId {
            w.string("uid", vpce, &out)
            named = true
        }
        if !named { w.string("name", "unknown", &out) }
    }

    /// OCSF User object for the actor.
    static func user(_ a: Actor, _ plane: Plane, _ w: inout JSONObjectWriter, _ out: inout [UInt8]) {
        let type = OCSF.userType(a.kind.rawValue)
        w.string("uid", a.arn ?? a.principalId ?? a.key, &out)
        w.string("name", a.displayName, &out)
        w.int("type_id", type.id, &out)
        w.string("type", type.caption, &out)
        w.string("email_addr", a.email.flatMap { OCSF.isEmail($0) ? $0 : nil }, &out)
        if let key = a.accessKeyId {
            w.key("programmatic_credentials", &out)
            out.append(91)
            JSONObjectWriter.object(&out) { c, out in
                c.string("uid", key, &out)
                let type =
                    switch plane {
                    case .aws: "AWS Access Key"
                    case .databricks: "Databricks Token"
                    }
                c.string("type", type, &out)
            }
            out.append(93)
        }
        if let acct = a.accountId { w.object("account", &out) { ac, out in account(acct, plane, &ac, &out) } }
    }

    /// The user an account, group or access change is about: named by the request.
    static func target(_ name: String, _ e: AuditEvent, _ w: inout JSONObjectWriter, _ out: inout [UInt8]) {
        w.string("name", name, &out)
        if OCSF.isEmail(name) { w.string("email_addr", name, &out) }
        if let acct = e.account { w.object("account", &out) { ac, out in account(acct, e.plane, &ac, &out) } }
    }

    /// An AWS account (type 10), or a Databricks account (type 99, "Databricks Account").
    static func account(_ id: String, _ plane: Plane, _ w: inout JSONObjectWriter, _ out: inout [UInt8]) {
        let type = OCSF.accountType(plane)
        w.string("uid", id, &out)
        w.int("type_id", type.id, &out)
        w.string("type", type.caption, &out)
    }

    public func finish(shared: SharedID?, into out: inout [UInt8]) {
        if let shared {
            out.append(contentsOf: ",\"id_shared\":\"".utf8)
            out.append(contentsOf: shared.rawValue.utf8)
            out.append(34)
        }
        out.append(contentsOf: "}}\n".utf8)
    }
}
