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

private func axes(_ values: [Int64]) -> Tensor { Tensor(shape: [values.count], values: values) }

private func expectClose(_ actual: [Float], _ expected: [Float], tolerance: Float = 1e-5,
                         sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, sourceLocation: sourceLocation)
    for (a, e) in zip(actual, expected) {
        #expect(abs(a - e) <= tolerance * max(1, abs(e)), "\(a) vs \(e)", sourceLocation: sourceLocation)
    }
}

/// Deterministic values in [-1, 1) from a linear congruential generator.
private func seededValues(_ count: Int, seed: UInt64) -> [Float] {
    var state = seed
    return (0..<count).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(state >> 40) / Float(1 << 23) - 1
    }
}

@Suite struct ReductionTests {
    let example = Tensor(shape: [3, 2, 2], values: (1...12).map(Float.init))

    @Test func sumOverMiddleAxisWithAxesInput() throws {
        let y = try run("ReduceSum", opset: 13, [example, axes([1])], ["keepdims": .int(1)])[0]
        #expect(y.shape == [3, 1, 2])
        #expect(y.floatValues == [4, 6, 12, 14, 20, 22])
    }

    @Test func axesAttributeBeforeOpset18AndNegativeAxis() throws {
        let y = try run("ReduceMean", opset: 13, [example], ["axes": .ints([-1]), "keepdims": .int(0)])[0]
        #expect(y.shape == [3, 2])
        #expect(y.floatValues == [1.5, 3.5, 5.5, 7.5, 9.5, 11.5])
    }

    @Test func nonContiguousAxesAreTransposedFirst() throws {
        let x = Tensor(shape: [2, 3, 2], values: (0..<12).map(Float.init))
        let mean = try run("ReduceMean", opset: 18, [x, axes([0, 2])], ["keepdims": .int(1)])[0]
        #expect(mean.shape == [1, 3, 1])
        #expect(mean.floatValues == [3.5, 5.5, 7.5])
        let max = try run("ReduceMax", opset: 18, [x, axes([2, 0])], ["keepdims": .int(0)])[0]
        #expect(max.shape == [3])
        #expect(max.floatValues == [7, 9, 11])
    }

    @Test func noAxesReducesEverythingUnlessNoop() throws {
        let all = try run("ReduceSum", opset: 13, [example, axes([])])[0]
        #expect(all.shape == [1, 1, 1])
        #expect(all.floatValues == [78])
        let negative = Tensor(shape: [2], values: [Float(-2), 3])
        let noop = try run("ReduceL1", opset: 18, [negative, nil], ["noop_with_empty_axes": .int(1)])[0]
        #expect(noop.shape == [2])
        #expect(noop.floatValues == [2, 3])
    }

    @Test func formulasOfEachReduction() throws {
        let x = Tensor(shape: [2, 2], values: [Float(1), -2, 3, 4])
        let cases: [(String, [Float])] = [
            ("ReduceProd", [-2, 12]), ("ReduceL1", [3, 7]), ("ReduceL2", [Float(5).squareRoot(), 5]),
            ("ReduceSumSquare", [5, 25]), ("ReduceMin", [-2, 3]), ("ReduceLogSum", [Float.nan, 1.9459101]),
        ]
        for (op, expected) in cases {
            let y = try run(op, opset: 18, [x, axes([1])], ["keepdims": .int(0)])[0]
            if op == "ReduceLogSum" {
                #expect(y.floatValues[0].isNaN)
                expectClose([y.floatValues[1]], [expected[1]])
            } else {
                expectClose(y.floatValues, expected)
            }
        }
    }

    @Test func logSumExpIsStableForLargeInputs() throws {
        let x = Tensor(shape: [2, 2], values: [1000.0, 1000.0, 3.0, 1.0])
        let y = try run("ReduceLogSumExp", opset: 18, [x, axes([1])], ["keepdims": .int(0)])[0]
        let values = try #require(y.values(as: Double.self))
        #expect(abs(values[0] - 1000.6931471805599) < 1e-9)
        #expect(abs(values[1] - 3.1269280110429727) < 1e-12)
    }

    @Test func emptyReductionsGiveTheIdentity() throws {
        let empty = Tensor(shape: [2, 0, 4], values: [Float]())
        let cases: [(String, Float)] = [("ReduceSum", 0), ("ReduceProd", 1), ("ReduceMax", -.infinity),
                                        ("ReduceMin", .infinity), ("ReduceLogSumExp", -.infinity), ("ReduceL2", 0)]
        for (op, identity) in cases {
            let y = try run(op, opset: 18, [empty, axes([1])])[0]
            #expect(y.shape == [2, 1, 4])
            #expect(y.floatValues == Array(repeating: identity, count: 8), "\(op)")
        }
        let keptEmpty = try run("ReduceSum", opset: 13, [empty, axes([2])])[0]
        #expect(keptEmpty.shape == [2, 0, 1])
        let int8 = try run("ReduceMax", opset: 18, [Tensor(shape: [0, 2], values: [Int8]()), axes([0])])[0]
        #expect(int8.values(as: Int8.self) == [-128, -128])
    }

    @Test func boolMaxIsAnyAndMinIsAll() throws {
        let x = Tensor(shape: [3, 2], values: [true, false, false, false, true, true])
        let any = try run("ReduceMax", opset: 20, [x, axes([1])])[0]
        #expect(any.values(as: Bool.self) == [true, false, true])
        let all = try run("ReduceMin", opset: 20, [x, axes([1])])[0]
        #expect(all.values(as: Bool.self) == [false, false, true])
        let emptyAll = try run("ReduceMin", opset: 20, [Tensor(shape: [0, 1], values: [Bool]()), axes([0])])[0]
        #expect(emptyAll.values(as: Bool.self) == [true])
    }

    @Test func integerReductionsWrapAndTruncate() throws {
        let x = Tensor(shape: [2, 2], values: [Int32.max, 1, -7, 2])
        let sum = try run("ReduceSum", opset: 13, [x, axes([1])], ["keepdims": .int(0)])[0]
        #expect(sum.values(as: Int32.self) == [Int32.min, -5])
        let mean = try run("ReduceMean", opset: 18, [Tensor(shape: [3], values: [Int64(1), 2, 4]), nil])[0]
        #expect(mean.values(as: Int64.self) == [2])
    }

    @Test func halfPrecisionComputesInFloat() throws {
        let x = Tensor(shape: [2, 2], values: [Float16(0.5), 1.5, 2, 4])
        let y = try run("ReduceMean", opset: 18, [x, axes([0])], ["keepdims": .int(0)])[0]
        #expect(y.values(as: Float16.self) == [1.25, 2.75])
    }

    @Test func largeRowsMatchAPlainDoubleLoopOnEveryThreadCount() throws {
        let (rows, width) = (300, 257)
        let values = seededValues(rows * width, seed: 7)
        let x = Tensor(shape: [rows, width], values: values)
        for threads in [1, 2] {
            let sum = try run("ReduceSum", opset: 13, [x, axes([-1])], threads: threads)[0].floatValues
            let max = try run("ReduceMax", opset: 18, [x, axes([-1])], threads: threads)[0].floatValues
            let columns = try run("ReduceSumSquare", opset: 18, [x, axes([0])], threads: threads)[0].floatValues
            for r in 0..<rows {
                let row = values[(r * width)..<((r + 1) * width)]
                #expect(abs(sum[r] - Float(row.reduce(0.0) { $0 + Double($1) })) < 1e-4)
                #expect(max[r] == row.max())
            }
            for c in 0..<width {
                let expected = (0..<rows).reduce(0.0) { $0 + Double(values[$1 * width + c]) * Double(values[$1 * width + c]) }
                #expect(abs(Double(columns[c]) - expected) < 1e-3)
            }
        }
    }

    @Test func maxPropagatesNaN() throws {
        let x = Tensor(shape: [10], values: [1, 2, 3, Float.nan, 5, 6, 7, 8, 9, 10])
        #expect(try run("ReduceMax", opset: 18, [x, nil])[0].floatValues[0].isNaN)
    }

    @Test func invalidAxesThrow() {
        #expect(throws: RuntimeError.self) { try run("ReduceSum", opset: 13, [example, axes([3])]) }
        #expect(throws: RuntimeError.self) { try run("ReduceSum", opset: 13, [example, axes([1, -2])]) }
        #expect(throws: RuntimeError.self) {
            try run("ReduceLogSum", opset: 18, [Tensor(shape: [2], values: [true, false]), nil])
        }
    }

    @Test func argMaxAndArgMinWithTiesAndLastIndex() throws {
        let x = Tensor(shape: [2, 3], values: [Float(2), 5, 5, 1, 1, 0])
        let first = try run("ArgMax", opset: 13, [x], ["axis": .int(1)])[0]
        #expect(first.shape == [2, 1])
        #expect(first.values(as: Int64.self) == [1, 0])
        let last = try run("ArgMax", opset: 13, [x], ["axis": .int(-1), "select_last_index": .int(1), "keepdims": .int(0)])[0]
        #expect(last.shape == [2])
        #expect(last.values(as: Int64.self) == [2, 1])
        let columns = try run("ArgMin", opset: 13, [x])[0]
        #expect(columns.shape == [1, 3])
        #expect(columns.values(as: Int64.self) == [1, 1, 1])
        let ints = Tensor(shape: [4], values: [Int32(3), -1, 7, -1])
        #expect(try run("ArgMin", opset: 13, [ints], ["select_last_index": .int(1)])[0].values(as: Int64.self) == [3])
    }

    @Test func argMaxTreatsNaNAsLargest() throws {
        let x = Tensor(shape: [4], values: [1, Float.nan, 9, Float.nan])
        #expect(try run("ArgMax", opset: 13, [x])[0].values(as: Int64.self) == [1])
        #expect(try run("ArgMax", opset: 13, [x], ["select_last_index": .int(1)])[0].values(as: Int64.self) == [3])
    }

    @Test func argMaxOfAnEmptyAxisThrows() {
        #expect(throws: RuntimeError.self) { try run("ArgMax", opset: 13, [Tensor(shape: [0, 2], values: [Float]())]) }
    }

    @Test func layoutCollapsesAxes() {
        func parts(_ shape: [Int], _ axes: Set<Int>) -> [Int] {
            let layout = ReductionLayout(shape: shape, axes: axes)
            return [layout.outer, layout.reduced, layout.inner] + (layout.permutation ?? [])
        }
        #expect(parts([2, 3, 4], [1]) == [2, 3, 4])
        #expect(parts([2, 1, 3, 4], [2, 3]) == [2, 12, 1])
        #expect(parts([2, 3, 4], [0, 2]) == [3, 8, 1, 1, 0, 2])
        #expect(parts([2, 1, 4], [0, 2]) == [1, 8, 1])
    }
}
