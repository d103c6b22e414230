import CrossTrailIngest
import Foundation
import TestSupport
import Testing

@testable import CrossTrailRules

/// The YAML constructs whose cost explodes in the YAML library (collections and aliases as mapping
/// keys) are refused with their line before it parses; every real rule and classification file passes.
@Suite struct YAMLGuardTests {
    @Test func collectionAndAliasKeysAreRefusedWithTheirLine() throws {
        let cases: [(String, Int, String)] = [
            ("title: t\n? [a]\n: b\n", 2, "explicit ('? ') mapping keys"),
            ("a:\n  - x\n  - [1, 2]: y\n", 3, "flow collection"),
            ("detection:\n  {a: 1}: x\n", 2, "flow collection"),
            ("m: {[a]: 1}\n", 1, "flow collection"),
            ("base: &b x\n*b : y\n", 2, "alias ('*name') as a mapping key"),
            ("m: {*b : 1}\n", 1, "alias ('*name') as a mapping key"),
            ("--- \n&k [a]: b\n", 2, "flow collection"),
        ]
        for (yaml, line, reason) in cases {
            let refused = try #require(YAMLGuard.check(yaml), "\(yaml)")
            #expect(refused.line == line, "\(yaml)")
            #expect(refused.reason.contains(reason), "\(refused.reason)")
        }
        // Through the rule loader: an error naming the file and line, no rule.
        let (rules, errors) = RuleLoader.load(
            yaml: "title: t\nlogsource: {product: aws}\ndetection:\n  ? sel\n  : {eventName: x}\n  condition: sel\n",
            file: "r.yml")
        #expect(rules.isEmpty)
        #expect(errors.map(\.description) == ["r.yml:4: explicit ('? ') mapping keys are not supported"])
    }

    @Test func explodingDocumentsAreRefusedBeforeParsing() throws {
        // An alias of an anchor doubled forty times, used as a key: hashing it never finished.
        var bomb = ["a0: &a0 [x, x]"]
        for i in 1..<40 { bomb.append("a\(i): &a\(i) [*a\(i - 1), *a\(i - 1)]") }
        bomb.append("m: {*a39 : 1}")
        #expect(try #require(YAMLGuard.check(bomb.joined(separator: "\n"))).line == 41)
        // Nested complex keys that repeat: the input fuzzing found (4 KB, minutes under the fuzzer)
        // and sixteen copies of it (hours in a release build).
        let found = try String(
            contentsOf: TestPaths.packageRoot.appendingPathComponent(
                "Tests/FuzzRegressions/classification/timeout-7da9468b55ef749f18ca3c540a5a3a651ac5af79"),
            encoding: .isoLatin1)
        #expect(try #require(YAMLGuard.check(found)).line == 1)
        #expect(try #require(YAMLGuard.check(String(repeating: found, count: 16))).line == 1)
        let (_, errors) = RuleLoader.load(yaml: String(repeating: found, count: 16), file: "found.yml")
        #expect(errors.first?.line == 1)
        // The YAML library quotes whole lines in its errors: they are shortened.
        let long = String(repeating: "x", count: 100_000)
        let (_, invalid) = RuleLoader.load(yaml: "a: [" + long, file: "long.yml")
        #expect(invalid.count == 1 && invalid[0].reason.count < 400, "\(invalid.first?.reason.count ?? 0)")
    }

    @Test func ordinaryYAMLPasses() throws {
        let fine = [
            // `?`, `[`, `{`, `*` and `:` inside scalars, comments, quotes and block scalars.
            "title: Is it? yes\ndescription: |\n  ? not a key\n  [a]: not a key\n  *x : not a key\nlevel: high\n",
            "description: >-\n    folded ? text\n    {a: 1}: still text\nnext: 1\n",
            "- 'it''s [a]: quoted'\n- \"escaped \\\" {b}: too\"\n- plain with a[0]: inside\n",
            "a: 1 # comment with ? [x]: y\n# whole-line comment: *a : b\n",
            // Anchors, aliases and merge keys as values; flow collections as values; documents.
            "base: &base {product: aws, service: cloudtrail}\nlogsource:\n  <<: *base\ngroups: &g [pii-readers, admins]\nother: *g\n",
            "---\nurls: [s3://bucket/prefix/, 'https://x.example/a?b=c']\n...\n---\nnested: [[1, 2], {a: [3]}]\n",
            "fields:\n  - eventName|contains: Delete\n  - '|all': x\n  - -1\n  - -x\n",
        ]
        for yaml in fine { #expect(YAMLGuard.check(yaml) == nil, "\(yaml)") }
    }

    @Test func everyRuleAndClassificationFileInTheRepositoryPasses() throws {
        let root = TestPaths.packageRoot
        var checked = 0
        for dir in ["Tests", "Samples", "Sources", "Reports"] {
            guard
                let e = FileManager.default.enumerator(
                    at: root.appendingPathComponent(dir), includingPropertiesForKeys: nil)
            else { continue }
            for case let url as URL in e where ["yml", "yaml"].contains(url.pathExtension) {
                let text = try String(contentsOf: url, encoding: .utf8)
                #expect(YAMLGuard.check(text) == nil, "\(url.path): \(YAMLGuard.check(text)?.reason ?? "")")
                checked += 1
            }
        }
        #expect(checked >= 59, "the SigmaHQ rules, the control catalog and the Samples classification")
        // The built-in rules go through the same loader.
        #expect(RuleSet.load().errors.isEmpty)
    }
}
