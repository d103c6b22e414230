import Foundation
import TestSupport
import Testing

/// `crosstrail report`, `verify`, `keygen` and `verify-digests` as users run them.
@Suite struct ReportCLITests {
    static let samples = TestPaths.packageRoot.appendingPathComponent("Samples")
    static var logs: String { samples.appendingPathComponent("logs").path }
    static var inventory: String { samples.appendingPathComponent("inventory").path }
    static var keys: String { samples.appendingPathComponent("keys/cloudtrail-public-keys.json").path }
    static let packFiles = [
        "controls.csv", "evidence.xml", "evidence.xsd", "findings.json", "findings.ocsf.jsonl", "index.html",
        "inputs.json",
        "manifest.json",
        "oscal-assessment-plan.json", "oscal-assessment-results.json", "oscal-assessment-results.xml",
        "oscal-catalog.json", "oscal-ssp.json", "oscal_assessment-results_schema.xsd", "timeline.jsonl",
    ]

    static func report(_ out: URL, _ extra: [String] = []) throws -> CommandResult {
        try runCrossTrail(
            [
                "report", logs, "--inventory", inventory, "--period", "2026-08", "--out", out.path,
                "--generated-at", "2026-09-01T00:00:00Z", "--public-keys", keys,
            ] + extra)
    }

    static func files(_ dir: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
    }

    @Test func samplesPackIsCompleteAndVerifies() throws {
        let dir = try TestPaths.temporaryDirectory("pack")
        let out = dir.appendingPathComponent("evidence-2026-08")
        let r = try Self.report(out)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try Self.files(out) == Self.packFiles)
        #expect(r.stderr.contains("records read 4138 = timeline 4038 + filtered 0 + rejected 0 + duplicates 100"))
        #expect(r.stderr.contains("evidence pack"))
        // Nothing left behind next to the pack.
        #expect(try Self.files(dir) == ["evidence-2026-08"])

        let timeline = try String(contentsOf: out.appendingPathComponent("timeline.jsonl"), encoding: .utf8)
        #expect(timeline.split(separator: "\n").count == 4038)
        let evidence = try String(contentsOf: out.appendingPathComponent("evidence.xml"), encoding: .utf8)
        #expect(
            evidence.contains(
                "<period end=\"2026-09-01T00:00:00.000Z\" label=\"2026-08\" start=\"2026-08-01T00:00:00.000Z\"/>"))
        #expect(evidence.contains("<integrity digest-files=\"8\" log-files=\"31\" verified=\"31\">"))
        // Digest validation is the evidence for PCI DSS 10.3.4: satisfied with an intact chain.
        #expect(evidence.contains("<control id=\"10.3.4\" in-catalog=\"true\" status=\"satisfied\">"))
        #expect(evidence.contains("<control id=\"7.2.1\" in-catalog=\"true\" status=\"not-satisfied\">"))
        let oscal = try String(contentsOf: out.appendingPathComponent("oscal-assessment-results.xml"), encoding: .utf8)
        #expect(oscal.contains("<include-control control-id=\"pcidss-10.3.4\"/>"))
        #expect(
            oscal.contains("<status reason=\"fail\" state=\"not-satisfied\">")
                && oscal.contains("<status reason=\"pass\" state=\"satisfied\">"))
        // Findings under a control show their severity, rule and confidence.
        let page = try String(contentsOf: out.appendingPathComponent("index.html"), encoding: .utf8)
        #expect(page.contains("(critical, cross-plane-instance-profile, confidence high)"))
        #expect(page.contains("checks ran (Sigma rules, correlations and built-in detections)"))
        // The Samples cover 2 days of August: no logging control is satisfied for the month.
        #expect(evidence.contains("<control id=\"AU-12\" in-catalog=\"true\" status=\"not-satisfied\">"))
        #expect(evidence.contains("silent 2026-08-03 to 2026-08-31 (29 days)"))
        let inputs = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("inputs.json")))
                as? [[String: Any]])
        // Every file under the logs (digests and their signatures included) and the 8 inventory files.
        let logFiles = try FileManager.default.subpathsOfDirectory(atPath: Self.logs)
            .filter {
                var d: ObjCBool = false;
                return FileManager.default.fileExists(atPath: Self.logs + "/" + $0, isDirectory: &d) && !d.boolValue
            }
        #expect(inputs.count == logFiles.count + 8)
        #expect(Set(inputs.compactMap { $0["path"] as? String }).isSuperset(of: logFiles.map { Self.logs + "/" + $0 }))
        #expect(inputs.allSatisfy { ($0["sha256"] as? String)?.count == 64 })

        let v = try runCrossTrail(["verify", out.path])
        #expect(v.status == 0, "\(v.stdout)")
        #expect(v.stdout.contains("files: 14 of 14 match the manifest"))

        // The findings as OCSF Detection Findings validate strictly.
        let ocsf = try OutputFormatsCLITests.validate(
            "ocsf-1.6.0", ["--expect-classes", "2004", out.appendingPathComponent("findings.ocsf.jsonl").path])
        #expect(ocsf.status == 0, "\(ocsf.stdout)\(ocsf.stderr)")

        // OSCAL 1.2.3 JSON: each document valid against NIST's schema, each import resolving in the
        // pack (results → plan → system → catalog), every reviewed control in the pack's catalog.
        let validator = TestPaths.packageRoot.appendingPathComponent("Tests/Fixtures/oscal-1.2.3/validate.py").path
        let valid = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", validator, out.path])
        #expect(valid.status == 0, "\(valid.stdout)\(valid.stderr)")
        #expect(valid.stdout.contains("oscal-assessment-results.json: valid"))
        #expect(valid.stdout.contains("links to 4 hashed pack files"), "\(valid.stdout)")
        // The validator is not a rubber stamp: a version-1 UUID and a dangling import fail it.
        let bad = dir.appendingPathComponent("tampered")
        try FileManager.default.copyItem(at: out, to: bad)
        let results = bad.appendingPathComponent("oscal-assessment-results.json")
        var text = try String(contentsOf: results, encoding: .utf8)
        let firstUUID = try #require(text.firstMatch(of: try Regex("[0-9a-f]{8}-[0-9a-f]{4}-5")))
        text.replaceSubrange(firstUUID.range, with: String(text[firstUUID.range].dropLast()) + "1")
        text = text.replacingOccurrences(of: "\"oscal-assessment-plan.json\"", with: "\"plan-elsewhere.json\"")
        try text.write(to: results, atomically: true, encoding: .utf8)
        let rejected = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", validator, bad.path])
        #expect(rejected.status == 1)
        #expect(rejected.stdout.contains("oscal-assessment-results.json: 2 problems"), "\(rejected.stdout)")
        #expect(rejected.stdout.contains("import-ap 'plan-elsewhere.json' does not resolve"))

        // compliance-trestle (installed by `make test-setup`) loads all four in its strict models,
        // and rejects the tampered results.
        let trestle = TestPaths.packageRoot.appendingPathComponent(".build-python/trestle").path
        try #require(
            FileManager.default.fileExists(atPath: trestle + "/trestle"),
            "compliance-trestle is not installed in \(trestle): run `make test-setup`")
        let loader = TestPaths.packageRoot.appendingPathComponent("Tests/Fixtures/oscal-1.2.3/trestle_load.py").path
        let loaded = try runProcess(
            URL(fileURLWithPath: "/usr/bin/env"), ["python3", loader, out.path], environment: ["PYTHONPATH": trestle])
        #expect(loaded.status == 0, "\(loaded.stdout)\(loaded.stderr)")
        #expect(loaded.stdout.components(separatedBy: " loaded").count - 1 == 4, "\(loaded.stdout)")
        let refused = try runProcess(
            URL(fileURLWithPath: "/usr/bin/env"), ["python3", loader, bad.path], environment: ["PYTHONPATH": trestle])
        #expect(refused.status == 1 && refused.stdout.contains("oscal-assessment-results.json rejected"))
        #expect(v.stdout.contains("OK: the pack is intact"))
    }

    @Test func samePacksAreByteIdentical() throws {
        let dir = try TestPaths.temporaryDirectory("determinism")
        let a = dir.appendingPathComponent("a"), b = dir.appendingPathComponent("b")
        #expect(try Self.report(a).status == 0)
        #expect(try Self.report(b, ["--workers", "1"]).status == 0)
        for f in Self.packFiles {
            let x = try Data(contentsOf: a.appendingPathComponent(f)),
                y = try Data(contentsOf: b.appendingPathComponent(f))
            // The command line differs (paths, --workers): only it may differ, and only where it is recorded.
            if x != y {
                let sx = String(decoding: x, as: UTF8.self).replacingOccurrences(of: a.path, with: "OUT")
                    .replacingOccurrences(of: " --workers 1", with: "")
                let sy = String(decoding: y, as: UTF8.self).replacingOccurrences(of: b.path, with: "OUT")
                    .replacingOccurrences(of: " --workers 1", with: "")
                // The OSCAL results hold evidence.xml's SHA-256, which changes with the recorded command.
                #expect(
                    sx == sy || f == "manifest.json" || f == "index.html" || f == "evidence.xml"
                        || f == "oscal-assessment-results.json",
                    "\(f) differs beyond the command line")
            }
        }
        // Same command line → byte-identical pack, manifest included.
        let c = dir.appendingPathComponent("c")
        try FileManager.default.moveItem(at: a, to: c)
        #expect(try Self.report(a).status == 0)
        for f in Self.packFiles {
            #expect(
                try Data(contentsOf: a.appendingPathComponent(f)) == Data(contentsOf: c.appendingPathComponent(f)),
                "\(f) not reproducible")
        }
    }

    @Test func verifyNamesEveryChangedFile() throws {
        let dir = try TestPaths.temporaryDirectory("tamper")
        let out = dir.appendingPathComponent("pack")
        #expect(try Self.report(out).status == 0)
        // Edit one finding's severity in findings.json, break OSCAL's structure, remove inputs.json, add a file.
        let findings = out.appendingPathComponent("findings.json")
        let text = try String(contentsOf: findings, encoding: .utf8)
        try text.replacingOccurrences(of: "\"severity\":\"critical\"", with: "\"severity\":\"low\"").write(
            to: findings, atomically: true, encoding: .utf8)
        let oscal = out.appendingPathComponent("oscal-assessment-results.xml")
        try String(contentsOf: oscal, encoding: .utf8).replacingOccurrences(
            of: "<import-ap href=", with: "<import-plan href="
        )
        .write(to: oscal, atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(at: out.appendingPathComponent("inputs.json"))
        try Data("x".utf8).write(to: out.appendingPathComponent("notes.txt"))
        let v = try runCrossTrail(["verify", out.path])
        #expect(v.status == 1)
        #expect(v.stdout.contains("FAIL findings.json: modified"))
        #expect(v.stdout.contains("FAIL oscal-assessment-results.xml: modified"))
        #expect(v.stdout.contains("FAIL inputs.json: missing"))
        #expect(v.stdout.contains("FAIL notes.txt: not in the manifest"))
        #expect(v.stdout.contains("FAIL schema: oscal-assessment-results.xml:"))
        #expect(!v.stdout.contains("FAIL evidence.xml"), "untouched files pass")
        #expect(v.stdout.contains("FAILED: "))
    }

    @Test func signedPacks() throws {
        let dir = try TestPaths.temporaryDirectory("signed")
        let key = dir.appendingPathComponent("signing.pem")
        let k = try runCrossTrail(["keygen", "--out", key.path])
        #expect(k.status == 0, "\(k.stderr)")
        let attrs = try FileManager.default.attributesOfItem(atPath: key.path)
        #expect((attrs[.posixPermissions] as? Int) == 0o600)
        #expect(try runCrossTrail(["keygen", "--out", key.path]).status != 0, "never overwrites a key")

        let out = dir.appendingPathComponent("pack")
        let r = try Self.report(out, ["--sign", key.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("signed by SHA256:"))
        let pub = dir.appendingPathComponent("signing.pub").path
        let trusted = try runCrossTrail(["verify", out.path, "--trusted-key", pub])
        #expect(
            trusted.status == 0 && trusted.stdout.contains("signature: valid, trusted key SHA256:"), "\(trusted.stdout)"
        )
        let untrusted = try runCrossTrail(["verify", out.path])
        #expect(untrusted.status == 0 && untrusted.stdout.contains("not checked against a trusted key"))
        #expect(try runCrossTrail(["verify", out.path, "--require-signature"]).status == 1)

        // Another key is not trusted, even though the pack's own key verifies.
        let other = dir.appendingPathComponent("other.pem")
        #expect(try runCrossTrail(["keygen", "--out", other.path]).status == 0)
        let wrong = try runCrossTrail([
            "verify", out.path, "--trusted-key", dir.appendingPathComponent("other.pub").path,
        ])
        #expect(wrong.status == 1 && wrong.stdout.contains("does not verify with the trusted key"))

        // Re-hashing a changed file into the manifest breaks the signature.
        let manifest = out.appendingPathComponent("manifest.json")
        let m = try String(contentsOf: manifest, encoding: .utf8)
        try m.replacingOccurrences(of: "\"period\" : \"2026-08\"", with: "\"period\" : \"2026-07\"").write(
            to: manifest, atomically: true, encoding: .utf8)
        let forged = try runCrossTrail(["verify", out.path, "--trusted-key", pub])
        #expect(forged.status == 1 && forged.stdout.contains("manifest.sig"))
    }

    @Test func opensslKeysWork() throws {
        let dir = try TestPaths.temporaryDirectory("openssl")
        let key = dir.appendingPathComponent("k.pem").path, pub = dir.appendingPathComponent("k.pub").path
        for args in [["genpkey", "-algorithm", "ed25519", "-out", key], ["pkey", "-in", key, "-pubout", "-out", pub]] {
            let p = try runProcess(URL(fileURLWithPath: "/usr/bin/openssl"), args)
            #expect(p.status == 0, "\(p.stderr)")
        }
        let out = dir.appendingPathComponent("pack")
        #expect(try Self.report(out, ["--sign", key]).status == 0)
        let v = try runCrossTrail(["verify", out.path, "--trusted-key", pub])
        #expect(v.status == 0, "\(v.stdout)")
        // And OpenSSL verifies crosstrail's signature over the manifest with the same public key.
        let sig = try #require(
            Data(
                base64Encoded: String(contentsOf: out.appendingPathComponent("manifest.sig"), encoding: .utf8)
                    .trimmingCharacters(in: .whitespacesAndNewlines)))
        try sig.write(to: dir.appendingPathComponent("sig.bin"))
        let p = try runProcess(
            URL(fileURLWithPath: "/usr/bin/openssl"),
            [
                "pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin", "-in",
                out.appendingPathComponent("manifest.json").path,
                "-sigfile", dir.appendingPathComponent("sig.bin").path,
            ])
        #expect(p.status == 0, "openssl rejects the signature: \(p.stderr)")
    }

    @Test func existingOutputIsNeverHalfReplaced() throws {
        let dir = try TestPaths.temporaryDirectory("exists")
        let out = dir.appendingPathComponent("pack")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: out.appendingPathComponent("mine.txt"))
        let r = try Self.report(out)
        #expect(r.status == 2 && r.stderr.contains("already exists"))
        #expect(try Self.files(out) == ["mine.txt"])
        // Bad options fail before anything is written.
        #expect(
            try runCrossTrail([
                "report", Self.logs, "--out", dir.appendingPathComponent("p2").path, "--period", "2026Q9",
            ]).status == 2)
        #expect(
            try runCrossTrail([
                "report", Self.logs, "--out", dir.appendingPathComponent("p3").path, "--framework", "cobit",
            ]).status == 2)
        #expect(
            try runCrossTrail([
                "report", Self.logs, "--out", dir.appendingPathComponent("p4").path, "--sign", "/nonexistent.pem",
            ]).status == 4)
        #expect(try Self.files(dir) == ["pack"])
        // --force replaces it whole.
        #expect(try Self.report(out, ["--force"]).status == 0)
        #expect(try Self.files(out) == Self.packFiles)
    }

    @Test func interruptedReportLeavesNothing() throws {
        let dir = try TestPaths.temporaryDirectory("interrupt")
        let out = dir.appendingPathComponent("pack")
        let p = Process()
        p.executableURL = TestPaths.executable
        p.arguments = ["report", Self.logs, "--inventory", Self.inventory, "--out", out.path, "-q"]
        p.standardError = Pipe()
        try p.run()
        // Wait until the staging folder appears, then interrupt.
        var waited = 0
        while waited < 200, (try? Self.files(dir))?.isEmpty ?? true { usleep(10_000); waited += 1 }
        p.interrupt()
        p.waitUntilExit()
        if p.terminationStatus == 130 {
            #expect(try Self.files(dir).isEmpty, "an interrupted run leaves no pack and no staging folder")
        } else {
            // The run finished before the signal arrived: then the pack is complete.
            #expect(p.terminationStatus == 0)
            #expect(try Self.files(out) == Self.packFiles)
        }
    }

    @Test func zippedPacks() throws {
        let dir = try TestPaths.temporaryDirectory("zip")
        let out = dir.appendingPathComponent("pack")
        #expect(try Self.report(out, ["--zip"]).status == 0)
        let zip = dir.appendingPathComponent("pack.zip").path
        // Python's zipfile checks every entry's CRC-32 and lists the names.
        let (rc, listing) = try runPython(
            "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(' '.join(sorted(z.namelist())))",
            [zip])
        #expect(rc == 0, "\(listing)")
        #expect(
            listing.trimmingCharacters(in: .whitespacesAndNewlines)
                == Self.packFiles.map { "pack/" + $0 }.joined(separator: " "))
        let v = try runCrossTrail(["verify", zip])
        #expect(v.status == 0 && v.stdout.contains("OK: the pack is intact"), "\(v.stdout)")

        // A flipped byte in the middle of the archive is caught (CRC or hash), never accepted.
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: zip)))
        bytes[bytes.count / 2] ^= 0xFF
        let bad = dir.appendingPathComponent("bad.zip").path
        try Data(bytes).write(to: URL(fileURLWithPath: bad))
        let vb = try runCrossTrail(["verify", bad])
        #expect(vb.status == 1 && vb.stdout.contains("FAIL"))

        // An entry that climbs out of the folder is refused before anything is written.
        let evil = dir.appendingPathComponent("evil.zip").path
        let (erc, _) = try runPython(
            "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1],'w'); z.writestr('pack/../../escaped.txt','x'); z.close()",
            [evil])
        #expect(erc == 0)
        let ve = try runCrossTrail(["verify", evil])
        #expect(ve.status == 1 && ve.stdout.contains("unsafe path"))
        #expect(
            !FileManager.default.fileExists(
                atPath: dir.deletingLastPathComponent().appendingPathComponent("escaped.txt").path))
    }

    /// ZIPs that different tools read differently are refused: a repeated entry name (also in
    /// another case), a local header naming another file than the directory, bytes no entry
    /// accounts for (a hidden entry), a name that is a file and a folder. Archives re-made by
    /// other tools (folder entries, data descriptors) still verify.
    @Test func ambiguousZipsAreRefused() throws {
        let dir = try TestPaths.temporaryDirectory("zip-ambiguous")
        let out = dir.appendingPathComponent("pack")
        #expect(try Self.report(out, ["--zip"]).status == 0)
        let zip = dir.appendingPathComponent("pack.zip").path
        let script = #"""
            import io, struct, sys, zipfile
            src, dst, kind = sys.argv[1], sys.argv[2], sys.argv[3]
            good = zipfile.ZipFile(src)
            names = good.namelist()
            def copy(z, skip=()):
                for n in names:
                    if n not in skip:
                        z.writestr(n, good.read(n))
            if kind in ("duplicate", "case", "both"):
                with zipfile.ZipFile(dst, "w") as z:
                    copy(z)
                    forged = {"duplicate": "pack/findings.json", "case": "pack/FINDINGS.json", "both": "pack/findings.json/x"}[kind]
                    z.writestr(forged, b"[]")
            elif kind == "local-name":
                data = bytearray(open(src, "rb").read())
                i = data.index(b"pack/findings.json")  # the first occurrence is a local header
                data[i + 5] = ord("F")
                open(dst, "wb").write(bytes(data))
            elif kind == "hidden":
                data = bytearray(open(src, "rb").read())
                eocd = data.rindex(b"PK\x05\x06")
                cd = struct.unpack("<I", data[eocd + 16:eocd + 20])[0]
                junk = b"PK\x03\x04" + b"\x00" * 26 + b"hidden entry"
                data[cd:cd] = junk
                eocd += len(junk)
                data[eocd + 16:eocd + 20] = struct.pack("<I", cd + len(junk))
                open(dst, "wb").write(bytes(data))
            elif kind == "folders":
                with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
                    z.writestr(zipfile.ZipInfo("pack/"), b"")
                    copy(z)
            elif kind == "descriptors":
                class Unseekable(io.RawIOBase):
                    def __init__(self, f): self.f = f
                    def writable(self): return True
                    def write(self, b): return self.f.write(b)
                with open(dst, "wb") as f, zipfile.ZipFile(Unseekable(f), "w", zipfile.ZIP_DEFLATED) as z:
                    copy(z)
            """#
        let cases: [(kind: String, refused: String?)] = [
            ("duplicate", "appears twice"), ("case", "appears twice"), ("both", "is both a file and a folder"),
            ("local-name", "another name in its local header"), ("hidden", "belong to no listed entry"),
            ("folders", nil), ("descriptors", nil),
        ]
        for c in cases {
            let target = dir.appendingPathComponent(c.kind + ".zip").path
            let (rc, output) = try runPython(script, [zip, target, c.kind])
            #expect(rc == 0, "\(c.kind): \(output)")
            let v = try runCrossTrail(["verify", target])
            if let refused = c.refused {
                #expect(v.status == 1 && v.stdout.contains(refused), "\(c.kind): \(v.stdout)")
                #expect(!v.stdout.contains("OK: the pack is intact"))
            } else {
                #expect(v.status == 0 && v.stdout.contains("OK: the pack is intact"), "\(c.kind): \(v.stdout)")
            }
        }
    }

    /// A signed pack whose signature files were removed is not intact: the manifest still names
    /// its signer. A signature by another key than the one named is reported too.
    @Test func removedSignaturesAreNamed() throws {
        let dir = try TestPaths.temporaryDirectory("sig-removed")
        let key = dir.appendingPathComponent("k.pem").path
        #expect(try runCrossTrail(["keygen", "--out", key]).status == 0)
        let out = dir.appendingPathComponent("pack")
        #expect(try Self.report(out, ["--sign", key]).status == 0)
        #expect(try runCrossTrail(["verify", out.path]).status == 0)
        try FileManager.default.removeItem(at: out.appendingPathComponent("manifest.sig"))
        let v = try runCrossTrail(["verify", out.path])
        #expect(v.status == 1 && v.stdout.contains("the signature was removed"), "\(v.stdout)")
        #expect(!v.stdout.contains("OK: the pack is intact"))
    }

    @Test func digestsVerifyAndTamperingIsNamed() throws {
        let ok = try runCrossTrail(["verify-digests", Self.logs, "--public-keys", Self.keys])
        #expect(ok.status == 0, "\(ok.stdout)")
        #expect(
            ok.stdout.contains("8 digest files (8 signatures verified), 31 log files listed, 31 verified; 0 problems"))

        let dir = try TestPaths.temporaryDirectory("digest-tamper")
        let copy = dir.appendingPathComponent("logs")
        try FileManager.default.copyItem(atPath: Self.logs, toPath: copy.path)
        let region = copy.appendingPathComponent("AWSLogs/111122223333/CloudTrail/us-east-1/2026/08/01")
        let victim = try #require(try Self.files(region).first)
        try Data([0x1f, 0x8b, 0, 0]).write(to: region.appendingPathComponent(victim))
        let r = try runCrossTrail(["verify-digests", copy.path, "--public-keys", Self.keys, "--format", "json"])
        #expect(r.status == 1)
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let problems = try #require(doc["problems"] as? [[String: Any]])
        #expect(problems.count == 1)
        #expect(problems.first?["kind"] as? String == "modified")
        #expect((problems.first?["file"] as? String)?.hasSuffix(victim) == true)

        #expect(try runCrossTrail(["verify-digests", Self.logs]).status == 2, "keys are required")
        let noDigests = try runCrossTrail(["verify-digests", Self.inventory, "--public-keys", Self.keys])
        #expect(noDigests.status == 1 && noDigests.stdout.contains("no CloudTrail digest files"))
    }

    /// AWS's own validator (the AWS CLI's, in Python) accepts the digests crosstrail writes and
    /// checks: the signing string and key format are the real ones.
    @Test func awsCLIValidatorAcceptsTheSampleChain() throws {
        let script = """
            import glob, gzip, json, sys
            from awscli.customizations.cloudtrail.validation import Sha256RSADigestValidator
            keys = json.load(open(sys.argv[1]))['PublicKeyList']
            n = 0
            for f in sorted(glob.glob(sys.argv[2] + '/AWSLogs/*/CloudTrail-Digest/*/*/*/*/*.json.gz')):
                raw = gzip.open(f).read(); d = json.loads(raw)
                meta = json.load(open(f + '.s3meta.json'))['metadata']
                d['_signature'] = meta['signature']; d['_signature_algorithm'] = meta['signature-algorithm']
                Sha256RSADigestValidator().validate(d['digestS3Bucket'], d['digestS3Object'], keys[0]['Value'], d, raw)
                n += 1
            print(n)
            """
        let p = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script, Self.keys, Self.logs])
        #expect(p.status == 0, "\(p.stderr)")
        #expect(p.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "8")
    }
}
