import Foundation

/// Where AWS calls go and with which credentials, resolved as the AWS CLI does: `--profile`, else
/// the environment's keys, else `AWS_PROFILE` (or `default`) in the shared credentials and config
/// files; `credential_process` is run for profiles that use it. Region: `--region`, `AWS_REGION`,
/// `AWS_DEFAULT_REGION`, the profile's `region`, else us-east-1.
public struct AWSConfig: Sendable {
    public var credentials: AWSCredentials
    public var region: String
    /// `--endpoint-url` (S3-compatible stores, tests); nil for AWS itself.
    public var endpointURL: String?
    /// Path-style S3 addressing (`endpoint/bucket/key`); on by default with an IP or localhost endpoint.
    public var pathStyle: Bool

    public struct ConfigError: Error, CustomStringConvertible {
        /// What is wrong: no usable credentials, or an option value that cannot work.
        public enum Kind: Sendable { case credentials, option }
        public var kind = Kind.credentials
        public var description: String
    }

    public static func resolve(
        profile: String?, region: String?, endpointURL: String?, pathStyle: Bool,
        environment env: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> AWSConfig {
        let home = env["HOME"] ?? NSHomeDirectory()
        let credentialsFile = env["AWS_SHARED_CREDENTIALS_FILE"] ?? home + "/.aws/credentials"
        let configFile = env["AWS_CONFIG_FILE"] ?? home + "/.aws/config"
        let credentialsINI = INI.load(credentialsFile)
        let configINI = INI.load(configFile)
        let profileName = profile ?? env["AWS_PROFILE"] ?? "default"
        // Config sections are "[profile NAME]", except "[default]".
        let configSection =
            configINI[profileName == "default" ? "default" : "profile " + profileName] ?? configINI[profileName] ?? [:]
        let credSection = credentialsINI[profileName] ?? [:]

        var creds: AWSCredentials?
        if profile == nil, let id = env["AWS_ACCESS_KEY_ID"], let secret = env["AWS_SECRET_ACCESS_KEY"], !id.isEmpty,
            !secret.isEmpty
        {
            creds = AWSCredentials(
                accessKeyId: id, secretAccessKey: secret,
                sessionToken: env["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 },
                source: "environment")
        }
        if creds == nil {
            for (section, file) in [(credSection, credentialsFile), (configSection, configFile)] {
                if let id = section["aws_access_key_id"], let secret = section["aws_secret_access_key"] {
                    creds = AWSCredentials(
                        accessKeyId: id, secretAccessKey: secret, sessionToken: section["aws_session_token"],
                        source: "profile \(profileName) in \(file)")
                    break
                }
            }
        }
        if creds == nil, let process = credSection["credential_process"] ?? configSection["credential_process"] {
            creds = try credentialProcess(process, profile: profileName)
        }
        guard let credentials = creds else {
            var why =
                "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add profile '\(profileName)' to \(credentialsFile)"
            if configSection["sso_session"] != nil || configSection["sso_start_url"] != nil {
                why +=
                    " (profile '\(profileName)' uses AWS SSO, which crosstrail does not read: run `aws configure export-credentials --profile \(profileName) --format env` and export the result)"
            }
            throw ConfigError(description: why)
        }
        let resolvedRegion =
            region ?? env["AWS_REGION"] ?? env["AWS_DEFAULT_REGION"] ?? configSection["region"] ?? "us-east-1"
        var endpoint = endpointURL ?? env["AWS_ENDPOINT_URL"]
        if let e = endpoint {
            while endpoint?.hasSuffix("/") == true { endpoint?.removeLast() }
            guard e.lowercased().hasPrefix("https://"), let c = URLComponents(string: e), c.user == nil,
                c.password == nil, c.host?.isEmpty == false
            else {
                throw ConfigError(
                    kind: .option,
                    description:
                        "--endpoint-url must be an https:// URL without user information (got \(e)): requests carry signed credentials and are never sent without TLS"
                )
            }
        }
        let host = endpoint.map { URLComponents(string: $0)?.host ?? "" } ?? ""
        let local =
            host == "localhost" || host.allSatisfy { $0.isNumber || $0 == "." } && !host.isEmpty || host.contains(":")
        return AWSConfig(
            credentials: credentials, region: resolvedRegion, endpointURL: endpoint, pathStyle: pathStyle || local)
    }

    /// Runs a profile's `credential_process` (split into arguments, no shell) and reads its JSON.
    static func credentialProcess(_ command: String, profile: String) throws -> AWSCredentials {
        let args = INI.splitArguments(command)
        guard let exe = args.first else {
            throw ConfigError(description: "profile \(profile): empty credential_process")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe.hasPrefix("/") ? exe : "/usr/bin/env")
        p.arguments = exe.hasPrefix("/") ? Array(args.dropFirst()) : args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch {
            throw ConfigError(description: "profile \(profile): cannot run credential_process \(exe)")
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0,
            let doc = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let id = doc["AccessKeyId"] as? String, let secret = doc["SecretAccessKey"] as? String
        else {
            throw ConfigError(
                description:
                    "profile \(profile): credential_process \(exe) failed or printed no AccessKeyId/SecretAccessKey")
        }
        return AWSCredentials(
            accessKeyId: id, secretAccessKey: secret, sessionToken: doc["SessionToken"] as? String,
            source: "credential_process of profile \(profile)")
    }

    /// The endpoint for a service (`https://iam.amazonaws.com`, `https://cloudtrail.us-east-1.amazonaws.com`).
    public func endpoint(_ service: String) -> String {
        if let endpointURL { return endpointURL }
        switch service {
        case "iam":
            return region.hasPrefix("cn-")
                ? "https://iam.cn-north-1.amazonaws.com.cn"
                : region.hasPrefix("us-gov-") ? "https://iam.us-gov.amazonaws.com" : "https://iam.amazonaws.com"
        case "organizations":
            // Global, served from one region per partition.
            return region.hasPrefix("cn-")
                ? "https://organizations.cn-northwest-1.amazonaws.com.cn"
                : region.hasPrefix("us-gov-")
                    ? "https://organizations.us-gov-west-1.amazonaws.com"
                    : "https://organizations.us-east-1.amazonaws.com"
        default: return "https://\(service).\(region).amazonaws.com" + (region.hasPrefix("cn-") ? ".cn" : "")
        }
    }

    /// The signing region for a service (IAM and Organizations are global, signed in us-east-1 on
    /// the aws partition).
    public func signingRegion(_ service: String) -> String {
        switch service {
        case "iam":
            return region.hasPrefix("cn-") ? "cn-north-1" : region.hasPrefix("us-gov-") ? "us-gov-west-1" : "us-east-1"
        case "organizations":
            return region.hasPrefix("cn-")
                ? "cn-northwest-1" : region.hasPrefix("us-gov-") ? "us-gov-west-1" : "us-east-1"
        default: return region
        }
    }
}

/// The AWS CLI's INI files: `[section]` headers and `key = value` lines; `#`/`;` comments.
enum INI {
    static func load(_ path: String) -> [String: [String: String]] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [:] }
        return parse(text)
    }

    static func parse(_ text: String) -> [String: [String: String]] {
        var out: [String: [String: String]] = [:]
        var section: String?
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                section = String(line.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                continue
            }
            guard let s = section, let eq = line.firstIndex(of: "=") else { continue }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            out[s, default: [:]][key] = value
        }
        return out
    }

    /// Splits a command line on spaces, keeping quoted parts together (no shell involved).
    static func splitArguments(_ s: String) -> [String] {
        var out: [String] = [], current = "", quote: Character?
        var has = false
        for ch in s {
            if let q = quote {
                if ch == q { quote = nil } else { current.append(ch) }
            } else if ch == "\"" || ch == "'" {
                quote = ch
                has = true
            } else if ch == " " || ch == "\t" {
                if has || !current.isEmpty { out.append(current); current = ""; has = false }
            } else {
                current.append(ch)
            }
        }
        if has || !current.isEmpty { out.append(current) }
        return out
    }
}
