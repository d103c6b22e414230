import CrossTrailIngest
import CrossTrailModel
import Foundation

/// Where a statement comes from, so every decision can cite the policy that made it.
public struct PolicyRef: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable {
        case inline, managed, groupInline = "group-inline", groupManaged = "group-managed", boundary, trust
        /// Service and resource control policies (AWS Organizations), resource-based policies.
        case scp, rcp, resource
    }

    public var kind: Kind
    public var name: String
    /// Managed policy ARN.
    public var arn: String?
    /// The group a group policy reaches the principal through.
    public var group: String?

    public init(kind: Kind, name: String, arn: String? = nil, group: String? = nil) {
        self.kind = kind
        self.name = name
        self.arn = arn
        self.group = group
    }

    public var description: String {
        var s: String
        switch kind {
        case .scp: s = "SCP \(name)"
        case .rcp: s = "RCP \(name)"
        case .resource: s = "resource policy of \(arn ?? name)"
        default: s = "\(kind.rawValue) policy \(arn ?? name)"
        }
        if let group { s += " (via group \(group))" }
        return s
    }
}

/// A list of action or resource patterns, or its complement (`NotAction`, `NotResource`).
public struct PatternSet: Sendable, Hashable {
    public var patterns: [IAMPattern]
    public var negated: Bool

    public init(_ patterns: [IAMPattern], negated: Bool = false) {
        self.patterns = patterns
        self.negated = negated
    }

    /// Every value the query stands for is in the set.
    public func covers(_ q: IAMPattern) -> Bool {
        negated ? !patterns.contains { $0.overlaps(q) } : patterns.contains { $0.covers(q) }
    }

    /// Some value the query stands for is in the set.
    public func overlaps(_ q: IAMPattern) -> Bool {
        negated ? !patterns.contains { $0.covers(q) } : patterns.contains { $0.overlaps(q) }
    }

    public var isEverything: Bool { !negated && patterns.contains(where: \.isWildcardAll) }

    public var text: String {
        (negated ? "Not:" : "") + patterns.map(\.text).joined(separator: ",")
    }
}

/// One statement of a policy document. A class: evaluation passes statements around a lot,
/// and they never change once read. Equal only to itself.
public final class PolicyStatement: Sendable, Hashable {
    public enum Effect: String, Sendable, Codable { case allow = "Allow", deny = "Deny" }

    public let sid: String?
    public let effect: Effect
    public let actions: PatternSet
    public let resources: PatternSet
    /// `Principal` of a trust or resource policy: type (`AWS`, `Service`, `Federated`, `*`) → values.
    public let principals: [String: [String]]
    public let notPrincipal: Bool
    /// The `Condition` block as JSON text; present means the statement applies only sometimes.
    public let condition: String?
    /// The block, parsed: what can be decided offline (`PolicyCondition`).
    public let conditionBlock: PolicyCondition?
    public let source: PolicyRef

    public init(
        sid: String?, effect: Effect, actions: PatternSet, resources: PatternSet, principals: [String: [String]],
        notPrincipal: Bool, condition: String?, conditionBlock: PolicyCondition? = nil, source: PolicyRef
    ) {
        self.sid = sid
        self.effect = effect
        self.actions = actions
        self.resources = resources
        self.principals = principals
        self.notPrincipal = notPrincipal
        self.condition = condition
        self.conditionBlock = conditionBlock
        self.source = source
    }

    /// The same statement reached another way (through a group, as a boundary).
    public func with(source: PolicyRef) -> PolicyStatement {
        PolicyStatement(
            sid: sid, effect: effect, actions: actions, resources: resources, principals: principals,
            notPrincipal: notPrincipal, condition: condition, conditionBlock: conditionBlock, source: source)
    }

    public var isConditional: Bool { condition != nil }

    /// Whether the statement applies at `time` (nil: conditions are not decided).
    public func verdict(at time: Timestamp?) -> PolicyCondition.Verdict {
        verdict(in: PolicyCondition.Context(time: time))
    }

    /// Whether the statement applies to a request in `context`.
    public func verdict(in context: PolicyCondition.Context) -> PolicyCondition.Verdict {
        guard isConditional else { return .holds }
        guard let conditionBlock else { return .unknown }
        return conditionBlock.verdict(in: context)
    }

    /// Whether the statement's Condition tests the calling principal (`PolicyCondition.Context`).
    public var testsPrincipal: Bool { conditionBlock?.testsPrincipal ?? false }

    public static func == (a: PolicyStatement, b: PolicyStatement) -> Bool { a === b }
    public func hash(into h: inout Hasher) { h.combine(ObjectIdentifier(self)) }
}

public struct PolicyDocumentError: Error, CustomStringConvertible, Sendable {
    public var reason: String
    /// The line of a text document (classification YAML) the error is on, when known.
    public var line: Int?
    public init(reason: String, line: Int? = nil) {
        self.reason = reason
        self.line = line
    }
    public var description: String { reason }
}

public enum PolicyDocument {
    /// Reads a policy document given as a JSON object, JSON text, or URL-encoded JSON text (the
    /// raw IAM API form).
    public static func statements(from json: JSON, source: PolicyRef) throws(PolicyDocumentError) -> [PolicyStatement] {
        var doc = json
        if case .string(let text) = json {
            let decoded = text.hasPrefix("%7B") || text.hasPrefix("%7b") ? (text.removingPercentEncoding ?? text) : text
            do { doc = try JSON.parse(text: decoded) } catch {
                throw PolicyDocumentError(reason: "\(source): policy document is not JSON (\(error))")
            }
        }
        guard let stmt = doc["Statement"] else {
            throw PolicyDocumentError(reason: "\(source): policy document has no Statement")
        }
        let list: [JSON]
        switch stmt {
        case .array(let a): list = a
        case .object: list = [stmt]
        default: throw PolicyDocumentError(reason: "\(source): Statement is neither an object nor a list")
        }
        var out = [PolicyStatement]()
        for (i, s) in list.enumerated() {
            guard let effectText = s["Effect"]?.string, let effect = PolicyStatement.Effect(rawValue: effectText) else {
                throw PolicyDocumentError(reason: "\(source): statement \(i + 1) has no valid Effect")
            }
            let actions: PatternSet
            if let a = s["Action"] {
                actions = PatternSet(a.strings.map(IAMPattern.action))
            } else if let a = s["NotAction"] {
                actions = PatternSet(a.strings.map(IAMPattern.action), negated: true)
            } else if source.kind == .trust {
                actions = PatternSet([.action("sts:AssumeRole")])
            } else {
                throw PolicyDocumentError(reason: "\(source): statement \(i + 1) has neither Action nor NotAction")
            }
            let resources: PatternSet
            if let r = s["Resource"] {
                resources = PatternSet(r.strings.map(IAMPattern.resource))
            } else if let r = s["NotResource"] {
                resources = PatternSet(r.strings.map(IAMPattern.resource), negated: true)
            } else {
                // Trust policies name no resource: the role itself is the resource.
                resources = PatternSet([.resource("*")])
            }
            var principals = [String: [String]]()
            let principalJSON = s["Principal"] ?? s["NotPrincipal"]
            if let p = principalJSON {
                if case .string(let v) = p { principals["*"] = [v] }
                for (k, v) in p.sortedMembers { principals[k] = v.policyValues }
            }
            var condition: String?
            var block: PolicyCondition?
            if let c = s["Condition"], let members = c.object, !members.isEmpty {
                condition = c.text
                block = PolicyCondition(c)
            }
            out.append(
                PolicyStatement(
                    sid: s["Sid"]?.string, effect: effect, actions: actions, resources: resources,
                    principals: principals, notPrincipal: s["NotPrincipal"] != nil, condition: condition,
                    conditionBlock: block, source: source
                ))
        }
        return out
    }
}
