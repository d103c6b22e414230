import CrossTrailIngest
import CrossTrailModel
import Crypto
import Foundation
import _CryptoExtras

/// CloudTrail log file integrity: follows the hourly digest chain, checks each digest's
/// SHA256withRSA signature with AWS's public keys, and each log file's SHA-256 (of its
/// uncompressed content) against the digest that lists it.
///
/// Digest signatures live in S3 object metadata (`x-amz-meta-signature`), not in the file, so
/// they are read from a sidecar `<digest file>.s3meta.json` written when the digest was fetched:
/// `{"bucket": ..., "key": ..., "metadata": {"signature": "<hex>", "signature-algorithm": "SHA256withRSA"}}`.
public enum DigestValidator {
    public static let sidecarSuffix = ".s3meta.json"

    public enum ProblemKind: String, Sendable, Codable, CaseIterable {
        /// A log file a digest lists is not among the files given.
        case missing
        /// A log file's hash differs from its digest.
        case modified
        /// A log file no digest lists (delivered outside the validated chain, or added).
        case extra
        /// A digest without a signature, with an unknown key, or unreadable.
        case unverifiable
        /// A digest whose signature does not verify.
        case invalidSignature = "invalid-signature"
        /// A digest whose previous digest is missing or does not match the chain.
        case chainBreak = "chain-break"
        /// A digest found at another location than the one it names.
        case moved
    }

    public struct Problem: Error, Sendable, Hashable, Codable, CustomStringConvertible {
        public var kind: ProblemKind
        public var file: String
        public var detail: String
        public var description: String { "\(kind.rawValue): \(file): \(detail)" }
    }

    public struct Result: Sendable {
        public var digestFiles = 0
        public var digestsVerified = 0
        public var logFilesListed = 0
        public var logFilesVerified = 0
        public var problems: [Problem] = []
        public var ok: Bool { problems.isEmpty && digestFiles > 0 }
    }

    /// An AWS CloudTrail public key (`aws cloudtrail list-public-keys` output).
    public struct PublicKey: Sendable {
        public var fingerprint: String
        public var key: _RSA.Signing.PublicKey
        public var validFrom: String?
        public var validUntil: String?
    }

    public struct KeyError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Reads the JSON that `aws cloudtrail list-public-keys` prints: `{"PublicKeyList": [{"Value":
    /// <base64 DER>, "Fingerprint": <hex>, "ValidityStartTime", "ValidityEndTime"}]}`.
    public static func publicKeys(json bytes: [UInt8], source: String) throws -> [String: PublicKey] {
        let doc: JSON
        do { doc = try JSON.parse(bytes) } catch { throw KeyError(description: "\(source): not JSON (\(error))") }
        guard let list = doc["PublicKeyList"]?.array else {
            throw KeyError(
                description: "\(source): no PublicKeyList (expected `aws cloudtrail list-public-keys` output)")
        }
        var out: [String: PublicKey] = [:]
        for (i, k) in list.enumerated() {
            guard let value = k["Value"]?.string, let fp = k["Fingerprint"]?.string,
                let der = Data(base64Encoded: value)
            else {
                throw KeyError(description: "\(source): key \(i + 1) needs Value (base64) and Fingerprint")
            }
            // The modulus and exponent are read here and handed over as numbers: swift-crypto's DER
            // initializer frees its key twice when the DER is invalid (an abort on hostile input).
            guard let (n, e) = RSADER.components(Array(der)), RSADER.bitLength(n) >= 2048,
                let key = try? _RSA.Signing.PublicKey(n: n, e: e)
            else {
                throw KeyError(description: "\(source): key \(fp) is not an RSA public key of at least 2048 bits")
            }
            out[fp.lowercased()] = PublicKey(
                fingerprint: fp.lowercased(), key: key, validFrom: k["ValidityStartTime"]?.string,
                validUntil: k["ValidityEndTime"]?.string)
        }
        return out
    }

    struct Digest {
        var path: String
        var endTime: String
        var startTime: String
        var bucket: String
        var object: String
        var fingerprint: String
        var previousBucket: String?
        var previousObject: String?
        var previousHash: String?
        var previousSignature: String?
        var logFiles: [(bucket: String, object: String, hash: String)]
        /// SHA-256 (hex) of the uncompressed digest.
        var hash: String
        var signature: String?
        var sidecarBucket: String?
        var sidecarKey: String?
    }

    /// Validates every digest and log file under `paths`.
    public static func validate(paths: [String], keys: [String: PublicKey], maxFileBytes: Int = 1 << 30) -> Result {
        var result = Result()
        var digestPaths: [String] = []
        var logPaths: [String] = []
        for file in listFiles(paths) {
            let name = (file as NSString).lastPathComponent
            if name.hasSuffix(sidecarSuffix) { continue }
            if name.contains("_CloudTrail-Digest_") && (name.hasSuffix(".json.gz") || name.hasSuffix(".json")) {
                digestPaths.append(file)
            } else if name.contains("_CloudTrail_") && (name.hasSuffix(".json.gz") || name.hasSuffix(".json")) {
                logPaths.append(file)
            }
        }
        result.digestFiles = digestPaths.count
        // Log files by S3 key suffix: a local path ending in the key, else the unique file name.
        var byName: [String: [String]] = [:]
        for p in logPaths { byName[(p as NSString).lastPathComponent, default: []].append(p) }
        func local(_ object: String) -> String? {
            let candidates = byName[(object as NSString).lastPathComponent] ?? []
            return candidates.first { $0.hasSuffix("/" + object) || $0 == object }
                ?? (candidates.count == 1 ? candidates[0] : nil)
        }

        var digests: [String: Digest] = [:]  // by "bucket/key"
        for path in digestPaths.sorted() {
            switch load(digest: path, maxBytes: maxFileBytes) {
            case .failure(let p): result.problems.append(p)
            case .success(let d):
                if let b = d.sidecarBucket, let k = d.sidecarKey, b != d.bucket || k != d.object {
                    result.problems.append(
                        Problem(
                            kind: .moved, file: path,
                            detail: "fetched from s3://\(b)/\(k) but names itself s3://\(d.bucket)/\(d.object)"))
                }
                digests[d.bucket + "/" + d.object] = d
            }
        }

        var listed = Set<String>()
        for (_, d) in digests.sorted(by: { $0.key < $1.key }) {
            // 1. The signature, over the documented signing string.
            guard let sigHex = d.signature else {
                result.problems.append(
                    Problem(
                        kind: .unverifiable, file: d.path,
                        detail:
                            "no signature (\((d.path as NSString).lastPathComponent + sidecarSuffix) missing); fetch digests with their S3 metadata"
                    ))
                continue
            }
            guard let key = keys[d.fingerprint.lowercased()] else {
                result.problems.append(
                    Problem(
                        kind: .unverifiable, file: d.path,
                        detail: "no public key with fingerprint \(d.fingerprint) in --public-keys"))
                continue
            }
            let toSign = "\(d.endTime)\n\(d.bucket)/\(d.object)\n\(d.hash)\n\(d.previousSignature ?? "null")"
            guard let sig = hexBytes(sigHex),
                key.key.isValidSignature(
                    _RSA.Signing.RSASignature(rawRepresentation: sig), for: Data(toSign.utf8),
                    padding: .insecurePKCS1v1_5)
            else {
                result.problems.append(
                    Problem(
                        kind: .invalidSignature, file: d.path,
                        detail:
                            "signature does not verify with key \(d.fingerprint): the digest or its metadata was changed"
                    ))
                continue
            }
            result.digestsVerified += 1
            // 2. The chain: the previous digest must exist and match the hash and signature recorded here.
            if let pb = d.previousBucket, let po = d.previousObject {
                if let prev = digests[pb + "/" + po] {
                    if let h = d.previousHash, h.lowercased() != prev.hash {
                        result.problems.append(
                            Problem(
                                kind: .chainBreak, file: d.path,
                                detail: "previous digest \(po) hashes to \(prev.hash), this digest recorded \(h)"))
                    } else if let s = d.previousSignature, let ps = prev.signature, s.lowercased() != ps.lowercased() {
                        result.problems.append(
                            Problem(
                                kind: .chainBreak, file: d.path,
                                detail: "previous digest \(po) carries another signature than this digest recorded"))
                    }
                } else if digests.values.contains(where: { $0.endTime < d.endTime && chain($0) == chain(d) })
                    || logPaths.contains(where: { logBelongs($0, to: d, before: d.startTime) })
                {
                    // A break inside the span given (earlier digests or log files exist); the first
                    // digest's predecessor alone is out of scope.
                    result.problems.append(
                        Problem(kind: .chainBreak, file: d.path, detail: "previous digest s3://\(pb)/\(po) is missing"))
                }
            }
            // 3. Every log file the digest lists.
            for log in d.logFiles {
                result.logFilesListed += 1
                listed.insert(log.object)
                guard let path = local(log.object) else {
                    result.problems.append(
                        Problem(
                            kind: .missing, file: log.object,
                            detail: "listed in \((d.path as NSString).lastPathComponent) but not found"))
                    continue
                }
                let bytes: [UInt8]
                do { bytes = try JSON.readRegularFile(path: path, maxBytes: maxFileBytes) } catch {
                    result.problems.append(Problem(kind: .missing, file: path, detail: "unreadable: \(error.reason)"))
                    continue
                }
                let content = path.hasSuffix(".gz") ? GzipCodec.decompress(bytes, limit: maxFileBytes) : bytes
                guard let content else {
                    result.problems.append(
                        Problem(kind: .modified, file: path, detail: "not valid gzip (or larger than the size limit)"))
                    continue
                }
                let h = SHA256.hash(data: content).hexString
                if h != log.hash.lowercased() {
                    result.problems.append(
                        Problem(kind: .modified, file: path, detail: "SHA-256 \(h), digest recorded \(log.hash)"))
                } else {
                    result.logFilesVerified += 1
                }
            }
        }
        for p in logPaths.sorted() {
            let matched = listed.contains {
                p.hasSuffix("/" + $0) || ($0 as NSString).lastPathComponent == (p as NSString).lastPathComponent
            }
            if !matched {
                result.problems.append(Problem(kind: .extra, file: p, detail: "no digest lists this log file"))
            }
        }
        return result
    }

    /// True when a log file's name (`<account>_CloudTrail_<region>_<yyyyMMddTHHmmZ>_…`) puts it in
    /// the digest's account and region, delivered before `time`.
    static func logBelongs(_ path: String, to d: Digest, before time: String) -> Bool {
        let parts = (path as NSString).lastPathComponent.split(separator: "_")
        guard parts.count >= 4, parts[1] == "CloudTrail" else { return false }
        let region = d.object.split(separator: "/").drop(while: { $0 != "CloudTrail-Digest" }).dropFirst().first
        guard d.object.contains("/\(parts[0])/"), region.map({ $0 == parts[2] }) ?? false else { return false }
        let stamp = time.filter { $0.isNumber || $0 == "T" }.prefix(13)  // yyyyMMddTHHmm
        return parts[3].prefix(13) < stamp
    }

    /// Digests of one trail in one region form one chain: same bucket, folder above the date
    /// folders, and file name up to the timestamp.
    static func chain(_ d: Digest) -> String {
        let parts = d.object.split(separator: "/")
        let folder = parts.count > 4 ? parts.dropLast(4).joined(separator: "/") : ""
        let name = parts.last.map(String.init) ?? ""
        let stem = name.split(separator: "_").dropLast().joined(separator: "_")
        return d.bucket + "|" + folder + "|" + stem
    }

    static func load(digest path: String, maxBytes: Int) -> Swift.Result<Digest, Problem> {
        let bytes: [UInt8]
        do { bytes = try JSON.readRegularFile(path: path, maxBytes: maxBytes) } catch {
            return .failure(Problem(kind: .unverifiable, file: path, detail: "unreadable: \(error.reason)"))
        }
        guard let content = path.hasSuffix(".gz") ? GzipCodec.decompress(bytes, limit: maxBytes) : bytes else {
            return .failure(Problem(kind: .unverifiable, file: path, detail: "not valid gzip"))
        }
        guard let doc = try? JSON.parse(content), let end = doc["digestEndTime"]?.string,
            let bucket = doc["digestS3Bucket"]?.string,
            let object = doc["digestS3Object"]?.string, let fp = doc["digestPublicKeyFingerprint"]?.string
        else {
            return .failure(
                Problem(
                    kind: .unverifiable, file: path,
                    detail:
                        "not a CloudTrail digest (digestEndTime, digestS3Bucket, digestS3Object, digestPublicKeyFingerprint required)"
                ))
        }
        var d = Digest(
            path: path, endTime: end, startTime: doc["digestStartTime"]?.string ?? "", bucket: bucket, object: object,
            fingerprint: fp,
            previousBucket: doc["previousDigestS3Bucket"]?.string,
            previousObject: doc["previousDigestS3Object"]?.string,
            previousHash: doc["previousDigestHashValue"]?.string,
            previousSignature: doc["previousDigestSignature"]?.string,
            logFiles: (doc["logFiles"]?.array ?? []).compactMap { l in
                guard let o = l["s3Object"]?.string, let h = l["hashValue"]?.string else { return nil }
                return (l["s3Bucket"]?.string ?? "", o, h)
            },
            hash: SHA256.hash(data: content).hexString)
        if FileKind.of(path + sidecarSuffix) == .regular,
            let side = try? JSON.readRegularFile(path: path + sidecarSuffix, maxBytes: 1 << 20),
            let meta = try? JSON.parse(side)
        {
            d.signature = meta["metadata"]?["signature"]?.string
            d.sidecarBucket = meta["bucket"]?.string
            d.sidecarKey = meta["key"]?.string
        }
        return .success(d)
    }

    static func listFiles(_ paths: [String]) -> [String] {
        var out: [String] = []
        for p in paths {
            // Regular files only, given or found (a FIFO would block the run).
            let kind = FileKind.of(p)
            if kind == .regular { out.append(p); continue }
            guard kind == .directory else { continue }
            guard let e = FileManager.default.enumerator(atPath: p) else { continue }
            for case let rel as String in e {
                let full = (p as NSString).appendingPathComponent(rel)
                var st = stat()
                if lstat(full, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG { out.append(full) }
            }
        }
        return out.sorted()
    }

    static func hexBytes(_ s: String) -> [UInt8]? {
        let chars = Array(s.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// Just enough DER to read an RSA public key: PKCS#1 `RSAPublicKey` or a SubjectPublicKeyInfo
/// wrapping one. Every length is bounds-checked; anything unexpected is nil.
enum RSADER {
    static let rsaEncryption: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01]

    static func components(_ der: [UInt8], depth: Int = 0) -> (n: [UInt8], e: [UInt8])? {
        var outer = Reader(der[...])
        guard let body = outer.read(0x30), outer.atEnd else { return nil }
        var r = Reader(body)
        if r.next == 0x02 {
            guard let n = r.read(0x02), let e = r.read(0x02), r.atEnd, !n.isEmpty, !e.isEmpty else { return nil }
            return (Array(n.drop { $0 == 0 }), Array(e.drop { $0 == 0 }))
        }
        guard depth == 0, let alg = r.read(0x30), let bits = r.read(0x03), r.atEnd, bits.first == 0,
            Array(alg.prefix(rsaEncryption.count)) == rsaEncryption
        else { return nil }
        return components(Array(bits.dropFirst()), depth: 1)
    }

    static func bitLength(_ n: [UInt8]) -> Int {
        guard let first = n.first else { return 0 }
        return (n.count - 1) * 8 + (8 - first.leadingZeroBitCount)
    }

    struct Reader {
        var bytes: ArraySlice<UInt8>
        init(_ b: ArraySlice<UInt8>) { bytes = b }
        var atEnd: Bool { bytes.isEmpty }
        var next: UInt8? { bytes.first }

        /// The contents of the next element if it has this tag.
        mutating func read(_ tag: UInt8) -> ArraySlice<UInt8>? {
            guard bytes.count >= 2, bytes.first == tag else { return nil }
            var i = bytes.startIndex + 1
            var length = Int(bytes[i])
            i += 1
            if length & 0x80 != 0 {
                let count = length & 0x7F
                guard (1...4).contains(count), bytes.endIndex - i >= count else { return nil }
                length = 0
                for _ in 0..<count { length = length << 8 | Int(bytes[i]); i += 1 }
            }
            guard length >= 0, bytes.endIndex - i >= length else { return nil }
            let content = bytes[i..<(i + length)]
            bytes = bytes[(i + length)...]
            return content
        }
    }
}
