/// Path text operations on user-given paths, in Swift: Foundation's `NSString` path methods trap
/// on some inputs on Linux (`deletingLastPathComponent` of a one-character name such as `--out x`).
public enum PathText {
    /// The folder part, as `NSString.deletingLastPathComponent` gives it: `a/b` → `a`, `/a` → `/`,
    /// `a` → `` (empty), `a/b/` → `a`.
    public static func parent(_ path: String) -> String {
        var p = Substring(path)
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        guard let slash = p.lastIndex(of: "/") else { return "" }
        if slash == p.startIndex { return "/" }
        var head = p[..<slash]
        while head.count > 1 && head.hasSuffix("/") { head.removeLast() }
        return String(head)
    }
}
