import CrossTrailIngest
import CrossTrailModel
import Crypto
import Foundation
import _CryptoExtras

/// Writes CloudTrail-style digest files for log files, signed with an RSA key: the same format
/// and signing string CloudTrail uses, so `DigestValidator` can be tested end to end and the
/// bundled Samples carry a verifiable chain. (With AWS's own digests only the validator is used.)
public struct DigestChainWriter {
    public struct LogFile: Sendable {
        public var key: String
        /// The uncompressed content (CloudTrail hashes that).
        public var content: [UInt8]
        public var oldest: Timestamp
        public var newest: Timestamp

        public init(key: String, content: [UInt8], oldest: Timestamp, newest: Timestamp) {
            self.key = key
            self.content = content
            self.oldest = oldest
            self.newest = newest
        }
    }

    public struct DigestFile: Sendable {
        /// The S3 key (also the relative path under the bucket folder).
        public var key: String
        public var gzip: [UInt8]
        /// The `.s3meta.json` sidecar carrying the signature, as `crosstrail fetch` writes it.
        public var sidecar: [UInt8]
        public var signature: String
    }

    let privateKey: _RSA.Signing.PrivateKey
    public let fingerprint: String
    public let bucket: String
    /// Per chain (account/region/trail): the previous digest's key, hash and signature.
    private var previous: [String: (key: String, hash: String, signature: String)] = [:]

    public init(privateKey: _RSA.Signing.PrivateKey, bucket: String) {
        self.privateKey = privateKey
        self.bucket = bucket
        fingerprint = Self.fingerprint(privateKey.publicKey)
    }

    /// Hex MD5 of the key's PKCS#1 DER, the form `list-public-keys` fingerprints take.
    public static func fingerprint(_ key: _RSA.Signing.PublicKey) -> String {
        Insecure.MD5.hash(data: pkcs1(key)).hexString
    }

    /// The key as `aws cloudtrail list-public-keys` prints it (PKCS#1 DER, base64).
    public static func publicKeysJSON(_ key: _RSA.Signing.PublicKey, validFrom: Timestamp, validUntil: Timestamp)
        -> String
    {
        """
        {"PublicKeyList": [{"Value": "\(pkcs1(key).base64EncodedString())", "ValidityStartTime": "\(validFrom.iso8601)", \
        "ValidityEndTime": "\(validUntil.iso8601)", "Fingerprint": "\(fingerprint(key))"}]}

        """
    }

    /// PKCS#1 RSAPublicKey: the SubjectPublicKeyInfo's BIT STRING contents.
    static func pkcs1(_ key: _RSA.Signing.PublicKey) -> Data {
        let spki = [UInt8](key.derRepresentation)
        // SEQUENCE { SEQUENCE { OID, NULL }, BIT STRING { 0x00, RSAPublicKey } }: find the BIT STRING.
        var i = 0
        func length(_ at: inout Int) -> Int {
            let first = Int(spki[at]); at += 1
            guard first & 0x80 != 0 else { return first }
            var n = 0
            for _ in 0..<(first & 0x7F) { n = n << 8 | Int(spki[at]); at += 1 }
            return n
        }
        i = 1; _ = length(&i)  // outer SEQUENCE
        i += 1; let alg = length(&i); i += alg  // AlgorithmIdentifier
        i += 1; _ = length(&i); i += 1  // BIT STRING header and unused-bits byte
        return Data(spki[i...])
    }

    /// The digest for one chain and window, listing `logs`, linked to the chain's previous digest.
    public mutating func digest(
        account: String, region: String, trail: String, start: Timestamp, end: Timestamp,
        logs: [LogFile], prefix: String = ""
    ) -> DigestFile {
        let chain = "\(account)|\(region)|\(trail)"
        let endStamp = end.iso8601Seconds
        let compact = endStamp.replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: "")
        let date = String(endStamp.prefix(10)).replacingOccurrences(of: "-", with: "/")
        let key =
            "\(prefix)AWSLogs/\(account)/CloudTrail-Digest/\(region)/\(date)/\(account)_CloudTrail-Digest_\(region)_\(trail)_\(region)_\(compact).json.gz"
        let prev = previous[chain]
        var fields: [(String, String)] = [
            ("awsAccountId", json(account)), ("digestStartTime", json(start.iso8601Seconds)),
            ("digestEndTime", json(endStamp)),
            ("digestS3Bucket", json(bucket)), ("digestS3Object", json(key)),
            ("digestPublicKeyFingerprint", json(fingerprint)),
            ("digestSignatureAlgorithm", json("SHA256withRSA")),
        ]
        if let newest = logs.map(\.newest).max(), let oldest = logs.map(\.oldest).min() {
            fields += [
                ("newestEventTime", json(newest.iso8601Seconds)), ("oldestEventTime", json(oldest.iso8601Seconds)),
            ]
        }
        fields += [
            ("previousDigestS3Bucket", prev == nil ? "null" : json(bucket)),
            ("previousDigestS3Object", prev.map { json($0.key) } ?? "null"),
            ("previousDigestHashValue", prev.map { json($0.hash) } ?? "null"),
            ("previousDigestHashAlgorithm", json("SHA-256")),
            ("previousDigestSignature", prev.map { json($0.signature) } ?? "null"),
        ]
        let files = logs.map { l in
            "{\"s3Bucket\":\(json(bucket)),\"s3Object\":\(json(l.key)),\"hashValue\":\(json(SHA256.hash(data: l.content).hexString)),"
                + "\"hashAlgorithm\":\"SHA-256\",\"newestEventTime\":\(json(l.newest.iso8601Seconds)),\"oldestEventTime\":\(json(l.oldest.iso8601Seconds))}"
        }
        let body =
            "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + ",\"logFiles\":["
            + files.joined(separator: ",") + "]}"
        let content = Array(body.utf8)
        let hash = SHA256.hash(data: content).hexString
        let toSign = "\(endStamp)\n\(bucket)/\(key)\n\(hash)\n\(prev?.signature ?? "null")"
        // PKCS#1 v1.5 signatures are deterministic: the same inputs give the same digest files.
        let signature =
            (try? privateKey.signature(for: Data(toSign.utf8), padding: .insecurePKCS1v1_5))
            .map { $0.rawRepresentation.hexString } ?? ""
        previous[chain] = (key, hash, signature)
        let sidecar =
            "{\"bucket\":\(json(bucket)),\"key\":\(json(key)),\"metadata\":{\"signature\":\(json(signature)),\"signature-algorithm\":\"SHA256withRSA\"}}\n"
        return DigestFile(
            key: key, gzip: GzipCodec.compress(content), sidecar: Array(sidecar.utf8), signature: signature)
    }

    private func json(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default: out.unicodeScalars.append(c)
            }
        }
        return out + "\""
    }
}

extension Timestamp {
    /// `2026-08-01T10:00:00Z`: the second-precision form CloudTrail digests use.
    var iso8601Seconds: String { String(iso8601.prefix(19)) + "Z" }
}
