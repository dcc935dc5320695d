import Foundation
import QKGraph
import QKTensor
import Testing
@testable import QKONNX

private func write(_ bytes: Data, named name: String) throws -> String {
    let path = try temporaryDirectory() + "/" + name
    try bytes.write(to: URL(fileURLWithPath: path))
    return path
}

/// Reading `path` fails with an ONNXError whose one-line message names the file and contains `fragment`.
private func expectFailure(_ path: String, mentioning fragment: String) {
    #expect {
        try ONNXReader.readModel(atPath: path)
    } throws: { error in
        let text = "\(error)"
        return error is ONNXError && text.contains(path) && (fragment.isEmpty || text.contains(fragment)) && !text.contains("\n")
    }
}

@Test func missingEmptyAndDirectoryPathsAreReported() throws {
    expectFailure("/nonexistent/model.onnx", mentioning: "no such file")
    expectFailure(try write(Data(), named: "empty.onnx"), mentioning: "empty")
    expectFailure(try temporaryDirectory(), mentioning: "directory")
}

@Test func truncatedModelIsReported() throws {
    let bytes = try Data(contentsOf: URL(fileURLWithPath: fixture("digits/model.onnx")))
    expectFailure(try write(bytes.prefix(bytes.count / 2), named: "truncated.onnx"), mentioning: "not a valid ONNX model")
}

@Test func textAndRandomBytesAreReportedWithoutCrashing() throws {
    expectFailure(try write(Data("this is not a model\n".utf8), named: "text.onnx"), mentioning: "")
    var generator = SplitMix64(seed: 11)
    for index in 0..<20 {
        let bytes = Data((0..<(64 + index * 37)).map { _ in UInt8.random(in: 0...255, using: &generator) })
        expectFailure(try write(bytes, named: "random\(index).onnx"), mentioning: "")
    }
}

@Test func tensorDataOfWrongSizeNamesTheTensor() throws {
    var model = try ONNXReader.readModel(atPath: resource("conv.onnx"))
    model.graph.initializers["w"] = Tensor(shape: [4], values: [Float(1), 2, 3, 4])
    var bytes = try ONNXWriter.serialize(model)
    // Shrink the dims entry of "w" from 4 to 3 in the serialized bytes: dims=1 (varint 4) is `08 04`.
    let marker = Data([0x08, 0x04, 0x10, 0x01])
    let range = try #require(bytes.range(of: marker))
    bytes.replaceSubrange(range, with: Data([0x08, 0x03, 0x10, 0x01]))
    expectFailure(try write(bytes, named: "badsize.onnx"), mentioning: "tensor 'w'")
}

@Test func externalDataProblemsAreReported() throws {
    let original = try ONNXReader.readModel(atPath: fixture("encoder/model.onnx"))
    let directory = try temporaryDirectory()
    let path = directory + "/m.onnx"
    try ONNXWriter.write(original, toPath: path, externalDataThreshold: 1024)
    try FileManager.default.removeItem(atPath: path + ".data")
    expectFailure(path, mentioning: "not found")
    // A location that escapes the model's directory is refused before any file is opened.
    var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
    let location = Data("m.onnx.data".utf8)
    let escape = Data("../../x.data".utf8).prefix(location.count)
    while let range = bytes.range(of: location) { bytes.replaceSubrange(range, with: escape) }
    try bytes.write(to: URL(fileURLWithPath: path))
    expectFailure(path, mentioning: "outside the model's directory")
}

@Test func unsupportedTensorTypeNamesTheTensor() throws {
    // A STRING initializer (data_type 8) with one element.
    var tensor = Onnx_TensorProto()
    tensor.name = "labels"
    tensor.dataType = 8
    tensor.dims = [1]
    tensor.stringData = [Data("cat".utf8)]
    var graph = Onnx_GraphProto()
    graph.initializer = [tensor]
    var model = Onnx_ModelProto()
    model.irVersion = 10
    model.graph = graph
    expectFailure(try write(try model.serializedData(), named: "string.onnx"), mentioning: "'labels' has ONNX data type STRING")
}

