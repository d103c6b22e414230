import CrossTrailIngest
import Foundation
import Yams

/// Data classes by S3 prefix and Unity Catalog table, from a YAML file, UC tag exports and
/// table storage locations.
public struct Classification: Sendable {
    public static let knownClasses: Set<String> = ["pii", "pci", "phi", "confidential"]

    public struct Prefix: Sendable, Hashable {
        /// `s3://bucket/prefix` (prefix may be empty).
        public var uri: String
        public var dataClass: String
        /// Groups (Databricks group names or IAM principal/role names) expected to reach it.
        public var allowedGroups: [String]
        /// Why it is classified: the YAML file, or the table whose storage it is.
        public var source: String

        public var bucket: String { String(uri.dropFirst(5).split(separator: "/", maxSplits: 1).first ?? "") }
        public var keyPrefix: String {
            let rest = uri.dropFirst(5).split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            return rest.count > 1 ? String(rest[1]) : ""
        }
        /// The object ARN pattern the prefix stands for, for policy evaluation.
        public var objectARN: String { "arn:aws:s3:::\(bucket)/\(keyPrefix)*" }
    }

    public struct Table: Sendable, Hashable {
        /// `catalog.schema.table`, lowercased.
        public var name: String
        public var dataClass: String
        public var allowedGroups: [String]
        /// Tagged columns, when the class came from column tags.
        public var columns: [String]
        public var source: String
    }

    public private(set) var prefixes: [Prefix] = []
    public private(set) var tables: [String: Table] = [:]
    /// CIDR ranges data is expected to be read from (used by the network rules).
    public private(set) var trustedNetworks: [String] = []

    public init() {}

    public var isEmpty: Bool { prefixes.isEmpty && tables.isEmpty }

    /// The classified prefix an S3 object (or bucket) falls under, longest prefix first.
    public func classify(bucket: String, key: String) -> Prefix? {
        prefixes.filter { $0.bucket == bucket && key.hasPrefix($0.keyPrefix) }.max {
            $0.keyPrefix.count < $1.keyPrefix.count
        }
    }

    public func classify(table name: String) -> Table? { tables[name.lowercased()] }

    // MARK: reading

    struct FileModel: Decodable {
        struct S3Entry: Decodable {
            var prefix: String
            var `class`: String
            var allowed_groups: [String]?
        }
        struct TableEntry: Decodable {
            var name: String
            var `class`: String
            var allowed_groups: [String]?
            var columns: [String]?
        }
        var s3: [S3Entry]?
        var tables: [TableEntry]?
        var trusted_networks: [String]?
    }

    /// Reads the classification YAML. Errors name the line and column.
    public mutating func merge(yaml text: String, file: String) throws(PolicyDocumentError) {
        if let refused = YAMLGuard.check(text) {
            throw PolicyDocumentError(reason: "\(file): \(refused.reason)", line: refused.line)
        }
        let model: FileModel
        do {
            model = try YAMLDecoder().decode(FileModel.self, from: text)
        } catch let e as YamlError {
            throw PolicyDocumentError(reason: "\(file): invalid YAML: \(YAMLGuard.shorten("\(e)"))")
        } catch let e as DecodingError {
            throw PolicyDocumentError(reason: "\(file): \(Self.describe(e))")
        } catch {
            throw PolicyDocumentError(reason: "\(file): \(error)")
        }
        for e in model.s3 ?? [] {
            guard e.prefix.hasPrefix("s3://"), e.prefix.count > 5 else {
                throw PolicyDocumentError(reason: "\(file): s3 prefix \"\(e.prefix)\" must start with s3://bucket")
            }
            prefixes.append(
                Prefix(
                    uri: e.prefix, dataClass: e.class.lowercased(), allowedGroups: e.allowed_groups ?? [], source: file)
            )
        }
        for e in model.tables ?? [] {
            guard e.name.split(separator: ".").count == 3 else {
                throw PolicyDocumentError(reason: "\(file): table \"\(e.name)\" must be catalog.schema.table")
            }
            tables[e.name.lowercased()] = Table(
                name: e.name.lowercased(), dataClass: e.class.lowercased(),
                allowedGroups: e.allowed_groups ?? [], columns: e.columns ?? [], source: file)
        }
        trustedNetworks += model.trusted_networks ?? []
    }

    static func describe(_ e: DecodingError) -> String {
        func path(_ c: DecodingError.Context) -> String {
            c.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch e {
        case .keyNotFound(let k, let c):
            return "missing \"\(k.stringValue)\" at \(path(c).isEmpty ? "top level" : path(c))"
        case .dataCorrupted(let c) where c.underlyingError is YamlError:
            return "invalid YAML: " + YAMLGuard.shorten("\(c.underlyingError!)")
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c):
            return "\(c.debugDescription) at \(path(c))"
        @unknown default: return "\(e)"
        }
    }

    /// A row of `information_schema.column_tags` or `table_tags`: a tag named after a class
    /// (`pii`), or a `class`/`classification` tag whose value is one, classifies the table.
    mutating func addTag(
        catalog: String, schema: String, table: String, column: String?, tag: String, value: String?, source: String
    ) {
        let t = tag.lowercased()
        let cls: String
        if Self.knownClasses.contains(t) {
            cls = t
        } else if ["class", "classification", "data_class", "data_classification", "sensitivity"].contains(t),
            let v = value?.lowercased(), Self.knownClasses.contains(v)
        {
            cls = v
        } else {
            return
        }
        let name = "\(catalog).\(schema).\(table)".lowercased()
        var entry = tables[name] ?? Table(name: name, dataClass: cls, allowedGroups: [], columns: [], source: source)
        if let column, !entry.columns.contains(column) { entry.columns.append(column) }
        tables[name] = entry
    }

    /// Joins classified tables to their S3 storage, so reads of the files are reads of the table.
    mutating func addStorageLocations(_ securables: [String: UCSecurable]) {
        for (name, table) in tables.sorted(by: { $0.key < $1.key }) {
            guard let loc = securables["table:" + name]?.storageLocation, loc.hasPrefix("s3://") else { continue }
            let uri = loc.hasSuffix("/") ? loc : loc + "/"
            if prefixes.contains(where: { $0.uri == uri }) { continue }
            prefixes.append(
                Prefix(
                    uri: uri, dataClass: table.dataClass, allowedGroups: table.allowedGroups,
                    source: "storage of table \(name)"))
        }
    }
}
