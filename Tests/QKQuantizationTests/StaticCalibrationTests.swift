import QKGraph
import QKTensor
import Testing
@testable import QKQuantization

/// One calibration shared by several configs gives the same models as calibrating for each.
@Suite struct StaticCalibrationTests {
    @Test func sharedCalibrationEqualsCalibratingPerConfig() throws {
        var base = QuantizationConfig()
        base.calibration = .movingAverage(averagingConstant: 0.01)
        let calibrated = try StaticQuantizer.calibrate(convReluGemmModel(), config: base, feeds: calibrationFeeds(),
                                                       batchSize: 2)
        var variants: [QuantizationConfig] = [base]
        var onlyConv = base
        onlyConv.includeNodes = ["conv", "relu"]
        var perChannelQOperator = base
        perChannelQOperator.perChannel = true
        perChannelQOperator.format = .qoperator
        variants += [onlyConv, perChannelQOperator]
        for config in variants {
            let direct = try StaticQuantizer.quantize(convReluGemmModel(), config: config, feeds: calibrationFeeds(),
                                                      batchSize: 2)
            let shared = try StaticQuantizer.quantize(calibrated, config: config)
            #expect(shared.model == direct.model)
            #expect(shared.decisions == direct.decisions)
        }
    }

    @Test func refusesAConfigWithOtherCalibrationSettings() throws {
        let calibrated = try StaticQuantizer.calibrate(convReluGemmModel(), config: QuantizationConfig(),
                                                       feeds: calibrationFeeds())
        var symmetric = QuantizationConfig()
        symmetric.activationSymmetric = true
        var percentile = QuantizationConfig()
        percentile.calibration = .percentile(99.9, bins: 2048)
        for config in [symmetric, percentile] {
            #expect(throws: StaticQuantizationError.self) { try StaticQuantizer.quantize(calibrated, config: config) }
        }
    }
}
