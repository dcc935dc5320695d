import Foundation
@_exported import QKTraining

/// What ``Training/train(_:mode:data:validation:config:labelsKey:checkpoint:progress:)`` trains.
public enum TrainingMode: Sendable {
    /// The float model itself (BatchNormalization per ``TrainingConfig/batchNorm``).
    case float
    /// Quantization-aware training of a float model: static PTQ with `quantization` calibrated on `calibration`
    /// (the training samples when nil, without a validation split's), then training through fake quantization;
    /// the result is a QDQ model.
    case quantizationAware(quantization: QuantizationConfig, calibration: DataSet?, options: FakeQuantOptions)
    /// Fine-tuning of an already quantized QDQ model, its Q/DQ pairs turned into fake quantization with the model's
    /// own scales as the starting point; the result is a QDQ model.
    case fineTune(options: FakeQuantOptions)
}

/// The outcome of a training run.
public struct TrainingOutcome: Sendable {
    /// The trained model (float, or QDQ for the quantized modes).
    public var model: Model
    /// Top-1 validation accuracy before the first epoch (nil without validation data).
    public var initialAccuracy: Double?
    /// One report per finished epoch.
    public var epochs: [EpochReport]
}

/// One-call training: fp32 training, quantization-aware training and fine-tuning of quantized models.
public enum Training {
    /// Trains `model` as `mode` says on `data` (arrays named like the model inputs plus integer labels under
    /// `labelsKey`). After every epoch the model is written to `checkpoint` when given (temp file, then rename),
    /// so a run that diverges (NaN loss, ``TrainingError/diverged(epoch:step:learningRate:lastGoodEpoch:)``)
    /// leaves the last good epoch there. The input model is never modified. With ``TrainingConfig/distillation``
    /// > 0 the float `model` (evaluation mode) is the teacher whose logits the trained model also learns. With
    /// ``TrainingConfig/validationSplit`` > 0 and no `validation`, that fraction of `data` (seeded) validates
    /// and the rest trains. ``TrainingConfig/shiftAugmentation`` > 0 extends the training samples (not the
    /// validation or calibration data) with shifted copies before the teacher's logits are computed.
    public static func train(_ model: Model, mode: TrainingMode, data: DataSet, validation: DataSet?,
                             config: TrainingConfig, labelsKey: String = "labels", checkpoint: String? = nil,
                             progress: (EpochReport) -> Void = { _ in }) throws -> TrainingOutcome {
        try config.validate()
        if !Quantizer.isQuantized(model) {
            _ = try TrainingGraph(model: model)  // names unsupported ops before any data is read
        }
        var trainingData = try samples(data, for: model.graph, labelsKey: labelsKey)
        var validationData = try validation.map { try samples($0, for: model.graph, labelsKey: labelsKey) }
        if config.validationSplit > 0 {
            guard validation == nil else {
                throw QuantKitError.invalidArgument("give validation data or a validation split, not both")
            }
            do {
                (trainingData, validationData) = try trainingData.split(validationFraction: config.validationSplit,
                                                                        seed: config.seed)
            } catch let error as TrainingError {
                throw QuantKitError.invalidData(path: data.path, reason: error.description)
            }
        }
        let quantized = Quantizer.isQuantized(model)
        let trainable: Model
        switch mode {
        case .float:
            if quantized {
                throw QuantKitError.invalidArgument("the model is quantized; fine-tune it with `qkit finetune` instead")
            }
            trainable = model
        case .quantizationAware(let quantization, let calibration, let options):
            let feeds = try calibration?.inputs(for: model.graph) ?? trainingData.inputs.mapValues(\.tensor)
            trainable = try QuantizationAwareTraining.prepare(model, config: quantization, calibration: feeds,
                                                              options: options, threads: config.threads)
        case .fineTune(let options):
            guard quantized else {
                throw QuantKitError.invalidArgument("the model is not quantized; use `qkit qat` or `qkit train`")
            }
            trainable = try QuantizationAwareTraining.prepareFineTuning(model, options: options)
        }
        if config.shiftAugmentation > 0 {
            do {
                trainingData = try trainingData.shifted(maxShift: config.shiftAugmentation,
                                                        teacherOnly: config.shiftTeacherOnly)
            } catch let error as TrainingError {
                throw QuantKitError.invalidData(path: data.path, reason: error.description)
            }
        }
        if config.distillation > 0 || config.keepBestEpoch {
            if case .fineTune = mode {
                throw QuantKitError.invalidArgument("distillation and keeping the best epoch need the float model as "
                    + "teacher; fine-tuning of a quantized model has none (use `qkit qat` on the float model)")
            }
            let teacher = try TrainingGraph(model: model)
            if config.distillation > 0 {
                trainingData.teacherLogits = try Trainer.logits(teacher, on: trainingData, threads: config.threads)
            }
            if config.keepBestEpoch, let held = validationData {
                validationData?.teacherLogits = try Trainer.logits(teacher, on: held, threads: config.threads)
            }
        }
        var graph = try TrainingGraph(model: trainable)
        for (samples, source) in [(trainingData, data)] + zip([validationData].compactMap { $0 }, [validation].compactMap { $0 }) {
            do {
                try Trainer.check(graph, samples, threads: config.threads)
            } catch let error as TrainingError {
                throw QuantKitError.invalidData(path: source.path, reason: error.description)
            }
        }
        let export: (TrainingGraph) throws -> Model = { graph in
            if case .float = mode { return graph.exportModel() }
            return try FakeQuantExporter.export(graph.exportModel())
        }
        let initial = try validationData.map { try Trainer.accuracy(graph, on: $0, threads: config.threads) }
        var reports: [EpochReport] = []
        try Trainer.train(&graph, data: trainingData, validation: validationData, config: config) { report, state in
            reports.append(report)
            if let checkpoint { try ModelFile.save(try export(state), to: checkpoint) }
            progress(report)
        }
        let result = try export(graph)
        if let checkpoint, reports.isEmpty { try ModelFile.save(result, to: checkpoint) }
        return TrainingOutcome(model: result, initialAccuracy: initial, epochs: reports)
    }

    /// The float input arrays and labels of `data`, checked against the graph's inputs.
    static func samples(_ data: DataSet, for graph: Graph, labelsKey: String) throws -> TrainingData {
        let feeds = try data.inputs(for: graph)
        var inputs: [String: TrainTensor] = [:]
        for (name, tensor) in feeds {
            guard tensor.dtype.isFloatingPoint else {
                throw QuantKitError.invalidData(path: data.path, reason: "array '\(name)' is \(tensor.dtype); training "
                    + "needs floating-point inputs")
            }
            inputs[name] = TrainTensor(tensor)
        }
        let count = feeds.values.first?.shape.first ?? 0
        let labels = try data.labels(key: labelsKey, count: count)
        do {
            return try TrainingData(inputs: inputs, labels: labels)
        } catch let error as TrainingError {
            throw QuantKitError.invalidData(path: data.path, reason: error.description)
        }
    }
}
