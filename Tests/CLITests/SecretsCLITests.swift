import Foundation
import TestSupport
import Testing

/// Secrets planted in the inputs, the environment and the AWS config files never appear in any
/// output, log, error, manifest or report of any command.
@Suite(.serialized) struct SecretsCLITests {
    static let planted = [
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYPLANTEDSECRET1", "IQoJb3JpZ2luX2VjEPLANTEDTOKEN2",
        "dapi-test-token-0123456789abcdef",
        "sp-client-secret-do-not-print", "PLANTEDREDACTIONKEY4", "PLANTEDPROFILESECRET5", "PLANTEDPASSWORD6",
        "AKIAPLANTED7EXAMPLE7",
        "dapiffffffffffffffffffffffffffffffff", "PLANTEDDBXSECRET8",
        // Quoted in free text and nested JSON: a user agent, an error message, an object key, a
        // policy given as JSON text, an Authorization parameter.
        "PLANTEDBEARER10abc", "PLANTEDERRPW11", "PLANTEDKEYTOKEN12", "PLANTEDJSONPW13", "PLANTEDBASIC14xyz",
    ]

    @Test func noCommandLeaksAPlantedSecret() throws {
        let root = try TestPaths.temporaryDirectory("secrets")
        let inputs = root.appendingPathComponent("inputs"), outputs = root.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: inputs, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: outputs, withIntermediateDirectories: true)
        // Secrets inside the logs themselves.
        let ct = """
            {"Records":[{"eventVersion":"1.08","eventTime":"2026-08-01T10:00:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey",
             "eventID":"s-1","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.1","recipientAccountId":"111122223333",
             "userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/bob","accountId":"111122223333","userName":"bob"},
             "requestParameters":{"userName":"carol","password":"PLANTEDPASSWORD6","token":"dapiffffffffffffffffffffffffffffffff","note":"leaked AKIAPLANTED7EXAMPLE7"},
             "responseElements":{"accessKey":{"secretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYPLANTEDSECRET1"}}},
             {"eventVersion":"1.08","eventTime":"2026-08-01T10:05:00Z","eventSource":"s3.amazonaws.com","eventName":"PutObject",
             "eventID":"s-2","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.1","recipientAccountId":"111122223333",
             "userAgent":"curl/8.5 Authorization: Bearer PLANTEDBEARER10abc","errorCode":"AccessDenied",
             "errorMessage":"invalid password=PLANTEDERRPW11 for this request",
             "userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/bob","accountId":"111122223333","userName":"bob"},
             "requestParameters":{"bucketName":"dumps","key":"exports/token=PLANTEDKEYTOKEN12.txt",
               "policy":"{\\"Statement\\":[],\\"password\\":\\"PLANTEDJSONPW13\\"}","Authorization":"Basic PLANTEDBASIC14xyz"},
             "resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::dumps/exports/token=PLANTEDKEYTOKEN12.txt"}]}]}
            """
        try Data(ct.utf8).write(
            to: inputs.appendingPathComponent("111122223333_CloudTrail_us-east-1_20260801T1000Z_x.json"))
        let dbx =
            "{\"version\":\"2.0\",\"timestamp\":1785578400000,\"workspaceId\":\"1\",\"serviceName\":\"secrets\",\"actionName\":\"putSecret\",\"requestId\":\"d-1\","
            + "\"userIdentity\":{\"email\":\"a@acme.example\"},\"requestParams\":{\"scope\":\"s\",\"key\":\"k\",\"string_value\":\"PLANTEDDBXSECRET8\"}}\n"
        try Data(dbx.utf8).write(to: inputs.appendingPathComponent("databricks.json"))
        // Secrets in the environment and in the AWS config files.
        let home = root.appendingPathComponent("home")
        try FileManager.default.createDirectory(
            at: home.appendingPathComponent(".aws"), withIntermediateDirectories: true)
        try Data(
            "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = PLANTEDPROFILESECRET5\n".utf8
        )
        .write(to: home.appendingPathComponent(".aws/credentials"))
        let env = [
            "HOME": home.path, "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYPLANTEDSECRET1",
            "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
            "AWS_SESSION_TOKEN": "IQoJb3JpZ2luX2VjEPLANTEDTOKEN2",
            "DATABRICKS_TOKEN": "dapi-test-token-0123456789abcdef",
            "DATABRICKS_CLIENT_SECRET": "sp-client-secret-do-not-print",
            "CROSSTRAIL_REDACTION_KEY": "PLANTEDREDACTIONKEY4",
            "AWS_CONFIG_FILE": "/nonexistent",
        ]
        let tls = try TestTLS.make()
        let server = try TestServer.fakeAPIs(tls)
        let o = outputs.path, i = inputs.path
        let commands: [[String]] = [
            ["timeline", i, "--format", "jsonl"], ["timeline", i, "--format", "csv"],
            ["timeline", i, "--format", "table"],
            ["timeline", i, "--format", "ocsf"], ["timeline", i, "--format", "timesketch"],
            ["timeline", i, "--stats-json", o + "/stats.json"],
            ["scan", i, "--format", "json"], ["scan", i, "--format", "table"], ["scan", i, "--store", o + "/case.db"],
            ["findings", "--store", o + "/case.db"], ["timeline", "--store", o + "/case.db", "--format", "jsonl"],
            ["whois", "bob", i], ["rules", "list"],
            ["report", i, "--out", o + "/pack", "--zip", "--generated-at", "2026-09-01T00:00:00Z"],
            ["verify", o + "/pack"],
            ["fetch", "databricks", "--host", server.url, "--inventory", "--out", o + "/dbx", "--ca-bundle", tls.ca],
            [
                "fetch", "cloudtrail", "--since", "2026-08-01", "--until", "2026-08-02", "--out", o + "/lookup",
                "--endpoint-url", server.url, "--ca-bundle", tls.ca,
            ],
            ["fetch", "iam", "--out", o + "/iam", "--endpoint-url", "https://127.0.0.1:1", "--retries", "0"],
            // A secret passed where it does not belong is not echoed back in the error either.
            ["timeline", "--since", "dapiffffffffffffffffffffffffffffffff"],
        ]
        var results: [CommandResult] = []
        for c in commands {
            let r = try runCrossTrail(c, environment: env)
            results.append(r)
            if c.first != "fetch" || c[1] != "iam" {
                #expect(
                    r.status == 0 || c.first == "timeline" && c.count == 3, "\(c.joined(separator: " ")): \(r.stderr)")
            }
        }
        for (c, r) in zip(commands, results) {
            for s in Self.planted {
                #expect(!r.stdout.contains(s), "\(c.joined(separator: " ")) printed \(s)")
                #expect(!r.stderr.contains(s) || c.last == s, "\(c.joined(separator: " ")) logged \(s)")
            }
        }
        // Every file any command wrote: timelines, stores (SQLite pages), packs, zips, manifests.
        var checked = 0
        for rel in try FileManager.default.subpathsOfDirectory(atPath: outputs.path) {
            let url = outputs.appendingPathComponent(rel)
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), !isDir.boolValue else {
                continue
            }
            let data = try Data(contentsOf: url)
            checked += 1
            for s in Self.planted { #expect(data.range(of: Data(s.utf8)) == nil, "\(rel) contains \(s)") }
        }
        #expect(checked > 20)
    }
}
