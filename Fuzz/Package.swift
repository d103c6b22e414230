// swift-tools-version: 6.1
// libFuzzer harnesses for crosstrail's parsers (see README.md). Built by `make fuzz` with
// -sanitize=fuzzer,address in its own scratch folder, so the main build is untouched.
import PackageDescription

let package = Package(
    name: "crosstrail-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "crosstrail", path: "..")],
    targets: [
        .target(name: "CFuzzDriver"),
        .executableTarget(
            name: "crosstrail-fuzz",
            dependencies: [
                "CFuzzDriver",
                .product(name: "CrossTrailFuzzing", package: "crosstrail"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
