import Foundation
import QKGraph
import QKTensor
import Testing
@testable import QKONNX

/// INT4/UINT4 tensors as onnx (the Python package) writes them: raw_data and int32_data, two values a byte.
@Suite struct ONNXInt4Tests {
    @Test func readsRawAndInt32DataForms() throws {
        let int4 = try Tensor(shape: [5], storage: .int4([1, -2, 3, -8, 7]))
        let uint4 = try Tensor(shape: [7], storage: .uint4([0, 15, 8, 1, 9, 4, 2]))
        #expect(try ONNXReader.readTensor(atPath: TestResources.path("int4_int32.pb")).tensor == int4)
        #expect(try ONNXReader.readTensor(atPath: TestResources.path("int4_raw.pb")).tensor == int4.reshaped([5, 1]))
        #expect(try ONNXReader.readTensor(atPath: TestResources.path("uint4_int32.pb")).tensor == uint4)
        #expect(try ONNXReader.readTensor(atPath: TestResources.path("uint4_raw.pb")).tensor == uint4)
    }

    @Test func writesTheBytesOnnxWrites() throws {
        for name in ["int4_raw.pb", "uint4_raw.pb"] {
            let onnxBytes = try Data(contentsOf: URL(fileURLWithPath: TestResources.path(name)))
            let (tensorName, tensor) = try ONNXReader.readTensor(atPath: TestResources.path(name))
            #expect(try ONNXWriter.serializeTensor(tensor, name: tensorName) == [UInt8](onnxBytes), "\(name)")
        }
    }

    @Test func externalDataRoundTrip() throws {
        let directory = try TemporaryDirectory()
        let w = try Tensor(shape: [3, 11], storage: .int4((0..<33).map { Int8($0 % 16 - 8) }))
        let graph = Graph(nodes: [Node(name: "dq", opType: "DequantizeLinear", inputs: ["w", "s"], outputs: ["y"])],
                          inputs: [], outputs: [ValueInfo(name: "y", dtype: .float32, shape: nil)],
                          initializers: ["w": w, "s": Tensor(scalar: Float(0.5))])
        let model = Model(graph: graph, opsetImports: [OpsetImport(domain: "", version: 21)])
        let path = directory.file("m.onnx")
        try ONNXWriter.write(model, toPath: path, externalDataThreshold: 1)
        let data = try FileManager.default.attributesOfItem(atPath: path + ".data")[.size] as? Int
        #expect((data ?? 0) >= 17)  // 33 values packed into 17 bytes
        #expect(try ONNXReader.readModel(atPath: path).graph.initializers["w"] == w)
    }

    @Test func wrongPackedSizeIsRejected() throws {
        var proto = Onnx_TensorProto()
        proto.dataType = 22  // INT4
        proto.dims = [5]
        proto.rawData = Data([0xE1, 0x83])  // 5 values need 3 bytes
        let decoder = ModelDecoder(file: "w.pb", baseDirectory: ".")
        #expect(throws: ONNXError.self) { try decoder.tensor(proto, label: "'w'") }
        proto.clearRawData()
        proto.int32Data = [0xE1, 0x83]
        #expect(throws: ONNXError.self) { try decoder.tensor(proto, label: "'w'") }
    }
}
