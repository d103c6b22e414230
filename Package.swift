// swift-tools-version: 6.1
import PackageDescription

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
        .systemLibrary(
            name: "CLZ4",
            providers: [.apt(["liblz4-dev"])]
        ),
        .target(name: "CrossTrailModel", swiftSettings: strictness),
        .target(
            name: "CrossTrailHTTP",
            dependencies: ["CCurl", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictness
        ),
        .target(name: "CrossTrailXML", dependencies: ["CLibXML2"], swiftSettings: strictness),
        .target(
            name: "CrossTrailIngest",
            dependencies: [
                "CrossTrailModel", "CSimdjson", "CGzip",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictness
        ),
        .target(
            name: "CrossTrailTimeline",
            dependencies: ["CrossTrailModel", "CrossTrailIngest", "CLZ4"],
            swiftSettings: strictness
        ),
        .target(
            name: "CrossTrailInventory",
            dependencies: [
                "CrossTrailModel", "CrossTrailIngest", "Yams",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictness
        ),
        .target(
            name: "CrossTrailRules",
            dependencies: [
                "CrossTrailModel", "CrossTrailIngest", "Yams", .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Rules")],
            swiftSettings: strictness
        ),
        .target(
            name: "CrossTrailAnalysis",
            dependencies: ["CrossTrailModel", "CrossTrailIngest", "CrossTrailInventory", "CrossTrailRules"],
            swiftSettings: strictness
        ),
        .target(
            name: "CrossTrailStore",
            dependencies: [
                "CrossTrailModel", "CrossTrailIngest", "CrossTrailTimeline",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strictness
        ),
        .target(
            name: "CrossTrailReport",
            dependencies: [
                "CrossTrailModel", "CrossTrailIngest", "CrossTrailInventory", "CrossTrailAnalysis", "CrossTrailXML",
                "Yams",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: strictness
        ),
        .target(
            name: "CrossTrailIntegrity",
            dependencies: [
                "CrossTrailModel", "CrossTrailIngest",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strictness
        ),
        .target(
            name: "CrossTrailFetch",
            dependencies: [
                "CrossTrailModel", "CrossTrailIngest", "CrossTrailHTTP", "CrossTrailXML",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictness
        ),
        // The pipelines the commands run (scan, report, timeline, fetch): configuration in, outcome out.
        .target(
            name: "CrossTrailPipeline",
            dependencies: [
                "CrossTrailModel", "CrossTrailIngest", "CrossTrailTimeline", "CrossTrailInventory", "CrossTrailRules",
                "CrossTrailAnalysis", "CrossTrailStore", "CrossTrailReport", "CrossTrailIntegrity", "CrossTrailFetch",
                "CrossTrailHTTP",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictness
        ),
        .target(
            name: "CrossTrailFuzzing",
            dependencies: [
                "CrossTrailModel", "CrossTrailIngest", "CrossTrailInventory", "CrossTrailRules", "CrossTrailXML",
                "CrossTrailFetch",
            ],
            swiftSettings: strictness
        ),
        .target(
            name: "CrossTrailSamples",
            dependencies: [
                "CrossTrailModel", "CrossTrailIngest", "CrossTrailIntegrity",
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strictness
        ),
        .executableTarget(
            name: "crosstrail",
            dependencies: [
                "CrossTrailModel", "CrossTrailIngest", "CrossTrailTimeline", "CrossTrailSamples", "CrossTrailInventory",
                "CrossTrailAnalysis", "CrossTrailStore", "CrossTrailRules", "CrossTrailReport", "CrossTrailIntegrity",
                "CrossTrailFetch", "CrossTrailPipeline",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictness
        ),
        .target(
            name: "TestSupport",
            dependencies: ["CrossTrailModel"],
            path: "Tests/TestSupport",
            swiftSettings: strictness
        ),
        .testTarget(
            name: "CrossTrailModelTests",
            dependencies: ["CrossTrailModel"],
            swiftSettings: strictness
        ),
        .testTarget(
            name: "CrossTrailIngestTests",
            dependencies: ["CrossTrailIngest", "TestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictness
        ),
        .testTarget(
            name: "CrossTrailTimelineTests",
            dependencies: ["CrossTrailTimeline", "CrossTrailSamples", "TestSupport"],
            swiftSettings: strictness
        ),
        .testTarget(
            name: "CrossTrailInventoryTests",
            dependencies: ["CrossTrailInventory", "TestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictness
        ),
        .testTarget(
            name: "CrossTrailAnalysisTests",
            dependencies: ["CrossTrailAnalysis", "CrossTrailSamples", "TestSupport"],
            swiftSettings: strictness
        ),
        .testTarget(
            name: "CrossTrailRulesTests",
            dependencies: ["CrossTrailRules", "TestSupport"],
            exclude: ["Fixtures"],  // read from the source tree by path
            swiftSettings: strictness
        ),
        .testTarget(
            name: "CrossTrailStoreTests",
            dependencies: ["CrossTrailStore", "CrossTrailSamples", "TestSupport"],
            swiftSettings: strictness
        ),
        .testTarget(
            name: "CrossTrailReportTests",
            dependencies: ["CrossTrailReport", "CrossTrailSamples", "CrossTrailXML", "TestSupport"],
            swiftSettings: strictness
        ),
        .testTarget(
            name: "CrossTrailIntegrityTests",
            dependencies: [
                "CrossTrailIntegrity", "TestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strictness
        ),
        .testTarget(
            name: "CrossTrailFetchTests",
            dependencies: ["CrossTrailFetch", "CrossTrailHTTP", "CrossTrailXML", "TestSupport"],
            swiftSettings: strictness
        ),
        .testTarget(
            name: "CrossTrailPipelineTests",
            dependencies: ["CrossTrailPipeline", "TestSupport"],
            exclude: ["Golden"],  // read from the source tree by path
            swiftSettings: strictness
        ),
        .testTarget(
            name: "CrossTrailFuzzingTests",
            dependencies: ["CrossTrailFuzzing", "TestSupport"],
            swiftSettings: strictness
        ),
        .testTarget(
            name: "CLITests",
            dependencies: ["TestSupport"],
            swiftSettings: strictness
        ),
    ],
    swiftLanguageModes: [.v6],
    cxxLanguageStandard: .cxx17
)
