/// Lower-case hexadecimal: hashes, signatures, finding ids.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// Two digits per byte.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The low `digits` hexadecimal digits of `value`, zero-padded (16 for the whole value).
    public static func encode(_ value: UInt64, digits count: Int = 16) -> String {
        precondition((1...16).contains(count))
        var out = [UInt8]()
        for shift in stride(from: (count - 1) * 4, through: 0, by: -4) {
            out.append(digits[Int((value >> UInt64(shift)) & 0xf)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension Sequence where Element == UInt8 {
    /// Lower-case hexadecimal, two digits per byte (hashes, signatures).
    public var hexString: String { Hex.encode(self) }
}
