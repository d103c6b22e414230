import CrossTrailModel

/// `aws cloudtrail lookup-events` output: each event wraps the CloudTrail record as JSON text in
/// `CloudTrailEvent`.
enum CloudTrailLookupRecord: RecordFormat {
    static func recognizes(_ v: JSONValue, container: SourceFormat?) -> Bool {
        v["CloudTrailEvent"] != nil
    }

    static func normalize(
        _ v: JSONValue, provenance: Provenance, container: SourceFormat?,
        with n: Normalizer
    ) -> Normalizer.Result {
        guard let embedded = v["CloudTrailEvent"],
            let result = embedded.withStringBytes({ text -> Normalizer.Result in
                switch n.nested.parse(embedded: text) {
                case .success(let inner):
                    n.checkDuplicateKeys(inner, in: "CloudTrailEvent")
                    return n.cloudTrail(inner, provenance: provenance, format: .cloudtrailLookup)
                case .failure(let e):
                    return .rejected("CloudTrailEvent is not valid JSON (\(e))")
                }
            })
        else { return .rejected("CloudTrailEvent is not a string") }
        return result
    }
}
