import QKGraph
import QKTensor
import Testing
@testable import QKQuantization

@Suite struct CalibrationTests {
    func minMaxCalibrator(batchSize: Int) -> Calibrator {
        Calibrator(model: convReluGemmModel(), tensors: ["x", "r", "shape"], batchSize: batchSize) { _ in MinMaxObserver() }
    }

    @Test func graphInputRangeAndBatchIndependence() throws {
        let feeds = calibrationFeeds()
        var calls: [[Int]] = []
        let ranges = try minMaxCalibrator(batchSize: 2).calibrate(feeds: feeds) { calls.append([$0, $1]) }
        #expect(calls == [[2, 5], [4, 5], [5, 5]])
        #expect(ranges["x"] == CalibratedRange(min: -1, max: 3, observedMin: -1, observedMax: 3))
        // Relu output: min 0 (some position is ≤ 0 for this data); int64 "shape" is never observed.
        #expect(ranges["r"]?.min == 0)
        #expect(ranges["shape"] == nil)
        let whole = try minMaxCalibrator(batchSize: 64).calibrate(feeds: feeds)
        #expect(whole == ranges)
    }

    @Test func observedExtremesKeptBesideClippedRange() throws {
        var values = [Float](repeating: 0.5, count: 16 * 100)
        values[0] = 1000
        let feeds = ["x": Tensor(shape: [100, 1, 4, 4], values: values)]
        let calibrator = Calibrator(model: convReluGemmModel(), tensors: ["x"], batchSize: 10) { _ in
            PercentileObserver(percentile: 99, bins: 2048, symmetric: false)
        }
        let range = try #require(try calibrator.calibrate(feeds: feeds)["x"])
        #expect(range.observedMax == 1000 && range.observedMin == 0.5)
        #expect(range.max < 10)
    }

    @Test func refusesEmptyAndNonFiniteData() throws {
        let empty = ["x": Tensor(shape: [0, 1, 4, 4], values: [Float]())]
        #expect(throws: CalibrationError.empty) { _ = try minMaxCalibrator(batchSize: 2).calibrate(feeds: empty) }
        var values = [Float](repeating: 0, count: 32)
        values[21] = .infinity
        let bad = ["x": Tensor(shape: [2, 1, 4, 4], values: values)]
        // Checked a batch at a time; the index is still the flat index into the whole array.
        for batchSize in [1, 2] {
            #expect(throws: CalibrationError.nonFinite(array: "x", index: 21, value: "inf")) {
                _ = try minMaxCalibrator(batchSize: batchSize).calibrate(feeds: bad)
            }
        }
    }

    /// ids/mask int64 → Cast(mask) → Sub(1, ·) → Mul(·, −10000) → Add(scores, ·) → Softmax → MatMul(·, V).
    /// −10000 is small enough to pass the range rule; the structure rule must catch it.
    @Test func attentionMaskPathStaysFloat() throws {
        let graph = Graph(
            nodes: [
                Node(name: "cast", opType: "Cast", inputs: ["mask"], outputs: ["m"], attributes: ["to": .int(1)]),
                Node(name: "sub", opType: "Sub", inputs: ["one", "m"], outputs: ["inv"]),
                Node(name: "scale", opType: "Mul", inputs: ["inv", "big"], outputs: ["bias"]),
                Node(name: "scores", opType: "MatMul", inputs: ["q", "k"], outputs: ["s"]),
                Node(name: "masked", opType: "Add", inputs: ["s", "bias"], outputs: ["a"]),
                Node(name: "softmax", opType: "Softmax", inputs: ["a"], outputs: ["p"]),
                Node(name: "context", opType: "MatMul", inputs: ["p", "v"], outputs: ["y"]),
            ],
            inputs: [ValueInfo(name: "q", dtype: .float32, shape: nil), ValueInfo(name: "mask", dtype: .int64, shape: nil)],
            outputs: [ValueInfo(name: "y", dtype: .float32, shape: nil)],
            initializers: [
                "one": Tensor(scalar: Float(1)), "big": Tensor(scalar: Float(-10000)),
                "k": Tensor(shape: [2, 3], values: [Float(0.5), -1, 2, 0.25, 1, -0.5]),
                "v": Tensor(shape: [3, 2], values: [Float(1), 2, 3, -1, 0.5, 0.25]),
            ])
        let model = Model(graph: graph, opsetImports: [OpsetImport(domain: "", version: 17)])
        let feeds = ["q": Tensor(shape: [4, 2], values: [Float(1), 2, -1, 0.5, 0.25, 3, 2, -2]),
                     "mask": Tensor(shape: [4, 3], values: [Int64(1), 1, 0, 1, 0, 0, 1, 1, 1, 1, 1, 0])]
        let (quantized, decisions) = try StaticQuantizer.quantize(model, config: QuantizationConfig(), feeds: feeds)
        let byNode = Dictionary(uniqueKeysWithValues: decisions.map { ($0.node, $0) })
        #expect(byNode["scale"]?.action == .keptFloat)
        #expect(byNode["masked"]?.action == .keptFloat)
        #expect(byNode["masked"]?.reason.contains("mask") == true)
        #expect(byNode["scores"]?.action == .quantized)
        #expect(byNode["context"]?.action == .quantized)
        #expect(quantized.graph.nodes.first { $0.name == "masked" }?.inputs == ["s", "bias"])
    }
}
