// swift-tools-version: 6.1
import PackageDescription

// Kernel benchmarks for QuantKit (ordo-one/benchmark), kept out of the main package so its build stays light.
// Run: swift package --package-path Benchmarks benchmark     (see README "Benchmarks")
let package = Package(
    name: "QuantKitBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
        .package(name: "QuantKit", path: ".."),
    ],
    targets: [
        .target(name: "CPeakProbe", path: "Sources/CPeakProbe"),
        .executableTarget(
            name: "KernelBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "QuantKit", package: "QuantKit"),
                "CPeakProbe",
            ],
            path: "Benchmarks/KernelBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v5]
)
