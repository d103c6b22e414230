import CrossTrailFuzzing
import Foundation
import TestSupport
import Testing

/// Every fuzz target runs over a sample of its seeds and over every input in Tests/FuzzRegressions/
/// (inputs that once crashed a parser): none may crash, hang or trip an invariant.
@Suite struct FuzzReplayTests {
    static let root = TestPaths.packageRoot

    static func files(under dir: URL, limit: Int, maxBytes: Int = 200_000) -> [URL] {
        guard
            let e = FileManager.default.enumerator(
                at: dir, includingPropertiesForKeys: [.fileSizeKey, .isRegularFileKey])
        else { return [] }
        var out: [URL] = []
        for case let url as URL in e {
            let v = try? url.resourceValues(forKeys: [.fileSizeKey, .isRegularFileKey])
            guard v?.isRegularFile == true, (v?.fileSize ?? 0) <= maxBytes else { continue }
            out.append(url)
        }
        return Array(out.sorted { $0.path < $1.path }.prefix(limit))
    }

    static let seeds: [String: [URL]] = [
        "ingest": files(under: root.appendingPathComponent("Samples/logs"), limit: 12),
        "record": files(under: root.appendingPathComponent("Tests/CrossTrailIngestTests/Fixtures"), limit: 12),
        "json": files(under: root.appendingPathComponent("Samples/inventory"), limit: 8),
        "csv": files(under: root.appendingPathComponent("Tests/CrossTrailIngestTests/Fixtures"), limit: 40).filter {
            $0.pathExtension == "csv"
        },
        "sigma": files(under: root.appendingPathComponent("Tests/CrossTrailRulesTests/Fixtures"), limit: 12).filter {
            $0.pathExtension == "yml"
        },
        "policy": files(under: root.appendingPathComponent("Samples/inventory/aws"), limit: 4),
        "inventory": files(under: root.appendingPathComponent("Samples/inventory/databricks"), limit: 6),
        "classification": [root.appendingPathComponent("Samples/inventory/classification.yaml")],
    ]

    @Test(arguments: FuzzTargets.names)
    func seedsAndRegressions(_ target: String) throws {
        var inputs = Self.seeds[target] ?? []
        inputs += Self.files(
            under: Self.root.appendingPathComponent("Tests/FuzzRegressions/\(target)"), limit: 10_000,
            maxBytes: 10 << 20)
        // Inputs no harness may crash on, whatever the target.
        let generic: [[UInt8]] = [
            [], [0], [0x1f, 0x8b], Array("{".utf8), Array("<a>".utf8), Array(String(repeating: "[", count: 5000).utf8),
            Array("\u{FEFF}{\"Records\":[{}]}".utf8), [0xFF, 0xFE, 0x7B, 0x00],
        ]
        for bytes in generic { FuzzTargets.run(target, bytes) }
        for url in inputs { FuzzTargets.run(target, try [UInt8](Data(contentsOf: url))) }
        #expect(
            target == "xml" || !inputs.isEmpty || (Self.seeds[target] ?? []).isEmpty, "seeds for \(target) were found")
    }
}
