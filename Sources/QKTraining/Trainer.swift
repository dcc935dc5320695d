import Dispatch
import Foundation
import QKTensor

/// What one finished epoch reports.
public struct EpochReport: Sendable, Equatable {
    /// 1-based epoch number and the total.
    public var epoch: Int
    public var epochs: Int
    /// Mean training loss over the epoch's samples.
    public var loss: Double
    public var learningRate: Float
    /// Top-1 accuracy on the validation data, when given.
    public var validationAccuracy: Double?
    /// Wall-clock seconds of the epoch's training steps (validation excluded).
    public var seconds: Double

    /// One plain line: "epoch 3/10  loss 0.1234  lr 0.001  val acc 97.50%  (0.8 s)".
    public var line: String {
        let accuracy = validationAccuracy.map { "  val acc " + percent($0) } ?? ""
        return "epoch \(epoch)/\(epochs)  loss \(fixed(loss, 4))  lr \(learningRate)\(accuracy)  (\(fixed(seconds, 2)) s)"
    }
}

func fixed(_ value: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    var text = "\(rounded)"
    if let dot = text.firstIndex(of: ".") {
        let decimals = text.distance(from: dot, to: text.endIndex) - 1
        if decimals < digits { text += String(repeating: "0", count: digits - decimals) }
    }
    return text
}

func percent(_ fraction: Double) -> String { fixed(fraction * 100, 2) + "%" }

/// Mini-batch training with softmax cross-entropy.
///
/// Each epoch shuffles the sample order with a Fisher–Yates pass driven by ``SplitMix64`` (seeded by
/// ``TrainingConfig/seed``, one generator for the whole run), then for every mini-batch runs forward, loss,
/// backward and the optimizer, and applies the state updates (BN running statistics, fake-quantization ranges).
public enum Trainer {
    /// Trains `graph` in place. After each epoch whose losses were all finite, `onEpoch` receives the report and
    /// the graph (write a checkpoint there). A NaN/infinite loss stops training with
    /// ``TrainingError/diverged(epoch:step:learningRate:lastGoodEpoch:)``, leaving `graph` at the last good epoch.
    public static func train(_ graph: inout TrainingGraph, data: TrainingData, validation: TrainingData?,
                             config: TrainingConfig,
                             onEpoch: (EpochReport, TrainingGraph) throws -> Void = { _, _ in }) throws {
        try config.validate()
        try check(graph, data, threads: config.threads)
        if let validation { try check(graph, validation, threads: config.threads) }
        var optimizer = OptimizerState(config: config)
        var random = SplitMix64(seed: config.seed)
        var order = Array(0..<data.count)
        var lastGood: (epoch: Int, graph: TrainingGraph)?
        var average = ParameterAverage()
        var ema = config.emaDecay > 0 ? ParameterEMA(graph.parameters, names: graph.learnable, decay: config.emaDecay) : nil
        var best: (divergence: Double, graph: TrainingGraph)?
        if config.keepBestEpoch {
            guard let validation, validation.teacherLogits != nil else {
                throw TrainingError.invalidConfig("keeping the best epoch needs validation data with teacher logits")
            }
            best = (try divergence(graph, from: validation, threads: config.threads), graph)
        }
        for epoch in 0..<config.epochs {
            let start = DispatchTime.now().uptimeNanoseconds
            let rate = config.learningRate(epoch: epoch)
            let frozen = config.quantizationFrozenFrom.map { epoch >= $0 } ?? false
            shuffle(&order, &random)
            var total: Double = 0
            var step = 0
            for first in stride(from: 0, to: order.count, by: config.batchSize) {
                step += 1
                let batch = data.batch(order[first..<min(first + config.batchSize, order.count)])
                let pass = try graph.forward(batch.inputs, training: true, trainBatchNorm: config.batchNorm == .train,
                                             threads: config.threads, freezeQuantization: frozen)
                let logits = try graph.logits(of: pass)
                let (loss, gradient) = if let teacher = batch.teacher, config.distillation > 0 {
                    SoftmaxCrossEntropy.evaluate(logits: logits, labels: batch.labels, teacher: teacher,
                                                 weights: batch.labels.indices.map {
                                                     batch.teacherOnly?[$0] == true ? 1 : config.distillation },
                                                 temperature: config.temperature)
                } else {
                    SoftmaxCrossEntropy.evaluate(logits: logits, labels: batch.labels)
                }
                guard loss.isFinite else {
                    if let lastGood { graph = lastGood.graph }
                    throw TrainingError.diverged(epoch: epoch + 1, step: step, learningRate: rate,
                                                 lastGoodEpoch: lastGood?.epoch)
                }
                total += loss * Double(batch.labels.count)
                let gradients = graph.gradients(of: pass, logitsGradient: gradient)
                graph.apply(pass.stateUpdates)
                optimizer.update(&graph.parameters, gradients: gradients, rate: rate,
                                 positive: graph.positiveParameters)
                ema?.add(graph.parameters)
            }
            if epoch == config.epochs - 1 { ema?.write(into: &graph.parameters) }
            if epoch >= config.epochs - config.averageEpochs {
                average.add(graph.parameters, names: graph.learnable)
                if epoch == config.epochs - 1 { average.write(into: &graph.parameters) }
            }
            if let kept = best, let validation {
                let current = try divergence(graph, from: validation, threads: config.threads)
                if current < kept.divergence { best = (current, graph) }
                if epoch == config.epochs - 1, let best { graph = best.graph }
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let accuracy = try validation.map { try self.accuracy(graph, on: $0, threads: config.threads) }
            let report = EpochReport(epoch: epoch + 1, epochs: config.epochs, loss: total / Double(data.count),
                                     learningRate: rate, validationAccuracy: accuracy, seconds: seconds)
            lastGood = (epoch + 1, graph)
            try onEpoch(report, graph)
        }
    }

    /// Running mean of learnable parameters over end-of-epoch snapshots (``TrainingConfig/averageEpochs``),
    /// accumulated in Double: p̄ = (1/K) Σ_k p_k.
    struct ParameterAverage {
        private var sums: [String: [Double]] = [:]
        private var count = 0

        mutating func add(_ parameters: [String: TrainTensor], names: [String]) {
            count += 1
            for name in names {
                guard let values = parameters[name]?.values else { continue }
                var sum = sums[name] ?? [Double](repeating: 0, count: values.count)
                for i in values.indices { sum[i] += Double(values[i]) }
                sums[name] = sum
            }
        }

        func write(into parameters: inout [String: TrainTensor]) {
            guard count > 0 else { return }
            for (name, sum) in sums { parameters[name]?.values = sum.map { Float($0 / Double(count)) } }
        }
    }

    /// Exponential moving average of learnable parameters over steps (``TrainingConfig/emaDecay``), in Double:
    /// p̄ ← d · p̄ + (1 − d) · p.
    struct ParameterEMA {
        private var averages: [String: [Double]] = [:]
        let decay: Double

        init(_ parameters: [String: TrainTensor], names: [String], decay: Float) {
            self.decay = Double(decay)
            for name in names { if let values = parameters[name]?.values { averages[name] = values.map(Double.init) } }
        }

        mutating func add(_ parameters: [String: TrainTensor]) {
            for (name, var average) in averages {
                guard let values = parameters[name]?.values else { continue }
                for i in values.indices { average[i] = decay * average[i] + (1 - decay) * Double(values[i]) }
                averages[name] = average
            }
        }

        func write(into parameters: inout [String: TrainTensor]) {
            for (name, average) in averages { parameters[name]?.values = average.map { Float($0) } }
        }
    }

    /// Top-1 accuracy of the graph's logits on `data` (evaluation mode: running BN statistics, fixed ranges).
    public static func accuracy(_ graph: TrainingGraph, on data: TrainingData, threads: Int = 2,
                                batchSize: Int = 256) throws -> Double {
        let predicted = SoftmaxCrossEntropy.predictions(try logits(graph, on: data, threads: threads,
                                                                   batchSize: batchSize))
        return Double(zip(predicted, data.labels).filter { $0 == $1 }.count) / Double(data.count)
    }

    /// The graph's logits [samples, classes] on `data` in evaluation mode (e.g. a teacher for distillation).
    public static func logits(_ graph: TrainingGraph, on data: TrainingData, threads: Int = 2,
                              batchSize: Int = 256) throws -> TrainTensor {
        var values: [Float] = []
        let all = Array(0..<data.count)
        for first in stride(from: 0, to: data.count, by: batchSize) {
            let batch = data.batch(all[first..<min(first + batchSize, data.count)])
            let pass = try graph.forward(batch.inputs, training: false, trainBatchNorm: false, threads: threads)
            values += try graph.logits(of: pass).values
        }
        return TrainTensor(shape: [data.count, values.count / max(data.count, 1)], values: values)
    }

    /// Mean KL(softmax(teacher) ‖ softmax(graph)) over the samples of `data` (its ``TrainingData/teacherLogits``;
    /// 0 without them), the graph in evaluation mode: (1/N) Σ_n Σ_k q[n, k] (log q[n, k] − log p[n, k]).
    public static func divergence(_ graph: TrainingGraph, from data: TrainingData, threads: Int = 2) throws -> Double {
        guard let teacher = data.teacherLogits else { return 0 }
        let ours = try logits(graph, on: data, threads: threads)
        let classes = ours.shape.last ?? 1
        var total: Double = 0
        for row in 0..<data.count {
            let range = row * classes..<(row + 1) * classes
            let q = SoftmaxCrossEntropy.softmax(teacher.values[range], temperature: 1)
            let p = SoftmaxCrossEntropy.softmax(ours.values[range], temperature: 1)
            for k in 0..<classes where q[k] > 0 { total += q[k] * (log(q[k]) - log(max(p[k], .leastNormalMagnitude))) }
        }
        return total / Double(data.count)
    }

    /// Checks that `data` feeds every runtime input of the graph and that every label is a class the logits have.
    public static func check(_ graph: TrainingGraph, _ data: TrainingData, threads: Int = 1) throws {
        for name in graph.inputNames where data.inputs[name] == nil {
            throw TrainingError.invalidData("no array named '\(name)' for model input '\(name)' (arrays: "
                + data.inputs.keys.sorted().joined(separator: ", ") + ")")
        }
        let probe = data.batch([0])
        let pass: TrainingGraph.Pass
        do {
            pass = try graph.forward(probe.inputs, training: false, trainBatchNorm: false, threads: threads)
        } catch let TrainingError.invalidNode(node, reason) {
            throw TrainingError.invalidData("the training data does not fit the model: node '\(node)': \(reason)")
        }
        let logits = try graph.logits(of: pass)
        guard logits.rank == 2, logits.shape[0] == 1 else {
            throw TrainingError.invalidData("the model's logits '\(graph.logitsName)' have shape \(logits.shape) for one "
                + "sample; training needs [batch, classes]")
        }
        let classes = logits.shape[1]
        if let bad = data.labels.firstIndex(where: { !(0..<classes).contains($0) }) {
            throw TrainingError.labelOutOfRange(index: bad, label: data.labels[bad], classes: classes)
        }
    }

    /// Fisher–Yates shuffle: for i from n−1 down to 1, swap i with j = next() mod (i + 1).
    static func shuffle(_ order: inout [Int], _ random: inout SplitMix64) {
        guard order.count > 1 else { return }
        for i in stride(from: order.count - 1, to: 0, by: -1) {
            let j = Int(random.next() % UInt64(i + 1))
            order.swapAt(i, j)
        }
    }
}
