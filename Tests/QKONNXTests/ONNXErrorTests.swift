import Foundation
import QKGraph
import QKTensor
import Testing
@testable import QKONNX

/// Bad input gives a typed error naming the file and the problem, never a crash or a hang.
@Suite struct ONNXErrorTests {
    static let memory = "<in-memory model>"

    @Test func missingEmptyAndDirectoryPaths() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let missing = directory.file("none.onnx")
        #expect(throws: ONNXError.fileNotFound(file: missing)) { try ONNXReader.readModel(atPath: missing) }
        let empty = directory.file("empty.onnx")
        try Data().write(to: URL(fileURLWithPath: empty))
        #expect(throws: ONNXError.emptyFile(file: empty)) { try ONNXReader.readModel(atPath: empty) }
        #expect(throws: ONNXError.emptyFile(file: empty)) { try ONNXReader.readTensor(atPath: empty) }
        #expect(throws: ONNXError.unreadable(file: directory.path, reason: "it is a directory")) {
            try ONNXReader.readModel(atPath: directory.path)
        }
        #expect(throws: ONNXError.emptyFile(file: Self.memory)) { try ONNXReader.model(from: [], baseDirectory: nil) }
    }

    @Test func textFileIsNotAModel() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("notes.onnx")
        try "This is a README, not a model.\nSecond line.\n".write(toFile: path, atomically: false, encoding: .utf8)
        let error = #expect(throws: ONNXError.self) { try ONNXReader.readModel(atPath: path) }
        guard case .notProtobuf(let file, _)? = error else {
            Issue.record("expected notProtobuf, got \(String(describing: error))")
            return
        }
        #expect(file == path)
        #expect(error?.description.hasPrefix("\(path): not a valid ONNX model (truncated or not protobuf): ") == true)
    }

    @Test func truncatedModelsThrowOrLoadButNeverCrash() throws {
        let bytes = try TestResources.bytes("test_loop11.onnx")
        var notProtobuf = 0
        for length in 1..<bytes.count {
            do {
                _ = try ONNXReader.model(from: Array(bytes[..<length]), baseDirectory: nil)
            } catch let error as ONNXError {
                if case .notProtobuf = error { notProtobuf += 1 }
            }
        }
        // Most cuts land inside a field; the few at field boundaries decode as smaller messages.
        #expect(notProtobuf > bytes.count * 3 / 4)
        let half = Array(bytes[..<(bytes.count / 2)])
        #expect(throws: ONNXError.self) { try ONNXReader.model(from: half, baseDirectory: nil) }
    }

    @Test func randomAndMutatedBytesNeverCrash() throws {
        var rng = SplitMix64(seed: 0x0AA5_2026)
        for _ in 0..<2000 {
            let garbage = (0..<Int.random(in: 1...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            _ = try? ONNXReader.model(from: garbage, baseDirectory: nil)
        }
        let original = try TestResources.bytes("typed_fields.onnx")
        var loaded = 0
        for _ in 0..<3000 {
            var mutated = original
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                mutated[Int.random(in: 0..<mutated.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            if (try? ONNXReader.model(from: mutated, baseDirectory: nil)) != nil { loaded += 1 }
        }
        // Some mutations only change values; many break the structure. Both paths ran.
        #expect(loaded > 0 && loaded < 3000)
    }

    @Test func modelWithoutGraph() throws {
        var proto = Onnx_ModelProto()
        proto.irVersion = 8
        #expect(throws: ONNXError.missingGraph(file: Self.memory)) {
            try ONNXReader.model(from: try proto.serializedBytes(), baseDirectory: nil)
        }
    }

    @Test func modelLocalFunctionsAreRejectedByName() throws {
        var proto = Onnx_ModelProto()
        proto.graph.name = "g"
        var function = Onnx_FunctionProto()
        function.name = "my_gelu"
        proto.functions = [function]
        let error = #expect(throws: ONNXError.self) {
            try ONNXReader.model(from: try proto.serializedBytes(), baseDirectory: nil)
        }
        #expect(error?.description == "\(Self.memory): model-local functions are not supported (function 'my_gelu')")
    }

    @Test func typeProtoAttributeNamesNodeAndAttribute() throws {
        let path = TestResources.path("test_if_opt.onnx")
        let error = #expect(throws: ONNXError.self) { try ONNXReader.readModel(atPath: path) }
        guard case .unsupportedAttribute(let file, _, let attribute, let type)? = error else {
            Issue.record("expected unsupportedAttribute, got \(String(describing: error))")
            return
        }
        #expect(file == path && attribute == "type" && type == "TYPE_PROTO")
    }

    /// A one-initializer model around `tensor`.
    static func model(with tensor: Onnx_TensorProto) throws -> [UInt8] {
        var proto = Onnx_ModelProto()
        proto.graph.name = "g"
        proto.graph.initializer = [tensor]
        return try proto.serializedBytes()
    }

    static func tensor(_ dataType: Int32, dims: [Int64]) -> Onnx_TensorProto {
        var tensor = Onnx_TensorProto()
        tensor.name = "w"
        tensor.dataType = dataType
        tensor.dims = dims
        return tensor
    }

    @Test func badInitializers() throws {
        var strings = Self.tensor(8, dims: [1])
        strings.stringData = [Data("a".utf8)]
        #expect(throws: ONNXError.unsupportedDataType(file: Self.memory, value: "tensor 'w'", dataType: "STRING")) {
            try ONNXReader.model(from: try Self.model(with: strings), baseDirectory: nil)
        }
        let error = #expect(throws: ONNXError.self) {
            try ONNXReader.model(from: try Self.model(with: Self.tensor(13, dims: [1])), baseDirectory: nil)
        }
        #expect(error?.description.contains("tensor 'w' has element type UINT64, which QuantKit does not support") == true)

        var shortRaw = Self.tensor(1, dims: [2, 3])
        shortRaw.rawData = Data(count: 20)
        #expect(throws: ONNXError.tensorDataSize(file: Self.memory, tensor: "'w'", source: "its raw_data",
                                                 expectedBytes: 24, actualBytes: 20)) {
            try ONNXReader.model(from: try Self.model(with: shortRaw), baseDirectory: nil)
        }
        var shortTyped = Self.tensor(7, dims: [3])
        shortTyped.int64Data = [1, 2]
        #expect(throws: ONNXError.tensorElementCount(file: Self.memory, tensor: "'w'", field: "int64_data",
                                                     expected: 3, actual: 2)) {
            try ONNXReader.model(from: try Self.model(with: shortTyped), baseDirectory: nil)
        }
        #expect(throws: ONNXError.invalidTensor(file: Self.memory, tensor: "'w'", reason: "negative dimension in [2, -1]")) {
            try ONNXReader.model(from: try Self.model(with: Self.tensor(1, dims: [2, -1])), baseDirectory: nil)
        }
        let huge: [Int64] = [1 << 31, 1 << 31, 1 << 31]
        #expect(throws: ONNXError.invalidTensor(file: Self.memory, tensor: "'w'", reason: "dimensions \(huge) are too large")) {
            try ONNXReader.model(from: try Self.model(with: Self.tensor(1, dims: huge)), baseDirectory: nil)
        }
        // Huge but representable: the size check fails before any allocation.
        #expect(throws: ONNXError.tensorElementCount(file: Self.memory, tensor: "'w'", field: "float_data",
                                                     expected: 1 << 40, actual: 0)) {
            try ONNXReader.model(from: try Self.model(with: Self.tensor(1, dims: [1 << 20, 1 << 20])), baseDirectory: nil)
        }
    }

    @Test func structuralProblems() throws {
        var proto = Onnx_ModelProto()
        proto.graph.name = "g"
        proto.graph.initializer = [Self.tensor(1, dims: [0]), Self.tensor(1, dims: [0])]
        #expect(throws: ONNXError.invalidModel(file: Self.memory, reason: "graph 'g' has two initializers named 'w'")) {
            try ONNXReader.model(from: try proto.serializedBytes(), baseDirectory: nil)
        }

        proto.graph.initializer = []
        var node = Onnx_NodeProto()
        node.name = "n"
        node.opType = "Custom"
        var untyped = Onnx_AttributeProto()
        untyped.name = "a"
        untyped.i = 3
        node.attribute = [untyped]
        proto.graph.node = [node]
        #expect(throws: ONNXError.invalidModel(file: Self.memory, reason: "node 'n': attribute 'a' has no type")) {
            try ONNXReader.model(from: try proto.serializedBytes(), baseDirectory: nil)
        }

        var sparse = Onnx_AttributeProto()
        sparse.name = "values"
        sparse.type = .sparseTensor
        node.attribute = [sparse]
        proto.graph.node = [node]
        #expect(throws: ONNXError.unsupportedAttribute(file: Self.memory, node: "n", attribute: "values",
                                                       type: "SPARSE_TENSOR")) {
            try ONNXReader.model(from: try proto.serializedBytes(), baseDirectory: nil)
        }

        proto.graph.node = []
        var sparseInitializer = Onnx_SparseTensorProto()
        sparseInitializer.values = Self.tensor(1, dims: [0])
        proto.graph.sparseInitializer = [sparseInitializer]
        #expect(throws: ONNXError.unsupportedFeature(
            file: Self.memory, feature: "sparse initializers are not supported (initializer 'w' in graph 'g')")) {
            try ONNXReader.model(from: try proto.serializedBytes(), baseDirectory: nil)
        }
    }
}
