import Foundation
import QKGraph
import QKTensor
import Testing
@testable import QKONNX

/// Bad files on disk, including damaged copies of the real fixture models: reading fails with an
/// ``ONNXError`` whose one-line message names the file and says what is wrong.
@Suite struct ONNXBadInputTests {
    /// Writes `bytes` to `name` in `directory` and returns the path.
    func write(_ bytes: some Sequence<UInt8>, named name: String, in directory: TemporaryDirectory) throws -> String {
        let path = directory.file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Reading `path` fails with an ONNXError whose one-line message names the file and contains `fragment`.
    func expectFailure(_ path: String, mentioning fragment: String) {
        let error = #expect(throws: ONNXError.self) { try ONNXReader.readModel(atPath: path) }
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains(path), "\(text)")
        #expect(fragment.isEmpty || text.contains(fragment), "\(text)")
        #expect(!text.contains("\n"), "\(text)")
    }

    @Test func missingEmptyAndDirectoryPathsAreReported() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        expectFailure("/nonexistent/model.onnx", mentioning: "no such file")
        expectFailure(try write([], named: "empty.onnx", in: directory), mentioning: "empty")
        expectFailure(directory.path, mentioning: "directory")
    }

    @Test func truncatedFixtureIsReported() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let bytes = try TestResources.bytesAt(TestResources.fixture("digits/model.onnx"))
        expectFailure(try write(bytes.prefix(bytes.count / 2), named: "truncated.onnx", in: directory),
                      mentioning: "not a valid ONNX model (truncated or not protobuf)")
    }

    @Test func textAndRandomBytesAreReportedWithoutCrashing() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        expectFailure(try write(Array("this is not a model\n".utf8), named: "text.onnx", in: directory), mentioning: "")
        var generator = SplitMix64(seed: 11)
        for index in 0..<20 {
            let bytes = (0..<(64 + index * 37)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            expectFailure(try write(bytes, named: "random\(index).onnx", in: directory), mentioning: "")
        }
    }

    @Test func tensorDataOfWrongSizeNamesTheTensor() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var model = try ONNXReader.readModel(atPath: TestResources.path("test_conv_with_strides_padding.onnx"))
        model.graph.initializers["w"] = Tensor(shape: [4], values: [Float(1), 2, 3, 4])
        var bytes = try ONNXWriter.serialize(model)
        // The tensor starts with dims (field 1, varint 4: `08 04`) then data_type (field 2, FLOAT: `10 01`);
        // shrinking dims to 3 leaves 16 bytes of raw_data for 3 floats.
        let marker: [UInt8] = [0x08, 0x04, 0x10, 0x01]
        let start = try #require((0...(bytes.count - marker.count)).first { bytes[$0..<$0 + marker.count].elementsEqual(marker) })
        bytes[start + 1] = 0x03
        expectFailure(try write(bytes, named: "badsize.onnx", in: directory),
                      mentioning: "tensor 'w' needs 12 bytes of data but its raw_data holds 16")
    }

    @Test func externalDataProblemsInARealModelAreReported() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let original = try ONNXReader.readModel(atPath: TestResources.fixture("encoder/model.onnx"))
        let path = directory.file("m.onnx")
        try ONNXWriter.write(original, toPath: path, externalDataThreshold: 1024)
        try FileManager.default.removeItem(atPath: path + ".data")
        expectFailure(path, mentioning: "side file 'm.onnx.data' not found")
        // A location that escapes the model's directory is refused before any file is opened.
        var bytes = try TestResources.bytesAt(path)
        let location = Array("m.onnx.data".utf8)
        let escape = Array("../../x.data".utf8).prefix(location.count)
        var index = 0
        while index + location.count <= bytes.count {
            if bytes[index..<index + location.count].elementsEqual(location) {
                bytes.replaceSubrange(index..<index + location.count, with: escape)
            }
            index += 1
        }
        _ = try write(bytes, named: "m.onnx", in: directory)
        expectFailure(path, mentioning: "location '../../x.dat' points outside the model's directory")
    }

    @Test func unsupportedTensorTypeNamesTheTensor() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var tensor = Onnx_TensorProto()
        tensor.name = "labels"
        tensor.dataType = 8  // STRING
        tensor.dims = [1]
        tensor.stringData = [Data("cat".utf8)]
        var model = Onnx_ModelProto()
        model.irVersion = 10
        model.graph.initializer = [tensor]
        let bytes: [UInt8] = try model.serializedBytes()
        expectFailure(try write(bytes, named: "string.onnx", in: directory),
                      mentioning: "tensor 'labels' has element type STRING, which QuantKit does not support")
    }
}
