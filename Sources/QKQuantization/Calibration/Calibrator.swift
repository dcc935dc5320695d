import QKGraph
import QKRuntime
import QKTensor

/// Calibrated range of one float32 tensor.
public struct CalibratedRange: Sendable, Equatable {
    /// The range the calibration method chose (clipped for percentile/entropy/MSE).
    public var min: Float
    public var max: Float
    /// The extreme finite values seen, whatever the method (used to detect outlier-dominated tensors).
    public var observedMin: Float
    public var observedMax: Float

    public init(min: Float, max: Float, observedMin: Float, observedMax: Float) {
        self.min = min
        self.max = max
        self.observedMin = observedMin
        self.observedMax = observedMax
    }

    /// max(|observedMin|, |observedMax|).
    public var observedAbsMax: Float { Swift.max(abs(observedMin), abs(observedMax)) }
}

/// A calibration input that cannot be used; names the array and the offending index or expectation.
public enum CalibrationError: Error, CustomStringConvertible, Equatable {
    case empty
    case nonFinite(array: String, index: Int, value: String)
    case sampleCountMismatch([String: Int])

    public var description: String {
        switch self {
        case .empty:
            "calibration: the calibration set has no samples"
        case .nonFinite(let array, let index, let value):
            "calibration: array '\(array)' holds \(value) at flat index \(index); calibration data must be finite"
        case .sampleCountMismatch(let counts):
            "calibration: arrays have different sample counts "
                + counts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        }
    }
}

/// Runs an fp32 model over calibration samples in batches and accumulates one ``RangeObserver`` per requested
/// float32 tensor (graph inputs included). Memory is bounded by one batch plus the observers, whatever the
/// number of samples: batches are sliced from the feeds on the fly and every intermediate value is dropped
/// after observation.
public struct Calibrator {
    public var model: Model
    /// Names of the tensors to observe; values that turn out not to be float32 are skipped.
    public var tensors: Set<String>
    /// Makes a fresh observer for a tensor name.
    public var makeObserver: (String) -> any RangeObserver
    /// Samples per interpreter run.
    public var batchSize: Int
    public var threads: Int

    public init(model: Model, tensors: Set<String>, batchSize: Int = 64, threads: Int = 2,
                makeObserver: @escaping (String) -> any RangeObserver) {
        self.model = model
        self.tensors = tensors
        self.makeObserver = makeObserver
        self.batchSize = Swift.max(1, batchSize)
        self.threads = threads
    }

    /// Observes every requested float32 tensor over `feeds` (one array per runtime input, first axis = samples)
    /// and returns the range of each. `progress(done, total)` is called after every batch.
    ///
    /// Throws ``CalibrationError`` for an empty set, differing sample counts or NaN/±∞ in the feeds.
    public func calibrate(feeds: [String: Tensor],
                          progress: (Int, Int) -> Void = { _, _ in }) throws -> [String: CalibratedRange] {
        let counts = feeds.mapValues { $0.shape.first ?? 0 }
        guard Set(counts.values).count <= 1 else { throw CalibrationError.sampleCountMismatch(counts) }
        let total = counts.values.first ?? 0
        guard total > 0 else { throw CalibrationError.empty }
        for (name, tensor) in feeds.sorted(by: { $0.key < $1.key }) where tensor.dtype.isFloatingPoint {
            try Self.requireFinite(tensor, name: name, batchSize: batchSize)
        }
        let interpreter = try Interpreter(model: model, threads: threads)
        var state = ObserverSet(tensors: tensors, make: makeObserver)
        var start = 0
        while start < total {
            let range = start..<Swift.min(total, start + batchSize)
            let batch = feeds.mapValues { $0.rows(range) }
            for (name, value) in batch { state.observe(name, value) }
            _ = try interpreter.run(batch, observe: { name, value in state.observe(name, value) })
            start = range.upperBound
            progress(start, total)
        }
        return state.ranges()
    }
}

extension Calibrator {
    /// Throws ``CalibrationError/nonFinite(array:index:value:)`` for the first NaN/±∞ of a float array, checked
    /// `batchSize` rows at a time so that no full float copy of a large data set is made.
    static func requireFinite(_ tensor: Tensor, name: String, batchSize: Int) throws {
        let rows = tensor.shape.first ?? 0
        let rowSize = tensor.shape.dropFirst().reduce(1, *)
        var start = 0
        while start < rows {
            let values = tensor.rows(start..<Swift.min(rows, start + batchSize)).floatValues
            if let index = values.firstIndex(where: { !$0.isFinite }) {
                throw CalibrationError.nonFinite(array: name, index: start * rowSize + index, value: "\(values[index])")
            }
            start += batchSize
        }
    }
}

/// The observers of one calibration run, created lazily on the first float32 value of each tensor.
private struct ObserverSet {
    let tensors: Set<String>
    let make: (String) -> any RangeObserver
    var observers: [String: any RangeObserver] = [:]
    var extremes: [String: MinMaxObserver] = [:]

    init(tensors: Set<String>, make: @escaping (String) -> any RangeObserver) {
        self.tensors = tensors
        self.make = make
    }

    mutating func observe(_ name: String, _ value: Tensor) {
        guard tensors.contains(name), value.dtype == .float32, let values = value.values(as: Float.self) else { return }
        var observer = observers[name] ?? make(name)
        var extreme = extremes[name] ?? MinMaxObserver()
        values.withUnsafeBufferPointer { buffer in
            observer.observe(buffer)
            extreme.observe(buffer)
        }
        observers[name] = observer
        extremes[name] = extreme
    }

    func ranges() -> [String: CalibratedRange] {
        var result: [String: CalibratedRange] = [:]
        for (name, observer) in observers {
            let chosen = observer.range()
            let seen = extremes[name]?.range() ?? chosen
            result[name] = CalibratedRange(min: chosen.min, max: chosen.max, observedMin: seen.min, observedMax: seen.max)
        }
        return result
    }
}
