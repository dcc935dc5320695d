import QKGraph
import QKTensor

/// A model prepared for training: its float initializers as mutable parameters, the subset the optimizer
/// trains, and reverse-mode differentiation over the graph's nodes through the op table (``TrainingOps``).
///
/// The loss is computed on the *logits*: the first graph output, or the input of the Softmax that produces it
/// (softmax and cross-entropy are fused, see ``SoftmaxCrossEntropy``). Nodes the logits do not depend on are
/// not run.
public struct TrainingGraph: Sendable {
    /// The model as loaded; ``exportModel()`` writes the current parameters into it.
    public let model: Model
    /// Every float initializer by name: learnable parameters and state (BN running statistics, quantization ranges).
    public var parameters: [String: TrainTensor]
    /// The initializers the optimizer updates.
    public let learnable: [String]
    /// Learned quantization scales (LSQ), which must stay positive (see ``OptimizerState``).
    public let positiveParameters: Set<String>
    /// The tensor the loss reads.
    public let logitsName: String
    let constants: [String: Tensor]
    /// Node indices that the logits depend on, in topological order.
    let schedule: [Int]
    /// Values whose gradient is needed (they depend on a learnable parameter).
    let requiresGradient: Set<String>

    /// Prepares `model`; throws ``TrainingError/unsupportedOps(_:)`` naming every node the engine cannot train.
    public init(model: Model) throws {
        let graph = model.graph
        guard let output = graph.outputs.first?.name else {
            throw TrainingError.invalidData("the model has no outputs")
        }
        let order = try graph.topologicalOrder()
        var producer: [String: Int] = [:]
        for (index, node) in graph.nodes.enumerated() {
            for name in node.outputs where !name.isEmpty { producer[name] = index }
        }
        var logits = output
        if let last = producer[output], graph.nodes[last].opType == "Softmax", graph.nodes[last].normalizedDomain == "" {
            logits = graph.nodes[last].inputs[0]
        }
        var needed: Set<Int> = []
        var pending = [logits]
        while let name = pending.popLast() {
            guard let index = producer[name], needed.insert(index).inserted else { continue }
            pending += graph.nodes[index].inputs.filter { !$0.isEmpty }
        }
        let unsupported = order.filter { needed.contains($0) }.map { graph.nodes[$0] }
            .filter { TrainingOps.rule(for: $0) == nil }
        if !unsupported.isEmpty {
            var seen: Set<String> = []
            throw TrainingError.unsupportedOps(unsupported.compactMap { node in
                seen.insert(node.opType).inserted ? "\(node.displayName) (\(node.opType))" : nil
            })
        }
        var parameters: [String: TrainTensor] = [:], constants: [String: Tensor] = [:]
        for (name, tensor) in graph.initializers {
            if tensor.dtype.isFloatingPoint { parameters[name] = TrainTensor(tensor) } else { constants[name] = tensor }
        }
        var learnable: Set<String> = []
        var requires: Set<String> = []
        let schedule = order.filter { needed.contains($0) }
        for index in schedule {
            let node = graph.nodes[index]
            let rule = TrainingOps.rule(for: node)!
            for position in rule.learnableInputs(node) where position < node.inputs.count {
                let name = node.inputs[position]
                if parameters[name] != nil { learnable.insert(name) }
            }
            if node.inputs.contains(where: { learnable.contains($0) || requires.contains($0) }) {
                requires.formUnion(node.outputs.filter { !$0.isEmpty })
            }
        }
        self.positiveParameters = Set(schedule.map { graph.nodes[$0] }.filter {
            $0.opType == FakeQuantize.opType && (try? FakeQuantize.mode(of: $0)) == .lsq && $0.inputs.count > 1
        }.map { $0.inputs[1] }).intersection(learnable)
        self.model = model
        self.parameters = parameters
        self.learnable = learnable.sorted()
        self.logitsName = logits
        self.constants = constants
        self.schedule = schedule
        self.requiresGradient = requires.union(learnable)
    }

    /// The runtime inputs (graph inputs that are not initializers) the forward pass needs.
    public var inputNames: [String] { model.graph.runtimeInputs.map(\.name) }

    /// One forward pass: every value computed up to the logits, the backward rules and the state updates.
    struct Pass {
        var values: [String: TrainTensor]
        var results: [(node: Int, result: OpResult)]
        var stateUpdates: [String: TrainTensor]
    }

    /// Runs the graph on `feeds` (one tensor per runtime input, first axis = batch).
    func forward(_ feeds: [String: TrainTensor], training: Bool, trainBatchNorm: Bool, threads: Int,
                 freezeQuantization: Bool = false) throws -> Pass {
        var values = feeds
        var results: [(node: Int, result: OpResult)] = []
        var updates: [String: TrainTensor] = [:]
        for index in schedule {
            let node = model.graph.nodes[index]
            let inputs = node.inputs.map { $0.isEmpty ? nil : values[$0] ?? parameters[$0] }
            for (position, name) in node.inputs.enumerated() where !name.isEmpty && inputs[position] == nil
                && constants[name] == nil {
                throw TrainingError.invalidNode(node: node.displayName, reason: "input '\(name)' has no value")
            }
            let context = OpContext(node: node, training: training, trainBatchNorm: trainBatchNorm, threads: threads,
                                    constants: constants, freezeQuantization: freezeQuantization)
            let result = try TrainingOps.rule(for: node)!.forward(context, inputs)
            for (name, value) in zip(node.outputs, result.outputs) where !name.isEmpty { values[name] = value }
            updates.merge(result.stateUpdates) { _, new in new }
            if training { results.append((index, result)) }
        }
        return Pass(values: values, results: results, stateUpdates: updates)
    }

    /// The logits of a forward pass.
    func logits(of pass: Pass) throws -> TrainTensor {
        guard let value = pass.values[logitsName] else {
            throw TrainingError.invalidData("the forward pass did not produce '\(logitsName)'")
        }
        return value
    }

    /// Reverse-mode pass: dL/dp for every learnable parameter p, given dL/d(logits).
    func gradients(of pass: Pass, logitsGradient: TrainTensor) -> [String: TrainTensor] {
        var grads: [String: TrainTensor] = [logitsName: logitsGradient]
        for (index, result) in pass.results.reversed() {
            let node = model.graph.nodes[index]
            guard let output = node.outputs.first, let dy = grads.removeValue(forKey: output) else { continue }
            let needs = node.inputs.map { !$0.isEmpty && requiresGradient.contains($0) }
            guard needs.contains(true) else { continue }
            let inputGrads = result.backward(dy, needs)
            for (position, name) in node.inputs.enumerated() where needs[position] && position < inputGrads.count {
                guard let g = inputGrads[position] else { continue }
                if grads[name] == nil { grads[name] = g } else { grads[name]!.accumulate(g) }
            }
        }
        let wanted = Set(learnable)
        return grads.filter { wanted.contains($0.key) }
    }

    /// Applies a pass's state updates (BatchNormalization running statistics, quantization ranges).
    mutating func apply(_ updates: [String: TrainTensor]) {
        for (name, value) in updates { parameters[name] = value }
    }

    /// The model with every float initializer replaced by its current value (same names, dtypes and shapes).
    public func exportModel() -> Model {
        var result = model
        for (name, value) in parameters {
            guard let original = model.graph.initializers[name] else { continue }
            result.graph.initializers[name] = value.tensor.converted(to: original.dtype)
        }
        return result
    }
}
