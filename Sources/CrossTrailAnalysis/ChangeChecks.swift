import CrossTrailIngest
import CrossTrailModel
import CrossTrailRules

/// Reads the request parameters of configuration changes the stateful rules judge: bucket
/// policies (which accounts they grant), CloudTrail event selectors (what they still log) and
/// cluster init scripts (where they come from). Pure functions of the parsed parameters.
enum ChangeChecks {
    /// The AWS accounts (12 digits) that `Allow` statements of a bucket policy grant to, from
    /// account ids and ARNs in `Principal.AWS`. `*` (public) is `s3-public-exposure`'s.
    static func grantedAccounts(_ policy: JSON) -> Set<String> {
        var out = Set<String>()
        var statements = policy["Statement"]?.array ?? []
        if let single = policy["Statement"], single.object != nil { statements = [single] }
        for st in statements where st["Effect"]?.string?.lowercased() == "allow" {
            for principal in st["Principal"]?["AWS"]?.strings ?? [] {
                if let account = account(in: principal) { out.insert(account) }
            }
        }
        return out
    }

    /// The account of `123456789012` or `arn:aws:iam::123456789012:...`.
    static func account(in principal: String) -> String? { PolicyFacts.account(in: principal) }

    /// What a trail's selectors log after `PutEventSelectors`.
    struct Selectors: Sendable, Hashable {
        /// Data resources (classic selectors) and advanced selectors of the Data category.
        var dataSelectors = 0
        var managementEvents = false
        /// Read/write types of the classic selectors that log management or data events.
        var readWrite: Set<String> = []

        /// `data=2;management=true;readWrite=All,WriteOnly`: how a case store keeps the last
        /// selectors of a trail between scans.
        var encoded: String {
            "data=\(dataSelectors);management=\(managementEvents);readWrite=\(readWrite.sorted().joined(separator: ","))"
        }

        init() {}

        /// Reads `encoded`; nil for anything else.
        init?(encoded: String) {
            let fields = encoded.split(separator: ";", omittingEmptySubsequences: false)
            guard fields.count == 3, fields[0].hasPrefix("data="), let n = Int(fields[0].dropFirst(5)), n >= 0,
                fields[1].hasPrefix("management="), let m = Bool(String(fields[1].dropFirst(11))),
                fields[2].hasPrefix("readWrite=")
            else { return nil }
            dataSelectors = n
            managementEvents = m
            readWrite = Set(fields[2].dropFirst(10).split(separator: ",").map(String.init))
        }

        func drops(comparedTo before: Selectors?) -> [String] {
            var out: [String] = []
            // Without earlier selectors to compare with, a trail without data events is the AWS default, not a drop.
            if dataSelectors == 0, let before, before.dataSelectors > 0 {
                out.append("data events no longer logged (\(before.dataSelectors) selector(s) before)")
            } else if let before, dataSelectors > 0, dataSelectors < before.dataSelectors {
                out.append("data event selectors reduced from \(before.dataSelectors) to \(dataSelectors)")
            }
            if !managementEvents, before?.managementEvents ?? true { out.append("management events no longer logged") }
            if let before, before.readWrite.contains("All"), !readWrite.isEmpty, !readWrite.contains("All") {
                out.append("read/write type narrowed to \(readWrite.sorted().joined(separator: ", "))")
            }
            return out
        }
    }

    static func selectors(_ params: JSON) -> Selectors {
        var s = Selectors()
        for sel in params["eventSelectors"]?.array ?? [] {
            let data = (sel["dataResources"]?.array ?? []).filter { !($0["values"]?.strings.isEmpty ?? true) }.count
            s.dataSelectors += data
            let management = sel["includeManagementEvents"]?.bool ?? true
            if management { s.managementEvents = true }
            if management || data > 0 { s.readWrite.insert(sel["readWriteType"]?.string ?? "All") }
        }
        for sel in params["advancedEventSelectors"]?.array ?? [] {
            for field in sel["fieldSelectors"]?.array ?? [] where field["field"]?.string == "eventCategory" {
                let categories = field["equals"]?.strings ?? []
                if categories.contains("Data") { s.dataSelectors += 1 }
                if categories.contains("Management") { s.managementEvents = true }
            }
        }
        return s
    }

    /// Init script locations of a `clusters create/edit` request (`init_scripts` as an array or
    /// as the JSON text Databricks audit logs carry), e.g. `dbfs:/init.sh`, `s3://b/k`,
    /// `workspace:/Users/...`, `volumes:/Volumes/...`.
    static func initScripts(_ params: JSON, reader: JSONDocumentReader) -> [String] {
        var scripts = params["init_scripts"]?.array
        if scripts == nil, let text = params["init_scripts"]?.string {
            scripts = (try? reader.parse(text: text))?.array
        }
        var out: [String] = []
        for script in scripts ?? [] {
            for (kind, spec) in script.sortedMembers {
                guard let destination = spec["destination"]?.string else { continue }
                out.append(destination.contains(":/") ? destination : "\(kind):\(destination)")
            }
        }
        return out
    }
}
