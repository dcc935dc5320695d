import QKGraph
import QKTensor
import Testing
@testable import QKQuantization

/// Static QDQ with 4-bit weights on ``convReluGemmModel()``: int4 weight initializers, blocked parameter shapes,
/// opset 21, and the refusals. Expected layouts follow the ONNX DequantizeLinear spec (opset 21).
@Suite struct StaticInt4Tests {
    func quantized(_ granularity: QuantizationConfig.WeightGranularity, type: QuantType = .int4) throws -> Model {
        var config = QuantizationConfig()
        config.weightType = type
        config.weightGranularity = granularity
        return try StaticQuantizer.quantize(convReluGemmModel(), config: config, feeds: calibrationFeeds(),
                                            batchSize: 2).model
    }

    func dequantize(of weight: String, in model: Model) throws -> Node {
        try #require(model.graph.nodes.first { $0.opType == "DequantizeLinear" && $0.inputs[0] == weight + "_quantized" })
    }

    @Test func perChannelInt4Weights() throws {
        let model = try quantized(.perChannel(axis: nil))
        #expect(model.opsetVersion(for: "") == 21)
        let w = try #require(model.graph.initializers["w_quantized"])
        #expect(w.dtype == .int4 && w.shape == [2, 1, 3, 3])
        // Filter 1 has |w| max 2 → symmetric int4 scale 2·2/15 (range −8 … 7), as Float 0.26666668, a hair above
        // 4/15: −2 / scale = −7.4999995 → −7, and 1 / scale = 3.7499998 → 4 (float32 division, as numpy).
        let scales = try #require(model.graph.initializers["w_scale"]).floatValues
        #expect(scales.count == 2 && scales[1] == Float(4.0 / 15))
        #expect(w.int64Values[9 + 4] == -7 && w.int64Values[9] == 4)
        #expect(try #require(model.graph.initializers["w_zero_point"]).dtype == .int4)
        #expect(try dequantize(of: "w", in: model).attributes["axis"] == .int(0))
        // The bias is int32 at scale_x · scale_w[c].
        #expect(model.graph.initializers["b_quantized"]?.dtype == .int32)
    }

    @Test func blockedWeightsAlongTheReductionAxis() throws {
        let model = try quantized(.perBlock(size: 3, axis: nil), type: .uint4)
        // Gemm B is [3, 8] with transB: K is axis 1, ⌈8 / 3⌉ = 3 blocks per output row.
        let fc = try dequantize(of: "fw", in: model)
        #expect(fc.attributes["axis"] == .int(1) && fc.attributes["block_size"] == .int(3))
        #expect(model.graph.initializers["fw_scale"]?.shape == [3, 3])
        #expect(model.graph.initializers["fw_zero_point"]?.dtype == .uint4)
        #expect(model.graph.initializers["fw_zero_point"]?.shape == [3, 3])
        // Conv W is [2, 1, 3, 3]: input channels (axis 1, one block), one scale per filter and kernel position.
        #expect(model.graph.initializers["w_scale"]?.shape == [2, 1, 3, 3])
        // Blocked scales are not per output channel, so biases stay float.
        #expect(model.graph.initializers["b_quantized"] == nil && model.graph.initializers["fb_quantized"] == nil)
        #expect(model.opsetVersion(for: "") == 21)
    }

    @Test func fourBitActivationsAndQOperatorAreRefused() {
        var config = QuantizationConfig()
        config.activationType = .int4
        #expect(throws: StaticQuantizationError.self) {
            try StaticQuantizer.quantize(convReluGemmModel(), config: config, feeds: calibrationFeeds(), batchSize: 2)
        }
        config = QuantizationConfig()
        config.weightType = .int4
        config.format = .qoperator
        #expect(throws: StaticQuantizationError.self) {
            try StaticQuantizer.quantize(convReluGemmModel(), config: config, feeds: calibrationFeeds(), batchSize: 2)
        }
    }
}
