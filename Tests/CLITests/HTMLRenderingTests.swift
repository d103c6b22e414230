import Foundation
import TestSupport
import Testing

/// The evidence pack's index.html in headless Chromium: hostile log strings in every field render
/// as text, no injected script runs, nothing is fetched, and the page's own script works.
@Suite(.serialized) struct HTMLRenderingTests {
    static let chromium = "/usr/bin/chromium"

    /// Each payload, if it ever ran, would mark <body> with data-pwned.
    static let payloads = [
        "<script>document.body.setAttribute('data-pwned','script')</script>",
        "\"><img src=x onerror=\"document.body.setAttribute('data-pwned','img')\">",
        "'><svg onload=\"document.body.setAttribute('data-pwned','svg')\"></svg>",
        "javascript:document.body.setAttribute('data-pwned','url')",
        "</script><script>document.body.setAttribute('data-pwned','breakout')</script>",
        "<iframe src=\"https://attacker.example/\"></iframe><link rel=stylesheet href=https://attacker.example/x.css>",
        "]]><!-- --><style>body{display:none}</style>",
        "ctl\u{1}\u{7}\u{1B}[31m\u{7F}end",
    ]

    /// CloudTrail and Databricks records with a payload in every field a report shows.
    static func hostileLogs() throws -> URL {
        let dir = try TestPaths.temporaryDirectory("xss-logs")
        var records: [[String: Any]] = []
        for (i, p) in payloads.enumerated() {
            records.append([
                "eventVersion": "1.08", "eventTime": "2026-08-01T10:0\(i):00Z", "eventSource": "s3.amazonaws.com",
                "eventName": "GetObject" + p,
                "eventID": "evt-\(i)-" + p, "awsRegion": "us-east-1", "sourceIPAddress": p, "userAgent": p,
                "errorCode": "AccessDenied",
                "errorMessage": p, "recipientAccountId": "111122223333",
                "userIdentity": [
                    "type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/" + p, "userName": p,
                    "accountId": "111122223333",
                    "principalId": "AIDA" + p,
                ],
                "requestParameters": ["bucketName": p, "key": p],
                "resources": [["ARN": "arn:aws:s3:::" + p, "type": "AWS::S3::Object"]],
            ])
            // The same payloads through the CloudTrail trail tampering rule, so they reach the findings.
            records.append([
                "eventVersion": "1.08", "eventTime": "2026-08-01T11:0\(i):00Z",
                "eventSource": "cloudtrail.amazonaws.com", "eventName": "StopLogging",
                "eventID": "stop-\(i)", "awsRegion": "us-east-1", "sourceIPAddress": p,
                "recipientAccountId": "111122223333",
                "userIdentity": [
                    "type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/" + p, "userName": p,
                    "accountId": "111122223333",
                ],
                "requestParameters": ["name": p],
            ])
        }
        let ct = try JSONSerialization.data(withJSONObject: ["Records": records], options: [.sortedKeys])
        try ct.write(to: dir.appendingPathComponent("111122223333_CloudTrail_us-east-1_20260801T1000Z_hostile.json"))
        var lines = ""
        for (i, p) in payloads.enumerated() {
            let rec: [String: Any] = [
                "version": "2.0", "timestamp": 1_785_578_400_000 + i * 60_000, "workspaceId": p,
                "serviceName": "notebook",
                "actionName": "runCommand" + p, "requestId": "dbx-\(i)" + p, "sourceIPAddress": p, "userAgent": p,
                "userIdentity": ["email": "user\(i)@acme.example" + p],
                "requestParams": ["commandText": p, "notebookId": p],
                "response": ["statusCode": 200],
            ]
            lines +=
                String(decoding: try JSONSerialization.data(withJSONObject: rec, options: [.sortedKeys]), as: UTF8.self)
                + "\n"
        }
        try Data(lines.utf8).write(to: dir.appendingPathComponent("databricks-audit.json"))
        return dir
    }

    /// Runs headless Chromium with no network at all (every host resolves to nothing).
    static func chromium(_ args: [String]) throws -> CommandResult {
        try runProcess(
            URL(fileURLWithPath: chromium),
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-extensions",
                "--host-resolver-rules=MAP * ~NOTFOUND", "--enable-logging=stderr", "--v=0",
                "--user-data-dir=" + (try TestPaths.temporaryDirectory("chromium-profile")).path,
            ] + args)
    }

    @Test func hostileEventsRenderAsTextAndNoScriptRuns() throws {
        #expect(
            FileManager.default.isExecutableFile(atPath: Self.chromium),
            "chromium is installed by `make test` (scripts/install-deps.sh)")
        let logs = try Self.hostileLogs()
        let out = try TestPaths.temporaryDirectory("xss-pack").appendingPathComponent("pack")
        let r = try runCrossTrail(["report", logs.path, "--out", out.path, "--generated-at", "2026-09-01T00:00:00Z"])
        #expect(r.status == 0, "\(r.stderr)")
        let page = out.appendingPathComponent("index.html")
        let html = try String(contentsOf: page, encoding: .utf8)
        for p in Self.payloads { #expect(!html.contains(p), "payload reached the HTML unescaped: \(p)") }

        let dom = try Self.chromium(["--dump-dom", "--virtual-time-budget=5000", page.absoluteString])
        #expect(dom.status == 0, "\(dom.stderr.suffix(2000))")
        let body = try #require(
            dom.stdout.range(of: "<body[^>]*>", options: .regularExpression).map { String(dom.stdout[$0]) })
        #expect(body.contains("data-ready=\"1\""), "the page's own script ran to the end: \(body)")
        #expect(!body.contains("data-pwned"), "an injected script ran: \(body)")
        // The timeline rows were built by the script, and the payloads are there as text.
        #expect(
            dom.stdout.contains(
                "<td>GetObject&lt;script&gt;document.body.setAttribute('data-pwned','script')&lt;/script&gt;</td>"))
        #expect(dom.stdout.contains("&lt;/script&gt;&lt;script&gt;"))
        #expect(!dom.stdout.contains("<iframe") && !dom.stdout.contains("<img src=\"x\""))
        // No console message at all: no error, no CSP violation (nothing tried to run or load).
        #expect(Self.console(dom.stderr).isEmpty, "\(Self.console(dom.stderr))")
        #expect(!dom.stderr.contains("attacker.example"))
    }

    @Test func screenshotShowsTheReport() throws {
        let out = try TestPaths.temporaryDirectory("shot-pack").appendingPathComponent("pack")
        let samples = TestPaths.packageRoot.appendingPathComponent("Samples")
        let r = try runCrossTrail([
            "report", samples.appendingPathComponent("logs").path, "--inventory",
            samples.appendingPathComponent("inventory").path,
            "--out", out.path, "--generated-at", "2026-09-01T00:00:00Z", "-q",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let shot = out.deletingLastPathComponent().appendingPathComponent("shot.png")
        let c = try Self.chromium([
            "--screenshot=" + shot.path, "--window-size=1280,2000", "--hide-scrollbars", "--virtual-time-budget=5000",
            out.appendingPathComponent("index.html").absoluteString,
        ])
        #expect(c.status == 0, "\(c.stderr.suffix(2000))")
        let png = try [UInt8](Data(contentsOf: shot))
        #expect(png.prefix(8) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "a PNG")
        func be32(_ at: Int) -> Int { png[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        #expect(be32(16) == 1280 && be32(20) == 2000, "IHDR size")
        // A blank or error page compresses to a few kilobytes; the report's text, tables and charts do not.
        #expect(png.count > 100_000, "screenshot of \(png.count) bytes looks empty")
        #expect(Self.console(c.stderr).isEmpty, "\(Self.console(c.stderr))")

        // Printed to PDF from the browser: several pages, findings expanded by the print handler.
        let pdf = out.deletingLastPathComponent().appendingPathComponent("report.pdf")
        let printed = try Self.chromium([
            "--print-to-pdf=" + pdf.path, "--no-pdf-header-footer", "--virtual-time-budget=5000",
            out.appendingPathComponent("index.html").absoluteString,
        ])
        #expect(printed.status == 0)
        let doc = try Data(contentsOf: pdf)
        #expect(doc.prefix(5) == Data("%PDF-".utf8))
        let text = String(decoding: doc, as: Unicode.ASCII.self)
        let pages = try NSRegularExpression(pattern: "/Type\\s*/Page[^s]").numberOfMatches(
            in: text, range: NSRange(text.startIndex..., in: text))
        #expect(pages >= 3, "\(pages) pages")
    }

    /// The console messages Chromium logged (errors, CSP violations, anything a script printed).
    static func console(_ log: String) -> [String] {
        log.split(separator: "\n").filter { $0.contains(":CONSOLE") }.map(String.init)
    }

    /// The checks above can fail: markup planted in a copy of the page is caught by the CSP and
    /// shows up in the console log the tests read.
    @Test func plantedMarkupIsBlockedAndDetected() throws {
        let out = try TestPaths.temporaryDirectory("planted").appendingPathComponent("pack")
        let samples = TestPaths.packageRoot.appendingPathComponent("Samples")
        #expect(
            try runCrossTrail(["report", samples.appendingPathComponent("logs").path, "--out", out.path, "-q"]).status
                == 0)
        let page = out.appendingPathComponent("index.html")
        let planted = try String(contentsOf: page, encoding: .utf8).replacingOccurrences(
            of: "<body>",
            with:
                "<body><img src=\"https://attacker.example/x.png\"><script>document.body.setAttribute('data-pwned','1')</script>"
        )
        try planted.write(to: page, atomically: true, encoding: .utf8)
        let dom = try Self.chromium(["--dump-dom", "--virtual-time-budget=3000", page.absoluteString])
        let body = try #require(
            dom.stdout.range(of: "<body[^>]*>", options: .regularExpression).map { String(dom.stdout[$0]) })
        #expect(!body.contains("data-pwned"), "the Content-Security-Policy blocks an inline script it has no hash for")
        #expect(body.contains("data-ready=\"1\""))
        let messages = Self.console(dom.stderr)
        #expect(messages.contains { $0.contains("Content Security Policy") && $0.contains("inline script") })
        #expect(messages.contains { $0.contains("attacker.example") && $0.contains("blocked") })
    }
}
