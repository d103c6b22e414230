import CrossTrailModel

/// One shape of audit record crosstrail reads. A new log format is one file with a type conforming
/// to this protocol (how to recognize a record from its keys, how to turn it into an `AuditEvent`)
/// and one entry in `RecordFormats.ordered`. File layouts (a `Records` array, JSON lines, CSV) are
/// read before this, in `FileReader`; every record reaches the formats as one JSON object.
protocol RecordFormat {
    /// Whether `v`, a JSON object, is a record of this format. `container` is the layout of the
    /// file it came from, when that decides (a CloudTrail delivery file). Called for every record
    /// until one format says yes: look at keys only, and cheaply.
    static func recognizes(_ v: JSONValue, container: SourceFormat?) -> Bool

    /// The record as an event, `.filtered` when the run's filter drops it, `.rejected(reason)`
    /// when it cannot be read, `.digest` for integrity files kept out of the timeline. `n` is the
    /// worker's normalizer: its caches, nested parsers and the filter.
    static func normalize(
        _ v: JSONValue, provenance: Provenance, container: SourceFormat?,
        with n: Normalizer
    ) -> Normalizer.Result
}

/// The record formats, in detection order: the first that recognizes a record reads it. The order
/// matters where shapes overlap: CloudTrail keys win over a `CloudTrailEvent` wrapper, Databricks
/// delivery (`serviceName` + `actionName`) over the system table's snake-case columns.
enum RecordFormats {
    static let ordered: [any RecordFormat.Type] = [
        CloudTrailRecord.self,
        CloudTrailLookupRecord.self,
        DatabricksDeliveryRecord.self,
        DatabricksSystemTableRecord.self,
        DatabricksAzureRecord.self,
        CloudTrailDigestRecord.self,
    ]
}
