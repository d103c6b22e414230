/// The ids the merge saw recently, with the event time each was last seen: two open-addressing
/// tables (current and previous generation). At least the ids of the last `window` of event time,
/// up to the last `generation` ids, are remembered, in bounded memory, with one or two probes per
/// lookup and no per-entry allocation or deletion. (A `Dictionary` with a FIFO of evictions cost
/// half the merge's time, mostly cache misses in a table sized for the maximum.)
struct RecentIDs {
    private var current = Table(slots: 1024)
    private var previous = Table(slots: 1024)
    private var currentStart: Int64 = .min
    private let generation: Int
    private let window: Int64

    /// - Parameters:
    ///   - generation: ids per table; at least this many recent ids are remembered.
    ///   - window: how far back (event time) a lookup must see; older ids may be forgotten.
    init(generation: Int, window: Int64) {
        self.generation = max(1, generation)
        self.window = window
    }

    /// When `key` was last seen, if it is still remembered.
    func time(of key: UInt64) -> Int64? {
        current.time(of: key) ?? previous.time(of: key)
    }

    /// Records `key` at `time`; times must not decrease (the merge emits in time order).
    mutating func insert(_ key: UInt64, _ time: Int64) {
        // Rotate when the current table is full, or when it spans more than the window: then every
        // id in the previous table is older than the window and can go. Tables are sized to what
        // the last generation held, so a quiet log keeps them small enough to stay in cache.
        if current.count >= generation || (current.count > 0 && time - currentStart > window) {
            let slots = Table.slots(for: current.count)
            swap(&current, &previous)
            current = Table(slots: slots)
        }
        if current.count == 0 { currentStart = time }
        current.insert(key, time)
    }

    /// Linear probing over (key, time) pairs; key 0 marks an empty slot (a zero hash is stored as 1).
    struct Table {
        private var keys: [UInt64]
        private var times: [Int64]
        private let mask: Int
        private(set) var count = 0

        /// A power of two keeping `entries` at a load factor of at most 3/8.
        static func slots(for entries: Int) -> Int {
            var slots = 1024
            while slots * 3 < entries * 8 { slots <<= 1 }
            return slots
        }

        init(slots: Int) {
            keys = Array(repeating: 0, count: slots)
            times = Array(repeating: 0, count: slots)
            mask = slots - 1
        }

        @inline(__always) private static func stored(_ key: UInt64) -> UInt64 { key == 0 ? 1 : key }

        func time(of key: UInt64) -> Int64? {
            let k = Table.stored(key)
            return keys.withUnsafeBufferPointer { ks in
                var i = Int(truncatingIfNeeded: k) & mask
                while true {
                    let probe = ks[i]
                    if probe == k { return times[i] }
                    if probe == 0 { return nil }
                    i = (i + 1) & mask
                }
            }
        }

        mutating func insert(_ key: UInt64, _ time: Int64) {
            if (count + 1) * 8 > keys.count * 3 { grow() }
            let k = Table.stored(key)
            var i = Int(truncatingIfNeeded: k) & mask
            while true {
                let probe = keys[i]
                if probe == k { times[i] = time; return }
                if probe == 0 {
                    keys[i] = k
                    times[i] = time
                    count += 1
                    return
                }
                i = (i + 1) & mask
            }
        }

        private mutating func grow() {
            var bigger = Table(slots: keys.count * 2)
            for i in keys.indices where keys[i] != 0 { bigger.insert(keys[i], times[i]) }
            self = bigger
        }
    }
}
