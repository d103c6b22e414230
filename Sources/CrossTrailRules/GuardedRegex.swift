import CRegex
import Foundation

/// A rule's regular expression run by ICU (the engine behind NSRegularExpression, so the same
/// syntax and meaning) with a limit on the work one match may do: a pattern that backtracks
/// exponentially on a value built to almost match (`(a+)+b` on forty `a`s) stops after a few
/// milliseconds instead of stalling the scan. Event fields are untrusted input, and rules may
/// come from anywhere.
///
/// ICU's matchers are not thread-safe: each search borrows a clone from a small pool.
final class GuardedRegex: @unchecked Sendable {
    enum Outcome: Sendable { case match, noMatch, timedOut }

    /// ICU's unit: steps of its match engine, "typically on the order of milliseconds" (about
    /// 10,000 engine steps each): enough for `.*x.*` on a 4,096-character value, not for
    /// exponential backtracking.
    static let stepLimit: Int32 = 50

    private let template: OpaquePointer
    /// Idle clones of `template`; only touched under `lock`.
    private var idle: [OpaquePointer] = []
    private let lock = NSLock()
    /// Searches stopped by the time limit or an ICU error (each counted as no match); only
    /// touched under `lock`.
    private var stopped = 0

    /// How many searches the time limit has stopped so far.
    var timeouts: Int { lock.withLock { stopped } }

    struct Invalid: Error {}

    init(_ pattern: String, options: NSRegularExpression.Options = []) throws(Invalid) {
        var flags: UInt32 = 0
        if options.contains(.caseInsensitive) { flags |= UInt32(CR_CASE_INSENSITIVE) }
        if options.contains(.anchorsMatchLines) { flags |= UInt32(CR_MULTILINE) }
        if options.contains(.dotMatchesLineSeparators) { flags |= UInt32(CR_DOTALL) }
        let utf16 = Array(pattern.utf16)
        let compiled = utf16.withUnsafeBufferPointer {
            cr_regex_open($0.baseAddress, Int32($0.count), flags, Self.stepLimit)
        }
        guard let compiled else { throw Invalid() }
        template = compiled
    }

    deinit {
        for r in idle { cr_regex_close(r) }
        cr_regex_close(template)
    }

    /// Searches `text` anywhere, as NSRegularExpression's `firstMatch`.
    func firstMatch(in text: String) -> Outcome {
        guard let matcher = borrow() else { return stop() }
        defer { giveBack(matcher) }
        let utf16 = Array(text.utf16)
        let result = utf16.withUnsafeBufferPointer { cr_regex_find(matcher, $0.baseAddress, Int32($0.count)) }
        switch result {
        case Int32(CR_MATCH): return .match
        case Int32(CR_NO_MATCH): return .noMatch
        default: return stop()  // the time limit, or ICU itself (its backtracking stack): not an answer
        }
    }

    private func stop() -> Outcome {
        lock.withLock { stopped += 1 }
        return .timedOut
    }

    private func borrow() -> OpaquePointer? {
        lock.withLock { idle.popLast() } ?? cr_regex_clone(template)
    }

    private func giveBack(_ r: OpaquePointer) {
        lock.withLock { idle.append(r) }
    }
}
