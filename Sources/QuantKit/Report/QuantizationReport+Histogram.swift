extension QuantizationReport {
    /// The distribution of one fp32 tensor (a weight, or an activation over the calibration data) and the clip
    /// range each calibration method would quantize it with.
    public struct TensorHistogram: Codable, Sendable, Equatable {
        /// Whether the tensor is a constant weight or an activation seen at run time.
        public enum Kind: String, Codable, Sendable {
            case weight, activation
        }

        /// Tensor (value) name in the float model.
        public var tensor: String
        /// The node that reads (weights) or produces (activations) the tensor.
        public var node: String
        /// ONNX op type of that node.
        public var opType: String
        public var kind: Kind
        /// Bin edges, ascending, `counts.count + 1` values, in the tensor's units.
        public var binEdges: [Float]
        /// Values per bin (may be fractional after re-binning across batches).
        public var counts: [Double]
        /// Smallest finite value seen.
        public var observedMin: Float
        /// Largest finite value seen.
        public var observedMax: Float
        /// One entry per calibration method, in a fixed order (minmax, percentile, entropy, mse).
        public var clipRanges: [ClipRange]

        public init(tensor: String, node: String, opType: String, kind: Kind, binEdges: [Float], counts: [Double],
                    observedMin: Float, observedMax: Float, clipRanges: [ClipRange]) {
            self.tensor = tensor
            self.node = node
            self.opType = opType
            self.kind = kind
            self.binEdges = binEdges
            self.counts = counts
            self.observedMin = observedMin
            self.observedMax = observedMax
            self.clipRanges = clipRanges
        }
    }

    /// The range [min, max] one calibration method chose for a tensor (before widening to include 0).
    public struct ClipRange: Codable, Sendable, Equatable {
        /// CLI name of the method: "minmax", "percentile", "entropy", "mse".
        public var method: String
        /// Lower clip, in the tensor's units.
        public var min: Float
        /// Upper clip, in the tensor's units.
        public var max: Float

        public init(method: String, min: Float, max: Float) {
            self.method = method
            self.min = min
            self.max = max
        }
    }

    /// Which calibration method a command picked for its static variant, and the measurement that decided.
    public struct CalibrationChoice: Codable, Sendable, Equatable {
        /// The method chosen (CLI name).
        public var method: String
        /// The criterion in words, e.g. "highest SQNR of the model outputs vs fp32 on the calibration data".
        public var criterion: String
        /// Each candidate with its score under the criterion (unit given by `scoreUnit`).
        public var candidates: [Candidate]
        /// Unit of the scores, e.g. "dB".
        public var scoreUnit: String

        public struct Candidate: Codable, Sendable, Equatable {
            public var method: String
            public var score: Double

            public init(method: String, score: Double) {
                self.method = method
                self.score = score
            }
        }

        public init(method: String, criterion: String, candidates: [Candidate], scoreUnit: String) {
            self.method = method
            self.criterion = criterion
            self.candidates = candidates
            self.scoreUnit = scoreUnit
        }
    }
}
