import CrossTrailFetch
import CrossTrailHTTP
import CrossTrailIngest
import CrossTrailInventory
import CrossTrailModel
import CrossTrailReport
import CrossTrailRules
import CrossTrailXML
import Foundation

/// The parsers crosstrail runs on untrusted bytes, each as a function of one input: the libFuzzer
/// harness (Fuzz/) calls them, and the test suite runs them over the seed corpus and every input
/// that once crashed (Tests/FuzzRegressions/). A harness returns normally whatever the input; crashes,
/// hangs and memory errors are the bugs.
public enum FuzzTargets {
    public static let names = [
        "ingest", "record", "csv", "json", "sigma", "policy", "xml", "inventory", "classification", "time",
        "dupkeys", "zip", "url",
    ]

    /// Runs the harness `name` on `data`.
    public static func run(_ name: String, _ data: [UInt8]) {
        switch name {
        case "ingest": ingest(data)
        case "record": _ = RecordNormalizer().normalize(String(decoding: data, as: UTF8.self))
        case "csv": _ = JSON.csvRows(data)
        case "json": _ = try? JSONDocumentReader(maxDepth: 256).parse(data)
        case "sigma":
            let (rules, _) = RuleLoader.load(yaml: String(decoding: data, as: UTF8.self), file: "fuzz.yml")
            // Compiled rules must also evaluate safely on an event.
            if !rules.isEmpty { RuleMatcher(RuleSet(rulesForTesting: rules)).evaluate(sampleEvent) }
        case "policy":
            if let doc = try? JSONDocumentReader(maxDepth: 256).parse(data) {
                _ = try? PolicyDocument.statements(from: doc, source: PolicyRef(kind: .inline, name: "fuzz"))
            }
        case "xml":
            if let node = try? XMLNode.parse(data, source: "fuzz.xml") { _ = QueryXML.value(node) }
        case "inventory": inventory(data, name: "export.json")
        case "classification": inventory(data, name: "classification.yaml")
        case "time": time(String(decoding: data, as: UTF8.self))
        case "dupkeys":
            // The input twice as repeated top-level arrays: every repeated-key path of the readers.
            ingest(Array(#"{"Records":"#.utf8) + data + Array(#","Records":"#.utf8) + data + Array("}".utf8))
        case "zip": zip(data)
        case "url": url(String(decoding: data, as: UTF8.self))
        default: fatalError("unknown fuzz target \(name); one of \(names.joined(separator: ", "))")
        }
    }

    /// Event times in every form the readers take: ISO text, and epoch milliseconds as digits, in
    /// CloudTrail and Databricks records (range checks, impossible dates, offsets).
    static func time(_ text: String) {
        _ = Timestamp(iso: text)
        let quoted = String(decoding: (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8), as: UTF8.self)
        let normalizer = RecordNormalizer()
        _ = normalizer.normalize(
            #"{"eventVersion":"1.08","eventTime":\#(quoted),"eventSource":"s3.amazonaws.com","eventName":"GetObject","eventID":"t"}"#
        )
        if text.allSatisfy({ $0.isNumber || $0 == "-" }) && !text.isEmpty && text.count < 40 {
            _ = normalizer.normalize(
                #"{"version":"2.0","timestamp":\#(text),"serviceName":"clusters","actionName":"create","requestId":"r"}"#
            )
        }
        _ = normalizer.normalize(
            #"{"version":"2.0","timestamp":\#(quoted),"serviceName":"clusters","actionName":"create","requestId":"r"}"#)
    }

    /// `crosstrail verify PACK.zip`'s reader: refuses what it must, never writes outside its folder.
    static func zip(_ data: [UInt8]) {
        let path = scratch + "/input.zip", into = scratch + "/unzipped"
        guard FileManager.default.createFile(atPath: path, contents: Data(data)) else { return }
        try? FileManager.default.removeItem(atPath: into)
        try? FileManager.default.createDirectory(atPath: into, withIntermediateDirectories: true)
        _ = try? PackZip.extract(path, into: into)
        try? FileManager.default.removeItem(atPath: into)
    }

    /// Links from API responses: the same-origin check a token depends on, and the redaction of
    /// URLs and free text for the manifest and the outputs.
    static func url(_ text: String) {
        if let o = Origin(text), let host = Origin("https://workspace.example") {
            // Nothing that is not exactly the workspace's origin may pass.
            if o == host, !text.lowercased().hasPrefix("https://workspace.example") {
                fatalError("a link to another origin passed as the workspace: \(text.debugDescription)")
            }
        }
        _ = HTTPRequest.redact(text)
        _ = Redactor.redactText(text)
    }

    /// A scratch folder per process (tmpfs when available): file-based parsers read real files.
    static let scratch: String = {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let dir = base + "/crosstrail-fuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }()

    /// Every input format the log readers detect, through the real file path: gzip detection,
    /// JSON documents, JSON lines, CSV, record normalization and filtering.
    static func ingest(_ data: [UInt8]) {
        let path = scratch + "/input"
        guard FileManager.default.createFile(atPath: path, contents: Data(data)) else { return }
        let stats = reader.read(Ingestor.InputFile(path: path, display: "input"), into: Discard())
        // The accounting invariant holds for every input.
        if !stats.reconciles {
            fatalError(
                "records do not add up: \(stats.recordsRead) read, \(stats.accepted)+\(stats.filtered)+\(stats.rejected)+\(stats.duplicates)"
            )
        }
    }

    /// One reader for every input (its buffers and parser are reused, as across a real run's files).
    nonisolated(unsafe) static let reader: SerialReader = {
        var limits = IngestLimits()
        limits.maxFileBytes = 8 << 20
        limits.maxRecordBytes = 1 << 20
        limits.maxDepth = 256
        return SerialReader(limits: limits)
    }()

    static func inventory(_ data: [UInt8], name: String) {
        let dir = scratch + "/inventory"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/" + name
        guard FileManager.default.createFile(atPath: path, contents: Data(data)) else { return }
        if name.hasSuffix(".yaml") {
            _ = Inventory.load(paths: [], classificationFile: path)
        } else {
            _ = Inventory.load(paths: [path])
        }
    }

    static let sampleEvent: AuditEvent = {
        var a = Actor(kind: .iamUser, key: "arn:aws:iam::1:user/u", displayName: "u")
        a.arn = "arn:aws:iam::1:user/u"
        var e = AuditEvent(
            id: "e", time: Timestamp(millis: 0), plane: .aws, service: "s3", action: "GetObject",
            outcome: Outcome(status: .success), actor: a, format: .cloudtrailDelivery,
            provenance: Provenance(file: "f", line: 1, offset: 0, sha256: ""))
        e.requestParameters = #"{"bucketName":"b","key":"k"}"#
        e.sourceIPAddress = "198.51.100.1"
        return e
    }()

    final class Discard: EventSink {
        func accept(_ e: AuditEvent) {}
    }
}
