import QKGraph
import QKKernels
import QKTensor
import Testing
@testable import QKRuntime

/// The load-time preparers and small-tensor paths of the encoder's ops (Transpose, Gather, LayerNormalization,
/// QLinearAdd/QLinearMul): the prepared kernel gives the same outputs and the same errors as the table kernel, and
/// the small-tensor copies equal the general layout paths element for element.
@Suite struct EncoderOpPreparerTests {
    let prepared = PreparedKernelTests()

    @Test func encoderOpsHavePreparers() {
        for op in ["Transpose", "Gather", "LayerNormalization", "RMSNormalization", "QuantizeLinear", "DequantizeLinear"] {
            #expect(OpTable.preparer(opType: op, domain: "") != nil, "\(op)")
        }
        for op in ["QLinearAdd", "QLinearMul"] {
            #expect(OpTable.preparer(opType: op, domain: "com.microsoft") != nil, "\(op)")
        }
    }

    /// Every permutation of up to four axes (the strided copy, last axis moving or not) against the tiled and
    /// gather paths of ``Tensor/transposed(_:threads:)``, over element sizes 1, 2, 4 and 8 and odd dims.
    @Test func smallTransposeMatchesGeneralPath() throws {
        var rng = SplitMix64(seed: 77)
        for rank in 1...4 {
            for perm in permutations(Array(0..<rank)) {
                let shape = (0..<rank).map { _ in [1, 2, 3, 5, 16].randomElement(using: &rng)! }
                let values = (0..<shape.reduce(1, *)).map { _ in Int64.random(in: -300...300, using: &rng) }
                for x in [Tensor(shape: shape, values: values), Tensor(shape: shape, values: values.map(Float.init)),
                          Tensor(shape: shape, values: values.map { UInt8(truncatingIfNeeded: $0) }),
                          Tensor(shape: shape, values: values.map { Float16(Float($0)) })] {
                    let small = try #require(StridedView.transposed(x, perm))
                    #expect(small == (try x.transposed(perm)), "\(x.dtype) \(shape) perm \(perm)")
                }
            }
        }
        #expect(StridedView.transposed(iota([2, 2, 2, 2, 2]), [4, 3, 2, 1, 0]) == nil)
        #expect(StridedView.transposed(iota([70, 1000]), [1, 0]) == nil)
    }

    @Test func transposeMatchesTableKernel() throws {
        let x = iota([2, 3, 4, 5])
        for perm: [Int64] in [[0, 2, 1, 3], [0, 2, 3, 1], [3, 2, 1, 0], [0, 1, 2, 3], [0, 0, 1, 2], [0, 1, 2], [0, 1, 2, 4]] {
            try prepared.expectSame("Transpose", [x], constant: [], attributes: ["perm": .ints(perm)])
        }
        try prepared.expectSame("Transpose", [x], constant: [])
        try prepared.expectSame("Transpose", [x], constant: [], attributes: ["perm": .string("0213")])
        #expect(try prepared.bothWays("Transpose", [x], constant: [], attributes: ["perm": .ints([0, 0, 1, 2])]).prepared
            == .failure("node 'n' (Transpose): perm [0, 0, 1, 2] is not a permutation of the 4 axes"))
    }

    /// Gather along each axis with negative and repeated indices, scalar indices, empty results and bad input,
    /// prepared against the table kernel, and the block copy against the general gather.
    @Test func gatherMatchesTableKernelAndGeneralPath() throws {
        let x = iota([4, 3, 5])
        let indexSets: [Tensor] = [Tensor(shape: [2, 2], values: [Int64(0), -1, 2, 2]), Tensor(scalar: Int64(-2)),
                                   Tensor(shape: [3], values: [Int32(1), 0, 1]), Tensor(shape: [0], values: [Int64]())]
        for axis: Int64 in [-3, -1, 0, 1, 2] {
            for indices in indexSets {
                try prepared.expectSame("Gather", [x, indices], constant: [], attributes: ["axis": .int(axis)])
                let y = try runMovementOp("Gather", [x, indices], attributes: ["axis": .int(axis)])[0]
                let a = Int(axis < 0 ? axis + 3 : axis)
                var picked = x.shape.map { Array(0..<$0) }
                picked[a] = (DataMovement.indices(indices) ?? []).map { $0 < 0 ? $0 + x.shape[a] : $0 }
                let general = try x.gathered(AxisGather(sourceShape: x.shape, indices: picked))
                #expect(y.storage == general.storage && y.shape.reduce(1, *) == general.count, "axis \(axis) \(indices.shape)")
            }
        }
        try prepared.expectSame("Gather", [x, Tensor(shape: [1], values: [Int64(4)])], constant: [])
        try prepared.expectSame("Gather", [x, Tensor(shape: [1], values: [Float(1)])], constant: [])
        try prepared.expectSame("Gather", [x, Tensor(shape: [1], values: [Int64(0)])], constant: [], attributes: ["axis": .int(3)])
        try prepared.expectSame("Gather", [x, Tensor(shape: [1], values: [Int64(0)])], constant: [], attributes: ["axis": .float(0)])
        #expect(try runMovementOp("Gather", [Tensor(shape: [3], values: [Int64(7), 8, 9]), Tensor(scalar: Int64(1))])[0]
            == Tensor(scalar: Int64(8)))
    }

    /// LayerNormalization's small float32 path (one output) and the general path (three outputs, other dtypes,
    /// broadcast Scale) prepared against the table kernel; RMSNormalization likewise.
    @Test func layerNormalizationMatchesTableKernel() throws {
        var rng = SplitMix64(seed: 5)
        let x = Tensor(shape: [2, 3, 8], values: (0..<48).map { _ in Float.random(in: -3...3, using: &rng) })
        let scale = Tensor(shape: [8], values: (0..<8).map { _ in Float.random(in: 0.5...2, using: &rng) })
        let bias = Tensor(shape: [8], values: (0..<8).map { _ in Float.random(in: -1...1, using: &rng) })
        for op in ["LayerNormalization", "RMSNormalization"] {
            for attributes: [String: Attribute] in [[:], ["axis": .int(-1), "epsilon": .float(1e-12)], ["axis": .int(1)],
                                                    ["axis": .int(3)], ["stash_type": .int(7)], ["epsilon": .string("e")]] {
                try prepared.expectSame(op, [x, scale, bias], constant: [1, 2], attributes: attributes, opset: 23)
                try prepared.expectSame(op, [x, scale], constant: [], attributes: attributes, opset: 23)
                try prepared.expectSame(op, [x, Tensor(shape: [1], values: [Float(2)])], constant: [1], attributes: attributes, opset: 23)
                try prepared.expectSame(op, [x.converted(to: .float64), scale.converted(to: .float64)], constant: [],
                                        attributes: attributes, opset: 23)
            }
        }
        // The small float32 path equals the general row loop (``NormalizationMath/normalizeRows``) bit for bit.
        let small = try runMovementOp("LayerNormalization", [x, scale, bias], opset: 17)
        let general = NormalizationMath.normalizeRows(x.floatValues, rows: 6, width: 8, epsilon: Float(1e-5),
                                                      scale: scale.floatValues, bias: bias.floatValues, period: 1, threads: 1)
        #expect(small.count == 3 && small[0].floatValues == general.y && small[1].floatValues == general.mean
            && small[2].floatValues == general.invStd && small[1].shape == [2, 3, 1])
    }

    /// QLinearAdd/QLinearMul with constant parameters (prepared) against the table kernel, including parameters
    /// given at run time, omitted zero points and inputs the table kernel rejects.
    @Test func quantizedBinaryMatchesTableKernel() throws {
        var rng = SplitMix64(seed: 12)
        let u8 = Tensor(shape: [4, 33], values: (0..<132).map { _ in UInt8.random(in: 0...255, using: &rng) })
        let row = Tensor(shape: [33], values: (0..<33).map { _ in UInt8.random(in: 0...255, using: &rng) })
        let s8 = Tensor(shape: [4, 33], values: (0..<132).map { _ in Int8.random(in: -128...127, using: &rng) })
        func parameters(_ a: Tensor, _ b: Tensor, zero: (Int) -> Tensor?) -> [Tensor?] {
            [a, Tensor(scalar: Float(0.03)), zero(0), b, Tensor(scalar: Float(0.02)), zero(1), Tensor(scalar: Float(0.05)), zero(2)]
        }
        let cases: [[Tensor?]] = [
            parameters(u8, row) { Tensor(scalar: UInt8(100 + $0 * 10)) },
            parameters(u8, u8) { _ in nil },
            parameters(s8, s8) { Tensor(scalar: Int8(-3 + $0)) },
            parameters(u8, s8) { _ in nil },
            parameters(s8, s8) { Tensor(scalar: UInt8($0)) },
            parameters(u8, row) { $0 == 2 ? Tensor(scalar: Int8(1)) : nil },
            [u8, Tensor(scalar: Float(-1)), nil, u8, Tensor(scalar: Float(0.02)), nil, Tensor(scalar: Float(0.05)), nil],
            [u8, Tensor(shape: [2], values: [Float(1), 2]), nil, u8, Tensor(scalar: Float(0.02)), nil, Tensor(scalar: Float(0.05)), nil],
        ]
        for op in ["QLinearAdd", "QLinearMul"] {
            for inputs in cases {
                try prepared.expectSame(op, domain: "com.microsoft", inputs, constant: [1, 2, 4, 5, 6, 7], opset: 1)
                try prepared.expectSame(op, domain: "com.microsoft", inputs, constant: [1, 4, 6], opset: 1)
            }
        }
    }

    /// QuantizeLinear / DequantizeLinear with constant per-tensor parameters (prepared) against the table kernel,
    /// and the cases the preparer leaves to it: per-axis scales, other dtypes, attributes, run-time parameters.
    @Test func quantizeLinearMatchesTableKernel() throws {
        var rng = SplitMix64(seed: 3)
        let x = Tensor(shape: [3, 41], values: (0..<123).map { _ in Float.random(in: -20...20, using: &rng) })
        let u8 = Tensor(shape: [3, 41], values: (0..<123).map { _ in UInt8.random(in: 0...255, using: &rng) })
        let s8 = Tensor(shape: [3, 41], values: (0..<123).map { _ in Int8.random(in: -128...127, using: &rng) })
        let scale = Tensor(scalar: Float(0.125)), axisScale = Tensor(shape: [3], values: [Float(0.1), 0.2, 0.3])
        let zeros: [Tensor?] = [Tensor(scalar: UInt8(131)), Tensor(shape: [1], values: [Int8(-7)]), nil, Tensor(scalar: Int16(2))]
        let attributeSets: [[String: Attribute]] = [[:], ["axis": .int(0)], ["axis": .string("0")], ["block_size": .int(0)],
                                                    ["output_dtype": .int(2)]]
        for zero in zeros {
            for attributes in attributeSets {
                for data in [x, x.converted(to: .float16)] {
                    try prepared.expectSame("QuantizeLinear", [data, scale, zero], constant: [1, 2], attributes: attributes, opset: 21)
                }
                for data in [u8, s8, u8.converted(to: .int32)] {
                    try prepared.expectSame("DequantizeLinear", [data, scale, zero], constant: [1, 2], attributes: attributes, opset: 21)
                    try prepared.expectSame("DequantizeLinear", [data, scale, zero], constant: [], attributes: attributes, opset: 21)
                }
            }
            try prepared.expectSame("QuantizeLinear", [x, axisScale, zero], constant: [1, 2], attributes: ["axis": .int(0)], opset: 21)
            try prepared.expectSame("QuantizeLinear", [x, Tensor(scalar: Float(0)), zero], constant: [1, 2], opset: 21)
        }
    }

    private func permutations(_ items: [Int]) -> [[Int]] {
        guard items.count > 1 else { return [items] }
        return items.indices.flatMap { i in
            permutations(Array(items[..<i] + items[(i + 1)...])).map { [items[i]] + $0 }
        }
    }
}
