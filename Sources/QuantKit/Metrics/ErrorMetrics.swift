import Foundation

/// How far a quantized tensor is from its float reference, over all its elements (and all batches added).
///
/// With reference values rᵢ, compared values qᵢ and n elements:
///
/// | metric | formula | special cases |
/// |---|---|---|
/// | ``sqnrDB`` | 10·log₁₀(Σrᵢ² / Σ(rᵢ−qᵢ)²) | no error: +∞; error but an all-zero reference: −∞ |
/// | ``cosine`` | Σrᵢqᵢ / (√Σrᵢ² · √Σqᵢ²), clamped to [−1, 1] | both all-zero: 1; exactly one all-zero: 0 |
/// | ``maxAbsError`` | maxᵢ \|rᵢ−qᵢ\| | no elements: 0 |
/// | ``meanAbsError`` | Σ\|rᵢ−qᵢ\| / n | no elements: 0 |
///
/// A NaN anywhere makes every metric NaN. Sums are taken in Double.
public struct ErrorMetrics: Codable, Sendable, Equatable {
    /// Signal-to-quantization-noise ratio in decibels; higher is better (each +6.02 dB ≈ one more bit).
    public var sqnrDB: Double
    /// Cosine similarity of the two tensors seen as vectors; 1 means the same direction.
    public var cosine: Double
    public var maxAbsError: Double
    public var meanAbsError: Double
    /// Number of elements compared.
    public var count: Int

    public init(sqnrDB: Double, cosine: Double, maxAbsError: Double, meanAbsError: Double, count: Int) {
        self.sqnrDB = sqnrDB
        self.cosine = cosine
        self.maxAbsError = maxAbsError
        self.meanAbsError = meanAbsError
        self.count = count
    }

    /// The metrics of `candidate` against `reference` (same element count).
    public init(reference: [Float], candidate: [Float]) {
        var accumulator = ErrorAccumulator()
        accumulator.add(reference: reference, candidate: candidate)
        self = accumulator.metrics
    }
}

/// Running sums behind ``ErrorMetrics``, so a tensor can be compared batch by batch without keeping every batch.
public struct ErrorAccumulator: Sendable, Equatable {
    public private(set) var signalEnergy = 0.0
    public private(set) var noiseEnergy = 0.0
    public private(set) var candidateEnergy = 0.0
    public private(set) var dotProduct = 0.0
    public private(set) var absErrorSum = 0.0
    public private(set) var maxAbsError = 0.0
    public private(set) var count = 0
    public private(set) var sawNaN = false

    public init() {}

    /// Adds one batch; `reference` and `candidate` must have the same number of elements.
    public mutating func add(reference: [Float], candidate: [Float]) {
        precondition(reference.count == candidate.count, "reference and candidate differ in element count")
        for (r32, q32) in zip(reference, candidate) {
            let r = Double(r32), q = Double(q32)
            if r.isNaN || q.isNaN { sawNaN = true }
            let error = r - q
            signalEnergy += r * r
            noiseEnergy += error * error
            candidateEnergy += q * q
            dotProduct += r * q
            absErrorSum += abs(error)
            maxAbsError = Swift.max(maxAbsError, abs(error))
        }
        count += reference.count
    }

    /// The metrics of everything added so far (see ``ErrorMetrics`` for the formulas and special cases).
    public var metrics: ErrorMetrics {
        if sawNaN { return ErrorMetrics(sqnrDB: .nan, cosine: .nan, maxAbsError: .nan, meanAbsError: .nan, count: count) }
        return ErrorMetrics(sqnrDB: Metrics.sqnrDB(signalEnergy: signalEnergy, noiseEnergy: noiseEnergy),
                            cosine: Metrics.cosine(dot: dotProduct, energyA: signalEnergy, energyB: candidateEnergy),
                            maxAbsError: maxAbsError,
                            meanAbsError: count == 0 ? 0 : absErrorSum / Double(count), count: count)
    }
}

/// Scalar quality metrics shared by `qkit eval`, `compare` and `sensitivity`.
public enum Metrics {
    /// 10·log₁₀(signal / noise) in dB, with signal = Σr², noise = Σ(r−q)².
    /// No noise gives +∞ (an exact match, whatever the signal); noise over a zero signal gives −∞.
    public static func sqnrDB(signalEnergy: Double, noiseEnergy: Double) -> Double {
        if noiseEnergy == 0 { return .infinity }
        if signalEnergy == 0 { return -.infinity }
        return 10 * log10(signalEnergy / noiseEnergy)
    }

    /// SQNR of `candidate` against `reference` in dB (see ``sqnrDB(signalEnergy:noiseEnergy:)``).
    public static func sqnrDB(reference: [Float], candidate: [Float]) -> Double {
        ErrorMetrics(reference: reference, candidate: candidate).sqnrDB
    }

    /// a·b / (‖a‖·‖b‖) from the dot product and the squared norms, clamped to [−1, 1] (rounding can give
    /// 1 + 2⁻⁵² for identical vectors); 1 when both are zero, 0 when one is.
    public static func cosine(dot: Double, energyA: Double, energyB: Double) -> Double {
        if energyA == 0 && energyB == 0 { return 1 }
        if energyA == 0 || energyB == 0 { return 0 }
        return Swift.min(1, Swift.max(-1, dot / (energyA.squareRoot() * energyB.squareRoot())))
    }

    /// Fraction of positions where `a` and `b` hold the same class: #{i : aᵢ = bᵢ} / n (1 for empty lists).
    public static func agreement(_ a: [Int], _ b: [Int]) -> Double {
        a.isEmpty && b.isEmpty ? 1 : matchFraction(a, b)
    }

    /// Top-1 accuracy: #{i : predictionᵢ = labelᵢ} / n (0 for an empty set). Predictions come from
    /// ``BatchRunner/argmaxRows(_:)``.
    public static func accuracy(predictions: [Int], labels: [Int]) -> Double {
        labels.isEmpty ? 0 : matchFraction(predictions, labels)
    }

    private static func matchFraction(_ a: [Int], _ b: [Int]) -> Double {
        precondition(a.count == b.count, "the two lists differ in length (\(a.count) vs \(b.count))")
        return Double(zip(a, b).filter { $0 == $1 }.count) / Double(a.count)
    }
}
