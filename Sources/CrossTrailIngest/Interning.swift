import CrossTrailModel

#if canImport(Glibc)
    import Glibc
#endif

/// Per-worker cache of the long strings that repeat across records (user agents, ARNs, service
/// and action names), so each distinct value is allocated once. Bounded: cleared when full.
final class StringCache {
    private var table: [UInt64: String] = [:]
    private let limit: Int

    init(limit: Int = 8192) { self.limit = limit }

    /// The value as a String, shared with earlier equal values. Short strings (stored inline by
    /// Swift) skip the cache.
    /// Like `JSONValue.string`: empty strings are nil, numbers and booleans become text.
    func string(_ v: JSONValue?) -> String? {
        guard let v else { return nil }
        guard v.kind == .string else { return v.string }
        return v.withStringBytes { $0.isEmpty ? nil : intern($0) } ?? nil
    }

    func intern(_ b: UnsafeRawBufferPointer) -> String {
        if b.count <= 15 { return String(decoding: b, as: UTF8.self) }
        let h = hash64(b)
        if var s = table[h], s.utf8.count == b.count,
            s.withUTF8({ memcmp($0.baseAddress!, b.baseAddress!, b.count) == 0 })
        {
            return s
        }
        if table.count >= limit { table.removeAll(keepingCapacity: true) }
        let s = String(decoding: b, as: UTF8.self)
        table[h] = s
        return s
    }
}

/// Per-worker cache of normalized actors. Within one log, the same identity fields (ARN, access
/// key, principal, ...) always normalize to the same Actor, so a session's events share one value.
final class ActorCache {
    private var table: [UInt64: (fingerprint: [UInt8], actor: Actor)] = [:]
    private var scratch: [UInt8] = []

    /// `identity` is the identity object; `keys` are the members that determine the actor
    /// (their exact bytes form the cache key).
    func actor(_ identity: JSONValue?, keys: [StaticString], build: () -> Actor) -> Actor {
        guard let identity, identity.isObject else { return build() }
        // Built in a local (taken from and returned to `scratch`): appends to a class property
        // each pay a dynamic exclusivity check.
        var key: [UInt8] = []
        swap(&key, &scratch)
        defer { swap(&key, &scratch) }
        key.removeAll(keepingCapacity: true)
        for k in keys {
            if let v = identity[k] {
                if v.withStringBytes({ key.append(contentsOf: $0) }) == nil, let text = v.string {
                    key.append(contentsOf: text.utf8)
                }
            }
            key.append(0)
        }
        let h = key.withUnsafeBytes { hash64($0) }
        if let hit = table[h], hit.fingerprint == key { return hit.actor }
        let a = build()
        if table.count >= 4096 { table.removeAll(keepingCapacity: true) }
        table[h] = (key, a)
        return a
    }
}
