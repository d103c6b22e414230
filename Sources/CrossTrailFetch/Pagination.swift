/// Bounds a paginated listing against a server that never ends it: a page token (or link) seen
/// before — the same page again, forever — or more pages than any real listing has. Each is an
/// error naming the listing, never an endless loop or unbounded memory.
struct Pagination {
    let label: String
    let maxPages: Int
    private var seen = Set<String>()
    private(set) var pages = 0

    init(_ label: String, maxPages: Int = 100_000) {
        self.label = label
        self.maxPages = maxPages
    }

    /// Counts a page and returns the token for the next one (nil: the listing is complete).
    mutating func next(_ token: String?) throws -> String? {
        pages += 1
        guard let token, !token.isEmpty else { return nil }
        guard pages < maxPages else {
            throw FetchError("\(label): more than \(maxPages) pages; stopping (the server does not end the listing)")
        }
        guard seen.insert(token).inserted else {
            throw FetchError(
                "\(label): the server returned page token \(String(token.prefix(80)).debugDescription) again after \(pages) pages; stopping instead of looping"
            )
        }
        return token
    }
}
