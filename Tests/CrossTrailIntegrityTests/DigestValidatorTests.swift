import CrossTrailIngest
import CrossTrailModel
import Crypto
import Foundation
import TestSupport
import Testing
import _CryptoExtras

@testable import CrossTrailIntegrity

/// A signed CloudTrail digest chain built with a test RSA key, then validated and tampered with.
@Suite struct DigestValidatorTests {
    /// One key for the suite (RSA generation is the slow part).
    static let key = try! _RSA.Signing.PrivateKey(keySize: .bits2048)

    struct Chain {
        var root: URL
        var keys: [String: DigestValidator.PublicKey]
        var logs: [String]
        var digests: [String]
    }

    /// Three hourly digests for one account/region, two log files each.
    func makeChain() throws -> Chain {
        let root = try TestPaths.temporaryDirectory("digests")
        var writer = DigestChainWriter(privateKey: Self.key, bucket: "trail-bucket")
        let hour: Int64 = 3_600_000
        let t0 = Timestamp(year: 2026, month: 8, day: 1).millis
        var logs: [String] = [], digests: [String] = []
        for h in 0..<3 {
            var files: [DigestChainWriter.LogFile] = []
            for k in 0..<2 {
                let start = t0 + Int64(h) * hour + Int64(k) * 600_000
                let stamp = Timestamp(millis: start).iso8601.prefix(16).replacingOccurrences(of: "-", with: "")
                    .replacingOccurrences(of: ":", with: "")
                let key =
                    "AWSLogs/111122223333/CloudTrail/us-east-1/2026/08/01/111122223333_CloudTrail_us-east-1_\(stamp)Z_f\(h)\(k).json.gz"
                let body = Array("{\"Records\":[{\"eventID\":\"e-\(h)-\(k)\",\"eventName\":\"GetObject\"}]}".utf8)
                let url = root.appendingPathComponent(key)
                try FileManager.default.createDirectory(
                    at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(GzipCodec.compress(body)).write(to: url)
                logs.append(url.path)
                files.append(
                    .init(
                        key: key, content: body, oldest: Timestamp(millis: start),
                        newest: Timestamp(millis: start + 1000)))
            }
            let d = writer.digest(
                account: "111122223333", region: "us-east-1", trail: "main",
                start: Timestamp(millis: t0 + Int64(h) * hour),
                end: Timestamp(millis: t0 + Int64(h + 1) * hour), logs: files)
            let url = root.appendingPathComponent(d.key)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(d.gzip).write(to: url)
            try Data(d.sidecar).write(to: URL(fileURLWithPath: url.path + DigestValidator.sidecarSuffix))
            digests.append(url.path)
        }
        let json = DigestChainWriter.publicKeysJSON(
            Self.key.publicKey, validFrom: Timestamp(millis: t0 - hour), validUntil: Timestamp(millis: t0 + 100 * hour))
        let keys = try DigestValidator.publicKeys(json: Array(json.utf8), source: "keys.json")
        return Chain(root: root, keys: keys, logs: logs, digests: digests)
    }

    func validate(_ c: Chain) -> DigestValidator.Result { DigestValidator.validate(paths: [c.root.path], keys: c.keys) }

    @Test func intactChainVerifies() throws {
        let c = try makeChain()
        let r = validate(c)
        #expect(r.problems.isEmpty, "\(r.problems)")
        #expect(r.digestFiles == 3 && r.digestsVerified == 3)
        #expect(r.logFilesListed == 6 && r.logFilesVerified == 6)
        #expect(r.ok)
    }

    @Test func signingStringMatchesTheDocumentedLayout() throws {
        // Recompute the signature of the first digest by hand: end time, bucket/key, SHA-256 of the
        // uncompressed digest, and "null" for the first digest of a chain.
        let c = try makeChain()
        let gz = try [UInt8](Data(contentsOf: URL(fileURLWithPath: c.digests[0])))
        let content = try #require(GzipCodec.decompress(gz))
        let doc = try JSON.parse(content)
        let key = try #require(doc["digestS3Object"]?.string)
        #expect(doc["previousDigestSignature"] == .null)
        let toSign = "2026-08-01T01:00:00Z\ntrail-bucket/\(key)\n\(SHA256.hash(data: content).hexString)\nnull"
        let sidecar = try JSON.parse(
            [UInt8](Data(contentsOf: URL(fileURLWithPath: c.digests[0] + DigestValidator.sidecarSuffix))))
        let sigHex = try #require(sidecar["metadata"]?["signature"]?.string)
        let sig = try #require(DigestValidator.hexBytes(sigHex))
        #expect(
            Self.key.publicKey.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: sig), for: Data(toSign.utf8), padding: .insecurePKCS1v1_5))
    }

    @Test func modifiedLogFileIsNamed() throws {
        let c = try makeChain()
        let target = c.logs[3]
        try Data(GzipCodec.compress(Array("{\"Records\":[]}".utf8))).write(to: URL(fileURLWithPath: target))
        let r = validate(c)
        #expect(r.problems.map(\.kind) == [.modified])
        #expect(r.problems.first?.file == target)
        #expect(r.logFilesVerified == 5)
    }

    @Test func missingAndExtraLogFiles() throws {
        let c = try makeChain()
        try FileManager.default.removeItem(atPath: c.logs[0])
        let extra =
            (c.logs[1] as NSString).deletingLastPathComponent
            + "/111122223333_CloudTrail_us-east-1_20260801T0130Z_planted.json.gz"
        try Data(GzipCodec.compress(Array("{\"Records\":[]}".utf8))).write(to: URL(fileURLWithPath: extra))
        let r = validate(c)
        #expect(Set(r.problems.map(\.kind)) == [.missing, .extra])
        #expect(r.problems.contains { $0.kind == .extra && $0.file == extra })
        #expect(r.problems.contains { $0.kind == .missing && c.logs[0].hasSuffix($0.file) })
    }

    @Test func editedDigestFailsItsSignature() throws {
        let c = try makeChain()
        // Drop a log file from the middle digest, as someone hiding a file would.
        let path = c.digests[1]
        let content = try #require(GzipCodec.decompress([UInt8](Data(contentsOf: URL(fileURLWithPath: path)))))
        let edited = String(decoding: content, as: UTF8.self).replacingOccurrences(
            of: "f10.json.gz", with: "f1X.json.gz")
        try Data(GzipCodec.compress(Array(edited.utf8))).write(to: URL(fileURLWithPath: path))
        let r = validate(c)
        #expect(r.problems.contains { $0.kind == .invalidSignature && $0.file == path })
        // The next digest recorded the original's hash: the chain break is reported too.
        #expect(r.problems.contains { $0.kind == .chainBreak && $0.file == c.digests[2] })
    }

    @Test func removedDigestBreaksTheChain() throws {
        let c = try makeChain()
        try FileManager.default.removeItem(atPath: c.digests[1])
        let r = validate(c)
        #expect(
            r.problems.contains { $0.kind == .chainBreak && $0.file == c.digests[2] && $0.detail.contains("missing") })
        // The log files only the removed digest listed are now unaccounted for.
        #expect(r.problems.filter { $0.kind == .extra }.count == 2)
    }

    @Test func unknownKeyOrMissingSignatureIsUnverifiable() throws {
        let c = try makeChain()
        try FileManager.default.removeItem(atPath: c.digests[0] + DigestValidator.sidecarSuffix)
        var r = validate(c)
        #expect(r.problems.contains { $0.kind == .unverifiable && $0.file == c.digests[0] })
        r = DigestValidator.validate(paths: [c.root.path], keys: [:])
        #expect(r.problems.filter { $0.kind == .unverifiable }.count == 3)
        #expect(!r.ok)
    }

    @Test func otherKeysSignatureIsInvalid() throws {
        let c = try makeChain()
        let other = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let forged = try other.signature(for: Data("x".utf8), padding: .insecurePKCS1v1_5)
        let sidecar =
            "{\"bucket\":\"trail-bucket\",\"key\":\"k\",\"metadata\":{\"signature\":\"\(forged.rawRepresentation.hexString)\"}}"
        try Data(sidecar.utf8).write(to: URL(fileURLWithPath: c.digests[2] + DigestValidator.sidecarSuffix))
        let r = validate(c)
        #expect(r.problems.contains { $0.kind == .invalidSignature && $0.file == c.digests[2] })
        // The sidecar says the object came from elsewhere: reported as moved.
        #expect(r.problems.contains { $0.kind == .moved && $0.file == c.digests[2] })
    }

    @Test func keyDERIsReadBothWays() throws {
        // SubjectPublicKeyInfo (what swift-crypto writes) and PKCS#1 (what list-public-keys returns) give the same key.
        let spki = [UInt8](Self.key.publicKey.derRepresentation)
        let pkcs1 = [UInt8](Self.key.publicKey.pkcs1DERRepresentation)
        let a = try #require(RSADER.components(spki)), b = try #require(RSADER.components(pkcs1))
        #expect(a.n == b.n && a.e == b.e && RSADER.bitLength(a.n) == 2048 && a.e == [0x01, 0x00, 0x01])
        // Truncated, overlong and nested garbage is refused without touching the crypto library.
        for bad: [UInt8] in [
            [], [0x30], [0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF], Array(spki.dropLast()), [0x30, 0x03, 0x02, 0x01, 0x00],
            [0x30, 0x00],
        ] {
            #expect(RSADER.components(bad) == nil)
        }
    }

    @Test func publicKeysFileErrorsAreClear() {
        #expect(throws: DigestValidator.KeyError.self) {
            try DigestValidator.publicKeys(json: Array("{}".utf8), source: "k.json")
        }
        #expect(throws: DigestValidator.KeyError.self) {
            try DigestValidator.publicKeys(
                json: Array("{\"PublicKeyList\":[{\"Value\":\"AAAA\",\"Fingerprint\":\"ab\"}]}".utf8), source: "k.json")
        }
        do {
            _ = try DigestValidator.publicKeys(json: Array("not json".utf8), source: "k.json")
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("k.json"))
        }
    }
}
