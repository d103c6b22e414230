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
    func string(_ v: JSONValue?) -> String? {
        guard let v else { return nil }
        let cached: String?? = v.withStringBytes { b -> String? in
            if b.isEmpty { return nil }
            return self.intern(b)
        }
        switch cached {
        case .some(let s): return s
        case .none: return v.string // numbers, booleans
        }
    }

    func intern(_ b: UnsafeRawBufferPointer) -> String {
        if b.count <= 15 { return String(decoding: b, as: UTF8.self) }
        let h = hash64(b)
        if var s = table[h], s.utf8.count == b.count,
           s.withUTF8({ memcmp($0.baseAddress!, b.baseAddress!, b.count) == 0 }) { return s }
        if table.count >= limit { table.removeAll(keepingCapacity: true) }
        let s = String(decoding: b, as: UTF8.self)
        table[h] = s
        return s
    }
}

/// Per-worker cache of normalized actors, keyed by the complete content of the identity object
/// they were built from (so equal identities give the same, already-built Actor).
final class ActorCache {
    private var table: [UInt64: (fingerprint: [UInt8], actor: Actor)] = [:]
    private var scratch: [UInt8] = []

    func actor(_ identity: JSONValue?, extra: JSONValue? = nil, build: () -> Actor) -> Actor {
        scratch.removeAll(keepingCapacity: true)
        if let identity { ActorCache.fingerprint(identity, into: &scratch, depth: 0) }
        scratch.append(1)
        if let extra { ActorCache.fingerprint(extra, into: &scratch, depth: 0) }
        let h = scratch.withUnsafeBytes { hash64($0) }
        if let hit = table[h], hit.fingerprint == scratch { return hit.actor }
        let a = build()
        if table.count >= 4096 { table.removeAll(keepingCapacity: true) }
        table[h] = (scratch, a)
        return a
    }

    /// A canonical byte rendering of a JSON value (type-tagged, length-prefixed strings).
    static func fingerprint(_ v: JSONValue, into out: inout [UInt8], depth: Int) {
        switch v.kind {
        case .string:
            out.append(0x22)
            _ = v.withStringBytes { b in
                withUnsafeBytes(of: UInt32(b.count)) { out.append(contentsOf: $0) }
                out.append(contentsOf: b)
            }
        case .object:
            guard depth < 6 else { out.append(0x3F); return }
            out.append(0x7B)
            v.forEachMember { k, value in
                withUnsafeBytes(of: UInt32(k.count)) { out.append(contentsOf: $0) }
                out.append(contentsOf: k)
                fingerprint(value, into: &out, depth: depth + 1)
            }
            out.append(0x7D)
        case .array:
            guard depth < 6 else { out.append(0x3F); return }
            out.append(0x5B)
            v.forEachElement { fingerprint($0, into: &out, depth: depth + 1) }
            out.append(0x5D)
        case .null:
            out.append(0x6E)
        case .bool, .number:
            out.append(0x23)
            out.append(contentsOf: (v.string ?? "").utf8)
        }
    }
}
