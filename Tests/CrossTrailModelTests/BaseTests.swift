import CrossTrailBase
import Foundation
import Testing

@Suite struct BaseTests {
    @Test func hexIsLowerCaseTwoDigitsPerByte() {
        #expect(Hex.encode([0x00, 0x0f, 0xa5, 0xff]) == "000fa5ff")
        #expect(Hex.encode([UInt8]()) == "")
        #expect([0xde, 0xad].hexString == "dead")
        #expect(Hex.encode(0x0123_4567_89ab_cdef) == "0123456789abcdef")
        #expect(Hex.encode(0xabc, digits: 12) == "000000000abc", "zero-padded")
        #expect(Hex.encode(0xffff_0000_0000_1234, digits: 4) == "1234", "the low digits")
    }

    /// Published FNV-1a 64 test vectors (Fowler, Noll, Vo: the FNV test suite).
    @Test func fnv1aMatchesTheReferenceVectors() {
        #expect(FNV1a.hash("") == 0xcbf2_9ce4_8422_2325)
        #expect(FNV1a.hash("a") == 0xaf63_dc4c_8601_ec8c)
        #expect(FNV1a.hash("foobar") == 0x8594_4171_f739_67e8)
        #expect(FNV1a.hash([UInt8]("foobar".utf8)) == FNV1a.hash("foobar"))
    }

    @Test func lockedCountsEveryIncrementFromManyThreads() {
        let counter = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<10_000 { counter.withLock { $0 += 1 } }
        }
        #expect(counter.current == 80_000)
    }

    /// Whole or not at all: the destination holds one complete write, never a mix or a
    /// half, and no temporary file is left, even with many threads writing the same file.
    @Test func atomicWritesAreWholeAndLeaveNothingBehind() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("base-atomic-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("sub/state.json").path
        try AtomicFile.write(Data("first".utf8), to: path, createFolders: true)
        #expect(FileManager.default.contents(atPath: path) == Data("first".utf8))
        let bodies = (0..<16).map { Data(String(repeating: Character(UnicodeScalar(65 + $0)!), count: 100_000).utf8) }
        let failures = Locked(0)
        DispatchQueue.concurrentPerform(iterations: bodies.count) { i in
            do { try AtomicFile.write(bodies[i], to: path) } catch { failures.withLock { $0 += 1 } }
        }
        #expect(failures.current == 0)
        #expect(bodies.contains(try #require(FileManager.default.contents(atPath: path))), "one whole write")
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("sub").path) == [
                "state.json"
            ])
        // A folder that does not exist: an error naming the file, and nothing written.
        let missing = dir.appendingPathComponent("none/x").path
        let error = #expect(throws: AtomicFile.Failure.self) { try AtomicFile.write(Data("x".utf8), to: missing) }
        #expect(error?.path == missing && error?.description.hasPrefix("cannot write \(missing): ") == true)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("none").path))
        let names = Set((0..<100).map { _ in AtomicFile.temporaryPath(for: path) })
        #expect(names.count == 100, "a temporary name is never reused")
        #expect(names.allSatisfy { ($0 as NSString).lastPathComponent.hasPrefix(".state.json.tmp-") })
    }
}
