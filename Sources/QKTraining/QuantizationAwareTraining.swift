import QKGraph
import QKQuantization
import QKTensor

/// Quantization-aware training set-up: static PTQ decides where the Q/DQ pairs go and calibrates the activation
/// ranges, then the pairs become ``FakeQuantize`` nodes that training adapts to.
///
/// 1. BatchNormalization is folded into the preceding Conv (as static PTQ does) — QAT trains the folded
///    weights, so the exported integer model has the structure training saw.
/// 2. ``StaticQuantizer`` runs with `config` (its calibration method, weight type and granularity, activation
///    type).
/// 3. With ``FakeQuantOptions/adaRound`` set, ``AdaRound`` re-rounds the PTQ weights on the calibration data.
/// 4. ``FakeQuantRewriter`` turns the QDQ model into the trainable form, starting from the float (folded) weights,
///    or with AdaRound from ``AdaRound/latentWeights(rounded:nearest:float:)`` (the float weights, with those
///    AdaRound rounded the other way mirrored across the rounding boundary, so the fake quantization starts from
///    the learned codes).
public enum QuantizationAwareTraining {
    /// The trainable fake-quantization model for `model`.
    public static func prepare(_ model: Model, config: QuantizationConfig, calibration: [String: Tensor],
                               options: FakeQuantOptions = FakeQuantOptions(), threads: Int = 2) throws -> Model {
        let quantized = try StaticQuantizer.quantize(model, config: config, feeds: calibration, threads: threads).model
        let folded = ConvBatchNormFolding.apply(to: model).model
        if let adaRound = options.adaRound {
            let rounded = try AdaRound.apply(to: quantized, float: folded, calibration: calibration, options: adaRound,
                                             threads: threads).model
            return try FakeQuantRewriter.rewrite(rounded, options: options, floatWeights: try AdaRound.latentWeights(
                rounded: rounded, nearest: quantized, float: folded.graph.initializers))
        }
        return try FakeQuantRewriter.rewrite(quantized, options: options, floatWeights: folded.graph.initializers)
    }

    /// The trainable form of an already quantized QDQ model, keeping its scales: weights and activations in
    /// `fixed` mode unless `options` says otherwise.
    public static func prepareFineTuning(_ quantized: Model, options: FakeQuantOptions = FakeQuantOptions(
        weightMode: .fixed, activationMode: .fixed)) throws -> Model {
        try FakeQuantRewriter.rewrite(quantized, options: options)
    }
}
