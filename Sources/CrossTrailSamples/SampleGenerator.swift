import CrossTrailIngest
import CrossTrailIntegrity
import CrossTrailModel
import Foundation
import _CryptoExtras

/// Writes a realistic, deterministic multi-account, multi-workspace dataset with a planted
/// incident that spans both planes. Same seed and size → byte-identical files.
public struct SampleGenerator {
    public struct Options: Sendable {
        /// Routine background events (CloudTrail and Databricks together) besides the incident.
        public var events = 4000
        public var seed: UInt64 = 2026
        /// First day of the dataset (UTC midnight).
        public var start = Timestamp(year: 2026, month: 8, day: 1)
        public var days = 2
        /// CloudTrail records per delivery file.
        public var recordsPerFile = 100
        /// Also write inventory exports, CSV/Azure variants and a digest file.
        public var full = true
        public init() {}
    }

    public struct Summary: Sendable {
        public var files = 0
        public var cloudTrailRecords = 0
        public var databricksRecords = 0
        public var bytes = 0
    }

    let options: Options
    let root: URL
    var rng: SplitMix64
    var summary = Summary()

    static let accounts = ["111122223333", "444455556666"]
    static let regions = ["us-east-1", "eu-west-1"]
    static let workspaces = ["1234567890123456", "6543210987654321"]
    static let users = [
        "alice@acme.example", "bob@acme.example", "carol@acme.example", "dave@acme.example",
        "erin@acme.example", "frank@acme.example", "grace@acme.example", "heidi@acme.example",
    ]
    static let incidentCluster = "0801-093000-shared01"
    static let incidentInstance = "i-0a1b2c3d4e5f60718"
    static let broadProfileRole = "arn:aws:iam::111122223333:role/databricks-shared-broad"

    public init(options: Options, outputDirectory: String) {
        self.options = options
        self.root = URL(fileURLWithPath: outputDirectory)
        self.rng = SplitMix64(seed: options.seed)
    }

    /// Writes everything and returns what was written.
    public mutating func generate() throws -> Summary {
        var cloudtrail: [(Int64, String, String, String)] = []  // (time, account, region, json)
        var databricks: [(Int64, String, String)] = []  // (time, workspace, json)
        let span = Int64(options.days) * 86_400_000
        let t0 = options.start.millis
        let ctShare = options.events * 7 / 10
        for i in 0..<options.events {
            let t = t0 + Int64(rng.next(Int(span)))
            if i < ctShare {
                let acct = rng.pick(Self.accounts), region = rng.pick(Self.regions)
                cloudtrail.append((t, acct, region, routineCloudTrail(time: t, account: acct, region: region)))
            } else {
                let ws = rng.pick(Self.workspaces)
                databricks.append((t, ws, routineDatabricks(time: t, workspace: ws)))
            }
        }
        let incident = incidentStory(t0 + 9 * 3_600_000 + 30 * 60_000)
        cloudtrail += incident.cloudtrail
        databricks += incident.databricks
        cloudtrail.sort { $0.0 < $1.0 }
        databricks.sort { $0.0 < $1.0 }
        try writeCloudTrail(cloudtrail)
        try writeDatabricks(databricks)
        if options.full {
            try writeVariants()
            try writeInventory()
        }
        return summary
    }

    // MARK: - Writing

    mutating func write(_ relative: String, _ bytes: [UInt8]) throws {
        let url = root.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
        summary.files += 1
        summary.bytes += bytes.count
    }

    private mutating func writeCloudTrail(_ records: [(Int64, String, String, String)]) throws {
        // Group per account/region, then cut into delivery files of recordsPerFile.
        var groups: [String: [(Int64, String)]] = [:]
        for (t, a, r, json) in records { groups["\(a)|\(r)", default: []].append((t, json)) }
        var firstFile: (String, [UInt8], [UInt8], Int64, Int64)?
        var delivered: [String: [DigestChainWriter.LogFile]] = [:]  // "account|region" → files
        for key in groups.keys.sorted() {
            let parts = key.split(separator: "|").map(String.init)
            let (acct, region) = (parts[0], parts[1])
            let list = groups[key]!
            var i = 0
            while i < list.count {
                let chunk = list[i..<min(i + options.recordsPerFile, list.count)]
                let t = Timestamp(millis: chunk.first!.0).iso8601
                let y = t.prefix(4), m = t.dropFirst(5).prefix(2), d = t.dropFirst(8).prefix(2)
                let stamp = t.prefix(16).replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: "")
                let name =
                    "logs/AWSLogs/\(acct)/CloudTrail/\(region)/\(y)/\(m)/\(d)/\(acct)_CloudTrail_\(region)_\(stamp)Z_\(rng.token(16)).json.gz"
                let body = Array(("{\"Records\":[" + chunk.map(\.1).joined(separator: ",") + "]}").utf8)
                let gz = GzipCodec.compress(body)
                try write(name, gz)
                let file = DigestChainWriter.LogFile(
                    key: String(name.dropFirst("logs/".count)), content: body,
                    oldest: Timestamp(millis: chunk.first!.0), newest: Timestamp(millis: chunk.last!.0))
                delivered[key, default: []].append(file)
                if firstFile == nil { firstFile = (name, gz, body, chunk.first!.0, chunk.last!.0) }
                summary.cloudTrailRecords += chunk.count
                i += options.recordsPerFile
            }
        }
        // CloudTrail delivers some files twice: a re-delivered copy exercises deduplication.
        if options.full, let (name, gz, body, oldest, newest) = firstFile {
            let copy = name.replacingOccurrences(of: ".json.gz", with: "_redelivered.json.gz")
            try write(copy, gz)
            let parts = name.split(separator: "/")
            delivered["\(parts[2])|\(parts[4])", default: []].append(
                .init(
                    key: String(copy.dropFirst("logs/".count)), content: body,
                    oldest: Timestamp(millis: oldest), newest: Timestamp(millis: newest)))
        }
        if options.full { try writeDigests(delivered) }
    }

    /// A signed digest chain per account and region, one digest per day (CloudTrail writes one per
    /// hour; a day keeps the sample small), each listing the log files delivered that day.
    private mutating func writeDigests(_ delivered: [String: [DigestChainWriter.LogFile]]) throws {
        guard let key = try? _RSA.Signing.PrivateKey(pemRepresentation: SampleDigestKey.pem) else { return }
        var writer = DigestChainWriter(privateKey: key, bucket: "acme-trail")
        let day: Int64 = 86_400_000
        let first = options.start.millis / day * day
        for chain in delivered.keys.sorted() {
            let parts = chain.split(separator: "|").map(String.init)
            let files = delivered[chain]!
            let last = files.map(\.oldest.millis).max() ?? first
            var start = first
            while start <= last {
                let inDay = files.filter { $0.oldest.millis >= start && $0.oldest.millis < start + day }.sorted {
                    $0.key < $1.key
                }
                let d = writer.digest(
                    account: parts[0], region: parts[1], trail: "acme-trail", start: Timestamp(millis: start),
                    end: Timestamp(millis: start + day), logs: inDay)
                try write("logs/" + d.key, d.gzip)
                try write("logs/" + d.key + DigestValidator.sidecarSuffix, d.sidecar)
                start += day
            }
        }
        let end = Timestamp(millis: first + 365 * day)
        try write(
            "keys/cloudtrail-public-keys.json",
            Array(
                DigestChainWriter.publicKeysJSON(
                    key.publicKey, validFrom: Timestamp(millis: first - day), validUntil: end
                ).utf8))
    }

    private mutating func writeDatabricks(_ records: [(Int64, String, String)]) throws {
        var byDay: [String: [String]] = [:]
        for (t, ws, json) in records {
            byDay["workspaceId=\(ws)/date=\(Timestamp(millis: t).day)", default: []].append(json)
        }
        for key in byDay.keys.sorted() {
            let lines = byDay[key]!
            let body = Array((lines.joined(separator: "\n") + "\n").utf8)
            try write("logs/databricks/audit-logs/\(key)/auditlogs_\(rng.token(8)).json.gz", GzipCodec.compress(body))
            summary.databricksRecords += lines.count
        }
    }

    /// Other source shapes: Azure diagnostic logs, a system.access.audit CSV export, lookup-events output.
    private mutating func writeVariants() throws {
        let t = options.start.millis + 14 * 3_600_000
        var azure: [String] = []
        for k in 0..<6 {
            let user = Self.users[k % Self.users.count]
            let ts = Timestamp(millis: t + Int64(k) * 60_000).iso8601
            let params = json(["clusterId": "0801-azure-\(k)"]).replacingOccurrences(of: "\"", with: "\\\"")
            let identity = json(["email": user, "subjectName": user]).replacingOccurrences(of: "\"", with: "\\\"")
            azure.append(
                """
                {"time":"\(ts)","resourceId":"/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000000/RESOURCEGROUPS/RG-DATA/PROVIDERS/MICROSOFT.DATABRICKS/WORKSPACES/ACME-AZ-WS","operationName":"Microsoft.Databricks/clusters/\(k % 2 == 0 ? "start" : "edit")","category":"clusters","identity":"\(identity)","properties":{"sourceIPAddress":"10.20.0.\(10 + k)","logId":"az-\(k)","serviceName":"clusters","userAgent":"Databricks-Runtime/14.3","sessionId":"s-\(k)","actionName":"\(k % 2 == 0 ? "start" : "edit")","requestId":"az-req-\(k)","requestParams":"\(params)","response":"{\\"statusCode\\":200}"}}
                """)
        }
        summary.databricksRecords += azure.count
        try write("logs/databricks/azure-diagnostics/PT1H.json", Array((azure.joined(separator: "\n") + "\n").utf8))

        var csv =
            "account_id,workspace_id,version,event_time,event_date,source_ip_address,user_agent,session_id,user_identity,service_name,action_name,request_id,request_params,response,audit_level,event_id,identity_metadata\n"
        for k in 0..<5 {
            let user = Self.users[(k + 3) % Self.users.count]
            let ts = Timestamp(millis: t + 3_600_000 + Int64(k) * 90_000).iso8601
            let identity = "\"{\"\"email\"\":\"\"\(user)\"\",\"\"subject_name\"\":null}\""
            let params =
                "\"{\"\"full_name_arg\"\":\"\"main.sales.orders\"\",\"\"workspace_id\"\":\"\"\(Self.workspaces[0])\"\"}\""
            let meta = "\"{\"\"run_by\"\":\"\"\(user)\"\",\"\"run_as\"\":\"\"etl-sp@acme.example\"\"}\""
            csv +=
                "acme-account,\(Self.workspaces[0]),2.0,\(ts),\(ts.prefix(10)),10.1.2.\(k + 3),Databricks-SQL/1.0,,\(identity),unityCatalog,getTable,sys-req-\(k),\(params),\"{\"\"status_code\"\":200}\",WORKSPACE_LEVEL,sys-evt-\(k),\(meta)\n"
        }
        summary.databricksRecords += 5
        try write("logs/databricks/system-access-audit/export.csv", Array(csv.utf8))

        // A log shipper's export: bare CloudTrail records, one per line, `@timestamp` instead of eventTime.
        var shipped: [String] = []
        for k in 0..<4 {
            var record = routineCloudTrail(
                time: t + 5_400_000 + Int64(k) * 1000, account: Self.accounts[1], region: "eu-west-1")
            if k % 2 == 1, let r = record.range(of: "\"eventTime\":") {
                record.replaceSubrange(r, with: "\"@timestamp\":")
            }
            shipped.append(record)
        }
        summary.cloudTrailRecords += shipped.count
        try write(
            "logs/shipper/cloudtrail-\(Timestamp(millis: t).day).ndjson",
            Array((shipped.joined(separator: "\n") + "\n").utf8))

        let inner = routineCloudTrail(time: t + 7_200_000, account: Self.accounts[1], region: "us-east-1")
        let escaped = inner.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        let lookup =
            "{\"Events\":[{\"EventId\":\"lookup-1\",\"EventName\":\"lookup\",\"ReadOnly\":\"true\",\"CloudTrailEvent\":\"\(escaped)\"}]}\n"
        summary.cloudTrailRecords += 1
        try write("logs/cloudtrail-lookup-events/lookup-2026-08-01.json", Array(lookup.utf8))
    }

    // MARK: - Records

    private func json(_ dict: [String: String]) -> String {
        "{" + dict.keys.sorted().map { "\(q($0)):\(q(dict[$0]!))" }.joined(separator: ",") + "}"
    }

    private func q(_ s: String) -> String {
        var out: [UInt8] = [34]
        JSONText.appendEscaped(s.utf8, to: &out)
        out.append(34)
        return String(decoding: out, as: UTF8.self)
    }

    private static let ctActions: [(String, String, Bool)] = [
        ("s3.amazonaws.com", "GetObject", true), ("s3.amazonaws.com", "PutObject", false),
        ("s3.amazonaws.com", "ListObjects", true),
        ("ec2.amazonaws.com", "DescribeInstances", true), ("ec2.amazonaws.com", "RunInstances", false),
        ("iam.amazonaws.com", "GetRole", true), ("iam.amazonaws.com", "ListRoles", true),
        ("sts.amazonaws.com", "AssumeRole", true), ("kms.amazonaws.com", "Decrypt", true),
        ("kms.amazonaws.com", "GenerateDataKey", true), ("cloudtrail.amazonaws.com", "LookupEvents", true),
    ]

    mutating func routineCloudTrail(time: Int64, account: String, region: String) -> String {
        let (source, name, readOnly) = rng.pick(Self.ctActions)
        // Events come from a pool of role sessions (people through SSO, cluster nodes through
        // instance profiles); a session keeps its keys and principal for all of its events.
        let slot = rng.next(96)
        var srng = SplitMix64(seed: UInt64(slot) &* 0x9E37_79B9 &+ (UInt64(account) ?? 0))
        let session = slot % 3 == 0 ? "i-0\(srng.hex(16))" : Self.users[slot % Self.users.count]
        let role = session.hasPrefix("i-") ? "databricks-workers" : "AWSReservedSSO_DataEngineer_0123456789abcdef"
        let principalSuffix = srng.upper(16), accessKey = srng.upper(16), rolePrincipal = srng.upper(16)
        let sessionStart = options.start.millis + Int64(slot) * 420_000
        let fail = rng.next(40) == 0
        // Routine work never touches the PII bucket: only the planted incident reads it.
        let bucket = rng.pick(["acme-analytics", "acme-raw-events", "acme-ml-features", "acme-logs"])
        let key = "year=2026/month=08/part-\(rng.hex(8)).parquet"
        let params: String
        switch source {
        case "s3.amazonaws.com":
            params = "{\"bucketName\":\(q(bucket)),\"Host\":\"\(bucket).s3.\(region).amazonaws.com\",\"key\":\(q(key))}"
        case "ec2.amazonaws.com":
            params = "{\"instancesSet\":{\"items\":[{\"instanceId\":\"i-0\(rng.hex(16))\"}]},\"filterSet\":{}}"
        case "iam.amazonaws.com": params = "{\"roleName\":\"databricks-workers\"}"
        case "sts.amazonaws.com":
            params =
                "{\"roleArn\":\"arn:aws:iam::\(account):role/databricks-workers\",\"roleSessionName\":\"\(rng.hex(12))\",\"durationSeconds\":3600}"
        case "kms.amazonaws.com":
            params =
                "{\"keyId\":\"arn:aws:kms:\(region):\(account):key/\(rng.uuid())\",\"encryptionAlgorithm\":\"SYMMETRIC_DEFAULT\"}"
        default: params = "{\"maxResults\":50}"
        }
        let resources =
            source == "s3.amazonaws.com"
            ? ",\"resources\":[{\"type\":\"AWS::S3::Object\",\"ARN\":\"arn:aws:s3:::\(bucket)/\(key)\"},{\"accountId\":\"\(account)\",\"type\":\"AWS::S3::Bucket\",\"ARN\":\"arn:aws:s3:::\(bucket)\"}]"
            : ""
        let error =
            fail
            ? ",\"errorCode\":\"AccessDenied\",\"errorMessage\":\"User is not authorized to perform this operation\""
            : ""
        let eventType =
            source == "s3.amazonaws.com"
            ? "AwsApiCall\",\"managementEvent\":false,\"eventCategory\":\"Data"
            : "AwsApiCall\",\"managementEvent\":true,\"eventCategory\":\"Management"
        var ip =
            rng.next(5) == 0
            ? "\(rng.next(200) + 20).\(rng.next(255)).\(rng.next(255)).\(rng.next(254) + 1)"
            : "10.0.\(rng.next(8)).\(rng.next(254) + 1)"
        // A cluster node keeps its addresses: its private one (through VPC endpoints) and its NAT gateway's.
        if session.hasPrefix("i-") {
            ip = ip.hasPrefix("10.") ? "10.0.\(slot % 8).\(slot + 10)" : "52.94.\(slot % 4).\(200 + slot % 50)"
        }
        let vpce = rng.next(3) == 0 ? "" : ",\"vpcEndpointId\":\"vpce-0\(rng.hex(16))\""
        return """
            {"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROA\(principalSuffix):\(session)","arn":"arn:aws:sts::\(account):assumed-role/\(role)/\(session)","accountId":"\(account)","accessKeyId":"ASIA\(accessKey)","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROA\(rolePrincipal)","arn":"arn:aws:iam::\(account):role/\(role)","accountId":"\(account)","userName":"\(role)"},"attributes":{"creationDate":"\(Timestamp(millis: sessionStart).iso8601.prefix(19))Z","mfaAuthenticated":"false"}}},"eventTime":"\(Timestamp(millis: time).iso8601.prefix(19))Z","eventSource":"\(source)","eventName":"\(name)","awsRegion":"\(region)","sourceIPAddress":"\(ip)","userAgent":"[aws-sdk-java/1.12.638 Linux/5.15.0-1051-aws OpenJDK_64-Bit_Server_VM/25.392-b08 java/1.8.0_392 scala/2.12.15 vendor/Azul_Systems,_Inc. cfg/retry-mode/legacy]","requestParameters":\(params),"responseElements":null,"additionalEventData":{"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","bytesTransferredIn":0,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"\(rng.token(40))","bytesTransferredOut":\(rng.next(900000))},"requestID":"\(rng.upper(16))","eventID":"\(rng.uuid())","readOnly":\(readOnly),"eventType":"\(eventType)","recipientAccountId":"\(account)"\(resources)\(error)\(vpce),"tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"\(source.replacingOccurrences(of: ".amazonaws.com", with: "")).\(region).amazonaws.com"}}
            """
    }

    private static let dbxActions: [(String, String)] = [
        ("notebook", "runCommand"), ("notebook", "attachNotebook"), ("clusters", "get"), ("clusters", "list"),
        ("jobs", "runNow"), ("unityCatalog", "getTable"), ("unityCatalog", "generateTemporaryTableCredential"),
        ("sqlPermissions", "requestPermissions"), ("workspace", "getWorkspaceConf"), ("accounts", "tokenLogin"),
        ("secrets", "getSecret"), ("databrickssql", "commandSubmit"),
    ]

    mutating func routineDatabricks(time: Int64, workspace: String) -> String {
        let (service, action) = rng.pick(Self.dbxActions)
        let user = rng.pick(Self.users)
        let status = rng.next(30) == 0 ? 403 : 200
        let cluster = "0801-\(rng.next(999_999))-job\(rng.next(99))"
        let params: String
        switch service {
        case "notebook":
            params =
                "{\"notebookId\":\"\(rng.next(9_999_999))\",\"clusterId\":\"\(cluster)\",\"commandLanguage\":\"python\",\"commandId\":\"\(rng.hex(16))\"}"
        case "clusters": params = "{\"cluster_id\":\"\(cluster)\"}"
        case "jobs": params = "{\"job_id\":\"\(rng.next(99999))\"}"
        case "unityCatalog":
            params =
                "{\"full_name_arg\":\"main.\(rng.pick(["sales", "hr", "marketing"])).\(rng.pick(["orders", "accounts", "events"]))\",\"workspace_id\":\"\(workspace)\",\"metastore_id\":\"\(rng.uuid())\"}"
        case "secrets": params = "{\"scope\":\"etl\",\"key\":\"db-password\"}"
        default: params = "{}"
        }
        let error = status == 200 ? "null" : "\"PERMISSION_DENIED: User does not have permission\""
        return """
            {"version":"2.0","auditLevel":"WORKSPACE_LEVEL","timestamp":\(time),"orgId":"\(workspace)","shardName":"acme-\(workspace.suffix(4))","accountId":"a1b2c3d4-0000-1111-2222-333344445555","sourceIPAddress":"10.1.\(rng.next(8)).\(rng.next(254) + 1)","userAgent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 Chrome/126.0","sessionId":"\(rng.hex(32))","userIdentity":{"email":"\(user)","subjectName":null},"serviceName":"\(service)","actionName":"\(action)","requestId":"\(rng.uuid())","requestParams":\(params),"response":{"statusCode":\(status),"errorMessage":\(error),"result":null},"MAX_LOG_MESSAGE_LENGTH":16384,"workspaceId":"\(workspace)"}
            """
    }

    /// alice, on a shared cluster with an over-broad instance profile, reads a PII bucket through
    /// the cluster's role, downloads query results, then turns verbose audit logging off.
    mutating func incidentStory(_ start: Int64) -> (
        cloudtrail: [(Int64, String, String, String)], databricks: [(Int64, String, String)]
    ) {
        let ws = Self.workspaces[0], acct = Self.accounts[0], region = "us-east-1"
        let alice = "alice@acme.example"
        var ct: [(Int64, String, String, String)] = []
        var dbx: [(Int64, String, String)] = []
        func dbxRecord(
            _ t: Int64, _ service: String, _ action: String, _ params: String, status: Int = 200,
            requestId: String? = nil, result: String = "null"
        ) -> String {
            """
            {"version":"2.0","auditLevel":"WORKSPACE_LEVEL","timestamp":\(t),"orgId":"\(ws)","accountId":"a1b2c3d4-0000-1111-2222-333344445555","sourceIPAddress":"198.51.100.23","userAgent":"Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0","sessionId":"incident-session-01","userIdentity":{"email":"\(alice)","subjectName":null},"serviceName":"\(service)","actionName":"\(action)","requestId":"\(requestId ?? "incident-\(action)-\(t)")","requestParams":\(params),"response":{"statusCode":\(status),"errorMessage":null,"result":\(result)},"workspaceId":"\(ws)"}
            """
        }
        var t = start
        dbx.append((t, ws, dbxRecord(t, "accounts", "tokenLogin", "{\"tokenId\":\"tok-4711\"}")))
        t += 60_000
        dbx.append(
            (
                t, ws,
                dbxRecord(
                    t, "clusters", "edit",
                    "{\"cluster_id\":\"\(Self.incidentCluster)\",\"aws_attributes\":{\"instance_profile_arn\":\"arn:aws:iam::\(acct):instance-profile/databricks-shared-broad\"},\"data_security_mode\":\"NONE\"}"
                )
            ))
        t += 120_000
        // Long-running start: Databricks logs the request twice (same requestId).
        dbx.append(
            (
                t, ws,
                dbxRecord(
                    t, "clusters", "start", "{\"cluster_id\":\"\(Self.incidentCluster)\"}",
                    requestId: "incident-start-0001", result: "\"PENDING\"")
            ))
        ct.append(
            (
                t + 30_000, acct, region,
                """
                {"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLEDBXCROSS:databricks","arn":"arn:aws:sts::\(acct):assumed-role/databricks-cross-account/databricks","accountId":"\(acct)","accessKeyId":"ASIAEXAMPLEDBXCROSS1","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::\(acct):role/databricks-cross-account","accountId":"\(acct)","userName":"databricks-cross-account"},"attributes":{"mfaAuthenticated":"false"}}},"eventTime":"\(Timestamp(millis: t + 30_000).iso8601.prefix(19))Z","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","awsRegion":"\(region)","sourceIPAddress":"3.5.140.2","userAgent":"databricks-control-plane","requestParameters":{"instancesSet":{"items":[{"imageId":"ami-0abc","minCount":1,"maxCount":1}]},"iamInstanceProfile":{"arn":"arn:aws:iam::\(acct):instance-profile/databricks-shared-broad"},"tagSpecificationSet":{"items":[{"resourceType":"instance","tags":[{"key":"ClusterId","value":"\(Self.incidentCluster)"},{"key":"Creator","value":"\(alice)"},{"key":"Vendor","value":"Databricks"}]}]}},"responseElements":{"instancesSet":{"items":[{"instanceId":"\(Self.incidentInstance)"}]}},"requestID":"incident-run-instances","eventID":"6f2b7c1e-0000-4000-8000-000000000001","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"\(acct)","resources":[{"type":"AWS::EC2::Instance","ARN":"arn:aws:ec2:\(region):\(acct):instance/\(Self.incidentInstance)"}]}
                """
            ))
        t += 240_000
        dbx.append(
            (
                t, ws,
                dbxRecord(
                    t, "clusters", "start", "{\"cluster_id\":\"\(Self.incidentCluster)\"}",
                    requestId: "incident-start-0001", result: "\"RUNNING\"")
            ))
        t += 60_000
        dbx.append(
            (
                t, ws,
                dbxRecord(
                    t, "notebook", "runCommand",
                    "{\"notebookId\":\"4242\",\"clusterId\":\"\(Self.incidentCluster)\",\"commandText\":\"spark.read.parquet('s3://acme-pii-customers/customers/').limit(100000).toPandas()\",\"commandLanguage\":\"python\"}"
                )
            ))
        // The cluster's instance-profile role reads the PII bucket.
        for k in 0..<12 {
            let tk = t + 5_000 + Int64(k) * 2_000
            ct.append(
                (
                    tk, acct, region,
                    """
                    {"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLEBROAD0001:\(Self.incidentInstance)","arn":"arn:aws:sts::\(acct):assumed-role/databricks-shared-broad/\(Self.incidentInstance)","accountId":"\(acct)","accessKeyId":"ASIAEXAMPLEBROAD0001","sessionContext":{"sessionIssuer":{"type":"Role","arn":"\(Self.broadProfileRole)","accountId":"\(acct)","userName":"databricks-shared-broad"},"attributes":{"mfaAuthenticated":"false"},"ec2RoleDelivery":"2.0"}},"eventTime":"\(Timestamp(millis: tk).iso8601.prefix(19))Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"\(region)","sourceIPAddress":"203.0.113.77","userAgent":"[Hadoop 3.3.6, aws-sdk-java/1.12.638]","requestParameters":{"bucketName":"acme-pii-customers","key":"customers/part-\(String(format: "%05d", k)).parquet","Host":"acme-pii-customers.s3.us-east-1.amazonaws.com"},"responseElements":null,"additionalEventData":{"bytesTransferredOut":\(8_000_000 + k * 1000)},"requestID":"INCIDENTGET\(String(format: "%05d", k))","eventID":"6f2b7c1e-0000-4000-8000-1000000000\(String(format: "%02d", k))","readOnly":true,"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::acme-pii-customers/customers/part-\(String(format: "%05d", k)).parquet"},{"accountId":"\(acct)","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::acme-pii-customers"}],"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"\(acct)","eventCategory":"Data"}
                    """
                ))
        }
        t += 120_000
        dbx.append(
            (
                t, ws,
                dbxRecord(
                    t, "notebook", "downloadPreviewResults", "{\"notebookId\":\"4242\",\"executionTime\":\"1.2\"}")
            ))
        t += 30_000
        dbx.append(
            (
                t, ws,
                dbxRecord(
                    t, "databrickssql", "downloadQueryResult", "{\"queryResultId\":\"qr-8812\",\"fileType\":\"csv\"}")
            ))
        t += 90_000
        dbx.append(
            (
                t, ws,
                dbxRecord(
                    t, "workspace", "workspaceConfEdit",
                    "{\"workspaceConfKeys\":\"enableVerboseAuditLogs\",\"workspaceConfValues\":\"false\"}")
            ))
        // The same person, through AWS SSO, stops the trail.
        t += 120_000
        ct.append(
            (
                t, acct, region,
                """
                {"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLESSOADMIN:\(alice)","arn":"arn:aws:sts::\(acct):assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/\(alice)","accountId":"\(acct)","accessKeyId":"ASIAEXAMPLESSOADMIN1","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::\(acct):role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_0123456789abcdef","accountId":"\(acct)","userName":"AWSReservedSSO_AdministratorAccess_0123456789abcdef"},"attributes":{"mfaAuthenticated":"false"}}},"eventTime":"\(Timestamp(millis: t).iso8601.prefix(19))Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"\(region)","sourceIPAddress":"198.51.100.23","userAgent":"aws-cli/2.15.0 Python/3.11.6","requestParameters":{"name":"arn:aws:cloudtrail:\(region):\(acct):trail/acme-org-trail"},"responseElements":null,"requestID":"incident-stop-logging","eventID":"6f2b7c1e-0000-4000-8000-000000000099","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"\(acct)","resources":[{"type":"AWS::CloudTrail::Trail","ARN":"arn:aws:cloudtrail:\(region):\(acct):trail/acme-org-trail"}]}
                """
            ))
        return (ct, dbx)
    }
}

/// SplitMix64: small, fast, deterministic.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next64() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func next(_ bound: Int) -> Int { Int(next64() % UInt64(max(bound, 1))) }
    mutating func pick<T>(_ a: [T]) -> T { a[next(a.count)] }
    mutating func hex(_ n: Int) -> String { token(n, alphabet: Array("0123456789abcdef".utf8)) }
    mutating func upper(_ n: Int) -> String { token(n, alphabet: Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)) }
    mutating func token(_ n: Int) -> String {
        token(n, alphabet: Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8))
    }
    mutating func token(_ n: Int, alphabet: [UInt8]) -> String {
        String(decoding: (0..<n).map { _ in alphabet[next(alphabet.count)] }, as: UTF8.self)
    }
    mutating func uuid() -> String { "\(hex(8))-\(hex(4))-4\(hex(3))-a\(hex(3))-\(hex(12))" }
}
