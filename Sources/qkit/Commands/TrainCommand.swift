import ArgumentParser
import Foundation
import QuantKit

/// Options shared by `qkit train`, `qkit qat` and `qkit finetune`.
struct TrainingOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "Path of the trained .onnx file to write (rewritten after every epoch).")
    var output: String

    @Option(help: "Training data (.npz/.npy/dir): arrays named like the model inputs plus integer labels.")
    var train: String

    @Option(help: "Validation data, same layout; its accuracy is reported per epoch.")
    var val: String?

    @Option(help: "Without --val: hold out this fraction of --train (seeded by --seed) for validation.")
    var valSplit: Float?

    @Option(help: "Name of the labels array.")
    var labels = "labels"

    @Option(help: "Number of passes over the training data.")
    var epochs: Int?

    @Option(help: "Learning rate.")
    var lr: Float?

    @Option(help: "sgd | adam.")
    var optimizer: String?

    @Option(help: "cosine | step | constant (learning rate per epoch).")
    var schedule: String?

    @Option(help: "Mini-batch size.")
    var batch: Int?

    @Option(help: "Seed of the shuffling order (same seed, same output bytes).")
    var seed: UInt64?

    @Option(help: "SGD momentum.")
    var momentum: Float?

    @Option(help: "L2 weight decay.")
    var weightDecay: Float?

    @Option(help: "Weight in [0, 1] of distillation from the float model's logits (0: labels only).")
    var distill: Float?

    @Option(help: "Softmax temperature of the distillation loss.")
    var temperature: Float?

    @Flag(help: "Keep BatchNormalization statistics frozen (running mean/variance).")
    var freezeBn = false

    @Option(help: "Epochs of linear learning-rate warm-up before the schedule.")
    var warmup: Int?

    @Option(help: "Average the parameters of the last N epochs into the result.")
    var averageLast: Int?

    @Option(help: "Decay in [0, 1) of an exponential moving average of the parameters over steps; the result is the average.")
    var ema: Float?

    @Option(help: "Freeze quantization scales from this epoch (0-based) on.")
    var freezeQuantization: Int?

    @Option(help: "Without --freeze-quantization: freeze quantization scales for the last N epochs.")
    var freezeQuantizationLast: Int?

    @Option(help: "Augment the training images with copies shifted by up to N pixels (height/width; (2N+1)² copies).")
    var augmentShift: Int?

    @Flag(help: "With --augment-shift and --distill: the shifted copies learn the float model's outputs only (no labels).")
    var shiftTeacherOnly = false

    @Flag(help: "Keep the epoch (or the start) whose outputs are closest to the float model's on the validation data (KL).")
    var keepBestEpoch = false

    @Option(help: "Threads for the matrix products.")
    var threads: Int?

    @Option(help: "JSON file with a TrainingConfig; flags override it.")
    var trainingConfig: String?

    @Flag(help: "Print only the final summary.")
    var quiet = false

    func validate() throws {
        if let epochs, epochs < 0 { throw ValidationError("--epochs must be ≥ 0") }
        if let lr, !(lr.isFinite && lr > 0) { throw ValidationError("--lr must be a positive number") }
        if let batch, batch < 1 { throw ValidationError("--batch must be ≥ 1") }
        if let warmup, warmup < 0 { throw ValidationError("--warmup must be ≥ 0") }
        if let averageLast, averageLast < 0 { throw ValidationError("--average-last must be ≥ 0") }
        if let freezeQuantization, freezeQuantization < 0 {
            throw ValidationError("--freeze-quantization must be ≥ 0")
        }
        if let freezeQuantizationLast, freezeQuantizationLast < 0 {
            throw ValidationError("--freeze-quantization-last must be ≥ 0")
        }
    }

    /// `defaults`, with the config file's keys (if any) and then the flags applied on top.
    func makeConfig(defaults: TrainingConfig = TrainingConfig()) throws -> TrainingConfig {
        var config = defaults
        if let path = trainingConfig {
            config = try TrainingConfig.load(contentsOfFile: path, over: defaults)
        }
        if let epochs { config.epochs = epochs }
        if let lr { config.learningRate = lr }
        if let optimizer { config.optimizer = try choice(optimizer, "--optimizer", TrainingConfig.Optimizer.init(rawValue:)) }
        if let schedule { config.schedule = try choice(schedule, "--schedule", TrainingConfig.Schedule.init(rawValue:)) }
        if let batch { config.batchSize = batch }
        if let seed { config.seed = seed }
        if let momentum { config.momentum = momentum }
        if let weightDecay { config.weightDecay = weightDecay }
        if freezeBn { config.batchNorm = .frozen }
        if let threads { config.threads = threads }
        if let distill { config.distillation = distill }
        if let temperature { config.temperature = temperature }
        if let valSplit {
            guard valSplit > 0, valSplit < 1 else {
                throw QuantKitError.invalidArgument("--val-split must be in (0, 1), got \(valSplit)")
            }
            guard val == nil else { throw QuantKitError.invalidArgument("give --val or --val-split, not both") }
            config.validationSplit = valSplit
        }
        if val != nil { config.validationSplit = 0 }
        if let warmup { config.warmupEpochs = warmup }
        if let averageLast { config.averageEpochs = averageLast }
        if let freezeQuantization { config.freezeQuantizationEpoch = freezeQuantization }
        if let ema { config.emaDecay = ema }
        if let freezeQuantizationLast { config.freezeQuantizationLastEpochs = freezeQuantizationLast }
        if let augmentShift { config.shiftAugmentation = augmentShift }
        if shiftTeacherOnly { config.shiftTeacherOnly = true }
        if keepBestEpoch { config.keepBestEpoch = true }
        return config
    }

    func choice<T>(_ text: String, _ flag: String, _ make: (String) -> T?) throws -> T {
        guard let value = make(text) else { throw QuantKitError.invalidArgument("\(flag): unknown value '\(text)'") }
        return value
    }

    /// Loads the model and data, trains as `mode` says, prints per-epoch lines (a bar on a terminal) and the
    /// summary, and writes the output.
    func run(model path: String, defaults: TrainingConfig = TrainingConfig(),
             mode: (Model) throws -> TrainingMode) throws {
        try ModelFile.requireDistinct(input: path, output: output)
        let config = try makeConfig(defaults: defaults)
        try config.validate()
        let model = try ModelFile.load(path)
        let trainData = try DataSet.load(path: train)
        let validation = try val.map { try DataSet.load(path: $0) }
        let terminal = isatty(STDOUT_FILENO) != 0
        let outcome = try Training.train(model, mode: try mode(model), data: trainData, validation: validation,
                                         config: config, labelsKey: labels, checkpoint: output) { report in
            guard !quiet else { return }
            print(terminal ? Self.bar(report) + "  " + report.line : report.line)
        }
        if let initial = outcome.initialAccuracy, let last = outcome.epochs.last?.validationAccuracy {
            print("validation accuracy: \(Self.percent(initial)) before → \(Self.percent(last)) after")
        }
        print("wrote \(output)")
    }

    static func percent(_ value: Double) -> String { String(format: "%.2f%%", value * 100) }

    static func bar(_ report: EpochReport) -> String {
        let width = 20, filled = report.epochs > 0 ? width * report.epoch / report.epochs : width
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
    }
}

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train or fine-tune a float ONNX classifier on labelled data (softmax cross-entropy).",
        discussion: """
            Supported ops: Conv, Gemm, MatMul, Add, Mul, Relu, Clip, MaxPool, AveragePool, GlobalAveragePool, \
            Flatten, Reshape, Identity, Concat, Transpose, Dropout (as identity), BatchNormalization, \
            LayerNormalization, Softmax. The output is rewritten after every epoch, so a diverging run (NaN loss) \
            keeps the last good epoch.

            Example:
              qkit train Fixtures/digits/model.onnx --train Fixtures/digits/train.npz \\
                  --epochs 5 --lr 0.001 -o digits-tuned.onnx
            """)

    @Argument(help: "The float .onnx model to start from (never modified).")
    var model: String

    @OptionGroup var options: TrainingOptions

    func run() throws {
        try options.run(model: model) { _ in .float }
    }
}
