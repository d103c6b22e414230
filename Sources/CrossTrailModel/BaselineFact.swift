/// One thing a scan learnt about what is normal, kept in the case store so that later scans can
/// judge against it: that `subject` did or had `object` (a reader of a classified resource, an
/// address a recipient shared from, a trail's selectors), first and last seen when.
/// `kind` names what the pair means; the analyzer writes and reads it, the store only keeps it.
public struct BaselineFact: Sendable, Hashable {
    public var kind: String
    public var subject: String
    public var object: String
    public var first: Timestamp
    public var last: Timestamp

    public init(kind: String, subject: String, object: String, first: Timestamp, last: Timestamp) {
        self.kind = kind
        self.subject = subject
        self.object = object
        self.first = first
        self.last = last
    }
}
