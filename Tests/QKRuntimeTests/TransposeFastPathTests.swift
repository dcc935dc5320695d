import Testing
import QKGraph
import QKTensor
@testable import QKRuntime

/// Transpose's row-copy path (the last axis stays last) against the general gather path, over dtypes of
/// every element size, ranks 3 to 5, size-1 axes and odd sizes.
@Suite struct TransposeFastPathTests {
    @Test(arguments: [[0, 2, 1, 3], [1, 0, 2, 3], [2, 0, 1, 3], [0, 2, 1], [1, 0, 2], [3, 0, 2, 1, 4], [0, 3, 2, 1, 4]])
    func rowCopyMatchesGeneralPath(perm: [Int]) throws {
        var rng = SplitMix64(seed: UInt64(perm.count * 31 + perm[0]))
        for _ in 0..<4 {
            let shape = (0..<perm.count).map { _ in [1, 2, 3, 5, 7, 16].randomElement(using: &rng)! }
            let count = shape.reduce(1, *)
            let values = (0..<count).map { _ in Int64.random(in: -1000...1000, using: &rng) }
            let inputs: [Tensor] = [Tensor(shape: shape, values: values), Tensor(shape: shape, values: values.map(Float.init)),
                                    Tensor(shape: shape, values: values.map { Int8(truncatingIfNeeded: $0) }),
                                    Tensor(shape: shape, values: values.map { Int16(truncatingIfNeeded: $0) })]
            for x in inputs {
                let y = try runMovementOp("Transpose", [x], attributes: ["perm": .ints(perm.map(Int64.init))])[0]
                #expect(y == (try x.transposed(perm)), "\(x.dtype) \(shape) perm \(perm)")
            }
        }
    }
}
