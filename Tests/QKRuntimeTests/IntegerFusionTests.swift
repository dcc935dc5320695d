import QKGraph
import QKTensor
import Testing
@testable import QKRuntime

/// Integer execution (``IntegerFusion`` + integer kernels) against the unfused QDQ graph run node by node
/// (dequantize → fp32 op → quantize): outputs within one quantization step, nearly all equal.
@Suite struct IntegerFusionTests {
    /// Q(x) → DQ → Conv(DQ(w), DQ(bias)) → activation → Q → DQ, with groups, stride, padding and per-channel w.
    func convModel(activation: String?, signed: Bool, perChannel: Bool) -> (Model, Tensor, Float) {
        var b = QDQModelBuilder()
        let sx: Float = 2 / 255, sy: Float = 0.05
        let x = signed ? b.quantizeDequantize("x", scale: sx, zero: Int8(3)) : b.quantizeDequantize("x", scale: sx, zero: UInt8(128))
        let w = b.weights([6, 2, 3, 3], channels: perChannel ? 6 : 1, axis: 0)
        let bias = b.bias(6, xScale: sx, wScales: w.scales)
        var y = b.add("Conv", [x.dq, w.dq, bias], attributes: ["group": .int(2), "pads": .ints([1, 1, 1, 1]),
                                                                "strides": .ints([2, 1])], name: "conv")
        if activation == "Relu" { y = b.add("Relu", [y], name: "relu") }
        if activation == "Clip" {
            let low = b.constant(Tensor(scalar: Float(-0.3))), high = b.constant(Tensor(scalar: Float(0.4)))
            y = b.add("Clip", [y, low, high], name: "clip")
        }
        let out = signed ? b.quantizeDequantize(y, scale: sy, zero: Int8(-5)) : b.quantizeDequantize(y, scale: sy, zero: UInt8(100))
        let input = b.input([2, 4, 7, 6])
        return (b.model(input: [2, 4, 7, 6], outputs: [out.dq]), input, sy)
    }

    @Test(arguments: [(nil, false, true), ("Relu", false, true), ("Clip", true, true), ("Relu", true, false)] as [(String?, Bool, Bool)])
    func convMatchesQDQWithinOneStep(activation: String?, signed: Bool, perChannel: Bool) throws {
        let (model, x, step) = convModel(activation: activation, signed: signed, perChannel: perChannel)
        let (fused, reference, report) = try runBothWays(model, ["x": x])
        #expect(report?.fused.map(\.detail) == ["IntegerConv"])
        let name = model.graph.outputs[0].name
        let diff = stepDifference(fused[name]!, reference[name]!, step: step)
        #expect(diff.maxSteps <= 1.001)
        #expect(diff.equalShare >= 0.97)
    }

    @Test func gemmAndMatMulMatchQDQ() throws {
        var b = QDQModelBuilder()
        let sx: Float = 0.01, sy: Float = 0.04
        let x = b.quantizeDequantize("x", scale: sx, zero: UInt8(120))
        let w1 = b.weights([7, 9], channels: 7, axis: 0)             // Gemm transB: B is N×K
        let bias = b.bias(7, xScale: sx, wScales: w1.scales)
        let g = b.add("Gemm", [x.dq, w1.dq, bias], attributes: ["transB": .int(1)], name: "gemm")
        let h = b.quantizeDequantize(b.add("Relu", [g], name: "relu"), scale: sy, zero: UInt8(0))
        let w2 = b.weights([7, 5], channels: 5, axis: 1)             // MatMul: B is K×N, per column
        let m = b.add("MatMul", [h.dq, w2.dq], name: "matmul")
        let out = b.quantizeDequantize(m, scale: 0.03, zero: UInt8(128))
        let w3 = b.weights([7, 3], channels: 1, axis: 1)             // float output, no Q
        let logits = b.add("Gemm", [h.dq, w3.dq], name: "head")
        let model = b.model(input: [5, 9], outputs: [out.dq, logits])
        let (fused, reference, report) = try runBothWays(model, ["x": b.input([5, 9])])
        #expect(report?.fused.map(\.detail).sorted() == ["IntegerGemm", "IntegerGemm", "IntegerGemm"])
        let diff = stepDifference(fused[out.dq]!, reference[out.dq]!, step: 0.03)
        #expect(diff.maxSteps <= 1.001)
        // Float head: same int8 input h in both, so only fp32 rounding differs.
        let a = fused[logits]!.floatValues, r = reference[logits]!.floatValues
        #expect(zip(a, r).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($1)) })
    }

    @Test func activationMatMulAddPoolAndReshapeStayInteger() throws {
        var b = QDQModelBuilder()
        let a = b.quantizeDequantize("x", scale: 0.01, zero: UInt8(128))
        let t = b.quantizeDequantize(b.add("Transpose", [a.dq], attributes: ["perm": .ints([0, 1, 3, 2])], name: "transpose"),
                                     scale: 0.01, zero: UInt8(128))
        let mm = b.quantizeDequantize(b.add("MatMul", [a.dq, t.dq], name: "scores"), scale: 0.02, zero: UInt8(128))
        let sum = b.quantizeDequantize(b.add("Add", [mm.dq, a.dq], name: "add"), scale: 0.025, zero: UInt8(128))
        let pooled = b.quantizeDequantize(b.add("MaxPool", [sum.dq], attributes: ["kernel_shape": .ints([2, 2])], name: "pool"),
                                          scale: 0.025, zero: UInt8(128))
        let shape = b.constant(Tensor(shape: [2], values: [Int64(2), -1]))
        let flat = b.quantizeDequantize(b.add("Reshape", [pooled.dq, shape], name: "reshape"), scale: 0.025, zero: UInt8(128))
        let model = b.model(input: [2, 3, 5, 5], outputs: [flat.dq])
        let (fused, reference, report) = try runBothWays(model, ["x": b.input([2, 3, 5, 5])])
        #expect(report?.fused.map(\.detail).sorted() == ["IntegerMatMul", "MaxPool", "QLinearAdd", "Reshape", "Transpose"])
        #expect(report?.floatIslands.isEmpty == true)
        let diff = stepDifference(fused[flat.dq]!, reference[flat.dq]!, step: 0.025)
        #expect(diff.maxSteps <= 1.001)
        #expect(diff.equalShare >= 0.95)
    }

    /// A Softmax between DQ and Q has no integer kernel: it is reported as a float island with the reason.
    @Test func reportsFloatIslands() throws {
        var b = QDQModelBuilder()
        let a = b.quantizeDequantize("x", scale: 0.01, zero: UInt8(128))
        let out = b.quantizeDequantize(b.add("Softmax", [a.dq], name: "softmax"), scale: 1 / 255, zero: UInt8(0))
        let model = b.model(input: [2, 4], outputs: [out.dq])
        let interpreter = try Interpreter(model: model, threads: 1)
        #expect(interpreter.integerFusion?.floatIslands.map(\.node) == ["softmax"])
        #expect(interpreter.integerFusion?.floatIslands.first?.detail.contains("no integer kernel") == true)
    }

    /// QLinearConv with constant weights becomes IntegerConv (fixed-point requantization) and stays within one
    /// step of the reference QLinearConv (float requantization, as ONNX's reference).
    @Test func qOperatorConvIsPackedAndAgrees() throws {
        var rng = SplitMix64(seed: 11)
        let w = Tensor(shape: [4, 3, 3, 3], values: (0..<108).map { _ in Int8.random(in: -127...127, using: &rng) })
        let x = Tensor(shape: [1, 3, 6, 6], values: (0..<108).map { _ in UInt8.random(in: 0...255, using: &rng) })
        let initializers: [String: Tensor] = [
            "xs": Tensor(scalar: Float(0.02)), "xz": Tensor(scalar: UInt8(130)), "w": w,
            "ws": Tensor(shape: [4], values: [Float(0.01), 0.02, 0.005, 0.03]), "wz": Tensor(shape: [4], values: [Int8](repeating: 0, count: 4)),
            "ys": Tensor(scalar: Float(0.3)), "yz": Tensor(scalar: UInt8(90)), "b": Tensor(shape: [4], values: [Int32(100), -50, 7, 0]),
        ]
        let node = Node(name: "qconv", opType: "QLinearConv", inputs: ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"],
                        outputs: ["y"], attributes: ["pads": .ints([1, 1, 1, 1])])
        let model = Model(graph: Graph(nodes: [node], inputs: [ValueInfo(name: "x", dtype: .uint8, shape: nil)],
                                       outputs: [ValueInfo(name: "y", dtype: .uint8, shape: nil)], initializers: initializers),
                          opsetImports: [OpsetImport(domain: "", version: 19)])
        let (fused, reference, report) = try runBothWays(model, ["x": x])
        #expect(report?.fused.map(\.detail) == ["IntegerConv"])
        let a = fused["y"]!.values(as: UInt8.self)!, r = reference["y"]!.values(as: UInt8.self)!
        #expect(zip(a, r).allSatisfy { abs(Int($0) - Int($1)) <= 1 })
        #expect(zip(a, r).filter { $0 == $1 }.count * 100 >= a.count * 97)
    }
}

/// Inconsistent quantization parameters and wrongly typed data: a RuntimeError naming the node, no crash.
@Suite struct IntegerExecutionBadInputTests {
    /// A QLinearConv model with constant weights, `change` applied to its initializers; x is declared without
    /// a dtype so that wrongly typed data reaches the kernel.
    func model(_ change: (inout [String: Tensor]) -> Void) -> Model {
        var initializers: [String: Tensor] = [
            "xs": Tensor(scalar: Float(0.02)), "xz": Tensor(scalar: UInt8(128)),
            "w": Tensor(shape: [2, 1, 1, 1], values: [Int8(3), -4]),
            "ws": Tensor(shape: [2], values: [Float(0.1), 0.2]), "wz": Tensor(shape: [2], values: [Int8(0), 0]),
            "ys": Tensor(scalar: Float(0.05)), "yz": Tensor(scalar: UInt8(128)),
        ]
        change(&initializers)
        let node = Node(name: "qconv", opType: "QLinearConv", inputs: ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz"], outputs: ["y"])
        return Model(graph: Graph(nodes: [node], inputs: [ValueInfo(name: "x", dtype: nil, shape: nil)],
                                  outputs: [ValueInfo(name: "y", dtype: nil, shape: nil)], initializers: initializers),
                     opsetImports: [OpsetImport(domain: "", version: 19)])
    }

    /// The error of loading and running `model` on `x`, which must be a RuntimeError naming node qconv.
    func failure(_ model: Model, _ x: Tensor = Tensor(shape: [1, 1, 2, 2], values: [UInt8](repeating: 130, count: 4))) -> String? {
        do {
            _ = try Interpreter(model: model, threads: 1).run(["x": x])
            return nil
        } catch let error as RuntimeError {
            return error.description
        } catch {
            return "not a RuntimeError: \(error)"
        }
    }

    @Test func validModelRuns() {
        #expect(failure(model { _ in }) == nil)
    }

    @Test(arguments: [
        ("ws", Tensor(shape: [3], values: [Float(0.1), 0.2, 0.3]), "w_scale"),
        ("ws", Tensor(shape: [2], values: [Float(0.1), 0]), "w_scale must be positive"),
        ("xs", Tensor(scalar: Float(-1)), "x_scale must be positive"),
        ("ys", Tensor(scalar: Float.nan), "y_scale must be positive"),
        ("xz", Tensor(scalar: Int32(128)), "x_zero_point"),
        ("wz", Tensor(shape: [2], values: [UInt8(0), 0]), "w_zero_point must be int8"),
        ("yz", Tensor(scalar: UInt16(300)), "y_zero_point"),
    ])
    func inconsistentParametersNameTheNode(name: String, value: Tensor, message: String) {
        let description = failure(model { $0[name] = value })
        #expect(description?.contains("'qconv'") == true)
        #expect(description?.contains(message) == true, "\(description ?? "no error")")
    }

    @Test func int8DataWhereUInt8IsExpected() {
        let description = failure(model { _ in }, Tensor(shape: [1, 1, 2, 2], values: [Int8](repeating: 1, count: 4)))
        #expect(description?.contains("'qconv'") == true)
        #expect(description?.contains("x is int8") == true, "\(description ?? "no error")")
    }

    /// The same per-channel mismatch in QDQ form (DQ of w with 5 scales for 6 output channels).
    @Test func qdqPerChannelMismatchNamesANode() throws {
        var b = QDQModelBuilder()
        let x = b.quantizeDequantize("x", scale: 0.01, zero: UInt8(128))
        let w = b.weights([6, 2, 1, 1], channels: 5, axis: 0)
        let y = b.quantizeDequantize(b.add("Conv", [x.dq, w.dq], name: "conv"), scale: 0.1, zero: UInt8(128))
        let model = b.model(input: [1, 2, 2, 2], outputs: [y.dq])
        let input = b.input([1, 2, 2, 2])
        for integer in [true, false] {
            #expect {
                _ = try Interpreter(model: model, threads: 1, integerExecution: integer).run(["x": input])
            } throws: { error in
                guard let error = error as? RuntimeError else { return false }
                return error.description.contains("'conv'") || error.description.contains("'DQw")
            }
        }
    }
}

/// QLinearAdd/QLinearMul's direct 8-bit loop (operand repeating over trailing axes) equals the general
/// broadcasting path bit for bit.
@Test(arguments: ["QLinearAdd", "QLinearMul"])
func quantizedBinaryTrailingBroadcastMatchesGeneralPath(op: String) throws {
    var rng = SplitMix64(seed: 5)
    let a = Tensor(shape: [2, 3, 4], values: (0..<24).map { _ in UInt8.random(in: 0...255, using: &rng) })
    let row = (0..<4).map { _ in UInt8.random(in: 0...255, using: &rng) }
    func run(_ b: Tensor) throws -> [UInt8] {
        let inputs: [Tensor?] = [a, Tensor(scalar: Float(0.03)), Tensor(scalar: UInt8(120)), b, Tensor(scalar: Float(0.05)),
                                 Tensor(scalar: UInt8(130)), Tensor(scalar: Float(0.07)), Tensor(scalar: UInt8(128))]
        return try runNode(op, domain: "com.microsoft", inputs: inputs, opset: 1)[0].values(as: UInt8.self)!
    }
    let suffix = try run(Tensor(shape: [4], values: row))                               // direct loop
    let general = try run(Tensor(shape: [2, 1, 4], values: row + row))                 // broadcastMap
    let swapped = try runNode(op, domain: "com.microsoft", inputs: [Tensor(shape: [4], values: row), Tensor(scalar: Float(0.05)),
                              Tensor(scalar: UInt8(130)), a, Tensor(scalar: Float(0.03)), Tensor(scalar: UInt8(120)),
                              Tensor(scalar: Float(0.07)), Tensor(scalar: UInt8(128))], opset: 1)[0].values(as: UInt8.self)!
    #expect(suffix == general)
    #expect(swapped == general)
    #expect(Set(general).count > 5)
}
