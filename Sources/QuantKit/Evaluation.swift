import Foundation
import QKGraph
import QKRuntime
import QKTensor

/// Settings of one ``Evaluation``.
public struct EvaluationOptions: Sendable {
    /// Samples per interpreter run in the accuracy pass.
    public var batchSize = 64
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    /// Key of the labels array; nil uses "labels" when the data has it and skips accuracy otherwise.
    public var labelsKey: String?
    /// Rows per timed run of the latency measurement (taken from the data, repeated if it has fewer).
    public var latencyBatch = 1
    public var warmupRuns = 3
    public var timedRuns = 20

    public init() {}
}

/// What `qkit eval` measures for one model on one data set.
public struct EvaluationResult: Codable, Sendable {
    public var model: String
    public var data: String
    public var samples: Int
    /// Graph output whose per-row argmax is the prediction.
    public var predictionOutput: String
    /// Top-1 accuracy in [0, 1]; nil when the data has no labels.
    public var accuracy: Double?
    public var labelsKey: String?
    /// Latency of one run on `latencyBatch` rows.
    public var latency: LatencyStats
    public var latencyBatch: Int
    public var threads: Int
    /// The model file plus the external data files its initializers point into, in bytes.
    public var sizeBytes: Int
    /// Peak resident memory of the process after the evaluation (``PeakMemory``), in bytes.
    public var peakResidentBytes: Int?
}

/// Accuracy, latency, size on disk and peak memory of a model on a data set.
public enum Evaluation {
    /// Evaluates the model at `modelPath` on `data`: one pass over every sample in batches for top-1 accuracy
    /// (when labels exist), then ``LatencyBenchmark`` on `options.latencyBatch` rows.
    /// `progress(done, total)` reports evaluated samples, `latencyProgress(done, total)` warm-up and timed runs.
    ///
    /// Throws ``QuantKitError/invalidData(path:reason:)`` when the arrays do not match the model inputs, when
    /// an explicitly named labels array is missing, or when the labels are not one integer per sample.
    public static func run(modelPath: String, data: DataSet, options: EvaluationOptions = EvaluationOptions(),
                           progress: (Int, Int) -> Void = { _, _ in },
                           latencyProgress: (Int, Int) -> Void = { _, _ in }) throws -> EvaluationResult {
        let model = try ModelFile.load(modelPath)
        let feeds = try data.inputs(for: model.graph)
        let samples = feeds.values.first?.shape.first ?? 1
        let labels = try labels(in: data, key: options.labelsKey, samples: samples)
        guard let output = model.graph.outputs.first?.name else {
            throw QuantKitError.invalidFile(path: modelPath, reason: "the model has no outputs")
        }
        let interpreter = try Interpreter(model: model, threads: options.threads)
        var accuracy: Double?
        if let labels {
            let outputs = try BatchRunner.run(interpreter, feeds: feeds, batchSize: options.batchSize, progress: progress)
            let predictions = try predictions(outputs[output], output: output, samples: samples, modelPath: modelPath)
            accuracy = Metrics.accuracy(predictions: predictions, labels: labels)
        }
        let latencyFeeds = try LatencyBenchmark.batch(of: options.latencyBatch, from: feeds)
        let latency = try LatencyBenchmark.measure(interpreter, feeds: latencyFeeds, warmup: options.warmupRuns,
                                                   runs: options.timedRuns, progress: latencyProgress)
        return EvaluationResult(model: modelPath, data: data.path, samples: samples, predictionOutput: output,
                                accuracy: accuracy, labelsKey: labels == nil ? nil : (options.labelsKey ?? "labels"),
                                latency: latency, latencyBatch: options.latencyBatch, threads: interpreter.threads,
                                sizeBytes: try sizeOnDisk(modelPath), peakResidentBytes: PeakMemory.residentBytes())
    }

    /// The labels under `key` (which must exist), or under "labels" when `key` is nil and the data has it.
    public static func labels(in data: DataSet, key: String?, samples: Int) throws -> [Int]? {
        if let key { return try data.labels(key: key, count: samples) }
        guard data.array(named: "labels") != nil else { return nil }
        return try data.labels(key: "labels", count: samples)
    }

    /// Per-sample argmax of `logits`, checked to be a float tensor with one row per sample.
    public static func predictions(_ logits: Tensor?, output: String, samples: Int, modelPath: String) throws -> [Int] {
        guard let logits, logits.dtype.isFloatingPoint, logits.rank >= 2, logits.shape[0] == samples,
              logits.count == samples * (logits.shape.last ?? 0) else {
            let got = logits.map { "\($0.dtype)\($0.shape)" } ?? "nothing"
            throw QuantKitError.invalidFile(path: modelPath, reason: "output '\(output)' is \(got); top-1 "
                + "accuracy needs float scores of shape [\(samples), classes]")
        }
        return BatchRunner.argmaxRows(logits)
    }

    /// Bytes of the model file plus the distinct external data files beside it.
    public static func sizeOnDisk(_ modelPath: String) throws -> Int {
        func size(_ path: String) -> Int {
            ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
        }
        let directory = (modelPath as NSString).deletingLastPathComponent
        return try ONNXReader.externalDataLocations(atPath: modelPath).reduce(size(modelPath)) { total, location in
            total + size((directory as NSString).appendingPathComponent(location))
        }
    }
}
