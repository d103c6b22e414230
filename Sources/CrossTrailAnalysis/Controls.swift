import CrossTrailModel

/// The controls each kind of finding is evidence for.
enum Controls {
    static let soc2 = "SOC 2", iso = "ISO 27001:2022", pci = "PCI DSS 4.0", hipaa = "HIPAA", nist = "NIST 800-53"

    /// Least privilege and privileged access (admins, escalation paths).
    static let privilegedAccess: [ControlRef] = [
        .init(soc2, "CC6.1"), .init(soc2, "CC6.3"), .init(iso, "A.5.15"), .init(iso, "A.5.18"), .init(iso, "A.8.2"),
        .init(pci, "7.2.1"), .init(pci, "7.2.2"), .init(hipaa, "164.312(a)(1)"), .init(nist, "AC-2"),
        .init(nist, "AC-6"),
    ]

    /// Access enforcement on data (broad grants, wildcard policies, cross-plane paths).
    static let dataAccess: [ControlRef] = [
        .init(soc2, "CC6.1"), .init(soc2, "CC6.3"), .init(iso, "A.5.15"), .init(iso, "A.8.2"),
        .init(pci, "7.2.1"), .init(pci, "7.2.2"), .init(hipaa, "164.312(a)(1)"), .init(nist, "AC-3"),
        .init(nist, "AC-6"),
    ]

    /// Access review (unused permissions, flat access).
    static let accessReview: [ControlRef] = [
        .init(soc2, "CC6.3"), .init(iso, "A.5.18"), .init(pci, "7.2.4"), .init(nist, "AC-2"), .init(nist, "AC-6"),
    ]
}
