/// An IPv4 or IPv6 address as 16 bytes (IPv4 mapped into `::ffff:0:0/96`), parsed without the C
/// library so that every input string is handled the same way on every platform.
public struct IPAddress: Sendable, Hashable {
    public let bytes: [UInt8]
    public let isIPv4: Bool

    public init?(_ text: String) {
        var s = Substring(text)
        // Zone ids (`fe80::1%eth0`) name an interface, not an address.
        if let pct = s.firstIndex(of: "%") { s = s[..<pct] }
        if let v4 = IPAddress.parseIPv4(s) {
            bytes = [UInt8](repeating: 0, count: 10) + [0xff, 0xff] + v4
            isIPv4 = true
        } else if let v6 = IPAddress.parseIPv6(s) {
            bytes = v6
            // `::ffff:a.b.c.d` is an IPv4 address written the IPv6 way.
            isIPv4 = v6.prefix(12).elementsEqual([UInt8](repeating: 0, count: 10) + [0xff, 0xff])
        } else {
            return nil
        }
    }

    static func parseIPv4(_ s: Substring) -> [UInt8]? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out = [UInt8]()
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy(\.isASCII), let n = UInt8(p) else { return nil }
            out.append(n)
        }
        return out
    }

    static func parseIPv6(_ s: Substring) -> [UInt8]? {
        guard s.contains(":"), s.count <= 45 else { return nil }
        let halves = s.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt8]? {
            if part.isEmpty { return [] }
            var out = [UInt8]()
            let items = part.split(separator: ":", omittingEmptySubsequences: false)
            for (i, g) in items.enumerated() {
                if i == items.count - 1, g.contains(".") {
                    guard let v4 = parseIPv4(g) else { return nil }
                    out += v4
                    continue
                }
                guard (1...4).contains(g.count), let n = UInt16(g, radix: 16) else { return nil }
                out += [UInt8(n >> 8), UInt8(n & 0xff)]
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        if halves.count == 1 { return head.count == 16 ? head : nil }
        guard let tail = groups(halves[1]), head.count + tail.count <= 14 else { return nil }
        return head + [UInt8](repeating: 0, count: 16 - head.count - tail.count) + tail
    }

    /// RFC 1918 / RFC 4193 / loopback / link-local / CGNAT: addresses that never route on the internet.
    public var isPrivate: Bool {
        if isIPv4 {
            let a = bytes[12], b = bytes[13]
            return a == 10 || a == 127 || (a == 172 && (16...31).contains(b)) || (a == 192 && b == 168)
                || (a == 169 && b == 254)
                || (a == 100 && (64...127).contains(b))
        }
        return bytes[0] & 0xfe == 0xfc || (bytes[0] == 0xfe && bytes[1] & 0xc0 == 0x80)
            || bytes == [UInt8](repeating: 0, count: 15) + [1]
    }
}

/// An address range such as `10.0.0.0/8` or `2001:db8::/32` (a bare address is a /32 or /128).
public struct IPNetwork: Sendable, Hashable {
    public let base: IPAddress
    /// Prefix length over the 16-byte form.
    public let bits: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let ip = IPAddress(String(parts[0])) else { return nil }
        let width = ip.isIPv4 ? 32 : 128
        var length = width
        if parts.count == 2 {
            guard let n = Int(parts[1]), (0...width).contains(n) else { return nil }
            length = n
        }
        base = ip
        bits = length + (ip.isIPv4 ? 96 : 0)
    }

    public func contains(_ a: IPAddress) -> Bool {
        guard a.isIPv4 == base.isIPv4 else { return false }
        var remaining = bits
        for i in 0..<16 where remaining > 0 {
            let take = min(8, remaining)
            let mask: UInt8 = take == 8 ? 0xff : ~(0xff >> UInt8(take))
            if a.bytes[i] & mask != base.bytes[i] & mask { return false }
            remaining -= take
        }
        return true
    }

    public func contains(_ text: String) -> Bool {
        IPAddress(text).map(contains) ?? false
    }
}
