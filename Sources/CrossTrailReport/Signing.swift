import Crypto
import Foundation

/// Ed25519 keys in the PEM forms OpenSSL writes (`openssl genpkey -algorithm ed25519`):
/// PKCS#8 "PRIVATE KEY" and SubjectPublicKeyInfo "PUBLIC KEY".
public enum PackKeys {
    public struct KeyError: Error, CustomStringConvertible {
        public var description: String
    }

    // DER prefixes of the two fixed-size structures (RFC 8410).
    static let privatePrefix: [UInt8] = [
        0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
    ]
    static let publicPrefix: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00]

    public static func privateKey(pem: String, source: String) throws -> Curve25519.Signing.PrivateKey {
        let der = try decodePEM(pem, label: "PRIVATE KEY", source: source)
        // PKCS#8 version 1 (seed only) or 2 (seed and public key): the 32-byte seed sits at 16..<48.
        var header = der.prefix(16).map { $0 }
        if header.count == 16, header[4] == 0x01 { header[4] = 0x00 }
        guard der.count >= 48, der[0] == 0x30, Array(header[2...]) == Array(privatePrefix[2...]) else {
            throw KeyError(
                description:
                    "\(source): not an Ed25519 private key (PKCS#8); create one with `crosstrail keygen` or `openssl genpkey -algorithm ed25519`"
            )
        }
        do { return try Curve25519.Signing.PrivateKey(rawRepresentation: der[16..<48]) } catch {
            throw KeyError(description: "\(source): invalid Ed25519 private key")
        }
    }

    public static func publicKey(pem: String, source: String) throws -> Curve25519.Signing.PublicKey {
        let der = try decodePEM(pem, label: "PUBLIC KEY", source: source)
        guard der.count == 44, Array(der.prefix(12)) == publicPrefix else {
            throw KeyError(description: "\(source): not an Ed25519 public key (SubjectPublicKeyInfo PEM)")
        }
        do { return try Curve25519.Signing.PublicKey(rawRepresentation: der[12...]) } catch {
            throw KeyError(description: "\(source): invalid Ed25519 public key")
        }
    }

    public static func pem(_ key: Curve25519.Signing.PublicKey) -> String {
        encodePEM(publicPrefix + Array(key.rawRepresentation), label: "PUBLIC KEY")
    }

    public static func pem(_ key: Curve25519.Signing.PrivateKey) -> String {
        encodePEM(privatePrefix + Array(key.rawRepresentation), label: "PRIVATE KEY")
    }

    /// `SHA256:<base64>` of the raw public key, as printed next to signatures.
    public static func fingerprint(_ key: Curve25519.Signing.PublicKey) -> String {
        "SHA256:" + Data(SHA256.hash(data: key.rawRepresentation)).base64EncodedString()
    }

    static func decodePEM(_ text: String, label: String, source: String) throws -> [UInt8] {
        let begin = "-----BEGIN \(label)-----", end = "-----END \(label)-----"
        guard let a = text.range(of: begin), let b = text.range(of: end, range: a.upperBound..<text.endIndex) else {
            throw KeyError(description: "\(source): no \(begin) block")
        }
        let body = text[a.upperBound..<b.lowerBound].filter { !$0.isWhitespace }
        guard let data = Data(base64Encoded: String(body)) else {
            throw KeyError(description: "\(source): the PEM body is not base64")
        }
        return Array(data)
    }

    static func encodePEM(_ der: [UInt8], label: String) -> String {
        let b64 = Data(der).base64EncodedString()
        var lines = ["-----BEGIN \(label)-----"]
        var i = b64.startIndex
        while i < b64.endIndex {
            let j = b64.index(i, offsetBy: 64, limitedBy: b64.endIndex) ?? b64.endIndex
            lines.append(String(b64[i..<j]))
            i = j
        }
        lines.append("-----END \(label)-----")
        return lines.joined(separator: "\n") + "\n"
    }
}
