/// Accumulates calibration batches of one tensor and reports the range to quantize it with.
///
/// Observers are pure values with fixed memory: feeding more batches never grows them. NaN values are skipped
/// and counted in ``nanCount``; ±∞ are skipped for ranges and counted in ``infinityCount``. Before any finite
/// value was seen ``range()`` is (0, 0).
public protocol RangeObserver: Sendable {
    /// Adds one batch.
    mutating func observe(_ values: UnsafeBufferPointer<Float>)
    /// The range to quantize with (not yet widened to include 0; ``quantParameters(min:max:type:symmetric:reduceRange:)``
    /// does that).
    func range() -> (min: Float, max: Float)
    /// NaN values seen so far.
    var nanCount: Int { get }
    /// ±∞ values seen so far.
    var infinityCount: Int { get }
}

extension RangeObserver {
    /// Adds one batch given as an array.
    public mutating func observe(_ values: [Float]) {
        values.withUnsafeBufferPointer { observe($0) }
    }
}

/// Finite minimum/maximum and non-finite counts of one batch.
struct BatchStatistics {
    var min = Float.infinity
    var max = -Float.infinity
    var nanCount = 0
    var infinityCount = 0

    /// True when the batch held at least one finite value.
    var hasFinite: Bool { min <= max }
    /// max(|min|, |max|) of the finite values (0 without any).
    var absMax: Float { hasFinite ? Swift.max(abs(min), abs(max)) : 0 }

    init(_ values: UnsafeBufferPointer<Float>) {
        for v in values {
            if v.isFinite {
                min = Swift.min(min, v)
                max = Swift.max(max, v)
            } else if v.isNaN {
                nanCount += 1
            } else {
                infinityCount += 1
            }
        }
    }
}

/// Global minimum and maximum of all finite values (ONNX Runtime's MinMax calibration).
public struct MinMaxObserver: RangeObserver, Equatable {
    public private(set) var minimum = Float.infinity
    public private(set) var maximum = -Float.infinity
    public private(set) var nanCount = 0
    public private(set) var infinityCount = 0

    public init() {}

    public mutating func observe(_ values: UnsafeBufferPointer<Float>) {
        let batch = BatchStatistics(values)
        minimum = Swift.min(minimum, batch.min)
        maximum = Swift.max(maximum, batch.max)
        nanCount += batch.nanCount
        infinityCount += batch.infinityCount
    }

    public func range() -> (min: Float, max: Float) {
        minimum <= maximum ? (minimum, maximum) : (0, 0)
    }
}

/// Exponential moving average of per-batch minima and maxima, in float32:
/// the first batch sets (min, max); each later one does min ← min + c · (min_batch − min), likewise max.
///
/// This is ONNX Runtime's `MinMaxCalibrater(moving_average=True)` merge rule applied per batch (its
/// `max_intermediate_outputs=1`; with larger chunks ORT first averages the batches of a chunk). Batches without
/// a finite value are skipped.
public struct MovingAverageMinMaxObserver: RangeObserver, Equatable {
    public let averagingConstant: Float
    public private(set) var minimum: Float = 0
    public private(set) var maximum: Float = 0
    public private(set) var batches = 0
    public private(set) var nanCount = 0
    public private(set) var infinityCount = 0

    /// - Parameter averagingConstant: c ∈ [0, 1], ORT's default 0.01 (clamped into [0, 1]).
    public init(averagingConstant: Float = 0.01) {
        self.averagingConstant = Swift.min(Swift.max(averagingConstant, 0), 1)
    }

    public mutating func observe(_ values: UnsafeBufferPointer<Float>) {
        let batch = BatchStatistics(values)
        nanCount += batch.nanCount
        infinityCount += batch.infinityCount
        guard batch.hasFinite else { return }
        if batches == 0 {
            (minimum, maximum) = (batch.min, batch.max)
        } else {
            minimum = minimum + averagingConstant * (batch.min - minimum)
            maximum = maximum + averagingConstant * (batch.max - maximum)
        }
        batches += 1
    }

    public func range() -> (min: Float, max: Float) { (minimum, maximum) }
}
