import CLibXML2
import Foundation

/// One problem libxml2 reported while parsing or validating a document.
public struct XMLIssue: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String

    public var description: String { "\(file):\(line): \(message)" }
}

/// An XML Schema (XSD) compiled by libxml2, used to validate documents.
///
/// Documents are parsed without network access, without loading external DTDs and without
/// substituting entities, so a hostile pack cannot make validation read other files or the network.
public final class XMLSchema: @unchecked Sendable {
    private let schema: xmlSchemaPtr
    public let path: String

    /// Compiles the schema at `path`; throws with libxml2's messages when it is not a valid XSD.
    public init(path: String) throws(XMLSchemaError) {
        Self.initialize()
        libxml2Lock.lock()
        defer { libxml2Lock.unlock() }
        let issues = IssueCollector(file: path)
        guard let parser = xmlSchemaNewParserCtxt(path) else { throw XMLSchemaError(path: path, issues: []) }
        defer { xmlSchemaFreeParserCtxt(parser) }
        xmlSchemaSetParserStructuredErrors(parser, collectIssue, Unmanaged.passUnretained(issues).toOpaque())
        guard let compiled = xmlSchemaParse(parser) else { throw XMLSchemaError(path: path, issues: issues.issues) }
        schema = compiled
        self.path = path
    }

    deinit {
        libxml2Lock.lock()
        xmlSchemaFree(schema)
        libxml2Lock.unlock()
    }

    /// Validates the document at `document`: an empty array means it is well-formed and valid.
    public func validate(document: String) -> [XMLIssue] {
        libxml2Lock.lock()
        defer { libxml2Lock.unlock() }
        let issues = IssueCollector(file: document)
        let context = Unmanaged.passUnretained(issues).toOpaque()
        guard let parser = xmlNewParserCtxt() else { return [XMLIssue(file: document, line: 0, message: "out of memory")] }
        defer { xmlFreeParserCtxt(parser) }
        xmlSetStructuredErrorFunc(context, collectIssue)
        defer { xmlSetStructuredErrorFunc(nil, nil) }
        let options = Int32(XML_PARSE_NONET.rawValue)
        guard let doc = xmlCtxtReadFile(parser, document, nil, options) else {
            return issues.issues.isEmpty ? [XMLIssue(file: document, line: 0, message: "cannot read or parse the document")] : issues.issues
        }
        defer { xmlFreeDoc(doc) }
        guard let validator = xmlSchemaNewValidCtxt(schema) else { return [XMLIssue(file: document, line: 0, message: "out of memory")] }
        defer { xmlSchemaFreeValidCtxt(validator) }
        xmlSchemaSetValidStructuredErrors(validator, collectIssue, context)
        let rc = xmlSchemaValidateDoc(validator, doc)
        withExtendedLifetime(issues) {}
        if rc != 0 && issues.issues.isEmpty { return [XMLIssue(file: document, line: 0, message: "not valid against \(path) (code \(rc))")] }
        return issues.issues
    }

    private static let once: Void = { xmlInitParser() }()
    private static func initialize() { _ = once }
}

public struct XMLSchemaError: Error, CustomStringConvertible {
    public var path: String
    public var issues: [XMLIssue]
    public var description: String {
        "cannot compile the XML schema \(path)" + (issues.isEmpty ? "" : ": " + issues.prefix(3).map(\.message).joined(separator: "; "))
    }
}

/// libxml2's error callbacks and schema code are used from one thread at a time: validation is
/// rare and small next to reading logs, and concurrent schema work crashed the test runner.
let libxml2Lock = NSLock()

private final class IssueCollector {
    let file: String
    var issues: [XMLIssue] = []
    init(file: String) { self.file = file }
}

/// libxml2's structured error callback: records the message with its line (at most 100 per document).
private let collectIssue: xmlStructuredErrorFunc = { context, error in
    guard let context, let error else { return }
    let collector = Unmanaged<IssueCollector>.fromOpaque(context).takeUnretainedValue()
    guard collector.issues.count < 100 else { return }
    let message = error.pointee.message.map { String(cString: $0) } ?? "unknown error"
    collector.issues.append(XMLIssue(file: collector.file, line: Int(error.pointee.line),
                                     message: String(message.reversed().drop(while: \.isNewline).reversed())))
}
