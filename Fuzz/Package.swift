// swift-tools-version: 6.0
// libFuzzer harnesses for swift-rlhf's readers, one small executable per reader. Built apart from the main
// package (its own scratch path, `.build-fuzz`) because every target, the readers included, is compiled
// with `-sanitize=fuzzer,address`; `scripts/fuzz` (`make fuzz`) builds and runs them. See Fuzz/README.md.
import PackageDescription

let harnesses: [(name: String, products: [String])] = [
    ("fuzz-safetensors", ["RLHFFormats"]),
    ("fuzz-gguf", ["RLHFFormats", "RLHFTokenizers", "RLHFModels"]),
    ("fuzz-tokenizer", ["RLHFTokenizers"]),
    ("fuzz-config", ["RLHFFormats", "RLHFModels"]),
    ("fuzz-jsonl", ["RLHFFormats", "RLHFTokenizers", "RLHFData", "RLHFTraining"]),
    ("fuzz-yaml", ["RLHFTraining"]),
    ("fuzz-model-config", ["RLHFFormats", "RLHFModels", "RLHFTensor"]),
    ("fuzz-model-gguf", ["RLHFFormats", "RLHFModels"]),
    ("fuzz-label", ["RLHFLabel"])
]

let package = Package(
    name: "swift-rlhf-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "swift-rlhf", path: "..")],
    targets: [
        .target(name: "FuzzSupport")
    ]
        + harnesses.map { h in
            .executableTarget(
                name: h.name,
                dependencies: ["FuzzSupport"]
                    + h.products.map {
                        .product(name: $0, package: "swift-rlhf")
                    })
        },
    swiftLanguageModes: [.v6]
)
