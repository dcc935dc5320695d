import Testing
import QKTensor
@testable import QKGraph

/// Propagation of small integer tensors ("partial data") through shape-building subgraphs.
@Suite struct ShapeInferenceShapeDataTests {
    typealias F = ShapeFixture

    static let x = F.input("x", .float32, "batch", 16, 64)

    @Test func shapeGatherUnsqueezeConcatReshapeWithSymbolicBatch() throws {
        let infos = try F.infer(
            [F.node("Shape", ["x"], ["s"]), F.node("Gather", ["s", "zero"], ["b"]),
             F.node("Unsqueeze", ["b", "axes"], ["b1"]), F.node("Concat", ["b1", "tail"], ["target"], ["axis": .int(0)]),
             F.node("Reshape", ["x", "target"], ["y"])],
            inputs: [Self.x],
            initializers: ["zero": Tensor(scalar: Int64(0)), "axes": F.int64s(0), "tail": F.int64s(16, 4, 16)])
        #expect(infos["s"]?.shape == F.dims(3) && infos["s"]?.dtype == .int64)
        #expect(infos["b"]?.shape == [] && infos["b1"]?.shape == F.dims(1))
        #expect(infos["target"]?.shape == F.dims(4))
        #expect(infos["y"]?.shape == F.dims("batch", 16, 4, 16))
    }

    @Test func shapeArithmeticAndMinusOneCancelSymbols() throws {
        // [batch, 16·64] from Mul of two gathered dims, and [batch, −1] where −1 = batch·16·64 / batch = 1024
        let infos = try F.infer(
            [F.node("Shape", ["x"], ["s"]), F.node("Gather", ["s", "zero"], ["b"]),
             F.node("Gather", ["s", "one"], ["d1"]), F.node("Gather", ["s", "two"], ["d2"]),
             F.node("Mul", ["d1", "d2"], ["flat"]), F.node("Unsqueeze", ["b", "axes"], ["b1"]),
             F.node("Unsqueeze", ["flat", "axes"], ["flat1"]),
             F.node("Concat", ["b1", "flat1"], ["target"], ["axis": .int(0)]), F.node("Reshape", ["x", "target"], ["y"]),
             F.node("Concat", ["b1", "minus"], ["target2"], ["axis": .int(0)]), F.node("Reshape", ["x", "target2"], ["z"])],
            inputs: [Self.x],
            initializers: ["zero": Tensor(scalar: Int64(0)), "one": Tensor(scalar: Int64(1)),
                           "two": Tensor(scalar: Int64(2)), "axes": F.int64s(0), "minus": F.int64s(-1)])
        #expect(infos["y"]?.shape == F.dims("batch", 1024))
        #expect(infos["z"]?.shape == F.dims("batch", 1024))
        let data = try ShapeInference.inferValues(F.model(
            [F.node("Shape", ["x"], ["s"]), F.node("Gather", ["s", "one"], ["d1"]), F.node("Gather", ["s", "two"], ["d2"]),
             F.node("Gather", ["s", "zero"], ["b"]), F.node("Sub", ["d2", "d1"], ["diff"]),
             F.node("Div", ["d2", "d1"], ["ratio"]), F.node("Add", ["b", "zero"], ["same_batch"])],
            inputs: [Self.x],
            initializers: ["zero": Tensor(scalar: Int64(0)), "one": Tensor(scalar: Int64(1)), "two": Tensor(scalar: Int64(2))]))
        #expect(data["diff"]?.data == F.dims(48) && data["ratio"]?.data == F.dims(4))
        #expect(data["same_batch"]?.data == F.dims("batch"))
    }

    @Test func sliceOfShapeCastSqueezeAndConstantOfShape() throws {
        let values = try ShapeInference.inferValues(F.model(
            [F.node("Shape", ["x"], ["s"]), F.node("Slice", ["s", "start", "end"], ["tail"]),
             F.node("Slice", ["s", "back", "front", "zero1", "neg"], ["reversed"]),
             F.node("Cast", ["tail"], ["tail32"], ["to": .int(6)]), F.node("Squeeze", ["head"], ["b"]),
             F.node("Slice", ["s", "zero1", "start"], ["head"]),
             F.node("ConstantOfShape", ["s"], ["zeros"], ["value": .tensor(Tensor(shape: [1], values: [Int32(7)]))]),
             F.node("Shape", ["x"], ["s13"], ["start": .int(-2)])],
            inputs: [Self.x],
            initializers: ["start": F.int64s(1), "end": F.int64s(Int64.max), "back": F.int64s(-1),
                           "front": F.int64s(Int64.min), "zero1": F.int64s(0), "neg": F.int64s(-1)]))
        #expect(values["tail"]?.data == F.dims(16, 64))
        #expect(values["reversed"]?.data == F.dims(64, 16, "batch"))
        #expect(values["tail32"]?.dtype == .int32 && values["tail32"]?.data == F.dims(16, 64))
        #expect(values["b"]?.shape == [] && values["b"]?.data == F.dims("batch"))
        #expect(values["zeros"]?.dtype == .int32 && values["zeros"]?.shape == F.dims("batch", 16, 64))
        #expect(values["s13"]?.data == F.dims(16, 64))
    }

    @Test func constantAndRangeAreSourcesOfData() throws {
        let values = try ShapeInference.inferValues(F.model(
            [F.node("Constant", [], ["c"], ["value": .tensor(F.int64s(2, -1))]),
             F.node("Constant", [], ["ci"], ["value_ints": .ints([3, 4])]),
             F.node("Constant", [], ["cf"], ["value_float": .float(0.5)]),
             F.node("Range", ["start", "limit", "delta"], ["r"]),
             F.node("Range", ["limit", "start", "delta_neg"], ["down"]),
             F.node("Range", ["fstart", "flimit", "fdelta"], ["rf"]),
             F.node("Reshape", ["x", "c"], ["y"])],
            inputs: [F.input("x", .float32, 4, 6), F.input("fstart", .float32)],
            initializers: ["start": Tensor(scalar: Int64(1)), "limit": Tensor(scalar: Int64(10)),
                           "delta": Tensor(scalar: Int64(3)), "delta_neg": Tensor(scalar: Int64(-4)),
                           "flimit": Tensor(scalar: Float(2)), "fdelta": Tensor(scalar: Float(0.5))]))
        #expect(values["c"]?.data == F.dims(2, -1) && values["ci"]?.data == F.dims(3, 4))
        #expect(values["cf"]?.dtype == .float32 && values["cf"]?.shape == [])
        // 1, 4, 7 and 10, 6, 2
        #expect(values["r"]?.data == F.dims(1, 4, 7) && values["r"]?.shape == F.dims(3))
        #expect(values["down"]?.data == F.dims(10, 6, 2))
        // a non-constant start: length unknown
        #expect(values["rf"]?.shape == F.dims("?"))
        let positions = try F.infer(
            [F.node("Shape", ["x"], ["s"]), F.node("Gather", ["s", "one"], ["n"]), F.node("Range", ["zero", "n", "one"], ["p"]),
             F.node("Range", ["one", "n", "one"], ["q"])],
            inputs: [Self.x], initializers: ["zero": Tensor(scalar: Int64(0)), "one": Tensor(scalar: Int64(1))])
        #expect(positions["p"]?.shape == F.dims(16) && positions["q"]?.shape == F.dims(15))
        let symbolic = try F.infer(
            [F.node("Shape", ["x"], ["s"]), F.node("Gather", ["s", "zero"], ["n"]), F.node("Range", ["zero", "n", "one"], ["p"]),
             F.node("Range", ["one", "n", "one"], ["q"])],
            inputs: [Self.x], initializers: ["zero": Tensor(scalar: Int64(0)), "one": Tensor(scalar: Int64(1))])
        #expect(symbolic["p"]?.shape == F.dims("batch") && symbolic["q"]?.shape == F.dims("?"))
        #expect(values["y"]?.shape == F.dims(2, 12))
    }

    @Test func sizeMaxAndMinCarryData() throws {
        let values = try ShapeInference.inferValues(F.model(
            [F.node("Size", ["x"], ["n"]), F.node("Size", ["y"], ["m"]), F.node("Shape", ["y"], ["s"]),
             F.node("Max", ["s", "floor"], ["atLeast"]), F.node("Min", ["s", "floor"], ["atMost"])],
            inputs: [F.input("x", .float32, 2, 3, 4), F.input("y", .float32, "batch", 5)],
            initializers: ["floor": F.int64s(3)]))
        #expect(values["n"]?.data == F.dims(24) && values["n"]?.shape == [] && values["n"]?.dtype == .int64)
        #expect(values["m"]?.data == F.dims("?"))
        #expect(values["atLeast"]?.data == F.dims("?", 5) && values["atMost"]?.data == F.dims("?", 3))
    }

    @Test func nonConstantShapeInputGivesRankOnly() throws {
        let infos = try F.infer([F.node("Reshape", ["x", "shape"], ["y"]), F.node("Expand", ["x", "shape"], ["e"])],
                                inputs: [F.input("x", .float32, 4, 6), F.input("shape", .int64, 3)])
        #expect(infos["y"]?.shape == F.dims("?", "?", "?"))
        #expect(infos["e"]?.shape == F.dims("?", "?", "?"))
    }
}
