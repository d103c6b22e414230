import CLibXML2

/// A parsed XML element: name (without namespace prefix), attributes, text and children. Built
/// from untrusted responses (S3, IAM): parsed without network access, DTD loading or entity
/// expansion, with libxml2's default size and depth limits.
public final class XMLNode: Sendable {
    public let name: String
    public let attributes: [String: String]
    /// The concatenated text directly inside this element.
    public let text: String
    public let children: [XMLNode]

    init(name: String, attributes: [String: String], text: String, children: [XMLNode]) {
        self.name = name
        self.attributes = attributes
        self.text = text
        self.children = children
    }

    /// The first child with this name.
    public subscript(_ child: String) -> XMLNode? { children.first { $0.name == child } }

    /// All children with this name.
    public func all(_ child: String) -> [XMLNode] { children.filter { $0.name == child } }

    /// Parses a document; throws with libxml2's first message (and line) when it is not well-formed.
    public static func parse(_ bytes: [UInt8], source: String) throws(XMLParseError) -> XMLNode {
        libxml2Lock.lock()
        defer { libxml2Lock.unlock() }
        xmlInitParser()
        let issues = ParseIssues()
        let ctx = Unmanaged.passUnretained(issues).toOpaque()
        xmlSetStructuredErrorFunc(ctx, recordParseIssue)
        defer { xmlSetStructuredErrorFunc(nil, nil) }
        let doc = bytes.withUnsafeBufferPointer { b in
            b.baseAddress.map { base in
                base.withMemoryRebound(to: CChar.self, capacity: b.count) {
                    xmlReadMemory($0, Int32(clamping: b.count), source, nil, Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOBLANKS.rawValue))
                }
            } ?? nil
        }
        withExtendedLifetime(issues) {}
        guard let doc else { throw XMLParseError(source: source, message: issues.first ?? "empty or not XML") }
        defer { xmlFreeDoc(doc) }
        guard let root = xmlDocGetRootElement(doc) else { throw XMLParseError(source: source, message: "no root element") }
        return convert(root, depth: 0)
    }

    private static func convert(_ node: xmlNodePtr, depth: Int) -> XMLNode {
        var attrs: [String: String] = [:]
        var a = node.pointee.properties
        while let attr = a {
            let name = String(cString: attr.pointee.name)
            var value = ""
            var t = attr.pointee.children
            while let part = t {
                if let content = part.pointee.content { value += String(cString: content) }
                t = part.pointee.next
            }
            attrs[name] = value
            a = attr.pointee.next
        }
        var text = ""
        var children: [XMLNode] = []
        var c = node.pointee.children
        while let child = c {
            switch child.pointee.type {
            case XML_ELEMENT_NODE:
                if depth < 256 { children.append(convert(child, depth: depth + 1)) }
            case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
                if let content = child.pointee.content { text += String(cString: content) }
            default: break
            }
            c = child.pointee.next
        }
        return XMLNode(name: String(cString: node.pointee.name), attributes: attrs, text: text, children: children)
    }
}

public struct XMLParseError: Error, CustomStringConvertible {
    public var source: String
    public var message: String
    public var description: String { "\(source): not well-formed XML: \(message)" }
}

private final class ParseIssues {
    var first: String?
}

private let recordParseIssue: xmlStructuredErrorFunc = { ctx, error in
    guard let ctx, let error else { return }
    let issues = Unmanaged<ParseIssues>.fromOpaque(ctx).takeUnretainedValue()
    guard issues.first == nil else { return }
    let message = error.pointee.message.map { String(cString: $0) } ?? "unknown error"
    issues.first = "line \(error.pointee.line): " + String(message.reversed().drop(while: \.isNewline).reversed())
}
