import Testing
import QKTensor
@testable import QKGraph

/// Reshape, Flatten, Transpose, Squeeze/Unsqueeze, Concat, Split, Slice, Gather, Pad, Resize, Expand, Tile
/// and reductions on hand-built graphs; expected shapes by hand.
@Suite struct ShapeInferenceMovementTests {
    typealias F = ShapeFixture

    func reshape(_ input: [Dimension], to target: [Int64], allowZero: Bool = false) throws -> [Dimension]? {
        try F.shape(of: "y", F.node("Reshape", ["x", "shape"], ["y"], allowZero ? ["allowzero": .int(1)] : [:]),
                    inputs: [ValueInfo(name: "x", dtype: .float32, shape: input)],
                    initializers: ["shape": Tensor(shape: [target.count], values: target)])
    }

    @Test func reshapeWithZeroAndMinusOne() throws {
        #expect(try reshape(F.dims(2, 3, 4), to: [0, -1]) == F.dims(2, 12))
        #expect(try reshape(F.dims(2, 3, 4), to: [-1, 6]) == F.dims(4, 6))
        #expect(try reshape(F.dims("batch", 3, 4), to: [0, -1, 2]) == F.dims("batch", 6, 2))
        #expect(try reshape(F.dims("batch", 3, 4), to: [-1, 12]) == F.dims("batch", 12))
        #expect(try reshape(F.dims("batch", 3, 4), to: [-1, 5]) == F.dims("?", 5))
        #expect(try reshape(F.dims(0, 3), to: [0, 3], allowZero: true) == F.dims(0, 3))
    }

    @Test func impossibleReshapeThrows() {
        #expect(F.failure { try reshape(F.dims(2, 3, 4), to: [5, -1]) }?.message.contains("[2, 3, 4]") == true)
        #expect(F.failure { try reshape(F.dims(24), to: [5, 5]) }?.message.contains("24 elements") == true)
        #expect(F.failure { try reshape(F.dims(24), to: [-1, -1]) } != nil)
    }

    @Test func flattenTransposeSqueezeUnsqueeze() throws {
        let x = F.input("x", .float32, "N", 3, 4, 5)
        let infos = try F.infer(
            [F.node("Flatten", ["x"], ["f1"]), F.node("Flatten", ["x"], ["f2"], ["axis": .int(2)]),
             F.node("Flatten", ["x"], ["f0"], ["axis": .int(0)]),
             F.node("Transpose", ["x"], ["t"], ["perm": .ints([0, 2, 3, 1])]), F.node("Transpose", ["x"], ["r"]),
             F.node("Unsqueeze", ["x", "axes"], ["u"]), F.node("Squeeze", ["u", "axes"], ["s"])],
            inputs: [x], initializers: ["axes": F.int64s(1, -1)])
        #expect(infos["f1"]?.shape == F.dims("N", 60))
        #expect(infos["f2"]?.shape == F.dims("?", 20))
        #expect(infos["f0"]?.shape == F.dims(1, "?"))
        #expect(infos["t"]?.shape == F.dims("N", 4, 5, 3) && infos["r"]?.shape == F.dims(5, 4, 3, "N"))
        // Unsqueeze axes index the output of rank 6: 1 and 5
        #expect(infos["u"]?.shape == F.dims("N", 1, 3, 4, 5, 1))
        #expect(infos["s"]?.shape == F.dims("N", 3, 4, 5))
        #expect(F.failure { try F.infer([F.node("Transpose", ["x"], ["t"], ["perm": .ints([0, 0, 1, 2])])], inputs: [x]) } != nil)
    }

    @Test func squeezeAndUnsqueezeAxesFollowTheOpset() throws {
        let x = F.input("x", .float32, 1, "n", 1)
        let old = try F.infer([F.node("Squeeze", ["x"], ["s"], ["axes": .ints([0])]),
                               F.node("Unsqueeze", ["x"], ["u"], ["axes": .ints([0])]),
                               F.node("Squeeze", ["x"], ["all"])], inputs: [x], opset: 11)
        #expect(old["s"]?.shape == F.dims("n", 1) && old["u"]?.shape == F.dims(1, 1, "n", 1))
        // Without axes only known 1s could go, but "n" might be 1 too: the rank is unknown.
        #expect(old["all"]?.shape == nil)
        let new = try F.infer([F.node("Squeeze", ["x", "axes"], ["s"])], inputs: [x],
                              initializers: ["axes": F.int64s(2)], opset: 13)
        #expect(new["s"]?.shape == F.dims(1, "n"))
        #expect(F.failure { try F.infer([F.node("Squeeze", ["y"], ["s"], ["axes": .ints([0])])],
                                        inputs: [F.input("y", .float32, 3, 1)], opset: 11) } != nil)
    }

    @Test func concatWithSymbolicDims() throws {
        let infos = try F.infer(
            [F.node("Concat", ["a", "b"], ["c1"], ["axis": .int(1)]), F.node("Concat", ["a", "c"], ["c0"], ["axis": .int(0)]),
             F.node("Concat", ["a", "d"], ["cm"], ["axis": .int(-1)])],
            inputs: [F.input("a", .float32, "batch", 3), F.input("b", .float32, "batch", 5),
                     F.input("c", .float32, 2, 3), F.input("d", .float32, 4, 1)])
        #expect(infos["c1"]?.shape == F.dims("batch", 8))
        #expect(infos["c0"]?.shape == F.dims("?", 3))
        // "batch" must be 4 to match d; the known size wins.
        #expect(infos["cm"]?.shape == F.dims(4, 4))
        let rank = F.failure { try F.infer([F.node("Concat", ["a", "e"], ["y"], ["axis": .int(0)])],
                                           inputs: [F.input("a", .float32, 2, 3), F.input("e", .float32, 3)]) }
        #expect(rank?.message.contains("different ranks") == true)
        #expect(F.failure { try F.infer([F.node("Concat", ["a", "e"], ["y"], ["axis": .int(0)])],
                                        inputs: [F.input("a", .float32, 2, 3), F.input("e", .float32, 2, 4)]) } != nil)
    }

    @Test func splitForms() throws {
        let x = F.input("x", .float32, 6, 10)
        let sizes = try F.infer([F.node("Split", ["x", "sizes"], ["a", "b"], ["axis": .int(1)])], inputs: [x],
                                initializers: ["sizes": F.int64s(3, 7)], opset: 13)
        #expect(sizes["a"]?.shape == F.dims(6, 3) && sizes["b"]?.shape == F.dims(6, 7))
        let attribute = try F.infer([F.node("Split", ["x"], ["a", "b"], ["split": .ints([2, 4])])], inputs: [x], opset: 11)
        #expect(attribute["a"]?.shape == F.dims(2, 10) && attribute["b"]?.shape == F.dims(4, 10))
        // num_outputs 3 over 10: ⌈10 / 3⌉ = 4, 4, then the remaining 2
        let uneven = try F.infer([F.node("Split", ["x"], ["a", "b", "c"], ["axis": .int(-1), "num_outputs": .int(3)])],
                                 inputs: [x], opset: 18)
        #expect(uneven["a"]?.shape == F.dims(6, 4) && uneven["c"]?.shape == F.dims(6, 2))
        let equal = try F.infer([F.node("Split", ["x"], ["a", "b"])], inputs: [x], opset: 13)
        #expect(equal["b"]?.shape == F.dims(3, 10))
        #expect(F.failure { try F.infer([F.node("Split", ["x", "sizes"], ["a", "b"])], inputs: [x],
                                        initializers: ["sizes": F.int64s(3, 4)]) } != nil)
    }

    @Test func sliceWithNegativeSteps() throws {
        func slice(_ starts: [Int64], _ ends: [Int64], axes: [Int64], steps: [Int64]) throws -> [Dimension]? {
            try F.shape(of: "y", F.node("Slice", ["x", "s", "e", "a", "t"], ["y"]),
                        inputs: [F.input("x", .float32, 10, 20, "n")],
                        initializers: ["s": Tensor(shape: [starts.count], values: starts),
                                       "e": Tensor(shape: [ends.count], values: ends),
                                       "a": Tensor(shape: [axes.count], values: axes),
                                       "t": Tensor(shape: [steps.count], values: steps)])
        }
        // axis 0 from 9 down past 0 by −2: 9 7 5 3 1 → 5; axis 1 from 2 to 17 by 5: 2 7 12 → 3
        #expect(try slice([-1, 2], [Int64.min, 17], axes: [0, 1], steps: [-2, 5]) == F.dims(5, 3, "n"))
        // start 100 clamps to 9, end −100 + 10 clamps to −1: 9 … 0 → 10
        #expect(try slice([100], [-100], axes: [0], steps: [-1]) == F.dims(10, 20, "n"))
        // an empty slice, a whole symbolic axis, and a partial symbolic axis
        #expect(try slice([5], [2], axes: [1], steps: [1]) == F.dims(10, 0, "n"))
        #expect(try slice([0], [Int64.max], axes: [-1], steps: [1]) == F.dims(10, 20, "n"))
        #expect(try slice([1], [Int64.max], axes: [2], steps: [1]) == F.dims(10, 20, "?"))
        let old = try F.shape(of: "y", F.node("Slice", ["x"], ["y"], ["starts": .ints([1]), "ends": .ints([-1])]),
                              inputs: [F.input("x", .float32, 10, 4)], opset: 9)
        #expect(old == F.dims(8, 4))
    }

    @Test func gatherAxis() throws {
        let infos = try F.infer(
            [F.node("Gather", ["x", "i"], ["g1"], ["axis": .int(1)]), F.node("Gather", ["x", "k"], ["g0"]),
             F.node("Gather", ["x", "i"], ["gl"], ["axis": .int(-1)])],
            inputs: [F.input("x", .float32, 5, 6, 7), F.input("i", .int64, 2, 3), F.input("k", .int64)])
        #expect(infos["g1"]?.shape == F.dims(5, 2, 3, 7))
        #expect(infos["g0"]?.shape == F.dims(6, 7))
        #expect(infos["gl"]?.shape == F.dims(5, 6, 2, 3))
    }

    @Test func resizeWithScalesAndSizes() throws {
        let x = F.input("x", .float32, 1, 3, 5, 7)
        let scales = try F.infer([F.node("Resize", ["x", "", "scales"], ["y"])], inputs: [x],
                                 initializers: ["scales": Tensor(shape: [4], values: [Float](arrayLiteral: 1, 1, 2, 0.5))])
        // 5 · 2 = 10, ⌊7 · 0.5⌋ = 3
        #expect(scales["y"]?.shape == F.dims(1, 3, 10, 3))
        let sizes = try F.infer([F.node("Resize", ["x", "", "", "sizes"], ["y"])], inputs: [x],
                                initializers: ["sizes": F.int64s(2, 3, 4, 4)])
        #expect(sizes["y"]?.shape == F.dims(2, 3, 4, 4))
        // not_larger over axes 2, 3 of [4, 8] to [6, 6]: scale min(1.5, 0.75) = 0.75 → 3, 6
        let kept = try F.infer([F.node("Resize", ["x", "", "", "sizes"], ["y"],
                                       ["axes": .ints([2, 3]), "keep_aspect_ratio_policy": .string("not_larger")])],
                               inputs: [F.input("x", .float32, 1, 3, 4, 8)], initializers: ["sizes": F.int64s(6, 6)])
        #expect(kept["y"]?.shape == F.dims(1, 3, 3, 6))
        let old = try F.infer([F.node("Resize", ["x", "scales"], ["y"])], inputs: [x],
                              initializers: ["scales": Tensor(shape: [4], values: [Float](arrayLiteral: 1, 1, 3, 3))],
                              opset: 10)
        #expect(old["y"]?.shape == F.dims(1, 3, 15, 21))
    }

    @Test func padExpandTile() throws {
        let x = F.input("x", .float32, 1, 3, "h", 5)
        let infos = try F.infer(
            [F.node("Pad", ["x", "pads"], ["p"]), F.node("Expand", ["c", "shape"], ["e"]),
             F.node("Tile", ["x", "reps"], ["t"])],
            inputs: [x, F.input("c", .float32, 3, 1)],
            initializers: ["pads": F.int64s(0, 0, 0, 1, 0, 0, 0, 2), "shape": F.int64s(2, 1, 6),
                           "reps": F.int64s(2, 1, 1, 3)], opset: 13)
        #expect(infos["p"]?.shape == F.dims(1, 3, "h", 8))
        #expect(infos["e"]?.shape == F.dims(2, 3, 6))
        #expect(infos["t"]?.shape == F.dims(2, 3, "h", 15))
        let old = try F.shape(of: "p", F.node("Pad", ["x"], ["p"], ["pads": .ints([0, 0, 1, 1, 0, 0, 1, 1])]),
                              inputs: [F.input("x", .float32, 1, 3, 4, 5)], opset: 2)
        #expect(old == F.dims(1, 3, 6, 7))
    }

    @Test func reductionsAcrossOpsets() throws {
        let x = F.input("x", .float32, 2, "n", 4)
        let attribute = try F.infer([F.node("ReduceMean", ["x"], ["m"], ["axes": .ints([1]), "keepdims": .int(0)]),
                                     F.node("ReduceMax", ["x"], ["all"]),
                                     F.node("ArgMax", ["x"], ["arg"], ["axis": .int(-1)])], inputs: [x], opset: 13)
        #expect(attribute["m"]?.shape == F.dims(2, 4))
        #expect(attribute["all"]?.shape == F.dims(1, 1, 1))
        #expect(attribute["arg"]?.shape == F.dims(2, "n", 1) && attribute["arg"]?.dtype == .int64)
        let input = try F.infer([F.node("ReduceMean", ["x", "axes"], ["m"]),
                                 F.node("ReduceSum", ["x", "axes"], ["s"], ["keepdims": .int(0)]),
                                 F.node("ReduceMin", ["x"], ["same"], ["noop_with_empty_axes": .int(1)])],
                                inputs: [x], initializers: ["axes": F.int64s(-1)], opset: 18)
        #expect(input["m"]?.shape == F.dims(2, "n", 1))
        #expect(input["s"]?.shape == F.dims(2, "n"))
        #expect(input["same"]?.shape == F.dims(2, "n", 4))
    }
}
