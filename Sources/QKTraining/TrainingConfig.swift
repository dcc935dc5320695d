import Foundation

/// Everything that decides how a model is trained, as one value (JSON-codable; every key has a default).
public struct TrainingConfig: Codable, Sendable, Equatable, FieldCodable {
    /// Parameter update rule.
    public enum Optimizer: String, Codable, Sendable, CaseIterable {
        /// SGD with momentum μ: v ← μ·v + g, p ← p − lr·v.
        case sgd
        /// Adam (Kingma & Ba 2015): m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², p ← p − lr·m̂/(√v̂ + ε) with the
        /// bias-corrected m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ); β₁ = 0.9, β₂ = 0.999, ε = 1e-8.
        case adam
    }

    /// Learning rate per epoch e of E (counting from 0).
    public enum Schedule: String, Codable, Sendable, CaseIterable {
        /// lr
        case constant
        /// lr · γ^⌊e / stepEvery⌋
        case step
        /// lr · ½ · (1 + cos(π · e / E))
        case cosine
    }

    /// How BatchNormalization layers behave while training.
    public enum BatchNormMode: String, Codable, Sendable, CaseIterable {
        /// Batch statistics, running statistics updated with the node's momentum.
        case train
        /// Running statistics used and kept (γ and β still learn).
        case frozen
    }

    public var epochs = 5
    public var learningRate: Float = 1e-3
    public var optimizer: Optimizer = .adam
    /// SGD momentum μ.
    public var momentum: Float = 0.9
    /// L2 penalty λ added to each learnable weight's gradient (g ← g + λ·p) for tensors of rank ≥ 2.
    public var weightDecay: Float = 0
    public var schedule: Schedule = .cosine
    public var stepEvery = 10
    public var stepGamma: Float = 0.1
    public var batchSize = 32
    /// Seed of the shuffling order; the same seed gives the same bytes out.
    public var seed: UInt64 = 0
    public var batchNorm: BatchNormMode = .train
    /// Threads the GEMMs use.
    public var threads = 2
    /// Weight α of the distillation loss against the float model's logits (0: labels only), see
    /// ``SoftmaxCrossEntropy/evaluate(logits:labels:teacher:weight:temperature:)``.
    public var distillation: Float = 0
    /// Softmax temperature T of the distillation loss.
    public var temperature: Float = 4
    /// Epochs W of linear learning-rate warm-up: epoch e < W runs at lr · (e + 1) / (W + 1); the schedule then
    /// runs over the remaining E − W epochs.
    public var warmupEpochs = 0
    /// Number K of final epochs whose end-of-epoch parameters are averaged into the result (0: the last epoch's).
    /// Only learnable parameters are averaged (running statistics and tracked ranges keep their last values).
    public var averageEpochs = 0
    /// Decay d of an exponential moving average of the learnable parameters, updated after every step
    /// (p̄ ← d · p̄ + (1 − d) · p, starting from the initial parameters); the result is the average instead of the
    /// last step's parameters (0: no average). Applied before ``averageEpochs`` would be, so set only one.
    public var emaDecay: Float = 0
    /// From this epoch (0-based) on, quantization scales and zero points stay where they are (learned scales stop
    /// learning, min/max and moving-average ranges stop tracking); nil: see ``freezeQuantizationLastEpochs``.
    public var freezeQuantizationEpoch: Int?
    /// Without ``freezeQuantizationEpoch``, the quantization is frozen for the last K epochs (from epoch
    /// max(E − K, 0) on); 0 never freezes it. ``quantizationFrozenFrom`` is the epoch that results.
    public var freezeQuantizationLastEpochs = 0
    /// Fraction of the training data held out for validation when no validation data is given
    /// (``TrainingData/split(validationFraction:seed:)`` seeded with ``seed``); 0 holds out nothing.
    public var validationSplit: Float = 0
    /// Image translation augmentation: the training samples are extended by copies shifted by up to this many
    /// pixels along the last two axes (``TrainingData/shifted(maxShift:)``: (2S + 1)² copies, so an epoch does that
    /// many times the steps); 0 trains on the data as given. Validation data is not augmented.
    public var shiftAugmentation = 0
    /// With ``shiftAugmentation``: the shifted copies learn the teacher's soft targets only (distillation weight 1
    /// on them, no label term), the unshifted samples keep the ``distillation`` mix. Needs ``distillation`` > 0.
    public var shiftTeacherOnly = false
    /// Keep the epoch whose parameters agree best with the teacher on the validation data instead of the last:
    /// the lowest mean KL(softmax(teacher) ‖ softmax(model)) over the validation samples, in evaluation mode, among
    /// the start (before epoch 1) and every epoch's end (after any averaging). Needs validation data with teacher
    /// logits (``TrainingData/teacherLogits``).
    public var keepBestEpoch = false

    public init() {}

    /// The first epoch (0-based) that trains with frozen quantization, nil for none: ``freezeQuantizationEpoch``,
    /// else max(E − ``freezeQuantizationLastEpochs``, 0) when that is > 0.
    public var quantizationFrozenFrom: Int? {
        freezeQuantizationEpoch ?? (freezeQuantizationLastEpochs > 0 ? max(epochs - freezeQuantizationLastEpochs, 0) : nil)
    }

    /// The learning rate of epoch `epoch` (0-based).
    public func learningRate(epoch: Int) -> Float {
        if epoch < warmupEpochs { return learningRate * Float(epoch + 1) / Float(warmupEpochs + 1) }
        let (e, total) = (epoch - warmupEpochs, epochs - warmupEpochs)
        switch schedule {
        case .constant: return learningRate
        case .step: return learningRate * Float(pow(Double(stepGamma), Double(e / max(stepEvery, 1))))
        case .cosine: return learningRate * Float(0.5 * (1 + cos(Double.pi * Double(e) / Double(max(total, 1)))))
        }
    }

    /// Throws ``TrainingError/invalidConfig(_:)`` for settings out of range.
    public func validate() throws {
        if epochs < 0 { throw TrainingError.invalidConfig("epochs must be ≥ 0, got \(epochs)") }
        if batchSize < 1 { throw TrainingError.invalidConfig("batch size must be ≥ 1, got \(batchSize)") }
        if !(learningRate.isFinite && learningRate > 0) {
            throw TrainingError.invalidConfig("learning rate must be finite and > 0, got \(learningRate)")
        }
        if threads < 1 { throw TrainingError.invalidConfig("threads must be ≥ 1, got \(threads)") }
        if !(0...1).contains(distillation) {
            throw TrainingError.invalidConfig("distillation weight must be in [0, 1], got \(distillation)")
        }
        if !(temperature.isFinite && temperature > 0) {
            throw TrainingError.invalidConfig("temperature must be finite and > 0, got \(temperature)")
        }
        if !(0..<1).contains(momentum) { throw TrainingError.invalidConfig("momentum must be in [0, 1), got \(momentum)") }
        if !(0..<1).contains(validationSplit) {
            throw TrainingError.invalidConfig("validation split must be in [0, 1), got \(validationSplit)")
        }
        if shiftAugmentation < 0 {
            throw TrainingError.invalidConfig("shift augmentation must be ≥ 0, got \(shiftAugmentation)")
        }
        if warmupEpochs < 0 { throw TrainingError.invalidConfig("warm-up epochs must be ≥ 0, got \(warmupEpochs)") }
        if averageEpochs < 0 { throw TrainingError.invalidConfig("averaged epochs must be ≥ 0, got \(averageEpochs)") }
        if !(0..<1).contains(emaDecay) { throw TrainingError.invalidConfig("EMA decay must be in [0, 1), got \(emaDecay)") }
        if emaDecay > 0, averageEpochs > 0 {
            throw TrainingError.invalidConfig("use either an EMA of the parameters or an average of the last epochs, not both")
        }
        if let freeze = freezeQuantizationEpoch, freeze < 0 {
            throw TrainingError.invalidConfig("the epoch that freezes quantization must be ≥ 0, got \(freeze)")
        }
        if freezeQuantizationLastEpochs < 0 {
            throw TrainingError.invalidConfig("the epochs with frozen quantization must be ≥ 0, got \(freezeQuantizationLastEpochs)")
        }
        if shiftTeacherOnly, !(shiftAugmentation > 0 && distillation > 0) {
            throw TrainingError.invalidConfig("teacher-only shifted copies need shift augmentation and a distillation weight > 0")
        }
    }

    static var fields: [ConfigField<TrainingConfig>] {
        [.init("epochs", \.epochs), .init("learningRate", \.learningRate), .init("optimizer", \.optimizer),
         .init("momentum", \.momentum), .init("weightDecay", \.weightDecay), .init("schedule", \.schedule),
         .init("stepEvery", \.stepEvery), .init("stepGamma", \.stepGamma), .init("batchSize", \.batchSize),
         .init("seed", \.seed), .init("batchNorm", \.batchNorm), .init("threads", \.threads),
         .init("distillation", \.distillation), .init("temperature", \.temperature),
         .init("warmupEpochs", \.warmupEpochs), .init("averageEpochs", \.averageEpochs), .init("emaDecay", \.emaDecay),
         .init("freezeQuantizationEpoch", \.freezeQuantizationEpoch),
         .init("freezeQuantizationLastEpochs", \.freezeQuantizationLastEpochs),
         .init("validationSplit", \.validationSplit), .init("shiftAugmentation", \.shiftAugmentation),
         .init("shiftTeacherOnly", \.shiftTeacherOnly), .init("keepBestEpoch", \.keepBestEpoch)]
    }

    /// Decodes a config; absent keys keep their defaults.
    public init(from decoder: Decoder) throws { try self.init(decodingFieldsFrom: decoder) }

    public func encode(to encoder: Encoder) throws { try encodeFields(to: encoder) }

    /// A JSON config read over `base`: the keys it has replace base's values, absent keys keep them (so a partial
    /// file keeps, e.g., the 4-bit QAT recipe ``lowBitQuantizationAware`` for everything it does not name).
    public static func decoded(from json: Data, over base: TrainingConfig) throws -> TrainingConfig {
        try decode(json: json, over: base)
    }
}
