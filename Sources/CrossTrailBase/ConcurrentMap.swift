import Foundation

extension Array where Element: Sendable {
    /// `transform` of every element, in order, computed on up to `workers` threads (the cores
    /// by default). For independent, read-only work per element: the results are the same as
    /// `map`'s, whatever the scheduling.
    public func concurrentMap<T: Sendable>(
        workers: Int = ProcessInfo.processInfo.activeProcessorCount, _ transform: @Sendable (Element) -> T
    ) -> [T] {
        let n = count
        guard n > 1, workers > 1 else { return map(transform) }
        // Chunks several times the workers, so uneven elements still spread.
        let chunks = Swift.min(n, workers * 8)
        let slots = Slots<T>(count: n)
        withoutActuallyEscaping(transform) { transform in
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                for i in (c * n / chunks)..<((c + 1) * n / chunks) { slots.set(i, transform(self[i])) }
            }
        }
        return slots.values
    }
}

/// One result slot per element. Each slot is written by exactly one iteration of
/// `concurrentPerform` and read only after it returns, so no two threads touch the same memory:
/// the `@unchecked Sendable` is that disjointness, not a lock.
private final class Slots<T>: @unchecked Sendable {
    private let buffer: UnsafeMutableBufferPointer<T?>

    init(count: Int) {
        buffer = .allocate(capacity: count)
        buffer.initialize(repeating: nil)
    }

    func set(_ i: Int, _ value: T) { buffer[i] = value }

    var values: [T] { buffer.map { $0! } }

    deinit {
        buffer.deinitialize()
        buffer.deallocate()
    }
}
