import CrossTrailModel
import Foundation

/// Files shipped with the report module (control catalogs, XML schemas), found in the resource
/// bundle next to the executable. Missing resources are an error, never a crash.
public enum ReportResources {
    static let bundleName = "crosstrail_CrossTrailReport.resources"

    static let locator = ResourceLocator(bundleName: bundleName, folder: "Resources")

    /// The path of a shipped resource, e.g. `controls.yaml`, `evidence.xsd`.
    public static func path(_ name: String) throws(ResourceLocator.Missing) -> String {
        try locator.path(name)
    }

    public static func data(_ name: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: path(name)))
    }
}
