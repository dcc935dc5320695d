// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "QuantKit",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "QuantKit", targets: ["QuantKit"]),
        .executable(name: "qkit", targets: ["qkit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .target(name: "QKTensor", dependencies: ["CQKKernels", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
        .target(name: "QKGraph", dependencies: ["QKTensor"]),
        .target(name: "QKONNX", dependencies: ["QKGraph", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
                exclude: ["onnx.proto"]),
        .target(name: "CQKKernels"),
        .target(name: "QKKernels", dependencies: ["CQKKernels"]),
        .target(name: "QKRuntime", dependencies: ["QKGraph", "QKKernels"]),
        .target(name: "QKQuantization", dependencies: ["QKGraph", "QKKernels", "QKRuntime"]),
        .target(name: "QKTraining", dependencies: ["QKTensor", "QKGraph", "QKKernels", "QKRuntime", "QKQuantization"]),
        .target(name: "QuantKit", dependencies: ["QKTensor", "QKGraph", "QKONNX", "QKKernels", "QKRuntime", "QKQuantization",
                                                 "QKTraining", .product(name: "Yams", package: "Yams")]),
        .executableTarget(name: "qkit", dependencies: ["QuantKit", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .testTarget(name: "QKTensorTests", dependencies: ["QKTensor", "CQKKernels"], exclude: ["Resources"]),
        .testTarget(name: "QKGraphTests", dependencies: ["QKGraph"], exclude: ["Resources"]),
        .testTarget(name: "QKONNXTests", dependencies: ["QKONNX"], exclude: ["Resources"]),
        .testTarget(name: "QKKernelsTests", dependencies: ["QKKernels", "QKTensor"]),
        .testTarget(name: "QKRuntimeTests", dependencies: ["QKRuntime"]),
        .testTarget(name: "QKQuantizationTests", dependencies: ["QKQuantization"], exclude: ["Resources"]),
        .testTarget(name: "QuantKitTests", dependencies: ["QuantKit"]),
        .testTarget(name: "QKTrainingTests", dependencies: ["QKTraining", "QKRuntime"]),
    ],
    swiftLanguageModes: [.v5]
)
