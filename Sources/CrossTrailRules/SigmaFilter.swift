import CrossTrailModel
import Foundation
import Yams

/// A Sigma filter (specification v2, "Sigma Filters"): selections and a condition ANDed to the
/// conditions of the rules it names, so an environment's known-good activity is excluded without
/// editing the rules. The usual form is `condition: not selection`.
///
/// ```yaml
/// title: Terraform's deploy role may attach policies
/// filter:
///   rules: [aws-iam-admin-policy-attached]
///   selection:
///     userIdentity.sessionContext.sessionIssuer.userName: terraform-deploy
///   condition: not selection
/// ```
public struct SigmaFilter: Sendable {
    public let id: String
    public let title: String
    public let file: String
    public let line: Int?
    /// The `rules:` entries as written (name, id or title).
    public let references: [String]
    let selections: [String: Selection]
    let condition: Condition

    static func parse(_ map: Node.Mapping, file: String, line: Int?, placeholders: [String: [String]] = [:])
        throws(RuleParseError) -> SigmaFilter
    {
        func string(_ n: Node?) -> String? { n?.scalar?.string }
        guard let title = string(map["title"]) else { throw RuleParseError("filter has no title", line: line) }
        guard let body = map["filter"]?.mapping else {
            throw RuleParseError("'filter' must be a mapping", line: map["filter"]?.mark?.line ?? line)
        }
        let at = map["filter"]?.mark?.line ?? line
        let references =
            body["rules"]?.scalar.map { [$0.string] } ?? body["rules"]?.sequence?.compactMap { $0.scalar?.string } ?? []
        guard !references.isEmpty else {
            throw RuleParseError("a filter lists the rules it applies to (rules: [name or id])", line: at)
        }
        var warnings = [String]()
        let (selections, condition) = try RuleLoader.selectionsAndCondition(
            body, owner: "filter", at: at, skipping: ["rules"], placeholders: placeholders, warnings: &warnings)
        return SigmaFilter(
            id: RuleLoader.key(map, title: title).id, title: title, file: file, line: line, references: references,
            selections: selections, condition: condition)
    }

    /// The rules with every filter applied to the rules it names (by `name`, `id` or title). A
    /// reference that names no rule is an error: a filter that silently applies to nothing would
    /// leave the findings it was written to remove.
    static func apply(_ filters: [SigmaFilter], to rules: [SigmaRule]) -> ([SigmaRule], [RuleError]) {
        var out = rules, errors = [RuleError]()
        for f in filters {
            for ref in f.references {
                let hits = out.indices.filter {
                    out[$0].id == ref || out[$0].metadata.uuid == ref || out[$0].title == ref
                }
                guard !hits.isEmpty else {
                    errors.append(
                        RuleError(
                            file: f.file, line: f.line,
                            reason: "filter '\(f.id)': rule '\(ref)' matches no rule's name, id or title"))
                    continue
                }
                for i in hits { out[i] = out[i].filtered(by: f) }
            }
        }
        return (out, errors)
    }
}

extension SigmaRule {
    /// This rule with `filter`'s condition ANDed to its own (its selections kept apart by name).
    func filtered(by filter: SigmaFilter) -> SigmaRule {
        let prefix = SigmaRule.filterPrefix + filter.id + "/"
        var merged = selections
        for (name, s) in filter.selections { merged[prefix + name] = s }
        return SigmaRule(
            id: id, title: title, description: description, severity: severity, product: product, service: service,
            mitre: mitre, remediation: remediation, controls: controls, file: file, selections: merged,
            condition: .and(condition, filter.condition.renamed { prefix + $0 }), matchExamples: matchExamples,
            nomatchExamples: nomatchExamples, metadata: metadata, warnings: warnings,
            filteredBy: filteredBy + [filter.id])
    }

    /// Selection names a filter added start with this (never a YAML name).
    static let filterPrefix = "\u{0}filter/"
}

extension Condition {
    /// The same condition over renamed selections.
    func renamed(_ rename: (String) -> String) -> Condition {
        switch self {
        case .selection(let n): return .selection(rename(n))
        case .not(let c): return .not(c.renamed(rename))
        case .and(let a, let b): return .and(a.renamed(rename), b.renamed(rename))
        case .or(let a, let b): return .or(a.renamed(rename), b.renamed(rename))
        case .quantified(let all, let names): return .quantified(all: all, names: names.map(rename))
        case .index, .quantifiedIndexes: return self
        }
    }
}
