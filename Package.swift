// swift-tools-version: 6.0
// swift-rlhf: RLHF in Swift, on Linux, on the CPU.
import PackageDescription

/// Hot numeric code is built for AVX2 + FMA (any x86-64 from 2013 on): at the default x86-64 target
/// even explicit SIMD code is scalarised (see DESIGN.md, "Measured facts").
let simdFlags: [SwiftSetting] = [
    .unsafeFlags(["-target-cpu", "haswell"], .when(platforms: [.linux]))
]

let package = Package(
    name: "swift-rlhf",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "rlhf", targets: ["rlhf"]),
        .library(name: "RLHFTensor", targets: ["RLHFTensor"]),
        .library(name: "RLHFNN", targets: ["RLHFNN"]),
        .library(name: "RLHFOptim", targets: ["RLHFOptim"]),
        .library(name: "RLHFFormats", targets: ["RLHFFormats"]),
        .library(name: "RLHFTokenizers", targets: ["RLHFTokenizers"]),
        .library(name: "RLHFModels", targets: ["RLHFModels"]),
        .library(name: "RLHFData", targets: ["RLHFData"]),
        .library(name: "RLHFLogging", targets: ["RLHFLogging"]),
        .library(name: "RLHFTraining", targets: ["RLHFTraining"]),
        .library(name: "RLHFLabel", targets: ["RLHFLabel"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        // `rlhf label`: SQLite through GRDB, HTTP through Hummingbird 2 (SwiftNIO), SHA-256 of tokens through swift-crypto
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0")
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "pkg-config"])]),
        .systemLibrary(
            name: "CMPI", pkgConfig: "ompi-c",
            providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
        .target(name: "CMPIShim", dependencies: ["CMPI"]),
        .target(name: "RLHFTensor", dependencies: ["CBLAS"], swiftSettings: simdFlags),
        .target(name: "RLHFNN", dependencies: ["RLHFTensor"], swiftSettings: simdFlags),
        .target(name: "RLHFOptim", dependencies: ["RLHFNN"], swiftSettings: simdFlags),
        .target(name: "RLHFFormats", dependencies: ["RLHFTensor"], swiftSettings: simdFlags),
        .target(name: "RLHFTokenizers"),
        .target(name: "RLHFModels", dependencies: ["RLHFNN", "RLHFFormats", "RLHFTokenizers"], swiftSettings: simdFlags),
        .target(name: "RLHFDistributed", dependencies: ["CMPIShim", "RLHFNN"]),
        .target(name: "RLHFData", dependencies: ["RLHFFormats", "RLHFTokenizers"]),
        .target(name: "RLHFLogging", dependencies: ["RLHFFormats"]),
        .target(
            name: "RLHFTraining",
            dependencies: [
                "RLHFModels", "RLHFOptim", "RLHFData", "RLHFLogging", "RLHFDistributed",
                .product(name: "Yams", package: "Yams")
            ],
            swiftSettings: simdFlags),
        .target(
            name: "RLHFLabel",
            dependencies: [
                "RLHFFormats", "RLHFLogging", "RLHFModels", "RLHFData", "RLHFTraining",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types")
            ]),
        .target(
            name: "RLHFBench", dependencies: ["RLHFTensor", "RLHFNN", "RLHFOptim", "RLHFModels", "RLHFData", "RLHFDistributed", "RLHFTraining"],
            swiftSettings: simdFlags),
        .executableTarget(
            name: "rlhf",
            dependencies: [
                "RLHFTensor", "RLHFTokenizers", "RLHFModels", "RLHFData", "RLHFDistributed", "RLHFTraining", "RLHFBench", "RLHFLabel",
                .product(name: "ArgumentParser", package: "swift-argument-parser")
            ]),
        // Helpers shared by the test targets (paths, temporary folders, tolerances, fuzz replay); a plain target
        // so that test targets can depend on it. Each test target keeps its own resources.
        .target(name: "RLHFTestSupport", path: "Tests/RLHFTestSupport"),
        .testTarget(name: "RLHFTensorTests", dependencies: ["RLHFTensor", "RLHFTestSupport"], swiftSettings: simdFlags),
        .testTarget(name: "RLHFNNTests", dependencies: ["RLHFNN"]),
        .testTarget(
            name: "RLHFOptimTests", dependencies: ["RLHFOptim", "RLHFTestSupport"],
            resources: [.copy("Resources")]),
        .testTarget(name: "RLHFFormatsTests", dependencies: ["RLHFFormats", "RLHFTestSupport"], resources: [.copy("Resources")]),
        .testTarget(
            name: "RLHFTokenizersTests", dependencies: ["RLHFTokenizers", "RLHFFormats", "RLHFModels", "RLHFTestSupport"],
            resources: [.copy("Resources")]),
        .testTarget(name: "RLHFModelsTests", dependencies: ["RLHFModels", "RLHFTestSupport"], resources: [.copy("Resources")]),
        .testTarget(
            name: "RLHFTrainingTests", dependencies: ["RLHFTraining", "RLHFData", "RLHFLogging", "RLHFTestSupport"],
            resources: [.copy("Resources")]),
        .testTarget(name: "RLHFLabelTests", dependencies: ["RLHFLabel", "RLHFTestSupport"], resources: [.copy("Resources")]),
        .testTarget(name: "CLITests", dependencies: ["rlhf", "RLHFFormats", "RLHFTestSupport"])
    ],
    swiftLanguageModes: [.v6]
)
