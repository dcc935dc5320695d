import QKGraph
import QKTensor
import Testing
@testable import QKRuntime

/// Runs single nodes through the runtime's kernel table, for the elementwise and activation tests.
enum KernelHarness {
    static func run(_ op: String, _ inputs: [Tensor?], attributes: [String: Attribute] = [:], opset: Int = 21,
                    threads: Int = 1) throws -> [Tensor] {
        let node = Node(name: "n", opType: op, inputs: inputs.indices.map { "x\($0)" }, outputs: ["y"],
                        attributes: attributes)
        guard let kernel = OpTable.kernel(opType: op, domain: "") else { throw RuntimeError.unsupportedOp(opType: op, domain: "", opset: opset, node: "n") }
        return try kernel(KernelContext(node: node, inputs: inputs, opset: opset, threads: threads))
    }

    static func one(_ op: String, _ inputs: [Tensor?], attributes: [String: Attribute] = [:], opset: Int = 21,
                    threads: Int = 1) throws -> Tensor {
        try run(op, inputs, attributes: attributes, opset: opset, threads: threads)[0]
    }

    /// True when every pair agrees within `tolerance · max(1, |expected|)` (NaN matches NaN).
    static func close(_ actual: [Float]?, _ expected: [Float], tolerance: Float = 1e-6) -> Bool {
        guard let actual, actual.count == expected.count else { return false }
        return zip(actual, expected).allSatisfy { a, e in
            (a.isNaN && e.isNaN) || a == e || abs(a - e) <= tolerance * max(1, abs(e))
        }
    }
}

/// A closure as an ``ElementBinaryOp``, for tests.
private struct Op<A, B, R>: ElementBinaryOp {
    let f: (A, B) -> R
    init(_ f: @escaping (A, B) -> R) { self.f = f }
    func callAsFunction(_ a: A, _ b: B) -> R { f(a, b) }
}

private let add = Op<Int64, Int64, Int64>(+)
private let mul = Op<Int64, Int64, Int64>(*)
private let sub = Op<Int64, Int64, Int64>(-)

@Suite struct BroadcastTests {
    @Test func shapesFollowNumpy() throws {
        #expect(try broadcastShape([2, 3, 4], [3, 1]) == [2, 3, 4])
        #expect(try broadcastShape([1], [5, 2]) == [5, 2])
        #expect(try broadcastShape([], [2, 2]) == [2, 2])
        #expect(try broadcastShape([2, 0], [1]) == [2, 0])
        #expect(try broadcastShape([4, 1, 6], [1, 5, 1]) == [4, 5, 6])
        #expect(try broadcastShape([[2, 1], [1, 3], [1]]) == [2, 3])
        #expect(throws: BroadcastError(shapes: [[2, 3], [4]])) { try broadcastShape([2, 3], [4]) }
        #expect(throws: BroadcastError.self) { try broadcastShape([[2, 1], [3], [4, 1]]) }
    }

    @Test func mapCoversEveryLayoutCase() throws {
        // np.arange(6).reshape(2, 3) + np.array([10, 20, 30]) (trailing vector)
        let a = (0..<6).map(Int64.init)
        #expect(try broadcastMap(a, [2, 3], [10, 20, 30], [3], threads: 1, add).values == [10, 21, 32, 13, 24, 35])
        // ... + np.array([[100], [200]]) (column)
        #expect(try broadcastMap(a, [2, 3], [100, 200], [2, 1], threads: 1, add).values == [100, 101, 102, 203, 204, 205])
        // np.array([[1], [2]]) * np.array([1, 10, 100]) (outer product, both broadcast)
        #expect(try broadcastMap([1, 2] as [Int64], [2, 1], [1, 10, 100], [3], threads: 1, mul).values
                == [1, 10, 100, 2, 20, 200])
        // scalar on either side, and a rank-0 result
        #expect(try broadcastMap([5] as [Int64], [], a, [2, 3], threads: 1, sub).values == [5, 4, 3, 2, 1, 0])
        let scalar = try broadcastMap([2] as [Int64], [], [3] as [Int64], [1], threads: 1, mul)
        #expect(scalar.shape == [1] && scalar.values == [6])
        // a middle axis broadcast: (2, 1, 2) + (1, 3, 1)
        let mid = try broadcastMap([0, 1, 2, 3] as [Int64], [2, 1, 2], [0, 10, 20] as [Int64], [1, 3, 1], threads: 1, add)
        #expect(mid.shape == [2, 3, 2] && mid.values == [0, 1, 10, 11, 20, 21, 2, 3, 12, 13, 22, 23])
        let empty = try broadcastMap([Int64](), [0, 3], [1, 2, 3], [3], threads: 1, add)
        #expect(empty.shape == [0, 3] && empty.values.isEmpty)
    }

    @Test func parallelMapMatchesSerialOnRandomShapes() throws {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<20 {
            let rank = Int.random(in: 1...4, using: &rng)
            let out = (0..<rank).map { _ in Int.random(in: 1...16, using: &rng) }
            let aShape = out.map { Bool.random(using: &rng) ? 1 : $0 }
            let bShape = Array(out.map { Bool.random(using: &rng) ? 1 : $0 }.dropFirst(Int.random(in: 0..<rank, using: &rng)))
            let a = (0..<aShape.reduce(1, *)).map { _ in Int32.random(in: -100...100, using: &rng) }
            let b = (0..<bShape.reduce(1, *)).map { _ in Int32.random(in: -100...100, using: &rng) }
            let parallel = try broadcastMap(a, aShape, b, bShape, threads: 4, Op<Int32, Int32, Int32> { $0 &* 3 &+ $1 })
            // Reference: explicit index arithmetic over the broadcast shape.
            let shape = try broadcastShape(aShape, bShape)
            let strides = Tensor.strides(for: shape)
            func offset(_ flat: Int, _ s: [Int]) -> Int {
                let padded = [Int](repeating: 1, count: shape.count - s.count) + s
                let own = Tensor.strides(for: padded)
                return (0..<shape.count).reduce(0) { acc, axis in
                    acc + (padded[axis] == 1 ? 0 : (flat / strides[axis] % shape[axis]) * own[axis])
                }
            }
            let expected = (0..<shape.reduce(1, *)).map { a[offset($0, aShape)] &* 3 &+ b[offset($0, bShape)] }
            #expect(parallel.shape == shape && parallel.values == expected)
            // Materialising each operand (byte copies) agrees with the same index arithmetic.
            #expect(broadcastValues(a, from: aShape, to: shape) == (0..<expected.count).map { a[offset($0, aShape)] })
            #expect(broadcastValues(b, from: bShape, to: shape) == (0..<expected.count).map { b[offset($0, bShape)] })
        }
    }

    @Test func largeTensorsRunInParallelChunks() throws {
        let n = 100_000
        let x = Tensor(shape: [n], values: (0..<n).map { Float($0) })
        let y = try KernelHarness.one("Add", [x, Tensor(scalar: Float(1))], threads: 4)
        #expect(y.values(as: Float.self) == (0..<n).map { Float($0) + 1 })
        let bias = try KernelHarness.one("Mul", [x.reshaped([1000, 100]), Tensor(shape: [100], values: [Float](repeating: 2, count: 100))], threads: 4)
        #expect(bias.values(as: Float.self) == (0..<n).map { Float($0) * 2 })
        let centred = try KernelHarness.one("Sub", [x, Tensor(scalar: Float(n / 2))], threads: 4)
        #expect(try KernelHarness.one("Relu", [centred], threads: 4).values(as: Float.self)
                == (0..<n).map { Float(max(0, $0 - n / 2)) })
        // Row-parallel softmax agrees with the single-threaded run exactly.
        let rows = try centred.reshaped([1000, 100])
        #expect(try KernelHarness.one("Softmax", [rows], threads: 4) == KernelHarness.one("Softmax", [rows], threads: 1))
    }

    @Test func incompatibleShapesNameTheNode() {
        #expect(throws: RuntimeError.self) {
            try KernelHarness.one("Add", [Tensor(zeros: .float32, shape: [2, 3]), Tensor(zeros: .float32, shape: [2])])
        }
        do {
            _ = try KernelHarness.one("Add", [Tensor(zeros: .float32, shape: [2, 3]), Tensor(zeros: .float32, shape: [2])])
        } catch {
            #expect("\(error)".contains("node 'n' (Add)") && "\(error)".contains("[2, 3]"))
        }
    }
}
