import CrossTrailXML
import Crypto
import Foundation

/// `crosstrail verify`: recomputes every file's hash against the manifest, checks the signature,
/// and validates the XML files against the schemas shipped with crosstrail (not the pack's copies,
/// which an attacker could have edited along with the XML).
public enum PackVerifier {
    public struct Report: Sendable {
        /// One line per problem, naming the file.
        public var problems: [String] = []
        /// Files whose hash matched.
        public var verified: [String] = []
        public var signature: SignatureState = .absent
        public var manifest: Manifest?
        public var ok: Bool { problems.isEmpty }
    }

    public enum SignatureState: Sendable, Equatable {
        case absent
        /// Valid, by a key given as trusted.
        case trusted(String)
        /// Valid for the key inside the pack, but no trusted key was given to compare with.
        case untrusted(String)
        case invalid(String)
    }

    public static func verify(pack dir: String, trustedKey: Curve25519.Signing.PublicKey?, requireSignature: Bool)
        -> Report
    {
        var r = Report()
        let manifestPath = (dir as NSString).appendingPathComponent(Manifest.fileName)
        guard let body = FileManager.default.contents(atPath: manifestPath) else {
            r.problems.append("\(Manifest.fileName): missing (not an evidence pack, or the manifest was removed)")
            return r
        }
        guard let m = try? JSONDecoder().decode(Manifest.self, from: body) else {
            r.problems.append("\(Manifest.fileName): not a valid manifest")
            return r
        }
        r.manifest = m
        // Signature first: if it fails, every hash below is suspect anyway.
        let sigPath = (dir as NSString).appendingPathComponent(Manifest.signatureName)
        if let sigText = FileManager.default.contents(atPath: sigPath) {
            let b64 = String(decoding: sigText, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            let packKey =
                (try? String(
                    contentsOfFile: (dir as NSString).appendingPathComponent(Manifest.publicKeyName), encoding: .utf8))
                .flatMap { try? PackKeys.publicKey(pem: $0, source: Manifest.publicKeyName) }
            guard let sig = Data(base64Encoded: b64) else {
                r.signature = .invalid("manifest.sig is not base64")
                r.problems.append("\(Manifest.signatureName): not base64")
                return finish(r, dir, m)
            }
            if let trusted = trustedKey {
                if trusted.isValidSignature(sig, for: body) {
                    r.signature = .trusted(PackKeys.fingerprint(trusted))
                } else {
                    r.signature = .invalid("does not verify with the trusted key \(PackKeys.fingerprint(trusted))")
                    r.problems.append(
                        "\(Manifest.signatureName): the signature does not verify with the trusted key \(PackKeys.fingerprint(trusted)) (manifest changed, or signed by another key)"
                    )
                }
            } else if let packKey, packKey.isValidSignature(sig, for: body) {
                r.signature = .untrusted(PackKeys.fingerprint(packKey))
                if requireSignature {
                    r.problems.append(
                        "\(Manifest.signatureName): valid for the key in the pack, but no --trusted-key was given to check it against"
                    )
                }
            } else {
                r.signature = .invalid("does not verify with the key in the pack")
                r.problems.append(
                    "\(Manifest.signatureName): the signature does not verify with \(Manifest.publicKeyName) (manifest changed)"
                )
            }
        } else if let signer = m.signedBy {
            // The manifest says it was signed: a missing signature was removed, not never made.
            r.signature = .invalid("missing, though the manifest names its signer \(signer)")
            r.problems.append(
                "\(Manifest.signatureName): missing, though \(Manifest.fileName) says the pack was signed by \(signer) (the signature was removed)"
            )
        } else if requireSignature || trustedKey != nil {
            r.problems.append("\(Manifest.signatureName): missing (the pack is not signed)")
        }
        // A valid signature by another key than the one the manifest names is not the signer's.
        if let signer = m.signedBy {
            switch r.signature {
            case .trusted(let fp), .untrusted(let fp):
                if fp != signer {
                    r.problems.append(
                        "\(Manifest.signatureName): signed by \(fp), but \(Manifest.fileName) names \(signer)")
                }
            default: break
            }
        }
        return finish(r, dir, m)
    }

    private static func finish(_ report: Report, _ dir: String, _ m: Manifest) -> Report {
        var r = report
        var listed = Set<String>()
        var digests = [String: String]()
        for f in m.files {
            listed.insert(f.path)
            // A manifest entry may not point outside the pack.
            if f.path.hasPrefix("/") || f.path.split(separator: "/").contains("..") {
                r.problems.append("\(f.path): manifest entry points outside the pack")
                continue
            }
            let path = (dir as NSString).appendingPathComponent(f.path)
            var st = stat()
            guard lstat(path, &st) == 0 else { r.problems.append("\(f.path): missing"); continue }
            guard (st.st_mode & S_IFMT) == S_IFREG else { r.problems.append("\(f.path): not a regular file"); continue }
            guard let (size, digest) = try? Manifest.sha256(file: path) else {
                r.problems.append("\(f.path): unreadable"); continue
            }
            digests[f.path] = digest
            if digest != f.sha256 || size != f.bytes {
                r.problems.append("\(f.path): modified (SHA-256 \(digest), manifest says \(f.sha256))")
            } else {
                r.verified.append(f.path)
            }
        }
        for extra in (try? Manifest.listFiles(dir)) ?? []
        where !listed.contains(extra) && extra != Manifest.fileName && extra != Manifest.signatureName {
            r.problems.append("\(extra): not in the manifest (added after the pack was made)")
        }
        do {
            for issue in try validateXML(in: dir) { r.problems.append("schema: \(issue)") }
        } catch {
            r.problems.append("schema: \(error)")
        }
        r.problems += oscalReferences(in: dir, digests: digests).map { "oscal: " + $0 }
        return r
    }

    /// The OSCAL chain resolves inside the pack: results → plan → system → catalog, and every
    /// control the plan and the results review is in the catalog. Packs without OSCAL JSON
    /// (made by older versions) are not checked. `digests`: SHA-256 of pack files already
    /// computed (the manifest check), so a large timeline is not read twice.
    static func oscalReferences(in dir: String, digests: [String: String] = [:]) -> [String] {
        func load(_ name: String) -> [String: Any]? {
            guard let data = FileManager.default.contents(atPath: (dir as NSString).appendingPathComponent(name))
            else { return nil }
            return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        }
        guard
            FileManager.default.fileExists(atPath: (dir as NSString).appendingPathComponent(OSCALDocuments.resultsFile))
        else { return [] }
        var problems: [String] = []
        let chain: [(file: String, root: String, key: String, target: String?)] = [
            (OSCALDocuments.resultsFile, "assessment-results", "import-ap", OSCALDocuments.planFile),
            (OSCALDocuments.planFile, "assessment-plan", "import-ssp", OSCALDocuments.sspFile),
            (OSCALDocuments.sspFile, "system-security-plan", "import-profile", OSCALDocuments.catalogFile),
            (OSCALDocuments.catalogFile, "catalog", "", nil),
        ]
        var documents: [String: [String: Any]] = [:]
        for link in chain {
            guard let doc = load(link.file)?[link.root] as? [String: Any] else {
                problems.append("\(link.file): missing or not an OSCAL \(link.root) document")
                continue
            }
            documents[link.file] = doc
            guard let target = link.target else { continue }
            let href = (doc[link.key] as? [String: Any])?["href"] as? String
            if href != target {
                problems.append("\(link.file): \(link.key) is \(href.map { "'\($0)'" } ?? "missing"), not \(target)")
            }
        }
        // Back-matter resources name pack files with their SHA-256: each must match the file.
        let backMatter = documents[OSCALDocuments.resultsFile]?["back-matter"] as? [String: Any]
        for resource in backMatter?["resources"] as? [[String: Any]] ?? [] {
            for link in resource["rlinks"] as? [[String: Any]] ?? [] {
                guard let href = link["href"] as? String, !href.contains("/") else { continue }
                for hash in link["hashes"] as? [[String: Any]] ?? [] {
                    let actual =
                        digests[href] ?? (try? Manifest.sha256(file: (dir as NSString).appendingPathComponent(href)).1)
                    if hash["value"] as? String != actual {
                        problems.append(
                            "\(OSCALDocuments.resultsFile): the SHA-256 it gives for \(href) does not match the file")
                    }
                }
            }
        }
        guard let catalog = documents[OSCALDocuments.catalogFile] else { return problems }
        var known = Set<String>()
        for group in catalog["groups"] as? [[String: Any]] ?? [] {
            for control in group["controls"] as? [[String: Any]] ?? [] {
                if let id = control["id"] as? String { known.insert(id) }
            }
        }
        func reviewed(_ selections: Any?) -> [String] {
            ((selections as? [String: Any])?["control-selections"] as? [[String: Any]] ?? []).flatMap {
                ($0["include-controls"] as? [[String: Any]] ?? []).compactMap { $0["control-id"] as? String }
            }
        }
        var named = reviewed(documents[OSCALDocuments.planFile]?["reviewed-controls"])
        for result in documents[OSCALDocuments.resultsFile]?["results"] as? [[String: Any]] ?? [] {
            named += reviewed(result["reviewed-controls"])
        }
        let missing = Set(named).subtracting(known).sorted()
        if !missing.isEmpty {
            problems.append(
                "\(missing.count) reviewed control\(missing.count == 1 ? "" : "s") not in \(OSCALDocuments.catalogFile): "
                    + missing.prefix(10).joined(separator: ", "))
        }
        return problems
    }

    /// The pack's XML documents and the schema each must satisfy.
    static let documents = [
        ("evidence.xml", "evidence.xsd"), ("oscal-assessment-results.xml", "oscal_assessment-results_schema.xsd"),
    ]

    /// Validates the pack's XML files that exist against crosstrail's own copies of the schemas.
    public static func validateXML(in dir: String) throws -> [XMLIssue] {
        var out: [XMLIssue] = []
        for (doc, xsd) in documents {
            let path = (dir as NSString).appendingPathComponent(doc)
            guard FileManager.default.fileExists(atPath: path) else { continue }
            let schema = try SchemaCache.shared.schema(xsd)
            out += schema.validate(document: path).map {
                var i = $0; i.file = doc; return i
            }
        }
        return out
    }
}

/// Compiled schemas, kept for the process (compiling OSCAL's takes a while).
final class SchemaCache: @unchecked Sendable {
    static let shared = SchemaCache()
    private var cache: [String: XMLSchema] = [:]
    private let lock = NSLock()

    func schema(_ name: String) throws -> XMLSchema {
        lock.lock()
        defer { lock.unlock() }
        if let s = cache[name] { return s }
        let s = try XMLSchema(path: ReportResources.path(name))
        cache[name] = s
        return s
    }
}
