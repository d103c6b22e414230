import CrossTrailBase
import CrossTrailInventory
import CrossTrailModel
import Foundation

/// The `scan --format json` document (also `findings.json` in evidence packs).
public enum FindingsJSON {
    struct Document: Encodable {
        var findings: [Finding]
        var flatness: [Flatness]
        var summary: Summary
        var inventory: [InventoryFile]
    }

    struct Summary: Encodable {
        var findings: Int
        var bySeverity: [String: Int]
        var events: Int
        var identities: Int
        var links: Int
    }

    /// The findings' encoding: compact, sorted keys (same input, same bytes).
    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }

    /// Streams the document: one compact finding per line inside the array, so memory does not
    /// grow with a second copy of every finding. Keys sorted, as everywhere.
    public static func write(
        _ r: ScanResult, resolved: [Finding] = [], inventory: Inventory, events: Int, to write: (String) -> Void
    ) throws {
        var by = [String: Int]()
        for f in r.findings { by[f.severity.rawValue, default: 0] += 1 }
        let all = r.findings + resolved
        let compact = encoder()
        func json<T: Encodable>(_ v: T) throws -> String { String(decoding: try compact.encode(v), as: UTF8.self) }
        write("{\n\"findings\": [")
        // Encoded on every core a block at a time (memory stays one block), written in order.
        var i = 0
        for start in stride(from: 0, to: all.count, by: 2048) {
            let block = Array(all[start..<min(start + 2048, all.count)])
            for encoded in block.concurrentMap({ f in Result { try Self.encoder().encode(f) } }) {
                write(i == 0 ? "\n  " : ",\n  ")
                write(String(decoding: try encoded.get(), as: UTF8.self))
                i += 1
            }
        }
        write(all.isEmpty ? "],\n" : "\n],\n")
        write("\"flatness\": [")
        for (i, f) in r.flatness.enumerated() {
            write(i == 0 ? "\n  " : ",\n  ")
            write(try json(f))
        }
        write(r.flatness.isEmpty ? "],\n" : "\n],\n")
        write("\"inventory\": " + (try json(inventory.files)) + ",\n")
        write("\"actors\": " + (try json(Triage.rank(r.findings))) + ",\n")
        write(
            "\"summary\": "
                + (try json(
                    Summary(
                        findings: r.findings.count, bySeverity: by, events: events,
                        identities: r.graph.nodes.count, links: r.graph.edges.count))) + "\n}\n")
    }
}
