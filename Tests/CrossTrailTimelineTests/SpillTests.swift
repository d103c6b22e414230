import CrossTrailIngest
import Foundation
import TestSupport
import Testing

@testable import CrossTrailTimeline

/// Spilled runs (LZ4 blocks) read back exactly, corrupt spill files fail with an error, and the
/// fan-in limit merges runs in passes without losing or reordering a record.
@Suite struct SpillTests {
    /// One record in the run layout: [u32 length][i64 time][u64 hash][u8 plane][u16 id length][id][body].
    static func record(time: Int64, id: String, body: String) -> [UInt8] {
        var r: [UInt8] = []
        withUnsafeBytes(of: UInt32(0)) { r.append(contentsOf: $0) }
        withUnsafeBytes(of: time.littleEndian) { r.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt64(0)) { r.append(contentsOf: $0) }
        r.append(0)
        withUnsafeBytes(of: UInt16(id.utf8.count).littleEndian) { r.append(contentsOf: $0) }
        r.append(contentsOf: id.utf8)
        r.append(contentsOf: body.utf8)
        let length = UInt32(r.count - 4)
        r.withUnsafeMutableBytes { $0.storeBytes(of: length.littleEndian, as: UInt32.self) }
        return r
    }

    static func writeRun(_ path: String, _ records: [[UInt8]]) throws {
        let w = try SpillWriter(path: path)
        for r in records { try r.withUnsafeBytes { try w.append($0) } }
        try w.finish()
    }

    static func readAll(_ run: RunCursor) throws -> [(Int64, String)] {
        var out: [(Int64, String)] = []
        while let p = run.current {
            out.append((RecordLayout.time(p), String(decoding: RecordLayout.id(p), as: UTF8.self)))
            try run.advance()
        }
        return out
    }

    @Test func runsRoundTripAcrossBlocks() throws {
        let dir = try TestPaths.temporaryDirectory("spill").path
        // 3,000 records of ~300 bytes and one larger than a block: several blocks, one oversized.
        var records = (0..<3000).map {
            Self.record(time: Int64($0), id: "id-\($0)", body: String(repeating: "x", count: 280) + "\($0)")
        }
        records.append(
            Self.record(time: 5000, id: "big", body: String(repeating: "y", count: SpillFormat.blockBytes * 2)))
        try Self.writeRun(dir + "/run", records)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: dir + "/run")[.size] as? Int)
        #expect(size < records.reduce(0) { $0 + $1.count } / 4)  // compressed
        let back = try Self.readAll(FileRun(path: dir + "/run"))
        #expect(back.count == 3001)
        #expect(back.map(\.0) == (0..<3000).map(Int64.init) + [5000])
        #expect(back.last?.1 == "big")
    }

    @Test func corruptSpillFilesAreErrors() throws {
        let dir = try TestPaths.temporaryDirectory("spill-bad").path
        try Self.writeRun(
            dir + "/run", (0..<500).map { Self.record(time: Int64($0), id: "i\($0)", body: "{\"n\":\($0)}") })
        let good = try Data(contentsOf: URL(fileURLWithPath: dir + "/run"))
        let cases: [(String, Data)] = [
            ("truncated", good.prefix(good.count - 10)),
            ("header only", good.prefix(6)),
            ("compressed length past the bound", Data([10, 0, 0, 0, 0xE8, 0x03, 0, 0]) + good.dropFirst(8)),
            ("huge length", Data([0xFF, 0xFF, 0xFF, 0x7F, 0x10, 0, 0, 0]) + good.dropFirst(8)),
        ]
        for (name, bytes) in cases {
            try bytes.write(to: URL(fileURLWithPath: dir + "/" + name))
            #expect(throws: IngestError.self, "\(name)") { _ = try Self.readAll(FileRun(path: dir + "/" + name)) }
        }
    }

    @Test func fanInLimitMergesInPasses() throws {
        let dir = try TestPaths.temporaryDirectory("spill-fanin")
        let spillDir = try SpillDirectory(parent: dir.path)
        defer { spillDir.remove() }
        // Seven runs of interleaved times: run k holds k, k+7, k+14, ...
        var runs: [RunCursor] = []
        for k in 0..<7 {
            let path = spillDir.path + "/in-\(k)"
            try Self.writeRun(
                path, stride(from: k, to: 700, by: 7).map { Self.record(time: Int64($0), id: "e\($0)", body: "b") })
            runs.append(try FileRun(path: path))
        }
        let limited = try RunHeap.limitFanIn(runs, to: 3, spillDir: spillDir)
        #expect(limited.count <= 3)
        // Merged inputs were deleted; at least one pass happened.
        let left = try FileManager.default.contentsOfDirectory(atPath: spillDir.path)
        #expect(left.contains { $0.hasPrefix("merged-") })
        #expect(left.filter { $0.hasPrefix("in-") }.count < 7)
        var heap = RunHeap(limited)
        var times: [Int64] = []
        while let p = heap.top {
            times.append(RecordLayout.time(p))
            try heap.advance()
        }
        #expect(times == (0..<700).map(Int64.init))
    }
}
