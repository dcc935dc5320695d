import Foundation
import Testing
@testable import QuantKit

/// Config files in JSON and YAML: the same schema gives the same value, and every error names file and key.
@Suite struct ConfigFileTests {
    private func decode(_ text: String, _ syntax: QuantizationConfig.FileSyntax,
                        path: String = "c") throws -> QuantizationConfig {
        try QuantizationConfig.decode(Data(text.utf8), syntax: syntax, path: path)
    }

    private func message(_ text: String, _ syntax: QuantizationConfig.FileSyntax, path: String) -> String {
        do {
            _ = try decode(text, syntax, path: path)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func yamlAndJSONDescribeTheSameConfig() throws {
        let yaml = """
            # 4-bit weights in blocks of 32, percentile calibration
            mode: static
            weightType: int4
            weightGranularity: {kind: perBlock, size: 32}
            calibration:
              method: percentile
              percentile: 99.99
            excludeNodes: [conv1, fc2]
            reduceRange: true
            """
        let json = """
            {"mode": "static", "weightType": "int4", "weightGranularity": {"kind": "perBlock", "size": 32},
             "calibration": {"method": "percentile", "percentile": 99.99}, "excludeNodes": ["conv1", "fc2"],
             "reduceRange": true}
            """
        var expected = QuantizationConfig()
        expected.weightType = .int4
        expected.weightGranularity = .perBlock(size: 32, axis: nil)
        expected.calibration = .percentile(99.99, bins: 2048)
        expected.excludeNodes = ["conv1", "fc2"]
        expected.reduceRange = true
        #expect(try decode(yaml, .yaml) == expected)
        #expect(try decode(json, .json) == expected)
        #expect(try decode("", .yaml) == QuantizationConfig())
        #expect(try decode("perChannel: true\n", .yaml).weightGranularity == .perChannel(axis: nil))
    }

    @Test func syntaxFollowsTheExtension() {
        #expect(QuantizationConfig.FileSyntax(path: "a/b.yaml") == .yaml)
        #expect(QuantizationConfig.FileSyntax(path: "b.YML") == .yaml)
        #expect(QuantizationConfig.FileSyntax(path: "b.json") == .json)
        #expect(QuantizationConfig.FileSyntax(path: "config") == .json)
    }

    @Test(arguments: [QuantizationConfig.FileSyntax.yaml, .json])
    func errorsNameTheFileAndTheKey(syntax: QuantizationConfig.FileSyntax) {
        let path = syntax == .yaml ? "q.yaml" : "q.json"
        func text(_ yaml: String, _ json: String) -> String { syntax == .yaml ? yaml : json }
        let unknown = message(text("weigthType: int4\n", #"{"weigthType": "int4"}"#), syntax, path: path)
        #expect(unknown.hasPrefix("\(path): quantization config: unknown key 'weigthType' at top level"), "\(unknown)")
        #expect(unknown.contains("weightType"), "\(unknown)")
        let wrongType = message(text("calibration: {method: entropy, bins: many}\n",
                                     #"{"calibration": {"method": "entropy", "bins": "many"}}"#), syntax, path: path)
        #expect(wrongType == "\(path): quantization config: 'calibration.bins' must be a number", "\(wrongType)")
        let wrongBool = message(text("perChannel: maybe\n", #"{"perChannel": "maybe"}"#), syntax, path: path)
        #expect(wrongBool == "\(path): quantization config: 'perChannel' must be true or false", "\(wrongBool)")
        let value = message(text("weightType: int3\n", #"{"weightType": "int3"}"#), syntax, path: path)
        #expect(value.hasPrefix("\(path): quantization config: unknown value 'int3' for weightType"), "\(value)")
        let list = message(text("- mode\n", #"["mode"]"#), syntax, path: path)
        #expect(list == "\(path): quantization config: top level must be a mapping of keys to values", "\(list)")
        let broken = message(text("mode: [static\n", #"{"mode": "static""#), syntax, path: path)
        #expect(broken.hasPrefix("\(path): quantization config: not valid \(syntax == .yaml ? "YAML" : "JSON")"),
                "\(broken)")
        #expect(!broken.contains("\n"), "\(broken)")
    }

    @Test func missingFileIsUnreadable() {
        #expect(throws: QuantKitError.unreadableFile(path: "/nonexistent/q.yaml", reason: "cannot read the config file")) {
            try QuantizationConfig.load(contentsOfFile: "/nonexistent/q.yaml")
        }
    }
}
