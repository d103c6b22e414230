import CLibXML2

/// A parsed XML element: name (without namespace prefix), attributes, text and children. Built
/// from untrusted responses (S3, IAM): parsed without network access, DTD loading or entity
/// expansion, with libxml2's default size limits and at most 256 levels.
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
        let builder = TreeBuilder()
        var visitor = cx_visitor(start: startElement, text: addText, end: endElement, error: recordError)
        let rc = withExtendedLifetime(builder) {
            bytes.withUnsafeBufferPointer { b in
                b.withMemoryRebound(to: CChar.self) { chars in
                    cx_walk(
                        chars.baseAddress, Int32(clamping: chars.count), source, &visitor,
                        Unmanaged.passUnretained(builder).toOpaque())
                }
            }
        }
        guard rc == 0, let root = builder.root else {
            throw XMLParseError(source: source, message: builder.firstError ?? "empty or not XML")
        }
        return root
    }
}

public struct XMLParseError: Error, CustomStringConvertible {
    public var source: String
    public var message: String
    public var description: String { "\(source): not well-formed XML: \(message)" }
}

/// Builds the tree from the C walk's callbacks.
final class TreeBuilder {
    struct Open {
        var name: String
        var attributes: [String: String]
        var text = ""
        var children: [XMLNode] = []
    }
    var stack: [Open] = []
    var root: XMLNode?
    var firstError: String?
}

private func builder(_ ctx: UnsafeMutableRawPointer?) -> TreeBuilder? {
    ctx.map { Unmanaged<TreeBuilder>.fromOpaque($0).takeUnretainedValue() }
}

private let startElement:
    @convention(c) (
        UnsafeMutableRawPointer?, UnsafePointer<CChar>?, Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>?,
        UnsafeMutablePointer<UnsafePointer<CChar>?>?
    ) -> Void = { ctx, name, count, names, values in
        guard let b = builder(ctx) else { return }
        var attrs: [String: String] = [:]
        for i in 0..<Int(count) {
            if let n = names?[i], let v = values?[i] { attrs[String(cString: n)] = String(cString: v) }
        }
        b.stack.append(TreeBuilder.Open(name: name.map { String(cString: $0) } ?? "", attributes: attrs))
    }

private let addText: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?) -> Void = { ctx, text in
    guard let b = builder(ctx), let text, !b.stack.isEmpty else { return }
    b.stack[b.stack.count - 1].text += String(cString: text)
}

private let endElement: @convention(c) (UnsafeMutableRawPointer?) -> Void = { ctx in
    guard let b = builder(ctx), let open = b.stack.popLast() else { return }
    let node = XMLNode(name: open.name, attributes: open.attributes, text: open.text, children: open.children)
    if b.stack.isEmpty { b.root = node } else { b.stack[b.stack.count - 1].children.append(node) }
}

private let recordError: cx_error_fn = { ctx, line, message in
    guard let b = builder(ctx), b.firstError == nil else { return }
    b.firstError = "line \(line): " + (message.map { String(cString: $0) } ?? "unknown error")
}
