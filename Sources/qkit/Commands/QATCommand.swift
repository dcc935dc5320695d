import ArgumentParser
import Foundation
import QuantKit

struct QATCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qat",
        abstract: "Quantization-aware training: static PTQ, then training through fake quantization; writes QDQ.",
        discussion: """
            Fake-quant nodes go where static PTQ puts Q/DQ pairs (BatchNormalization folded into Conv), starting \
            from the calibrated ranges. Weights are re-fitted each step (minmax) or learned (lsq); activation scales \
            are learned (lsq, the default), follow a moving average of batch ranges (ema), or stay fixed.

            With 4-bit per-channel weights the defaults become 30 epochs, lr 0.0003, learned (lsq) weight scales \
            starting from MSE-clipped ranges (--clip-weights), distillation 0.5 at T = 4 and the scales frozen for \
            the last 3 epochs (--freeze-quantization-last 3) (chosen by 5-fold cross-validation on the training \
            data, scripts/bench_qat_cv.py). Flags, --no-clip-weights and the keys of a --training-config file \
            override them one by one (the file is read over these defaults). --adaround starts from AdaRound's \
            learned rounding of the PTQ weights instead of the float weights.

            Example:
              qkit qat Fixtures/digits/model.onnx --train Fixtures/digits/train.npz \\
                  --calibration Fixtures/digits/calibration.npz \\
                  --weight-type int4 --epochs 5 --lr 0.0003 -o digits-int4-qat.onnx
            """)

    @Argument(help: "The float .onnx model (never modified).")
    var model: String

    @OptionGroup var options: TrainingOptions

    @Option(help: "Calibration data for the starting ranges (default: the training data).")
    var calibration: String?

    @Option(help: "int8 | uint8 | int16 | uint16 | int4 | uint4.")
    var weightType = "int8"

    @Option(help: "uint8 | int8 | int16 | uint16.")
    var activationType = "uint8"

    @Flag(help: "Per-channel weight scales.")
    var perChannel = false

    @Option(help: "Per-block weight scales: blocks of this many elements along the input-channel axis.")
    var blockSize: Int?

    @Option(help: "minmax | percentile | entropy | mse | moving-average (starting activation ranges).")
    var method = "minmax"

    @Option(help: "Weight ranges in training: minmax | fixed | lsq (default lsq for 4-bit per-channel, else minmax).")
    var weightRanges: String?

    @Option(help: "Activation ranges while training: lsq | ema | fixed.")
    var activationRanges = "lsq"

    @Flag(inversion: .prefixedNo, help: ArgumentHelp(
        "Start from weight ranges clipped to the least squared quantization error instead of min/max "
            + "(default on for 4-bit per-channel weights)."))
    var clipWeights: Bool?

    @Flag(inversion: .prefixedNo, help: ArgumentHelp(
        "Start from PTQ weights re-rounded by AdaRound on the calibration data instead of the float weights."))
    var adaround: Bool?

    func run() throws {
        var quantization = QuantizationConfig()
        quantization.weightType = try options.choice(weightType, "--weight-type", QuantType.init(rawValue:))
        quantization.activationType = try options.choice(activationType, "--activation-type", QuantType.init(rawValue:))
        quantization.perChannel = perChannel
        if let blockSize {
            guard blockSize >= 1 else { throw QuantKitError.invalidArgument("--block-size: must be ≥ 1, got \(blockSize)") }
            guard !perChannel else { throw QuantKitError.invalidArgument("--block-size and --per-channel exclude each other") }
            quantization.weightGranularity = .perBlock(size: blockSize, axis: nil)
        }
        quantization.calibration = try options.choice(method, "--method", QuantizeCommand.methods)
        // 4-bit per-channel weights: the recipe chosen by cross-validation on the training data (scripts/bench_qat_cv.py).
        let lowBit = quantization.weightType.bits == 4 && perChannel
        quantization.clipWeights = clipWeights ?? lowBit
        let defaults = lowBit ? TrainingConfig.lowBitQuantizationAware : TrainingConfig()
        let fakeQuant = FakeQuantOptions(
            weightMode: try options.choice(weightRanges ?? (lowBit ? "lsq" : "minmax"), "--weight-ranges",
                                           FakeQuantize.Mode.init(rawValue:)),
            activationMode: try options.choice(activationRanges, "--activation-ranges", FakeQuantize.Mode.init(rawValue:)),
            adaRound: adaround ?? false ? AdaRoundOptions() : nil)
        let calibrationData = try calibration.map { try DataSet.load(path: $0) }
        try options.run(model: model, defaults: defaults) { _ in
            .quantizationAware(quantization: quantization, calibration: calibrationData, options: fakeQuant)
        }
    }
}
