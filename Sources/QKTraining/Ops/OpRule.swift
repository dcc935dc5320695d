import QKGraph
import QKTensor

/// What one node's forward pass produced: its outputs, the state it updates (BatchNormalization running
/// statistics, fake-quantization ranges) and the rule mapping the gradient of output 0 to input gradients.
struct OpResult {
    var outputs: [TrainTensor]
    /// New values of float initializers the node keeps as state (not trained by the optimizer).
    var stateUpdates: [String: TrainTensor] = [:]
    /// dL/d(input i) for each input i with `needs[i]` true (nil elsewhere), given dL/d(output 0).
    var backward: (_ gradOutput: TrainTensor, _ needs: [Bool]) -> [TrainTensor?]

    init(outputs: [TrainTensor], stateUpdates: [String: TrainTensor] = [:],
         backward: @escaping (TrainTensor, [Bool]) -> [TrainTensor?]) {
        self.outputs = outputs
        self.stateUpdates = stateUpdates
        self.backward = backward
    }

    /// A single output with the given backward rule.
    init(_ output: TrainTensor, backward: @escaping (TrainTensor, [Bool]) -> [TrainTensor?]) {
        self.init(outputs: [output], backward: backward)
    }
}

/// Everything a forward rule may read besides its input values.
struct OpContext {
    let node: Node
    /// True in a training step (batch statistics, range tracking); false for evaluation.
    let training: Bool
    /// Batch statistics in BatchNormalization while training (false: running statistics, "frozen").
    let trainBatchNorm: Bool
    let threads: Int
    /// Non-float initializers (Reshape shapes and the like).
    let constants: [String: Tensor]
    /// Quantization scales and zero points held where they are (see ``TrainingConfig/freezeQuantizationEpoch``).
    var freezeQuantization = false

    func invalid(_ reason: String) -> TrainingError { .invalidNode(node: node.displayName, reason: reason) }

    /// Input `index` (a float value), or an error naming the node when it is missing.
    func input(_ inputs: [TrainTensor?], _ index: Int) throws -> TrainTensor {
        guard index < inputs.count, let value = inputs[index] else { throw invalid("input \(index) is missing") }
        return value
    }

    /// An optional float input (nil when omitted).
    func optionalInput(_ inputs: [TrainTensor?], _ index: Int) -> TrainTensor? {
        index < inputs.count ? inputs[index] : nil
    }
}

/// One row of the op table: the forward rule and the input positions whose float initializers are learnable.
struct OpRule {
    let forward: (OpContext, [TrainTensor?]) throws -> OpResult
    /// Input positions of a node that are trained when fed by a float initializer (weights, biases, BN
    /// scale/shift, a learned quantization scale).
    let learnableInputs: (Node) -> Set<Int>

    init(forward: @escaping (OpContext, [TrainTensor?]) throws -> OpResult, learnableInputs: Set<Int>) {
        self.forward = forward
        self.learnableInputs = { _ in learnableInputs }
    }

    init(forward: @escaping (OpContext, [TrainTensor?]) throws -> OpResult,
         learnableInputs: @escaping (Node) -> Set<Int>) {
        self.forward = forward
        self.learnableInputs = learnableInputs
    }
}

/// The op table of the training engine: op type → rule (default ONNX domain, plus QuantKit's FakeQuantize).
enum TrainingOps {
    static let table: [String: OpRule] = {
        var rows: [String: OpRule] = [:]
        for part in [linearOps, convolutionOps, poolingOps, elementwiseOps, shapeOps, layoutOps, normalizationOps,
                     layerNormalizationOps, quantizationOps] {
            rows.merge(part) { first, _ in first }
        }
        return rows
    }()

    /// The rule for `node`, or nil when the engine cannot train through it.
    static func rule(for node: Node) -> OpRule? {
        let domain = node.normalizedDomain
        guard domain == "" || domain == FakeQuantize.domain else { return nil }
        return table[node.opType]
    }
}
