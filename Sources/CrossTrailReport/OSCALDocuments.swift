import CrossTrailModel
import Foundation

/// The OSCAL 1.2.3 JSON documents of an evidence pack, each importing the next, so every
/// reference resolves inside the pack:
///
/// `oscal-assessment-results.json` → `import-ap` `oscal-assessment-plan.json` → `import-ssp`
/// `oscal-ssp.json` → `import-profile` `oscal-catalog.json` (every control the pack cites, with
/// its framework's id and title).
///
/// The XML assessment results (`oscal-assessment-results.xml`) say the same as the JSON one.
/// UUIDs are version 5 from content, so the same inputs and `--generated-at` give the same bytes.
public enum OSCALDocuments {
    public static let catalogFile = "oscal-catalog.json"
    public static let sspFile = "oscal-ssp.json"
    public static let planFile = "oscal-assessment-plan.json"
    public static let resultsFile = "oscal-assessment-results.json"
    /// The pack files the results cite as evidence, with their SHA-256 in back-matter.
    public static let evidenceFiles = ["controls.csv", "evidence.xml", "findings.json", "timeline.jsonl"]

    public typealias Object = [String: Any]

    static func uuid(_ name: String) -> String { OSCALReport.uuid(name) }

    static func metadata(_ p: EvidencePack, _ title: String) -> Object {
        [
            "title": title,
            "last-modified": p.meta.generatedAt.iso8601,
            "version": p.meta.period?.label ?? "events",
            "oscal-version": OSCALReport.oscalVersion,
            "props": [
                prop("tool", "crosstrail " + p.meta.toolVersion), prop("rules-hash", p.meta.rulesHash),
            ],
            "parties": [
                ["uuid": uuid("party|crosstrail"), "type": "organization", "name": "crosstrail (automated assessment)"]
            ],
        ]
    }

    static func prop(_ name: String, _ value: String) -> Object {
        ["name": name, "ns": OSCALReport.propNamespace, "value": value]
    }

    static func markup(_ paragraphs: [String]) -> String { paragraphs.joined(separator: "\n\n") }

    /// The controls of the pack: those of the catalog's frameworks and any a finding cites.
    static func controlIDs(_ p: EvidencePack) -> [String] {
        var seen = Set<String>()
        return p.controls.map { OSCALReport.controlID($0.framework, $0.id) }.filter { seen.insert($0).inserted }
    }

    /// One group per framework, one control per cited or catalogued control.
    public static func catalog(_ p: EvidencePack) -> Object {
        var groups: [Object] = []
        var seen = Set<String>()
        for fw in Dictionary(grouping: p.controls, by: \.framework).keys.sorted() {
            var controls: [Object] = []
            for c in p.controls where c.framework == fw {
                let id = OSCALReport.controlID(c.framework, c.id)
                guard seen.insert(id).inserted else { continue }
                controls.append([
                    "id": id, "title": c.title,
                    "props": [["name": "label", "value": c.id]],
                ])
            }
            let title = p.frameworks.first { $0.name == fw }?.title ?? fw
            groups.append([
                "id": OSCALReport.controlID(fw, "").trimmingCharacters(in: CharacterSet(charactersIn: "-"))
                    .ifEmpty("nist-800-53"),
                "title": fw + " — " + title, "controls": controls,
            ])
        }
        return [
            "catalog": [
                "uuid": uuid("catalog|" + controlIDs(p).joined(separator: ",")),
                "metadata": metadata(p, "Controls cited by crosstrail (ids and titles of their frameworks)"),
                "groups": groups,
            ]
        ]
    }

    /// The system assessed, as far as the logs describe it: the AWS accounts/regions and
    /// Databricks workspaces that logged in the period.
    public static func ssp(_ p: EvidencePack) -> Object {
        let sources = p.sources.map(\.id)
        return [
            "system-security-plan": [
                "uuid": uuid("ssp|" + sources.joined(separator: ",")),
                "metadata": metadata(p, "AWS and Databricks estate assessed by crosstrail"),
                "import-profile": ["href": catalogFile],
                "system-characteristics": [
                    "system-ids": [["identifier-type": "urn:crosstrail:sources", "id": "crosstrail-audited-estate"]],
                    "system-name": "AWS and Databricks estate",
                    "description":
                        "The AWS accounts and regions and the Databricks workspaces whose audit logs were assessed: "
                        + (sources.isEmpty ? "none" : sources.joined(separator: ", ")) + ".",
                    "system-information": [
                        "information-types": [
                            [
                                "title": "Audit logs",
                                "description":
                                    "CloudTrail and Databricks audit events, IAM and Databricks permissions.",
                            ]
                        ]
                    ],
                    "status": ["state": "operational"],
                    "authorization-boundary": [
                        "description": "Described by the logs and inventory given to crosstrail (inputs.json)."
                    ],
                ],
                "system-implementation": [
                    "users": [["uuid": uuid("ssp|user|auditor"), "title": "Assessor"]],
                    "components": [
                        [
                            "uuid": uuid("component|this-system"), "type": "this-system",
                            "title": "AWS and Databricks estate",
                            "description": "The accounts, regions and workspaces of the coverage section.",
                            "status": ["state": "operational"],
                        ],
                        [
                            "uuid": uuid("component|crosstrail"), "type": "software", "title": "crosstrail",
                            "description": "The assessment tool, version \(p.meta.toolVersion).",
                            "status": ["state": "operational"],
                        ],
                    ],
                ],
                "control-implementation": [
                    "description": "The controls crosstrail assesses from the audit trail and the permissions.",
                    "implemented-requirements": controlIDs(p).map { id in
                        ["uuid": uuid("ssp|requirement|" + id), "control-id": id] as Object
                    },
                ],
            ]
        ]
    }

    /// What was assessed: the controls, the period, the inputs and the rules.
    public static func plan(_ p: EvidencePack) -> Object {
        [
            "assessment-plan": [
                "uuid": uuid("ap|" + (p.meta.period?.label ?? "events") + "|" + p.meta.generatedAt.iso8601),
                "metadata": metadata(p, "\(p.meta.title): assessment plan"),
                "import-ssp": ["href": sspFile],
                "terms-and-conditions": [
                    "parts": [
                        [
                            "name": "assessment-method", "title": "Method",
                            "prose": markup([
                                "Automated evaluation of the audit logs of the period \(p.meta.spanText) (\(p.timelineTotal) events from \(p.sources.count) sources) with crosstrail's rules (rules hash \(p.meta.rulesHash)), of IAM and Databricks permissions, and of the data classification.",
                                "Command: \(p.meta.command)",
                                "Inputs: \(p.inputs.count) files, each with its SHA-256 in inputs.json.",
                            ]),
                        ] as Object
                    ]
                ],
                "reviewed-controls": [
                    "control-selections": [
                        controlIDs(p).isEmpty
                            ? ["include-all": [String: Any]()] as Object
                            : ["include-controls": controlIDs(p).map { ["control-id": $0] as Object }] as Object
                    ]
                ],
            ]
        ]
    }

    /// The results: one observation per crosstrail finding and per control's evidence, one
    /// OSCAL finding per assessed control.
    /// - Parameter hashes: SHA-256 of pack files (`evidenceFiles`): each becomes a back-matter
    ///   resource with its hash, and evidence links to it point at the resource (`#uuid`).
    public static func results(_ p: EvidencePack, hashes: [String: String] = [:]) -> Object {
        let label = p.meta.period?.label ?? "events"
        let assessed = p.controls.filter { $0.status != .notAssessed }
        let notAssessed = p.controls.filter { $0.status == .notAssessed }
        func resource(_ file: String) -> String { uuid("resource|" + file) }
        func evidence(_ href: String, _ text: String) -> Object {
            ["href": hashes[href] == nil ? href : "#" + resource(href), "description": text]
        }
        var observations: [Object] = []
        for f in p.findings {
            var o: Object = [
                "uuid": uuid("obs|finding|" + f.id), "title": "\(f.id) \(f.rule)",
                "description": markup([f.title, "Severity \(f.severity.rawValue). Remediation: \(f.remediation)"]),
                "methods": ["TEST"], "collected": p.meta.generatedAt.iso8601,
            ]
            var props = [prop("severity", f.severity.rawValue)]
            if let s = f.status { props.append(prop("status", s)) }
            if let m = f.mitre { props.append(prop("mitre-attack", m)) }
            o["props"] = props
            var ev = [evidence("findings.json", "The finding with its subjects, resources and evidence (id \(f.id)).")]
            if !f.evidence.events.isEmpty {
                ev.append(evidence("timeline.jsonl", "Evidence events: " + f.evidence.events.joined(separator: ", ")))
            }
            o["relevant-evidence"] = ev
            observations.append(o)
        }
        for c in assessed {
            observations.append([
                "uuid": uuid("obs|control|" + c.framework + "|" + c.id), "title": "Evidence for \(c.framework) \(c.id)",
                "description": markup(
                    c.evidence.isEmpty
                        ? ["No evidence item beyond the findings."]
                        : c.evidence.map { $0.description + ($0.kind.hasPrefix("events:") ? ": \($0.count)" : "") }),
                "methods": ["EXAMINE"], "collected": p.meta.generatedAt.iso8601,
                "relevant-evidence": [
                    evidence(
                        "evidence.xml", "Control \(c.framework) \(c.id): the evidence and the findings against it."),
                    evidence("controls.csv", "The control's row."),
                ],
            ])
        }
        let findings: [Object] = assessed.map { c in
            var related = [["observation-uuid": uuid("obs|control|" + c.framework + "|" + c.id)]]
            related += c.findings.map { ["observation-uuid": uuid("obs|finding|" + $0)] }
            return [
                "uuid": uuid("finding|" + c.framework + "|" + c.id), "title": "\(c.framework) \(c.id): \(c.title)",
                "description": c.reason,
                "props": [prop("control-status", c.status.rawValue)],
                "target": [
                    "type": "objective-id", "target-id": OSCALReport.controlID(c.framework, c.id) + "_obj",
                    "status": [
                        "state": c.status == .satisfied ? "satisfied" : "not-satisfied",
                        "reason": c.status == .satisfied ? "pass" : c.status == .notSatisfied ? "fail" : "other",
                        "remarks": c.status.label + ": " + c.reason,
                    ] as Object,
                ] as Object,
                "related-observations": related,
            ]
        }
        var result: Object = [
            "uuid": uuid("result|" + label), "title": "crosstrail automated assessment: \(p.meta.spanText)",
            "description": markup([
                "Automated evaluation of AWS CloudTrail and Databricks audit events, IAM and Databricks permissions, and data classification by crosstrail.",
                "\(p.timelineTotal) events from \(p.sources.count) sources; \(p.findings.count) findings; \(assessed.count) controls assessed.",
                "Controls: " + ControlSummary(p.controls).text
                    + ". Insufficient evidence is written as not-satisfied with reason other: the inputs did not show the control operating.",
            ]),
            "start": (p.meta.period?.start ?? p.meta.first ?? p.meta.generatedAt).iso8601,
            "reviewed-controls": [
                "control-selections": [
                    assessed.isEmpty
                        ? ["include-all": [String: Any]()] as Object
                        : [
                            "include-controls": controlIDs(p).filter { id in
                                assessed.contains { OSCALReport.controlID($0.framework, $0.id) == id }
                            }.map { ["control-id": $0] as Object }
                        ] as Object
                ]
            ],
        ]
        if let end = p.meta.period?.end ?? p.meta.last { result["end"] = end.iso8601 }
        if !observations.isEmpty { result["observations"] = observations }
        if !findings.isEmpty { result["findings"] = findings }
        if !notAssessed.isEmpty {
            result["remarks"] =
                "Not assessed: " + notAssessed.map { "\($0.framework) \($0.id) (\($0.reason))" }.joined(separator: "; ")
        }
        var document: Object = [
            "uuid": uuid("ar|" + label + "|" + p.meta.generatedAt.iso8601),
            "metadata": metadata(p, "\(p.meta.title): \(label)"),
            "import-ap": ["href": planFile],
            "results": [result],
        ]
        if !hashes.isEmpty {
            document["back-matter"] = [
                "resources": hashes.keys.sorted().map { file -> Object in
                    [
                        "uuid": resource(file), "title": file,
                        "rlinks": [["href": file, "hashes": [["algorithm": "SHA-256", "value": hashes[file]!]]]],
                    ]
                }
            ]
        }
        return ["assessment-results": document]
    }

    /// Pretty, key-sorted JSON (deterministic bytes).
    public static func text(_ document: Object) -> String {
        let data =
            (try? JSONSerialization.data(
                withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

extension String {
    fileprivate func ifEmpty(_ other: String) -> String { isEmpty ? other : self }
}
