import QKQuantization

/// How Q/DQ pairs become fake-quantization nodes (see ``FakeQuantRewriter``).
public struct FakeQuantOptions: Codable, Sendable, Equatable {
    /// How weight scales evolve: re-fitted to the weights each step (`minmax`), kept (`fixed`) or learned (`lsq`).
    public var weightMode: FakeQuantize.Mode = .minmax
    /// How activation scales evolve: moving-average ranges (`ema`), kept (`fixed`) or learned (`lsq`).
    public var activationMode: FakeQuantize.Mode = .lsq
    /// A weight type replacing the model's (e.g. int4 when PTQ ran at int8); nil keeps it.
    public var weightType: QuantType?
    /// Symmetric weight ranges when the weights are re-fitted.
    public var weightSymmetric = true
    /// Momentum of the moving-average activation ranges.
    public var momentum: Float = 0.9
    /// When set, QAT starts from the PTQ weights re-rounded by ``AdaRound`` (see
    /// ``QuantizationAwareTraining/prepare(_:config:calibration:options:threads:)``).
    public var adaRound: AdaRoundOptions?

    public init(weightMode: FakeQuantize.Mode = .minmax, activationMode: FakeQuantize.Mode = .lsq,
                weightType: QuantType? = nil, weightSymmetric: Bool = true, momentum: Float = 0.9,
                adaRound: AdaRoundOptions? = nil) {
        self.weightMode = weightMode
        self.activationMode = activationMode
        self.weightType = weightType
        self.weightSymmetric = weightSymmetric
        self.momentum = momentum
        self.adaRound = adaRound
    }
}
