import CrossTrailBase
import CrossTrailIngest
import CrossTrailModel
import Foundation

/// `report --zip`: the pack folder as one ZIP file (deflate, UTF-8 names, fixed timestamps, so the
/// same pack gives the same bytes), and reading it back for `verify`. The deflate streams come
/// from the gzip codec (a gzip member is a raw deflate stream between a 10-byte header and a
/// CRC-32/size trailer), so no second compression library is needed.
public enum PackZip {
    public struct ZipError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Largest file put in a ZIP (no ZIP64; each file is compressed in memory).
    public static let maxEntryBytes = 1 << 30
    /// Largest pack `verify` extracts from a ZIP (a bomb stops here).
    public static let maxTotalBytes = 8 << 30

    /// Writes `folder`'s files (under the folder's name) to `zipPath` atomically.
    public static func write(folder: String, to zipPath: String, time: Timestamp) throws {
        let base = (folder as NSString).lastPathComponent
        let (dosTime, dosDate) = dos(time)
        var out = [UInt8](), central = [UInt8]()
        var count = 0
        for rel in try Manifest.listFiles(folder) {
            let path = (folder as NSString).appendingPathComponent(rel)
            let data = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            guard data.count <= maxEntryBytes else {
                throw ZipError(
                    description:
                        "\(rel) is larger than \(maxEntryBytes >> 20) MiB; share the pack folder instead of --zip")
            }
            let gz = GzipCodec.compress(data)
            guard gz.count >= 18, gz[3] == 0 else {
                throw ZipError(description: "unexpected gzip header compressing \(rel)")
            }
            let raw = gz[10..<(gz.count - 8)]
            let crc = gz[(gz.count - 8)..<(gz.count - 4)]
            let name = Array((base + "/" + rel).utf8)
            let offset = out.count
            guard offset + raw.count + 100 < Int(UInt32.max) else {
                throw ZipError(description: "the pack is too large for a ZIP without ZIP64; share the folder")
            }
            // Local file header.
            out += le32(0x0403_4b50) + le16(20) + le16(0x0800) + le16(8) + le16(dosTime) + le16(dosDate)
            out +=
                Array(crc) + le32(UInt32(raw.count)) + le32(UInt32(data.count)) + le16(UInt16(name.count)) + le16(0)
                + name
            out += raw
            // Central directory entry (made by Unix, mode 0644).
            central +=
                le32(0x0201_4b50) + le16(0x0314) + le16(20) + le16(0x0800) + le16(8) + le16(dosTime) + le16(dosDate)
            central +=
                Array(crc) + le32(UInt32(raw.count)) + le32(UInt32(data.count)) + le16(UInt16(name.count)) + le16(0)
                + le16(0)
            central += le16(0) + le16(0) + le32(0o100644 << 16) + le32(UInt32(offset)) + name
            count += 1
        }
        let cdOffset = out.count
        out += central
        out += le32(0x0605_4b50) + le16(0) + le16(0) + le16(UInt16(count)) + le16(UInt16(count))
        out += le32(UInt32(central.count)) + le32(UInt32(cdOffset)) + le16(0)
        do { try AtomicFile.write(out, to: zipPath) } catch { throw ZipError(description: "\(error)") }
    }

    /// Extracts a pack ZIP into `dir` (which must be empty): only regular files, only deflate or
    /// stored entries, no name that is absolute or climbs with `..`, bounded sizes.
    /// Returns the pack folder inside `dir`.
    public static func extract(_ zipPath: String, into dir: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: zipPath) else {
            throw ZipError(description: "cannot read \(zipPath)")
        }
        let z = [UInt8](data)
        func u16(_ at: Int) throws -> Int {
            guard at + 2 <= z.count else { throw ZipError(description: "\(zipPath): truncated at byte \(at)") }
            return Int(z[at]) | Int(z[at + 1]) << 8
        }
        func u32(_ at: Int) throws -> Int { try u16(at) | (try u16(at + 2)) << 16 }
        // The end-of-central-directory record (no archive comment is written; allow one anyway).
        var eocd = -1
        var i = z.count - 22
        while i >= max(0, z.count - 22 - 65_535) {
            if z[i] == 0x50, z[i + 1] == 0x4b, z[i + 2] == 0x05, z[i + 3] == 0x06 { eocd = i; break }
            i -= 1
        }
        guard eocd >= 0 else { throw ZipError(description: "\(zipPath): not a ZIP file (no end of central directory)") }
        let entries = try u16(eocd + 10)
        var at = try u32(eocd + 16)
        var roots = Set<String>()
        var names = Set<String>(), folders = Set<String>()
        // Where each entry's local record starts and ends: together they must fill the archive up
        // to the central directory, so no bytes hide entries that only some unzip tools see.
        var spans = [(start: Int, end: Int)]()
        var total = 0
        for n in 0..<entries {
            let entry = at
            guard try u32(at) == 0x0201_4b50 else {
                throw ZipError(description: "\(zipPath): bad central directory entry \(n + 1) at byte \(at)")
            }
            let flags = try u16(at + 8), method = try u16(at + 10), csize = try u32(at + 20), usize = try u32(at + 24)
            let nameLen = try u16(at + 28), extraLen = try u16(at + 30), commentLen = try u16(at + 32)
            let local = try u32(at + 42)
            guard at + 46 + nameLen <= z.count else { throw ZipError(description: "\(zipPath): truncated entry name") }
            let fullName = String(decoding: z[(at + 46)..<(at + 46 + nameLen)], as: UTF8.self)
            at += 46 + nameLen + extraLen + commentLen
            // A folder entry (`pack/`, as zip -r writes): nothing to extract.
            let isFolder = fullName.hasSuffix("/") && usize == 0 && csize == 0
            let name = isFolder ? String(fullName.dropLast()) : fullName
            let parts = name.split(separator: "/", omittingEmptySubsequences: false)
            guard !name.hasPrefix("/"), !parts.contains(".."), !parts.contains(""), !name.contains("\\"),
                !name.contains("\0")
            else {
                throw ZipError(description: "\(zipPath): entry '\(name)' has an unsafe path")
            }
            // Two entries with one name (or names differing only in case, one on case-insensitive
            // disks) let different tools extract different files: refused, as is a name that is
            // both a file and a folder.
            guard isFolder || names.insert(name.lowercased()).inserted else {
                throw ZipError(
                    description:
                        "\(zipPath): entry '\(name)' appears twice (different tools would extract different copies); refusing"
                )
            }
            let lowered = parts.map { $0.lowercased() }
            let parents = (1..<max(1, lowered.count)).map { lowered[..<$0].joined(separator: "/") }
            if !isFolder && folders.contains(name.lowercased()) || parents.contains(where: names.contains) {
                throw ZipError(description: "\(zipPath): '\(name)' is both a file and a folder; refusing")
            }
            folders.formUnion(parents)
            guard usize <= maxEntryBytes else {
                throw ZipError(description: "\(zipPath): entry \(name) is larger than \(maxEntryBytes >> 20) MiB")
            }
            let localNameLen = try u16(local + 26)
            let dataStart = local + 30 + localNameLen + (try u16(local + 28))
            guard try u32(local) == 0x0403_4b50, dataStart + csize <= z.count else {
                throw ZipError(description: "\(zipPath): entry \(name) is truncated")
            }
            // Tools that read local headers must see the same name as those that read the directory.
            guard localNameLen == nameLen, Array(z[(local + 30)..<(local + 30 + nameLen)]) == Array(fullName.utf8)
            else {
                throw ZipError(
                    description: "\(zipPath): entry '\(name)' has another name in its local header; refusing")
            }
            // Bit 3: a data descriptor (CRC and sizes, with or without its signature) follows the data.
            var end = dataStart + csize
            if flags & 0x8 != 0 {
                let signed = end + 4 <= z.count ? try u32(end) == 0x0807_4b50 : false
                end += signed ? 16 : 12
            }
            spans.append((local, end))
            if isFolder { continue }
            let body = Array(z[dataStart..<(dataStart + csize)])
            var content: [UInt8]
            switch method {
            case 0: content = body
            case 8:
                // Rewrap the raw deflate stream as a gzip member and let the gzip codec inflate it.
                let crc = Array(z[(entry + 16)..<(entry + 20)])
                let member = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3] + body + crc + le32(UInt32(usize))
                guard let inflated = GzipCodec.decompress(member, limit: maxEntryBytes) else {
                    throw ZipError(description: "\(zipPath): entry \(name) is corrupt (deflate or CRC-32)")
                }
                content = inflated
            default: throw ZipError(description: "\(zipPath): entry \(name) uses compression method \(method)")
            }
            guard content.count == usize else {
                throw ZipError(description: "\(zipPath): entry \(name) has the wrong size")
            }
            total += usize
            guard total <= maxTotalBytes else {
                throw ZipError(description: "\(zipPath): more than \(maxTotalBytes >> 30) GiB when extracted; refusing")
            }
            roots.insert(String(parts[0]))
            let target = (dir as NSString).appendingPathComponent(name)
            try FileManager.default.createDirectory(
                atPath: PathText.parent(target), withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: target, contents: Data(content)) else {
                throw ZipError(description: "cannot write \(target)")
            }
        }
        spans.sort { $0.start < $1.start }
        var expected = 0
        for s in spans {
            guard s.start == expected else {
                throw ZipError(
                    description:
                        "\(zipPath): bytes \(expected)..<\(s.start) belong to no listed entry (a hidden or overlapping entry); refusing"
                )
            }
            expected = s.end
        }
        guard expected == (try u32(eocd + 16)) else {
            throw ZipError(
                description: "\(zipPath): bytes before the central directory belong to no listed entry; refusing")
        }
        guard roots.count == 1, let root = roots.first else {
            throw ZipError(description: "\(zipPath): expected one pack folder, found \(roots.count)")
        }
        return (dir as NSString).appendingPathComponent(root)
    }

    static func dos(_ t: Timestamp) -> (UInt16, UInt16) {
        let s = t.iso8601  // yyyy-MM-ddTHH:mm:ss
        func n(_ a: Int, _ len: Int) -> Int { Int(s.dropFirst(a).prefix(len)) ?? 0 }
        let year = max(1980, n(0, 4))
        let date = UInt16((year - 1980) << 9 | n(5, 2) << 5 | n(8, 2))
        let time = UInt16(n(11, 2) << 11 | n(14, 2) << 5 | n(17, 2) / 2)
        return (time, date)
    }

    static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8)] }
    static func le16(_ v: Int) -> [UInt8] { le16(UInt16(v)) }
    static func le32(_ v: UInt32) -> [UInt8] {
        [UInt8(v & 0xff), UInt8(v >> 8 & 0xff), UInt8(v >> 16 & 0xff), UInt8(v >> 24)]
    }
}
