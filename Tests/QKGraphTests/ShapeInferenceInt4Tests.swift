import Testing
import QKTensor
@testable import QKGraph

/// int4/uint4 element types through shape inference. Expected: what onnx 1.23.2's shape_inference.infer_shapes
/// (strict) gives for the same graph: c 22 [2, 3], q 22 [2, 3], q_attr 21 [2, 3], t 22 [3, 2] (INT4 = 22, UINT4 = 21).
@Suite struct ShapeInferenceInt4Tests {
    typealias F = ShapeFixture

    @Test func fourBitTypesPropagate() throws {
        let zero = try Tensor(shape: [], storage: .int4([1]))
        let values = try F.infer(
            [F.node("Cast", ["x"], ["c"], ["to": .int(22)]),
             F.node("QuantizeLinear", ["x", "s", "zp"], ["q"]),
             F.node("QuantizeLinear", ["x", "s"], ["q_attr"], ["output_dtype": .int(21)]),
             F.node("Transpose", ["q"], ["t"], ["perm": .ints([1, 0])]),
             F.node("DequantizeLinear", ["t", "s", "zp"], ["d"])],
            inputs: [F.input("x", .float32, 2, 3)],
            initializers: ["s": Tensor(scalar: Float(0.5)), "zp": zero])
        #expect(values["c"]?.dtype == .int4 && values["c"]?.shape == F.dims(2, 3))
        #expect(values["q"]?.dtype == .int4)
        #expect(values["q_attr"]?.dtype == .uint4)
        #expect(values["t"]?.dtype == .int4 && values["t"]?.shape == F.dims(3, 2))
        #expect(values["d"]?.dtype == .float32 && values["d"]?.shape == F.dims(3, 2))
    }
}
