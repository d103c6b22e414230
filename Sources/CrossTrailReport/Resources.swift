import Foundation

/// Files shipped with the report module (control catalogs, XML schemas), found in the resource
/// bundle next to the executable. Missing resources are an error, never a crash.
public enum ReportResources {
    static let bundleName = "crosstrail_CrossTrailReport.resources"

    public struct Missing: Error, CustomStringConvertible {
        public var name: String
        public var searched: [String]
        public var description: String {
            "cannot find \(name) (searched \(searched.joined(separator: ", "))); keep the \(ReportResources.bundleName) folder next to the crosstrail binary or set CROSSTRAIL_RESOURCES"
        }
    }

    /// The path of a shipped resource, e.g. `controls.yaml`, `evidence.xsd`.
    public static func path(_ name: String) throws(Missing) -> String {
        var dirs: [String] = []
        if let env = ProcessInfo.processInfo.environment["CROSSTRAIL_RESOURCES"], !env.isEmpty { dirs.append(env) }
        var executableDirs: [URL] = []
        if let exe = Bundle.main.executableURL?.deletingLastPathComponent() {
            executableDirs.append(exe)
            executableDirs.append(exe.resolvingSymlinksInPath())
        }
        executableDirs.append(Bundle.main.bundleURL)
        for d in executableDirs { dirs.append(d.appendingPathComponent(bundleName).appendingPathComponent("Resources").path) }
        for d in dirs {
            let p = (d as NSString).appendingPathComponent(name)
            if FileManager.default.isReadableFile(atPath: p) { return p }
        }
        throw Missing(name: name, searched: dirs)
    }

    public static func data(_ name: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: path(name)))
    }
}
