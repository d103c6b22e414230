import Foundation

/// Finds files a module ships (control catalogs, schemas, the built-in rules) in its resource
/// bundle (`crosstrail_<Module>.resources/`) under `CROSSTRAIL_RESOURCES` or next to the executable. Missing resources are an
/// error naming where it looked, never a crash (Bundle.module traps instead).
public struct ResourceLocator: Sendable {
    /// e.g. `crosstrail_CrossTrailReport.resources`
    public let bundleName: String
    /// The folder inside the bundle (the `.copy` target's name).
    public let folder: String

    public init(bundleName: String, folder: String) {
        self.bundleName = bundleName
        self.folder = folder
    }

    public struct Missing: Error, CustomStringConvertible {
        public var name: String
        public var bundleName: String
        public var searched: [String]
        public var description: String {
            "cannot find \(name) (searched \(searched.joined(separator: ", "))); keep the \(bundleName) folder next to the crosstrail binary or set CROSSTRAIL_RESOURCES"
        }
    }

    /// The folders searched, in order.
    public var directories: [String] {
        // CROSSTRAIL_RESOURCES names a folder holding the bundles (an installation's share directory).
        var executableDirs: [URL] = []
        if let env = ProcessInfo.processInfo.environment["CROSSTRAIL_RESOURCES"], !env.isEmpty {
            executableDirs.append(URL(fileURLWithPath: env))
        }
        if let exe = Bundle.main.executableURL?.deletingLastPathComponent() {
            executableDirs.append(exe)
            executableDirs.append(exe.resolvingSymlinksInPath())
        }
        executableDirs.append(Bundle.main.bundleURL)
        var dirs: [String] = []
        for d in executableDirs {
            dirs.append(d.appendingPathComponent(bundleName).appendingPathComponent(folder).path)
        }
        return dirs
    }

    /// The path of a shipped file or folder, e.g. `controls.yaml`.
    public func path(_ name: String) throws(Missing) -> String {
        let dirs = directories
        for d in dirs {
            let p = (d as NSString).appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: p) { return p }
        }
        throw Missing(name: name, bundleName: bundleName, searched: dirs)
    }
}
