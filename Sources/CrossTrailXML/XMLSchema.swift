import CLibXML2

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
    private let schema: OpaquePointer
    public let path: String

    /// Compiles the schema at `path`; throws with libxml2's messages when it is not a valid XSD.
    public init(path: String) throws(XMLSchemaError) {
        let issues = IssueCollector(file: path)
        guard
            let compiled = withExtendedLifetime(
                issues, { cx_schema_load(path, collectIssue, Unmanaged.passUnretained(issues).toOpaque()) })
        else {
            throw XMLSchemaError(path: path, issues: issues.issues)
        }
        schema = compiled
        self.path = path
    }

    deinit { cx_schema_free(schema) }

    /// Validates the document at `document`: an empty array means it is well-formed and valid.
    public func validate(document: String) -> [XMLIssue] {
        let issues = IssueCollector(file: document)
        let rc = withExtendedLifetime(issues) {
            cx_schema_validate(schema, document, collectIssue, Unmanaged.passUnretained(issues).toOpaque())
        }
        if rc != 0 && issues.issues.isEmpty {
            return [
                XMLIssue(
                    file: document, line: 0,
                    message: rc < 0 ? "cannot read or parse the document" : "not valid against \(path)")
            ]
        }
        return issues.issues
    }
}

public struct XMLSchemaError: Error, CustomStringConvertible {
    public var path: String
    public var issues: [XMLIssue]
    public var description: String {
        "cannot compile the XML schema \(path)"
            + (issues.isEmpty ? "" : ": " + issues.prefix(3).map(\.message).joined(separator: "; "))
    }
}

final class IssueCollector {
    let file: String
    var issues: [XMLIssue] = []
    init(file: String) { self.file = file }
}

/// The C error callback: records the message with its line.
let collectIssue: cx_error_fn = { context, line, message in
    guard let context else { return }
    let collector = Unmanaged<IssueCollector>.fromOpaque(context).takeUnretainedValue()
    collector.issues.append(
        XMLIssue(file: collector.file, line: Int(line), message: message.map { String(cString: $0) } ?? "unknown error")
    )
}
