extension QuantizationConfig {
    /// How values are quantized.
    ///
    /// | mode    | weights            | activations                                   |
    /// |---------|--------------------|-----------------------------------------------|
    /// | dynamic | integer, offline   | scale/zero point per batch at run time        |
    /// | static  | integer, offline   | integer, ranges from calibration              |
    /// | fp16    | float16            | float16                                       |
    /// | bf16    | bfloat16           | bfloat16                                      |
    public enum Mode: String, Codable, Sendable, CaseIterable {
        case dynamic, `static`, fp16, bf16
    }

    /// Graph form of an integer-quantized model: QuantizeLinear/DequantizeLinear pairs around float ops, or
    /// integer operators (QLinearConv, QLinearMatMul, …).
    public enum Format: String, Codable, Sendable, CaseIterable {
        case qdq, qoperator
    }

    /// How many (scale, zero point) pairs a weight gets.
    public enum WeightGranularity: Sendable, Equatable {
        /// One pair for the whole tensor.
        case perTensor
        /// One pair per slice along `axis`; nil means the op's output-channel axis (0 for Conv, 1 for MatMul B).
        case perChannel(axis: Int?)
        /// One pair per `size` consecutive elements along `axis` (nil: the op's reduction axis, K of MatMul B),
        /// ONNX opset-21 blocked layout.
        case perBlock(size: Int, axis: Int?)
    }

    /// How activation ranges are found from calibration batches (see the observers in `Observers/`).
    public enum CalibrationMethod: Sendable, Equatable {
        /// Global minimum and maximum.
        case minMax
        /// Exponential moving average of per-batch min/max: m ← m + c·(m_batch − m).
        case movingAverage(averagingConstant: Float)
        /// The given percentile (0 … 100] of the histogram (of |x| when symmetric).
        case percentile(Double, bins: Int)
        /// KL-divergence threshold search (TensorRT-style) over a `bins`-bin histogram of |x|; `quantizedBins` is the
        /// number of quantization levels on [0, t] for data of both signs (128 for 8-bit types; see `EntropyObserver`).
        case entropy(bins: Int, quantizedBins: Int)
        /// The clip that minimises the expected squared quantization error over a `bins` histogram.
        case mse(bins: Int)

        /// Why the parameters are unusable, or nil when they are fine.
        public var validationProblem: String? {
            switch self {
            case .minMax: nil
            case .movingAverage(let c):
                (0...1).contains(c) ? nil : "averaging constant \(c) is outside [0, 1]"
            case .percentile(let p, let bins):
                !(p > 0 && p <= 100) ? "percentile \(p) is outside (0, 100]"
                    : bins < 1 ? "bins \(bins) < 1" : nil
            case .entropy(let bins, let quantizedBins):
                quantizedBins < 1 || bins < quantizedBins
                    ? "need 1 ≤ quantizedBins ≤ bins, got quantizedBins \(quantizedBins), bins \(bins)" : nil
            case .mse(let bins):
                bins < 1 ? "bins \(bins) < 1" : nil
            }
        }
    }
}
