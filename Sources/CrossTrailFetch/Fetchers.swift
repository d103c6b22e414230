import CrossTrailBase
import CrossTrailHTTP
import CrossTrailModel
import Foundation

/// What a fetch did, for the summary line.
public struct FetchSummary: Sendable {
    public var listed = 0
    public var fetched = 0
    public var skipped = 0
    public var bytes: Int64 = 0
    public var files: [String] = []
}

/// A UTC day range [since, until) as `YYYY/MM/DD` folder names.
public struct DayRange: Sendable {
    public var since: Timestamp
    public var until: Timestamp

    public init(since: Timestamp, until: Timestamp) {
        self.since = since
        self.until = until
    }

    /// Digest files are filed under their end time: the last day's digests are in the next day's folder.
    var forDigests: DayRange { DayRange(since: since, until: Timestamp(millis: until.millis + 86_400_000)) }

    var folders: [String] {
        var out: [String] = []
        var d = since.millis / 86_400_000
        let last = (until.millis - 1) / 86_400_000
        while d <= last && out.count < 3700 {
            out.append(Timestamp(millis: d * 86_400_000).day.replacingOccurrences(of: "-", with: "/"))
            d += 1
        }
        return out
    }

    /// True when a key's `/YYYY/MM/DD/` folder is inside the range (keys without one are kept).
    func contains(key: String) -> Bool {
        let parts = key.split(separator: "/")
        for i in 0..<max(0, parts.count - 2) {
            guard parts[i].count == 4, parts[i + 1].count == 2, parts[i + 2].count == 2,
                let y = Int(parts[i]), let m = Int(parts[i + 1]), let d = Int(parts[i + 2]), (1970...9999).contains(y)
            else { continue }
            let day = Timestamp(year: y, month: m, day: d).millis
            return day + 86_400_000 > since.millis && day < until.millis
        }
        return true
    }
}

/// One kind of download `crosstrail fetch` runs. A new source is one file with a type conforming to
/// this and one case of `FetchPlan.Source` that builds it. Every file goes through `run` (atomic
/// writes under the output folder, the checkpoint, provenance); credentials stay in the client.
public protocol Fetcher {
    /// How the summary line names what was fetched.
    var label: String { get }
    /// Fetches what is new or changed into `run`'s folder; `progress` is told after each file.
    func fetch(into run: FetchRun, progress: (@Sendable (FetchSummary) -> Void)?) throws -> FetchSummary
}

// MARK: - S3

/// Lists `s3://bucket/prefix` (narrowed to the day folders of `days` in the CloudTrail layout,
/// digests included), then downloads what is new or changed with `jobs` parallel connections.
public struct S3Fetch: Fetcher {
    public var bucket: String
    public var prefix: String
    public var days: DayRange?
    public var digests: Bool
    public var jobs: Int
    /// A client per connection.
    public var makeClient: @Sendable () throws -> AWSClient

    public init(
        bucket: String, prefix: String, days: DayRange?, digests: Bool, jobs: Int,
        client: @escaping @Sendable () throws -> AWSClient
    ) {
        (self.bucket, self.prefix, self.days, self.digests, self.jobs, self.makeClient) =
            (bucket, prefix, days, digests, jobs, client)
    }

    public var label: String { "s3://\(bucket)/\(prefix)" }

    public func fetch(into run: FetchRun, progress: (@Sendable (FetchSummary) -> Void)? = nil) throws -> FetchSummary {
        let bucket = bucket
        let lister = try makeClient()
        var prefixes = [prefix]
        if let days {
            prefixes = try Self.expand(prefix, days: days, digests: digests, client: lister, bucket: bucket, depth: 0)
        }
        var objects: [S3Object] = []
        var seen = Set<String>()
        for p in prefixes {
            for o in try lister.listObjects(bucket: bucket, prefix: p).objects
            where !o.key.hasSuffix("/") && seen.insert(o.key).inserted {
                if let days, !(o.key.contains("/CloudTrail-Digest/") ? days.forDigests : days).contains(key: o.key) {
                    continue
                }
                objects.append(o)
            }
        }
        // A key that is also the folder of other keys (`a/b` beside `a/b/c`) cannot be both a file
        // and a folder on disk: it is named in a warning and not fetched, the others are.
        let folders = Set(
            objects.flatMap { o in
                o.key.indices.filter { o.key[$0] == "/" }.map { String(o.key[..<$0]) }
            })
        objects.removeAll { o in
            guard folders.contains(o.key) else { return false }
            run.warn(
                "s3://\(bucket)/\(o.key): not fetched: the key is also the folder of other keys (\(o.key)/...), which a file system cannot hold both of"
            )
            return true
        }
        var summary = FetchSummary()
        summary.listed = objects.count
        let todo = objects.filter { !run.isCurrent("s3://\(bucket)/\($0.key)", bytes: $0.size, etag: $0.etag) }
        summary.skipped = objects.count - todo.count
        let state = SharedState(summary)
        let workers = max(1, min(jobs, todo.count))
        var made: [AWSClient] = [lister]
        for _ in 1..<max(1, workers) { made.append(try makeClient()) }
        let clients = made
        let next = Counter()
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let client = clients[w]
            while !state.failed, let i = next.take(below: todo.count) {
                do {
                    let (rel, d) = try Self.fetchObject(todo[i], bucket: bucket, client: client, run: run)
                    state.update {
                        $0.fetched += 1; $0.bytes += d; $0.files.append(rel)
                    }
                    if let progress { progress(state.summary) }
                } catch {
                    state.fail(error)
                }
            }
        }
        try run.saveCheckpoint()
        if let e = state.error { throw e }
        var s = state.summary
        s.files.sort()
        return s
    }

    /// Downloads one object (twice at most when the body does not match its size or ETag).
    static func fetchObject(_ o: S3Object, bucket: String, client: AWSClient, run: FetchRun) throws -> (String, Int64) {
        let rel = SafePath.relative(o.key)
        let path = try SafePath.join(run.out, rel)
        try FileManager.default.createDirectory(
            atPath: PathText.parent(path), withIntermediateDirectories: true)
        var lastProblem = ""
        for _ in 0..<2 {
            let d = try client.getObject(bucket: bucket, key: o.key, to: path, maxBytes: o.size)
            var problem: String?
            if d.bytes != o.size {
                problem = "received \(d.bytes) bytes, the listing says \(o.size)"
            }
            // A single-part upload's ETag is the MD5 of the object.
            else if o.etag.count == 32, !o.etag.contains("-"), d.md5 != o.etag.lowercased() {
                problem = "MD5 \(d.md5) does not match the ETag \(o.etag)"
            }
            if let problem {
                unlink(path)
                lastProblem = problem
                continue
            }
            if let signature = d.headers["x-amz-meta-signature"] {
                // The digest signature lives only in S3 metadata: keep it for verify-digests.
                let meta: [String: Any] = [
                    "bucket": bucket, "key": o.key, "etag": o.etag,
                    "metadata": [
                        "signature": signature,
                        "signature-algorithm": d.headers["x-amz-meta-signature-algorithm"] ?? "",
                    ],
                ]
                try FetchRun.writeAtomically(
                    try JSONSerialization.data(withJSONObject: meta, options: [.sortedKeys]), to: path + ".s3meta.json")
            }
            run.record(key: "s3://\(bucket)/\(o.key)", path: rel, bytes: d.bytes, etag: o.etag, sha256: d.sha256)
            return (rel, d.bytes)
        }
        throw FetchError("S3 GetObject s3://\(bucket)/\(o.key): \(lastProblem) (twice); the file was not kept")
    }

    /// The listing prefixes for a day range: under `…/CloudTrail/` (and `…/CloudTrail-Digest/`)
    /// each region's day folders; above it, account and organization folders are walked.
    static func expand(_ prefix: String, days: DayRange, digests: Bool, client: AWSClient, bucket: String, depth: Int)
        throws -> [String]
    {
        guard prefix.isEmpty || prefix.hasSuffix("/") else { return [prefix] }
        let name = prefix.split(separator: "/").last.map(String.init) ?? ""
        if name == "CloudTrail" || name == "CloudTrail-Digest" {
            var out: [String] = []
            let range = name == "CloudTrail-Digest" ? days.forDigests : days
            for region in try client.listObjects(bucket: bucket, prefix: prefix, delimiter: "/").prefixes {
                out += range.folders.map { region + $0 + "/" }
            }
            if name == "CloudTrail" && digests {
                let sibling = String(prefix.dropLast("CloudTrail/".count)) + "CloudTrail-Digest/"
                out += try expand(sibling, days: days, digests: false, client: client, bucket: bucket, depth: depth)
            }
            return out
        }
        guard depth < 5 else { return [prefix] }
        let children = try client.listObjects(bucket: bucket, prefix: prefix, delimiter: "/").prefixes
        let walkable = children.filter { c in
            let n = c.split(separator: "/").last.map(String.init) ?? ""
            return n == "AWSLogs" || n == "CloudTrail" || (n == "CloudTrail-Digest" && digests) || n.hasPrefix("o-")
                || (n.count == 12 && n.allSatisfy(\.isNumber))
        }
        if walkable.isEmpty { return [prefix] }
        return try walkable.flatMap {
            try expand($0, days: days, digests: digests, client: client, bucket: bucket, depth: depth + 1)
        }
        .reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
    }
}

/// A work index shared by workers.
final class Counter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    func take(below n: Int) -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard value < n else { return nil }
        value += 1
        return value - 1
    }
}

final class SharedState: @unchecked Sendable {
    private let lock = NSLock()
    private var s: FetchSummary
    private(set) var error: (any Error)?
    init(_ s: FetchSummary) { self.s = s }
    var summary: FetchSummary { lock.lock(); defer { lock.unlock() }; return s }
    var failed: Bool { lock.lock(); defer { lock.unlock() }; return error != nil }
    func update(_ f: (inout FetchSummary) -> Void) { lock.lock(); f(&s); lock.unlock() }
    func fail(_ e: any Error) { lock.lock(); if error == nil { error = e }; lock.unlock() }
}

// MARK: - IAM, LookupEvents

extension FetchRun {
    /// Writes one JSON export (pretty, sorted keys, the AWS CLI's look) into the folder
    /// atomically, records it in the manifest under `key`, and returns its summary.
    func writeExport(_ object: Any, as rel: String, key: String, listed: Int) throws -> FetchSummary {
        let data = try JSONSerialization.data(
            withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try FetchRun.writeAtomically(data, to: try SafePath.join(out, rel))
        try record(key: key, file: rel)
        var s = FetchSummary()
        s.fetched = 1
        s.bytes = Int64(data.count)
        s.files = [rel]
        s.listed = listed
        return s
    }
}

/// Writes `iam-authorization-details.json` (the AWS CLI's shape) into the output folder.
public struct IAMFetch: Fetcher {
    public var client: AWSClient
    public init(client: AWSClient) { self.client = client }
    public var label: String { "IAM" }

    public func fetch(into run: FetchRun, progress: (@Sendable (FetchSummary) -> Void)? = nil) throws -> FetchSummary {
        let details = try client.accountAuthorizationDetails()
        return try run.writeExport(
            details, as: "iam-authorization-details.json", key: "iam:GetAccountAuthorizationDetails",
            listed: ["UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"].reduce(0) {
                $0 + ((details[$1] as? [Any])?.count ?? 0)
            })
    }
}

/// Writes the management events of [since, until) as lookup-events JSON pages
/// (`cloudtrail-lookup-events/<region>/<since>_<until>-<page>.json`).
public struct LookupEventsFetch: Fetcher {
    public var client: AWSClient
    public var since: Timestamp
    public var until: Timestamp
    public init(client: AWSClient, since: Timestamp, until: Timestamp) {
        (self.client, self.since, self.until) = (client, since, until)
    }
    public var label: String { "CloudTrail LookupEvents" }

    public func fetch(into run: FetchRun, progress: (@Sendable (FetchSummary) -> Void)? = nil) throws -> FetchSummary {
        var s = FetchSummary()
        var page = 0
        let stem =
            "cloudtrail-lookup-events/\(SafePath.segment(client.config.region))/\(since.iso8601.prefix(19).replacingOccurrences(of: ":", with: ""))_\(until.iso8601.prefix(19).replacingOccurrences(of: ":", with: ""))"
        try client.lookupEvents(
            start: Date(timeIntervalSince1970: Double(since.millis) / 1000),
            end: Date(timeIntervalSince1970: Double(until.millis) / 1000)
        ) { events in
            page += 1
            let rel = "\(stem)-\(String(format: "%04d", page)).json"
            let data = try JSONSerialization.data(
                withJSONObject: ["Events": events], options: [.sortedKeys, .withoutEscapingSlashes])
            try FetchRun.writeAtomically(data, to: try SafePath.join(run.out, rel))
            try run.record(key: "cloudtrail:LookupEvents:" + rel, file: rel)
            s.listed += events.count
            s.fetched += 1
            s.bytes += Int64(data.count)
            s.files.append(rel)
        }
        return s
    }
}

// MARK: - Databricks

/// `system.access.audit` rows of [since, until) as JSON lines
/// (`databricks/system-access-audit/<since>_<until>.jsonl`), written atomically.
public struct DatabricksAuditFetch: Fetcher {
    public var client: DatabricksClient
    public var warehouse: String
    public var since: Timestamp
    public var until: Timestamp
    /// Results as external links (large periods) rather than inline.
    public var externalLinks: Bool
    public init(client: DatabricksClient, warehouse: String, since: Timestamp, until: Timestamp, externalLinks: Bool) {
        (self.client, self.warehouse, self.since, self.until, self.externalLinks) =
            (client, warehouse, since, until, externalLinks)
    }
    public var label: String { "system.access.audit" }

    public func fetch(into run: FetchRun, progress: (@Sendable (FetchSummary) -> Void)? = nil) throws -> FetchSummary {
        let rel =
            "databricks/system-access-audit/\(since.iso8601.prefix(19).replacingOccurrences(of: ":", with: ""))_\(until.iso8601.prefix(19).replacingOccurrences(of: ":", with: "")).jsonl"
        let path = try SafePath.join(run.out, rel)
        try FileManager.default.createDirectory(
            atPath: PathText.parent(path), withIntermediateDirectories: true)
        let tmp = AtomicFile.temporaryPath(for: path)
        guard FileManager.default.createFile(atPath: tmp, contents: nil), let fh = FileHandle(forWritingAtPath: tmp)
        else {
            throw FetchError("cannot write \(tmp)")
        }
        var s = FetchSummary()
        do {
            try client.statement(
                "SELECT * FROM system.access.audit WHERE event_time >= :since AND event_time < :until ORDER BY event_time, event_id",
                parameters: [("since", since.iso8601, "TIMESTAMP"), ("until", until.iso8601, "TIMESTAMP")],
                warehouse: warehouse, externalLinks: externalLinks
            ) { rows in
                var chunk = Data()
                for r in rows {
                    chunk += try JSONSerialization.data(
                        withJSONObject: r, options: [.sortedKeys, .withoutEscapingSlashes])
                    chunk += Data("\n".utf8)
                }
                try fh.write(contentsOf: chunk)
                s.listed += rows.count
                s.bytes += Int64(chunk.count)
            }
            try fh.close()
        } catch {
            try? fh.close()
            unlink(tmp)
            throw error
        }
        do { try AtomicFile.commit(tmp, to: path) } catch { throw FetchError("\(error)") }
        try run.record(key: "databricks:system.access.audit:" + rel, file: rel)
        s.fetched = 1
        s.files = [rel]
        return s
    }
}

/// The workspace's identities and permissions, in the layout `--inventory` reads (Docs/formats.md);
/// column tags too when a SQL warehouse is given.
public struct DatabricksInventoryFetch: Fetcher {
    public var client: DatabricksClient
    public var warehouse: String?
    public init(client: DatabricksClient, warehouse: String?) { (self.client, self.warehouse) = (client, warehouse) }
    public var label: String { "Databricks inventory" }

    public func fetch(into run: FetchRun, progress: (@Sendable (FetchSummary) -> Void)? = nil) throws -> FetchSummary {
        var s = FetchSummary()
        func save(_ rel: String, _ value: Any) throws {
            let data = try JSONSerialization.data(
                withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            try FetchRun.writeAtomically(data, to: try SafePath.join(run.out, rel))
            try run.record(key: "databricks:" + rel, file: rel)
            s.fetched += 1
            s.bytes += Int64(data.count)
            s.files.append(rel)
        }
        /// Per-object calls: an object deleted since it was listed, or one the caller may not
        /// read, is a warning in the manifest, not the end of the inventory.
        func optional(_ what: String, _ body: () throws -> Void) throws {
            do { try body() } catch let e as HTTPError where e.statusCode == 403 || e.statusCode == 404 {
                run.warn("\(what): \(e)")
            }
        }
        for (resource, file) in [
            ("Users", "scim-users.json"), ("Groups", "scim-groups.json"),
            ("ServicePrincipals", "scim-service-principals.json"),
        ] {
            let items = try client.scim(resource)
            s.listed += items.count
            try save(
                file,
                [
                    "Resources": items, "totalResults": items.count,
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                ])
        }
        let clusters = try client.list("/api/2.1/clusters/list", key: "clusters", label: "Databricks clusters")
        try save("clusters.json", ["clusters": clusters])
        let jobs = try client.list(
            "/api/2.1/jobs/list", key: "jobs", query: [("limit", "100")], label: "Databricks jobs")
        try save("jobs.json", ["jobs": jobs])
        // Warehouses are listed for their ACLs only (the inventory reader has no use for the list).
        let warehouses =
            try client.call("GET", "/api/2.0/sql/warehouses", label: "Databricks SQL warehouses")["warehouses"]
            as? [Any] ?? []
        let policies =
            try client.call("GET", "/api/2.0/policies/clusters/list", label: "Databricks cluster policies")["policies"]
            as? [Any] ?? []
        try save("cluster-policies.json", ["policies": policies])
        let profiles =
            try client.call("GET", "/api/2.0/instance-profiles/list", label: "Databricks instance profiles")[
                "instance_profiles"] as? [Any] ?? []
        try save("instance-profiles.json", ["instance_profiles": profiles])
        s.listed += clusters.count + jobs.count + warehouses.count + policies.count + profiles.count

        // Object ACLs.
        let objects: [(String, String, [Any], String)] = [
            ("clusters", "clusters", clusters, "cluster_id"), ("jobs", "jobs", jobs, "job_id"),
            ("sql/warehouses", "warehouses", warehouses, "id"),
            ("cluster-policies", "cluster-policies", policies, "policy_id"),
        ]
        for (apiType, folder, items, idKey) in objects {
            for item in items {
                guard let o = item as? [String: Any], let id = o[idKey].map({ "\($0)" }) else { continue }
                try optional("permissions of \(folder) \(id)") {
                    let acl = try client.call(
                        "GET", "/api/2.0/permissions/\(apiType)/\(SigV4.uriEncode(id))",
                        label: "Databricks permissions \(folder) \(id)")
                    try save("permissions/\(folder)/\(SafePath.segment(id)).json", acl)
                }
            }
        }

        // Unity Catalog: securables and their grants.
        let catalogs = try client.list(
            "/api/2.1/unity-catalog/catalogs", key: "catalogs", label: "Unity Catalog catalogs")
        try save("unity-catalog/catalogs.json", ["catalogs": catalogs])
        var schemas: [Any] = [], tables: [Any] = []
        for c in catalogs.compactMap({ ($0 as? [String: Any])?["name"] as? String }) {
            try optional("schemas of catalog \(c)") {
                schemas += try client.list(
                    "/api/2.1/unity-catalog/schemas", key: "schemas", query: [("catalog_name", c)],
                    label: "Unity Catalog schemas of \(c)")
            }
            try optional("grants on catalog \(c)") { try Self.grants(client, "catalog", c, save) }
        }
        try save("unity-catalog/schemas.json", ["schemas": schemas])
        for sc in schemas.compactMap({ $0 as? [String: Any] }) {
            guard let catalog = sc["catalog_name"] as? String, let name = sc["name"] as? String else { continue }
            let full = sc["full_name"] as? String ?? "\(catalog).\(name)"
            try optional("tables of schema \(full)") {
                tables += try client.list(
                    "/api/2.1/unity-catalog/tables", key: "tables",
                    query: [("catalog_name", catalog), ("schema_name", name)],
                    label: "Unity Catalog tables of \(full)")
            }
            try optional("grants on schema \(full)") { try Self.grants(client, "schema", full, save) }
        }
        try save("unity-catalog/tables.json", ["tables": tables])
        for t in tables.compactMap({ ($0 as? [String: Any])?["full_name"] as? String }) {
            try optional("grants on table \(t)") { try Self.grants(client, "table", t, save) }
        }
        for (path, key, file) in [
            ("/api/2.1/unity-catalog/storage-credentials", "storage_credentials", "storage_credentials.json"),
            ("/api/2.1/unity-catalog/external-locations", "external_locations", "external_locations.json"),
        ] {
            try optional(key) {
                try save("unity-catalog/" + file, [key: try client.list(path, key: key, label: "Unity Catalog \(key)")])
            }
        }
        s.listed += catalogs.count + schemas.count + tables.count

        // Column tags need SQL (information_schema); only with a warehouse.
        if let warehouse {
            var rows: [[String: Any]] = []
            try optional("column tags") {
                try client.statement(
                    "SELECT catalog_name, schema_name, table_name, column_name, tag_name, tag_value FROM system.information_schema.column_tags",
                    parameters: [], warehouse: warehouse, externalLinks: false
                ) { rows += $0 }
                try save("tags/column_tags.json", rows)
            }
        } else {
            run.warn("column tags not fetched: give --warehouse-id to read system.information_schema.column_tags")
        }
        s.files.sort()
        return s
    }

    static func grants(
        _ client: DatabricksClient, _ type: String, _ fullName: String, _ save: (String, Any) throws -> Void
    ) throws {
        let doc = try client.call(
            "GET", "/api/2.1/unity-catalog/permissions/\(type)/\(SigV4.uriEncode(fullName))",
            label: "Unity Catalog grants on \(type) \(fullName)")
        var withName = doc
        withName["securable_type"] = type
        withName["full_name"] = fullName
        try save("unity-catalog/grants/\(type)/\(SafePath.segment(fullName)).json", withName)
    }
}
