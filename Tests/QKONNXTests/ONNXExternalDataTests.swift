import Foundation
import QKGraph
import QKTensor
import Testing
@testable import QKONNX

/// Writing initializers to a side file and reading external data back, including the checks on locations.
@Suite struct ONNXExternalDataTests {
    /// A model with two large initializers, a small one, and a large one in a subgraph.
    static func model() -> Model {
        let big = Tensor(shape: [1024], values: (0..<1024).map { Float($0) - 512 })  // 4096 bytes
        let big2 = Tensor(shape: [600], values: (0..<600).map { Int64($0) * 1_000_000_007 })  // 4800 bytes
        let small = Tensor(shape: [2], values: [Float(1), 2])
        let inner = Graph(name: "body", nodes: [Node(name: "id", opType: "Identity", inputs: ["c"], outputs: ["o"])],
                          outputs: [ValueInfo(name: "o", dtype: .int32, shape: [.known(3000)])],
                          initializers: ["c": Tensor(shape: [3000], values: (0..<3000).map { Int32($0) })])
        let node = Node(name: "if", opType: "If", inputs: ["cond"], outputs: ["r"],
                        attributes: ["then_branch": .graph(inner), "else_branch": .graph(inner)])
        return Model(graph: Graph(name: "g", nodes: [node], inputs: [ValueInfo(name: "cond", dtype: .bool, shape: [])],
                                  outputs: [ValueInfo(name: "r", dtype: .int32, shape: [.known(3000)])],
                                  initializers: ["big": big, "big2": big2, "small": small]))
    }

    @Test func largeInitializersGoToOneAlignedSideFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("model.onnx")
        let model = Self.model()
        try ONNXWriter.write(model, toPath: path, externalDataThreshold: 4096)
        #expect(try directory.contents() == ["model.onnx", "model.onnx.data"])

        let proto = try Onnx_ModelProto(serializedBytes: try TestResources.bytesAt(path))
        func entries(_ t: Onnx_TensorProto) -> [String] { t.externalData.map { "\($0.key)=\($0.value)" } }
        let initializers = proto.graph.initializer
        #expect(initializers.map(\.name) == ["big", "big2", "small"])
        #expect(initializers[0].dataLocation == .external && !initializers[0].hasRawData)
        // Sorted by name: big at 0 (4096 bytes), big2 at the next multiple of 4096, then the subgraph tensors of
        // the If node's attributes, else_branch before then_branch.
        #expect(entries(initializers[0]) == ["location=model.onnx.data", "offset=0", "length=4096"])
        #expect(entries(initializers[1]) == ["location=model.onnx.data", "offset=4096", "length=4800"])
        #expect(initializers[2].dataLocation == .default && initializers[2].rawData.count == 8)
        let branch = proto.graph.node[0].attribute[0].g.initializer[0]
        #expect(entries(branch) == ["location=model.onnx.data", "offset=12288", "length=12000"])
        let side = try FileManager.default.attributesOfItem(atPath: directory.file("model.onnx.data"))
        // then_branch's copy of the subgraph tensor follows at 24576, the next multiple of 4096 after 12288 + 12000.
        #expect((side[.size] as? NSNumber)?.intValue == 24576 + 12000)

        #expect(try ONNXReader.readModel(atPath: path) == model)
    }

    @Test func noSideFileWhenNoTensorReachesTheThreshold() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("m.onnx")
        try ONNXWriter.write(Self.model(), toPath: path, externalDataThreshold: 1 << 20)
        #expect(try directory.contents() == ["m.onnx"])
        #expect(try ONNXReader.readModel(atPath: path) == Self.model())
    }

    @Test func overwritingReplacesTheFileAndAFailedWriteLeavesItAlone() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("m.onnx")
        try ONNXWriter.write(Self.model(), toPath: path, externalDataThreshold: 4096)
        var smaller = Self.model()
        smaller.graph.initializers["big"] = nil
        try ONNXWriter.write(smaller, toPath: path, externalDataThreshold: 4096)
        #expect(try ONNXReader.readModel(atPath: path) == smaller)
        let before = try TestResources.bytesAt(path)
        let sideBefore = try TestResources.bytesAt(directory.file("m.onnx.data"))

        var broken = Self.model()
        broken.graph.outputs[0].dtype = nil  // refused after the side file's tensors were already streamed
        #expect(throws: ONNXError.untypedValue(value: "output 'r' of graph 'g'")) {
            try ONNXWriter.write(broken, toPath: path, externalDataThreshold: 4096)
        }
        #expect(try TestResources.bytesAt(path) == before)
        #expect(try TestResources.bytesAt(directory.file("m.onnx.data")) == sideBefore)
        #expect(try directory.contents() == ["m.onnx", "m.onnx.data"])
    }

    @Test func writingIntoAMissingDirectoryFails() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("missing/m.onnx")
        #expect(throws: ONNXError.writeFailed(file: path, reason: "the directory '\(directory.file("missing"))' does not exist")) {
            try ONNXWriter.write(Self.model(), toPath: path)
        }
    }

    /// A model whose one initializer `w` (float32[4], 16 bytes) is external with these entries.
    static func externalModel(_ entries: [(String, String)]) throws -> [UInt8] {
        var tensor = Onnx_TensorProto()
        tensor.name = "w"
        tensor.dataType = 1
        tensor.dims = [4]
        tensor.dataLocation = .external
        tensor.externalData = entries.map { key, value in
            var entry = Onnx_StringStringEntryProto()
            entry.key = key
            entry.value = value
            return entry
        }
        var model = Onnx_ModelProto()
        model.irVersion = 8
        model.graph.name = "g"
        model.graph.initializer = [tensor]
        return try model.serializedBytes()
    }

    func readExternal(_ entries: [(String, String)], in directory: TemporaryDirectory) throws -> Model {
        let path = directory.file("model.onnx")
        try Data(try Self.externalModel(entries)).write(to: URL(fileURLWithPath: path))
        return try ONNXReader.readModel(atPath: path)
    }

    @Test func externalDataAtAnOffsetIsRead() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let floats: [Float] = [1, -2, 0.5, 8]
        let payload: [UInt8] = [0xAA, 0xBB] + floats.flatMap { value -> [UInt8] in
            withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) }
        }
        try Data(payload).write(to: URL(fileURLWithPath: directory.file("w.bin")))
        let model = try readExternal([("location", "w.bin"), ("offset", "2"), ("length", "16")], in: directory)
        #expect(model.graph.initializers["w"] == Tensor(shape: [4], values: floats))
    }

    @Test func externalDataProblemsAreReported() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let model = directory.file("model.onnx")
        try Data(repeating: 0, count: 20).write(to: URL(fileURLWithPath: directory.file("w.bin")))
        func expectFailure(_ entries: [(String, String)], _ reason: String) {
            #expect(throws: ONNXError.externalData(file: model, tensor: "'w'", reason: reason)) {
                try readExternal(entries, in: directory)
            }
        }
        expectFailure([("location", "../w.bin")],
                      "location '../w.bin' points outside the model's directory (it must be a relative path without '..')")
        expectFailure([("location", "/etc/passwd")],
                      "location '/etc/passwd' points outside the model's directory (it must be a relative path without '..')")
        expectFailure([("location", "sub/../../w.bin")],
                      "location 'sub/../../w.bin' points outside the model's directory (it must be a relative path without '..')")
        expectFailure([("offset", "0")], "the external_data entries have no 'location'")
        expectFailure([("location", "w.bin"), ("offset", "-4")], "offset '-4' is not a non-negative integer")
        expectFailure([("location", "w.bin"), ("offset", "8")], "needs bytes 8..<24 of 'w.bin', which has only 20 bytes")
        let resolvedDirectory = URL(fileURLWithPath: directory.path).resolvingSymlinksInPath().path
        expectFailure([("location", "nope.bin")],
                      "side file 'nope.bin' not found (looked for '\(resolvedDirectory)/nope.bin')")
        #expect(throws: ONNXError.tensorDataSize(file: model, tensor: "'w'", source: "its external_data length",
                                                 expectedBytes: 16, actualBytes: 12)) {
            try readExternal([("location", "w.bin"), ("length", "12")], in: directory)
        }
    }

    @Test func symbolicLinkOutOfTheDirectoryIsRejected() throws {
        let outside = try TemporaryDirectory()
        let directory = try TemporaryDirectory()
        defer { directory.remove(); outside.remove() }
        try Data(repeating: 0, count: 16).write(to: URL(fileURLWithPath: outside.file("secret.bin")))
        try FileManager.default.createSymbolicLink(atPath: directory.file("link.bin"), withDestinationPath: outside.file("secret.bin"))
        let error = #expect(throws: ONNXError.self) {
            try readExternal([("location", "link.bin")], in: directory)
        }
        #expect(error?.description.contains("outside the model's directory") == true)
    }

    @Test func inMemoryModelWithExternalDataNeedsADirectory() throws {
        let bytes = try Self.externalModel([("location", "w.bin")])
        #expect(throws: ONNXError.externalData(
            file: "<in-memory model>", tensor: "'w'",
            reason: "the model was not read from a file, so its external file 'w.bin' cannot be located")) {
            try ONNXReader.model(from: bytes, baseDirectory: nil)
        }
    }
}
