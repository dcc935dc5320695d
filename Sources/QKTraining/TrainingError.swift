/// Why training cannot start or had to stop; each case names the node, tensor, file or setting involved and what
/// to do.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    /// Ops the training engine has no gradient for, as "name (OpType)" entries.
    case unsupportedOps([String])
    /// A node whose attributes or input shapes the engine cannot train.
    case invalidNode(node: String, reason: String)
    /// Training data that does not fit the model.
    case invalidData(String)
    /// A label outside 0 ..< classes.
    case labelOutOfRange(index: Int, label: Int, classes: Int)
    /// The loss became NaN or infinite.
    case diverged(epoch: Int, step: Int, learningRate: Float, lastGoodEpoch: Int?)
    /// A setting out of range.
    case invalidConfig(String)
    /// A quantized model whose Q/DQ structure cannot be turned into fake quantization.
    case unsupportedQuantization(String)

    public var description: String {
        switch self {
        case .unsupportedOps(let ops):
            "training supports Conv, Gemm, MatMul, Add, Mul, Relu, Clip, MaxPool, AveragePool, GlobalAveragePool, "
                + "Flatten, Reshape, Identity, Concat, Transpose, Dropout (as identity), BatchNormalization, "
                + "LayerNormalization and Softmax; this model also has "
                + ops.joined(separator: ", ") + ". Use post-training quantization instead (qkit quantize --mode static)"
        case .invalidNode(let node, let reason):
            "node '\(node)': \(reason)"
        case .invalidData(let reason):
            reason
        case .labelOutOfRange(let index, let label, let classes):
            "label \(label) of sample \(index) is outside 0..<\(classes) (the model has \(classes) output classes)"
        case .diverged(let epoch, let step, let rate, let lastGood):
            "loss became NaN/infinite at epoch \(epoch), step \(step): learning rate \(rate) diverges; lower --lr. "
                + (lastGood.map { "The last good checkpoint (epoch \($0)) was kept." } ?? "No epoch completed, nothing was written.")
        case .invalidConfig(let reason):
            "training config: \(reason)"
        case .unsupportedQuantization(let reason):
            "quantized model: \(reason)"
        }
    }
}
