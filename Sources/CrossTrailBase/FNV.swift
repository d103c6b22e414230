/// 64-bit FNV-1a: a fast, stable, non-cryptographic hash for ids and sharding (never for
/// integrity, which uses SHA-256).
public enum FNV1a {
    public static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    public static let prime: UInt64 = 0x100_0000_01b3

    public static func hash(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var h = offsetBasis
        for b in bytes { h = (h ^ UInt64(b)) &* prime }
        return h
    }

    public static func hash(_ text: String) -> UInt64 { hash(text.utf8) }
}
