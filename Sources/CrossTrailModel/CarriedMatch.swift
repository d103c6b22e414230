/// A base-rule match of a Sigma correlation rule that a scan hands to the next one through the
/// case store: the matches within the correlation's timespan of the end of what the scan saw, so
/// that a sequence or a burst split across two hourly `--since-last` runs is still seen whole.
/// The analyzer writes and reads them; the store only keeps them.
public struct CarriedMatch: Sendable, Hashable, Codable {
    /// The correlation rule's id.
    public var correlation: String
    /// The values of its `group-by` fields.
    public var group: [String]
    public var time: Timestamp
    /// The matching event's id.
    public var event: String
    /// Which of the correlation's base rules matched (its position in `rules:`).
    public var rule: Int
    /// `value_count`: the counted field's value.
    public var value: String?
    /// Who the event's actor was (the finding names the earliest match's).
    public var actor: Actor?

    public init(
        correlation: String, group: [String], time: Timestamp, event: String, rule: Int, value: String?,
        actor: Actor?
    ) {
        self.correlation = correlation
        self.group = group
        self.time = time
        self.event = event
        self.rule = rule
        self.value = value
        self.actor = actor
    }
}
