import Foundation
import QKGraph
import QKTensor
import Testing
@testable import QKONNX

@Test(arguments: ["typed_fields.onnx", "if_subgraphs.onnx", "loop_subgraph.onnx", "conv.onnx"])
func readWriteReadGivesAnEqualModel(name: String) throws {
    let original = try ONNXReader.readModel(atPath: resource(name))
    let again = try ONNXReader.model(from: ONNXWriter.serialize(original), baseDirectory: nil)
    #expect(again == original)
}

@Test(arguments: ["digits/model.onnx", "encoder/model.onnx"])
func fixtureModelsRoundTripThroughFiles(name: String) throws {
    let original = try ONNXReader.readModel(atPath: fixture(name))
    let directory = try temporaryDirectory()
    let path = directory + "/copy.onnx"
    try ONNXWriter.write(original, toPath: path)
    #expect(try ONNXReader.readModel(atPath: path) == original)
    // Writing is deterministic: the same model gives the same bytes.
    #expect(try ONNXWriter.serialize(original) == ONNXWriter.serialize(ONNXReader.readModel(atPath: path)))
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["copy.onnx"])
}

@Test func externalDataRoundTrips() throws {
    let original = try ONNXReader.readModel(atPath: fixture("encoder/model.onnx"))
    let directory = try temporaryDirectory()
    let path = directory + "/external.onnx"
    try ONNXWriter.write(original, toPath: path, externalDataThreshold: 1024)
    let modelBytes = try #require(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
    let sideBytes = try #require(FileManager.default.attributesOfItem(atPath: path + ".data")[.size] as? Int)
    #expect(modelBytes < 64 * 1024 && sideBytes > 600_000)
    #expect(try ONNXReader.readModel(atPath: path) == original)
}

@Test func serializedTensorFilesRoundTrip() throws {
    let tensor = Tensor(shape: [2, 3], values: [Int16(-3), 0, 7, 8, 9, 32767])
    let directory = try temporaryDirectory()
    let path = directory + "/t.pb"
    try ONNXWriter.serializeTensor(tensor, name: "weights").write(to: URL(fileURLWithPath: path))
    let read = try ONNXReader.readTensor(atPath: path)
    #expect(read.name == "weights" && read.tensor == tensor)
}
