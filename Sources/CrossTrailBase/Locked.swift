import Foundation

/// A value behind a lock: the one way crosstrail shares mutable state between threads (worker
/// pools, progress callbacks, signal handlers). Everything that touches the value goes through
/// `withLock`, so the `Sendable` conformance holds by construction.
public final class Locked<Value> {
    private let lock = NSLock()
    private var value: Value

    public init(_ value: Value) { self.value = value }

    /// Runs `body` with exclusive access to the value.
    public func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }

    /// A copy of the value.
    public var current: Value { withLock { $0 } }
}

// Every access holds the lock, so a box of a sendable value can be shared (as NIO's
// NIOLockedValueBox).
extension Locked: @unchecked Sendable where Value: Sendable {}
