import Foundation

/// Reads the regular files of a tar archive (ustar, with GNU long names and pax `path`
/// records): what GitHub's source archives and `tar czf` produce. Links, devices and folders are
/// skipped; the caller decides which paths are acceptable.
enum TarArchive {
    struct Entry {
        var path: String
        var data: ArraySlice<UInt8>
    }

    struct Malformed: Error, CustomStringConvertible {
        var offset: Int
        var reason: String
        var description: String { "not a tar archive at byte \(offset): \(reason)" }
    }

    static func regularFiles(_ bytes: [UInt8]) throws(Malformed) -> [Entry] {
        var out = [Entry](), offset = 0
        var longName: String?
        while offset + 512 <= bytes.count {
            let header = bytes[offset..<offset + 512]
            if header.allSatisfy({ $0 == 0 }) { break }  // end of archive
            guard let size = octal(header, 124, 12) else { throw Malformed(offset: offset + 124, reason: "bad size") }
            let checksum = octal(header, 148, 8)
            let sum = header.enumerated().reduce(0) { $0 + ((148..<156).contains($1.offset) ? 32 : Int($1.element)) }
            guard checksum == sum else {
                throw Malformed(offset: offset + 148, reason: "header checksum does not match")
            }
            let type = header[header.startIndex + 156]
            let start = offset + 512
            guard size >= 0, start + size <= bytes.count else {
                throw Malformed(offset: offset, reason: "entry runs past the end")
            }
            let data = bytes[start..<start + size]
            offset = start + (size + 511) / 512 * 512
            switch type {
            case UInt8(ascii: "L"):  // GNU long name for the next entry
                longName = text(data)
                continue
            case UInt8(ascii: "x"):  // pax extended header: "LEN key=value\n" records, LEN counting all
                var at = data.startIndex
                while at < data.endIndex {
                    guard let space = data[at...].firstIndex(of: UInt8(ascii: " ")),
                        let length = Int(String(decoding: data[at..<space], as: UTF8.self)), length > 0,
                        at + length <= data.endIndex
                    else { throw Malformed(offset: start, reason: "bad pax record") }
                    let record = data[(space + 1)..<(at + length - 1)]  // without the newline
                    if let eq = record.firstIndex(of: UInt8(ascii: "=")),
                        String(decoding: record[..<eq], as: UTF8.self) == "path"
                    {
                        longName = String(decoding: record[(eq + 1)...], as: UTF8.self)
                    }
                    at += length
                }
                continue
            case UInt8(ascii: "0"), 0:
                let name = text(header[header.startIndex..<header.startIndex + 100])
                let prefix = text(header[header.startIndex + 345..<header.startIndex + 500])
                out.append(Entry(path: longName ?? (prefix.isEmpty ? name : prefix + "/" + name), data: data))
            default:
                break  // folders, links, devices, global pax headers
            }
            longName = nil
        }
        return out
    }

    private static func text(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    private static func octal(_ header: ArraySlice<UInt8>, _ at: Int, _ length: Int) -> Int? {
        let field = text(header[header.startIndex + at..<header.startIndex + at + length])
            .trimmingCharacters(in: .whitespaces)
        return field.isEmpty ? 0 : Int(field, radix: 8)
    }
}
