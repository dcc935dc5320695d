import Foundation
import Testing
@testable import QKQuantization

@Suite struct ConfigTests {
    private func decode(_ json: String) throws -> QuantizationConfig {
        try JSONDecoder().decode(QuantizationConfig.self, from: Data(json.utf8))
    }

    @Test func defaultsFollowQuantizeStatic() {
        let c = QuantizationConfig()
        #expect(c.mode == .static && c.format == .qdq)
        #expect(c.activationType == .uint8 && !c.activationSymmetric)
        #expect(c.weightType == .int8 && c.weightSymmetric)
        #expect(c.weightGranularity == .perTensor && !c.perChannel && !c.reduceRange)
        #expect(c.calibration == .minMax)
    }

    @Test func partialJSONKeepsDefaults() throws {
        let c = try decode(#"{"weightType": "int4", "calibration": {"method": "entropy", "bins": 4096}}"#)
        var expected = QuantizationConfig()
        expected.weightType = .int4
        expected.calibration = .entropy(bins: 4096, quantizedBins: 128)
        #expect(c == expected)
        #expect(try decode("{}") == QuantizationConfig())
        #expect(try decode(#"{"calibration": "percentile"}"#).calibration == .percentile(99.999, bins: 2048))
        #expect(try decode(#"{"perChannel": true}"#).weightGranularity == .perChannel(axis: nil))
        #expect(try decode(#"{"weightGranularity": {"kind": "perBlock", "size": 64}}"#).weightGranularity
            == .perBlock(size: 64, axis: nil))
    }

    @Test func roundTripsThroughJSON() throws {
        var c = QuantizationConfig()
        c.mode = .dynamic
        c.format = .qoperator
        c.weightGranularity = .perBlock(size: 32, axis: 0)
        c.calibration = .movingAverage(averagingConstant: 0.1)
        c.excludeNodes = ["conv1"]
        c.opTypesToQuantize = ["Conv", "MatMul"]
        let data = try JSONEncoder().encode(c)
        #expect(try JSONDecoder().decode(QuantizationConfig.self, from: data) == c)
        for method: QuantizationConfig.CalibrationMethod in [.minMax, .percentile(99.9, bins: 100),
                                                             .entropy(bins: 256, quantizedBins: 64), .mse(bins: 10)] {
            c.calibration = method
            #expect(try JSONDecoder().decode(QuantizationConfig.self, from: JSONEncoder().encode(c)) == c)
        }
    }

    @Test func unknownKeysAndValuesAreClearErrors() {
        #expect(throws: QuantizationConfigError.self) { try decode(#"{"weigthType": "int8"}"#) }
        do {
            _ = try decode(#"{"weigthType": "int8"}"#)
        } catch let error as QuantizationConfigError {
            #expect(error.description.contains("unknown key 'weigthType'"))
            #expect(error.description.contains("weightType"))
        } catch {
            Issue.record("unexpected \(error)")
        }
        do {
            _ = try decode(#"{"activationType": "uint9"}"#)
            Issue.record("uint9 accepted")
        } catch let error as QuantizationConfigError {
            #expect(error == .unknownValue(path: "activationType", value: "uint9",
                                           allowed: QuantType.allCases.map(\.rawValue)))
        } catch {
            Issue.record("unexpected \(error)")
        }
        #expect(throws: QuantizationConfigError.self) { try decode(#"{"calibration": "kl"}"#) }
        #expect(throws: QuantizationConfigError.self) { try decode(#"{"calibration": {"method": "mse", "bin": 3}}"#) }
        #expect(throws: QuantizationConfigError.self) {
            try decode(#"{"calibration": {"method": "percentile", "percentile": 120}}"#)
        }
        #expect(throws: QuantizationConfigError.self) {
            try decode(#"{"perChannel": false, "weightGranularity": "perChannel"}"#)
        }
        #expect(throws: QuantizationConfigError.self) { try decode(#"{"mode": "int8"}"#) }
    }
}
