// swift-tools-version: 6.1
import PackageDescription

/// Settings every Swift target gets (applied in one loop at the end of this file).
let strictness: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "crosstrail",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "crosstrail", targets: ["crosstrail"]),
        .library(name: "CrossTrailTimeline", targets: ["CrossTrailTimeline"]),
        // The parsers as fuzz targets (Fuzz/ builds them under libFuzzer).
        .library(name: "CrossTrailFuzzing", targets: ["CrossTrailFuzzing"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // C and C++ shims: each wraps one system library and is imported by one module only.
        .target(
            name: "CSimdjson",
            linkerSettings: [.linkedLibrary("simdjson")]
        ),
        .target(
            name: "CGzip",
            linkerSettings: [.linkedLibrary("deflate"), .linkedLibrary("z")]
        ),
        // libxml2 behind its own C interface (its headers pull in ICU's, which clash with Foundation's).
        .target(
            name: "CLibXML2",
            cSettings: [.unsafeFlags(["-I/usr/include/libxml2"])],
            linkerSettings: [.linkedLibrary("xml2")]
        ),
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // ICU's C regular-expression API (the engine NSRegularExpression wraps), for its match time
        // limit, behind its own C interface (ICU's headers clash with Foundation's copy).
        .target(
            name: "CRegex",
            linkerSettings: [.linkedLibrary("icui18n"), .linkedLibrary("icuuc")]
        ),
        .systemLibrary(
            name: "CLZ4",
            providers: [.apt(["liblz4-dev"])]
        ),
        // Helpers every module may use and that depend on nothing: Locked, AtomicFile, Hex, FNV1a.
        .target(name: "CrossTrailBase"),
        .target(name: "CrossTrailModel", dependencies: ["CrossTrailBase"]),
        .target(
            name: "CrossTrailHTTP",
            dependencies: ["CrossTrailBase", "CCurl", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(name: "CrossTrailXML", dependencies: ["CLibXML2"]),
        .target(
            name: "CrossTrailIngest",
            dependencies: [
                "CrossTrailBase",
                "CrossTrailModel", "CSimdjson", "CGzip",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "CrossTrailTimeline",
            dependencies: ["CrossTrailBase", "CrossTrailModel", "CrossTrailIngest", "CLZ4"]
        ),
        .target(
            name: "CrossTrailInventory",
            dependencies: [
                "CrossTrailModel", "CrossTrailIngest", "Yams",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "CrossTrailRules",
            dependencies: [
                "CRegex", "CrossTrailBase", "CrossTrailModel", "CrossTrailIngest", "Yams",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Rules")]
        ),
        .target(
            name: "CrossTrailAnalysis",
            dependencies: [
                "CrossTrailBase", "CrossTrailModel", "CrossTrailIngest", "CrossTrailInventory", "CrossTrailRules",
            ]
        ),
        .target(
            name: "CrossTrailStore",
            dependencies: [
                "CrossTrailModel", "CrossTrailIngest", "CrossTrailTimeline",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .target(
            name: "CrossTrailReport",
            dependencies: [
                "CrossTrailBase",
                "CrossTrailModel", "CrossTrailIngest", "CrossTrailInventory", "CrossTrailAnalysis", "CrossTrailXML",
                "Yams",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Resources")]
        ),
        .target(
            name: "CrossTrailIntegrity",
            dependencies: [
                "CrossTrailModel", "CrossTrailIngest",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "CrossTrailFetch",
            dependencies: [
                "CrossTrailBase",
                "CrossTrailModel", "CrossTrailHTTP", "CrossTrailXML", .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The pipelines the commands run (scan, report, timeline, fetch): configuration in, outcome out.
        .target(
            name: "CrossTrailPipeline",
            dependencies: [
                "CrossTrailBase",
                "CrossTrailModel", "CrossTrailIngest", "CrossTrailTimeline", "CrossTrailInventory", "CrossTrailRules",
                "CrossTrailAnalysis", "CrossTrailStore", "CrossTrailReport", "CrossTrailIntegrity", "CrossTrailFetch",
                "CrossTrailHTTP",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "CrossTrailFuzzing",
            dependencies: [
                "CrossTrailModel", "CrossTrailIngest", "CrossTrailInventory", "CrossTrailRules", "CrossTrailXML",
                "CrossTrailFetch", "CrossTrailReport", "CrossTrailHTTP",
            ]
        ),
        .target(
            name: "CrossTrailSamples",
            dependencies: [
                "CrossTrailModel", "CrossTrailIngest", "CrossTrailIntegrity",
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "crosstrail",
            dependencies: [
                "CrossTrailBase", "CrossTrailModel", "CrossTrailIngest", "CrossTrailTimeline", "CrossTrailSamples",
                "CrossTrailInventory",
                "CrossTrailAnalysis", "CrossTrailStore", "CrossTrailRules", "CrossTrailReport", "CrossTrailIntegrity",
                "CrossTrailFetch", "CrossTrailPipeline",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "TestSupport",
            dependencies: ["CrossTrailModel"],
            path: "Tests/TestSupport"
        ),
        .testTarget(
            name: "CrossTrailModelTests",
            dependencies: ["CrossTrailModel", "CrossTrailBase"]
        ),
        .testTarget(
            name: "CrossTrailIngestTests",
            dependencies: ["CrossTrailIngest", "TestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "CrossTrailTimelineTests",
            dependencies: ["CrossTrailTimeline", "CrossTrailSamples", "TestSupport"]
        ),
        .testTarget(
            name: "CrossTrailInventoryTests",
            dependencies: ["CrossTrailInventory", "TestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "CrossTrailAnalysisTests",
            dependencies: ["CrossTrailAnalysis", "CrossTrailSamples", "TestSupport"]
        ),
        .testTarget(
            name: "CrossTrailRulesTests",
            dependencies: ["CrossTrailBase", "CrossTrailRules", "TestSupport"],
            exclude: ["Fixtures"],  // read from the source tree by path
        ),
        .testTarget(
            name: "CrossTrailStoreTests",
            dependencies: ["CrossTrailStore", "CrossTrailSamples", "TestSupport"]
        ),
        .testTarget(
            name: "CrossTrailReportTests",
            dependencies: ["CrossTrailReport", "CrossTrailSamples", "CrossTrailXML", "TestSupport"]
        ),
        .testTarget(
            name: "CrossTrailIntegrityTests",
            dependencies: [
                "CrossTrailIntegrity", "TestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "CrossTrailFetchTests",
            dependencies: ["CrossTrailFetch", "CrossTrailHTTP", "CrossTrailXML", "TestSupport"]
        ),
        .testTarget(
            name: "CrossTrailPipelineTests",
            dependencies: ["CrossTrailPipeline", "TestSupport"],
            exclude: ["Golden"],  // read from the source tree by path
        ),
        .testTarget(
            name: "CrossTrailFuzzingTests",
            dependencies: ["CrossTrailFuzzing", "TestSupport"]
        ),
        .testTarget(
            name: "CLITests",
            dependencies: ["TestSupport"]
        ),
    ],
    swiftLanguageModes: [.v6],
    cxxLanguageStandard: .cxx17
)

// Every Swift target: the C and C++ shims and system libraries take no Swift settings.
let cShims: Set = ["CSimdjson", "CGzip", "CLibXML2", "CRegex"]
for target in package.targets where target.type != .system && !cShims.contains(target.name) {
    target.swiftSettings = (target.swiftSettings ?? []) + strictness
}
