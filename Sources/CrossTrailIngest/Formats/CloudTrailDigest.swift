import CrossTrailModel

/// CloudTrail digest files and the S3 metadata sidecar of a digest (`*.s3meta.json`, holding its
/// signature): integrity data, counted and kept out of the timeline (`crosstrail verify-digests`
/// reads them).
enum CloudTrailDigestRecord: RecordFormat {
    static func recognizes(_ v: JSONValue, container: SourceFormat?) -> Bool {
        (v["digestStartTime"] != nil && v["logFiles"] != nil)
            || (v["metadata"]?["signature"] != nil && v["key"] != nil && v["bucket"] != nil)
    }

    static func normalize(
        _ v: JSONValue, provenance: Provenance, container: SourceFormat?,
        with n: Normalizer
    ) -> Normalizer.Result {
        .digest
    }
}
