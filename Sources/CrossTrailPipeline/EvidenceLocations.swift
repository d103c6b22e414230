import CrossTrailBase
import CrossTrailIngest
import CrossTrailModel

extension EventInput {
    /// Where each of `ids` was read: file, line and offset of its first copy (the smallest file
    /// and offset, whatever the worker order). One pass that decodes only ids and times, for the
    /// outputs that point at the evidence itself (SARIF locations). Standard input cannot be read
    /// twice: its events are not located.
    public func locate(_ ids: Set<String>) -> [String: Provenance] {
        guard !ids.isEmpty, !paths.isEmpty else { return [:] }
        var (ingestor, files, _) = prepare()
        files = files.filter { !$0.isStream }
        ingestor.detail = []
        let found = Locked([String: Provenance]())
        _ = ingestor.run(files: files) { _ in LocatingSink(ids: ids, found: found) }
        return found.current
    }
}

private final class LocatingSink: EventSink {
    let ids: Set<String>
    let found: Locked<[String: Provenance]>

    init(ids: Set<String>, found: Locked<[String: Provenance]>) {
        self.ids = ids
        self.found = found
    }

    func accept(_ event: AuditEvent) {
        guard ids.contains(event.id) else { return }
        let here = event.provenance
        found.withLock { seen in
            if let earlier = seen[event.id], (earlier.file, earlier.offset) <= (here.file, here.offset) { return }
            seen[event.id] = here
        }
    }
}
