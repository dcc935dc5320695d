import QKGraph
import QKTensor
import Testing
@testable import QKRuntime

/// Runs the standard-domain kernel for `op` on `inputs`.
private func run(_ op: String, opset: Int, _ inputs: [Tensor?], _ attributes: [String: Attribute] = [:],
                 threads: Int = 1) throws -> [Tensor] {
    let node = Node(name: "n", opType: op, inputs: inputs.indices.map { "x\($0)" }, outputs: ["y"], attributes: attributes)
    let kernel = try #require(OpTable.kernel(opType: op, domain: ""))
    return try kernel(KernelContext(node: node, inputs: inputs, opset: opset, threads: threads))
}

private func expectClose(_ actual: [Float], _ expected: [Float], tolerance: Float = 1e-5,
                         sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, sourceLocation: sourceLocation)
    for (a, e) in zip(actual, expected) {
        #expect(abs(a - e) <= tolerance * max(1, abs(e)), "\(a) vs \(e)", sourceLocation: sourceLocation)
    }
}

private func vector(_ values: [Float]) -> Tensor { Tensor(shape: [values.count], values: values) }

@Suite struct NormalizationTests {
    let rows = Tensor(shape: [2, 3], values: [Float(1), 2, 3, 4, 6, 8])

    @Test func batchNormalizationUsesRunningStatistics() throws {
        // x: N=1, C=2, spatial 2. y = γ(x − μ)/√(σ² + ε) + β with ε = 0.5 so the roots are exact.
        let x = Tensor(shape: [1, 2, 1, 2], values: [Float(1), 3, 10, 20])
        let y = try run("BatchNormalization", opset: 15,
                        [x, vector([2, 1]), vector([0, 1]), vector([1, 10]), vector([3.5, 15.5])],
                        ["epsilon": .float(0.5)])[0]
        #expect(y.shape == [1, 2, 1, 2])
        expectClose(y.floatValues, [0, 2, 1, 3.5])
    }

    @Test func batchNormalizationTrainingModeIsUnsupported() {
        let x = Tensor(shape: [1, 1, 2], values: [Float(1), 2])
        #expect(throws: RuntimeError.unsupportedAttribute(node: "n", opType: "BatchNormalization",
                                                          attribute: "training_mode", value: "1")) {
            try run("BatchNormalization", opset: 15, [x, vector([1]), vector([0]), vector([0]), vector([1])],
                    ["training_mode": .int(1)])
        }
    }

    @Test func batchNormalizationChecksParameterCounts() {
        let x = Tensor(shape: [1, 2, 2], values: [Float(1), 2, 3, 4])
        #expect(throws: RuntimeError.self) {
            try run("BatchNormalization", opset: 15, [x, vector([1]), vector([0, 0]), vector([0, 0]), vector([1, 1])])
        }
    }

    @Test func layerNormalizationOverLastAxisWithStatistics() throws {
        // numpy: m = x.mean(-1), v = ((x − m)²).mean(-1), y = (x − m)/√(v + 1e-5)·s + b
        let outputs = try run("LayerNormalization", opset: 17, [rows, vector([1, 2, 0.5]), vector([0, 1, -1])])
        #expect(outputs.count == 3)
        expectClose(outputs[0].floatValues, [-1.2247356, 1.0, -0.3876322, -1.2247427, 1.0, -0.3876287])
        #expect(outputs[1].shape == [2, 1])
        expectClose(outputs[1].floatValues, [2, 6])
        expectClose(outputs[2].floatValues, [1.2247356, 0.6123713])
    }

    @Test func layerNormalizationOverAllAxesBroadcastsScale() throws {
        let outputs = try run("LayerNormalization", opset: 17, [rows, Tensor(scalar: Float(2))], ["axis": .int(0)])
        expectClose(outputs[0].floatValues, [-2.5205021, -1.6803347, -0.8401673, 0, 1.6803347, 3.3606694])
        #expect(outputs[1].shape == [1, 1])
        expectClose(outputs[2].floatValues, [0.42008367])
    }

    @Test func layerNormalizationRejectsAMismatchedScale() {
        #expect(throws: RuntimeError.self) { try run("LayerNormalization", opset: 17, [rows, vector([1, 2])]) }
    }

    @Test func layerNormalizationOfFloat64() throws {
        let x = Tensor(shape: [1, 2], values: [1.0, 3.0])
        let y = try run("LayerNormalization", opset: 17, [x, Tensor(shape: [2], values: [1.0, 1.0])], ["epsilon": .float(0)])
        #expect(y[0].values(as: Double.self) == [-1, 1])
        #expect(y[1].dtype == .float32)
    }

    @Test func rmsNormalization() throws {
        let y = try run("RMSNormalization", opset: 23, [rows, vector([1, 2, 0.5])])
        #expect(y.count == 1)
        expectClose(y[0].floatValues, [0.46290955, 1.8516382, 0.6943643, 0.64326745, 1.9298023, 0.64326745])
    }

    @Test func instanceNormalizationMatchesTheOnnxExample() throws {
        // The ONNX operator example: x = [[[[-1, 0, 1]], [[2, 3, 4]]]], s = [1, 1.5], bias = [0, 1].
        let x = Tensor(shape: [1, 2, 1, 3], values: [Float(-1), 0, 1, 2, 3, 4])
        let y = try run("InstanceNormalization", opset: 22, [x, vector([1, 1.5]), vector([0, 1])])[0]
        // Each plane has mean m and variance 2/3: (x − m)/√(2/3 + 1e-5) = ±1.2247357 or 0.
        expectClose(y.floatValues, [-1.2247357, 0, 1.2247357, -0.8371035, 1, 2.8371035])
    }

    @Test func groupNormalizationPerChannelParameters() throws {
        let x = Tensor(shape: [1, 4, 1, 2], values: [Float(1), 2, 3, 5, 0, 0, 4, 8])
        let y = try run("GroupNormalization", opset: 21, [x, vector([1, 2, 3, 4]), vector([0, 0.5, 1, -1])],
                        ["num_groups": .int(2)])[0]
        expectClose(y.floatValues, [-1.1832132, -0.5070914, 0.8380609, 3.5425484,
                                    -1.7136009, -1.7136009, 0.2060448, 5.0302243])
    }

    @Test func groupNormalizationNeedsDivisibleChannels() {
        let x = Tensor(shape: [1, 3, 1], values: [Float(1), 2, 3])
        #expect(throws: RuntimeError.self) {
            try run("GroupNormalization", opset: 21, [x, vector([1, 1, 1]), vector([0, 0, 0])], ["num_groups": .int(2)])
        }
    }

    @Test func lpNormalizationWithZeroRows() throws {
        let x = Tensor(shape: [3, 2], values: [Float(3), 4, 0, 0, 1, -3])
        let l2 = try run("LpNormalization", opset: 22, [x])[0]
        expectClose(l2.floatValues, [0.6, 0.8, 0, 0, 0.31622776, -0.9486833])
        let l1 = try run("LpNormalization", opset: 22, [x], ["axis": .int(0), "p": .int(1)])[0]
        expectClose(l1.floatValues, [0.75, 4.0 / 7, 0, 0, 0.25, -3.0 / 7])
        #expect(throws: RuntimeError.self) { try run("LpNormalization", opset: 22, [x], ["p": .int(3)]) }
    }

    @Test func meanVarianceNormalizationOverDefaultAndNonContiguousAxes() throws {
        // Default axes [0, 2, 3]: channel 0 holds [1, 3] and channel 1 holds [0, 4], each mapping to [−1, 1].
        let x = Tensor(shape: [2, 2, 1, 1], values: [Float(1), 0, 3, 4])
        expectClose(try run("MeanVarianceNormalization", opset: 13, [x])[0].floatValues, [-1, -1, 1, 1])
        // Axes [0, 2] of arange(8) in [2, 2, 2] (numpy: (x − m)/(√(E[x²] − m²) + 1e-9)).
        let y = try run("MeanVarianceNormalization", opset: 13, [Tensor(shape: [2, 2, 2], values: (0..<8).map(Double.init))],
                        ["axes": .ints([0, 2])])[0]
        let expected = [-1.2126781245934295, -0.7276068747560577, -1.2126781245934295, -0.7276068747560577,
                        0.7276068747560577, 1.2126781245934295, 0.7276068747560577, 1.2126781245934295]
        for (a, e) in zip(try #require(y.values(as: Double.self)), expected) { #expect(abs(a - e) < 1e-12) }
    }

    @Test func largeLayerNormalizationIsTheSameOnEveryThreadCount() throws {
        let (count, width) = (512, 96)
        var state: UInt64 = 11
        let values: [Float] = (0..<(count * width)).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 20) - 8
        }
        let x = Tensor(shape: [count, width], values: values)
        let scale = vector((0..<width).map { Float($0) / 10 })
        let single = try run("LayerNormalization", opset: 17, [x, scale], threads: 1)
        let parallel = try run("LayerNormalization", opset: 17, [x, scale], threads: 2)
        #expect(single == parallel)
        // Row 5 against a plain Double computation.
        let row = values[(5 * width)..<(6 * width)].map(Double.init)
        let mean = row.reduce(0, +) / Double(width)
        let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(width)
        let expected = row.enumerated().map { Float(($1 - mean) / (variance + 1e-5).squareRoot() * Double($0) / 10) }
        expectClose(Array(single[0].floatValues[(5 * width)..<(6 * width)]), expected, tolerance: 1e-4)
    }
}
