import Foundation
import QKGraph
import QKTensor
import Testing
@testable import QKONNX

// Expected values are those written by Resources/make_resources.py.
@Suite struct ONNXReaderTests {
    let model: Model

    init() throws { model = try ONNXReader.readModel(atPath: resource("typed_fields.onnx")) }

    @Test func readsEveryInitializerStorageForm() {
        let inits = model.graph.initializers
        #expect(inits["f32_typed"] == Tensor(shape: [2, 2], values: [Float(1.5), -2, 0.25, 3]))
        #expect(inits["f64_typed"] == Tensor(shape: [2], values: [1e-300, -7.5]))
        #expect(inits["i64_typed"] == Tensor(shape: [3], values: [Int64(-(1 << 40)), 0, 1 << 40]))
        #expect(inits["f16_typed"] == Tensor(shape: [2], values: [Float16(1), Float16(-2)]))
        #expect(inits["bf16_typed"] == Tensor(shape: [2], values: [BFloat16(bitPattern: 0x3F80), BFloat16(bitPattern: 0xBF00)]))
        #expect(inits["i8_typed"] == Tensor(shape: [3], values: [Int8(-128), 0, 127]))
        #expect(inits["u8_typed"] == Tensor(shape: [2], values: [UInt8(0), 255]))
        #expect(inits["bool_typed"] == Tensor(shape: [3], values: [true, false, true]))
        #expect(inits["i32_raw"] == Tensor(shape: [1, 3], values: [Int32(1), 2, 3]))
        #expect(inits["scalar_raw"] == Tensor(scalar: Float(4.5)))
        #expect(inits["empty_raw"] == Tensor(shape: [0, 3], values: [Float]()))
    }

    @Test func readsEveryAttributeType() throws {
        let node = try #require(model.graph.nodes.first)
        #expect(node.name == "every_attribute" && node.domain == "com.quantkit.test" && node.docString == "node doc")
        #expect(node.attributes["f"] == .float(0.5))
        #expect(node.attributes["i"] == .int(-3))
        #expect(node.attributes["s"] == .string("text"))
        #expect(node.attributes["t"] == .tensor(Tensor(shape: [2], values: [Int64(1), 2])))
        #expect(node.attributes["floats"] == .floats([1, 2.5]))
        #expect(node.attributes["ints"] == .ints([4, -5]))
        #expect(node.attributes["strings"] == .strings(["a", "b"]))
        #expect(node.attributes["tensors"] == .tensors([Tensor(shape: [1], values: [Float(1)])]))
        guard case .graph(let body) = node.attributes["g"], case .graphs(let bodies) = node.attributes["graphs"] else {
            Issue.record("graph attributes missing")
            return
        }
        #expect(body.nodes.map(\.opType) == ["Identity"] && bodies == [body])
    }

    @Test func readsModelFieldsAndValueTypes() {
        #expect(model.irVersion == 10 && model.modelVersion == 7 && model.domain == "test.domain")
        #expect(model.producerName == "make_resources" && model.producerVersion == "1.0" && model.docString == "model doc")
        #expect(model.opsetImports == [OpsetImport(domain: "", version: 17), OpsetImport(domain: "com.quantkit.test", version: 1)])
        #expect(model.metadata.map(\.key) == ["author", "purpose"])
        #expect(model.graph.docString == "graph doc")
        #expect(model.graph.inputs == [ValueInfo(name: "x", dtype: .float32, shape: [.symbolic("batch"), .known(3), .unknown])])
        #expect(model.graph.outputs == [ValueInfo(name: "y", dtype: .float32, shape: nil)])
        #expect(model.graph.valueInfo == [ValueInfo(name: "unused", dtype: .int64, shape: [.known(5)])])
    }
}
