import QKGraph
import QKTensor
import Testing
@testable import QKRuntime

@Suite struct ActivationTests {
    let x = Tensor(shape: [5], values: [Float(-2), -0.5, 0, 0.5, 3])

    private func apply(_ op: String, _ attributes: [String: Attribute] = [:]) throws -> [Float]? {
        try KernelHarness.one(op, [x], attributes: attributes).values(as: Float.self)
    }

    @Test func reluFamily() throws {
        #expect(try apply("Relu") == [0, 0, 0, 0.5, 3])
        // np.maximum(np.nan, 0) is nan
        #expect(try KernelHarness.one("Relu", [Tensor(shape: [1], values: [Float.nan])]).values(as: Float.self)?[0].isNaN == true)
        #expect(try KernelHarness.one("Relu", [Tensor(shape: [2], values: [Int32(-4), 4])]).values(as: Int32.self) == [0, 4])
        // np.where(x < 0, 0.1 * x, x)
        #expect(KernelHarness.close(try apply("LeakyRelu", ["alpha": .float(0.1)]), [-0.2, -0.05, 0, 0.5, 3]))
        #expect(KernelHarness.close(try apply("LeakyRelu"), [-0.02, -0.005, 0, 0.5, 3]))
        #expect(try apply("ThresholdedRelu", ["alpha": .float(0.4)]) == [0, 0, 0, 0.5, 3])
        // PRelu with a per-channel slope of shape (2, 1) over (2, 2): [[-1, 2], [-3, 4]] * slopes [0.5, 2]
        let p = try KernelHarness.one("PRelu", [Tensor(shape: [2, 2], values: [Float(-1), 2, -3, 4]),
                                               Tensor(shape: [2, 1], values: [Float(0.5), 2])])
        #expect(p.values(as: Float.self) == [-0.5, 2, -6, 4])
        #expect(throws: RuntimeError.self) {
            try KernelHarness.one("PRelu", [Tensor(shape: [2], values: [Float(-1), 2]), Tensor(shape: [2, 2], values: [Float](repeating: 1, count: 4))])
        }
    }

    @Test func smoothActivations() throws {
        // 1 / (1 + np.exp(-x))
        #expect(KernelHarness.close(try apply("Sigmoid"), [0.11920293420553207, 0.3775406777858734, 0.5, 0.622459352016449, 0.9525741338729858]))
        #expect(KernelHarness.close(try apply("Tanh"), [-0.9640275835990906, -0.46211719512939453, 0, 0.46211719512939453, 0.9950547814369202]))
        // 0.5 * x * (1 + erf(x / sqrt(2)))
        #expect(KernelHarness.close(try apply("Gelu"), [-0.0455002635717392, -0.1542687714099884, 0, 0.3457312285900116, 2.995950222015381]))
        // 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x**3)))
        #expect(KernelHarness.close(try apply("Gelu", ["approximate": .string("tanh")]),
                                    [-0.04540231451392174, -0.1542859971523285, 0, 0.3457140028476715, 2.9963626861572266]))
        #expect(throws: RuntimeError.self) { try apply("Gelu", ["approximate": .string("erf")]) }
        // np.where(x > 0, x, np.exp(x) - 1)
        #expect(KernelHarness.close(try apply("Elu"), [-0.8646647334098816, -0.39346933364868164, 0, 0.5, 3]))
        // np.where(x > 0, 3 * x, 3 * 2 * (np.exp(x) - 1))
        #expect(KernelHarness.close(try apply("Selu", ["alpha": .float(2), "gamma": .float(3)]),
                                    [-5.18798830, -2.36081601, 0, 1.5, 9]))
        // np.log1p(np.exp(x)); x / (1 + |x|)
        #expect(KernelHarness.close(try apply("Softplus"), [0.12692800164222717, 0.4740769863128662, 0.6931471824645996, 0.9740769863128662, 3.0485873222351074]))
        #expect(KernelHarness.close(try apply("Softsign"), [-2.0 / 3, -1.0 / 3, 0, 1.0 / 3, 0.75]))
        // np.maximum(0, x) + np.minimum(0, 2 * (np.exp(x / 2) - 1))
        #expect(KernelHarness.close(try apply("Celu", ["alpha": .float(2)]), [-1.2642412185668945, -0.4423985481262207, 0, 0.5, 3]))
        // x * np.tanh(np.log1p(np.exp(x)))
        #expect(KernelHarness.close(try apply("Mish"), [-0.2525014579296112, -0.22074377536773682, 0, 0.37524518370628357, 2.98653507232666]))
    }

    @Test func extremeInputsDoNotOverflow() throws {
        let big = Tensor(shape: [2], values: [Float(-1000), 1000])
        #expect(try KernelHarness.one("Sigmoid", [big]).values(as: Float.self) == [0, 1])
        #expect(try KernelHarness.one("Softplus", [big]).values(as: Float.self) == [0, 1000])
    }

    @Test func hardActivations() throws {
        // np.maximum(0, np.minimum(1, 0.2 * x + 0.5)); x * that with alpha = 1/6
        #expect(KernelHarness.close(try apply("HardSigmoid"), [0.1, 0.4, 0.5, 0.6, 1]))
        #expect(KernelHarness.close(try apply("HardSigmoid", ["alpha": .float(0.5), "beta": .float(0.6)]), [0, 0.35, 0.6, 0.85, 1]))
        #expect(KernelHarness.close(try apply("HardSwish"), [-1.0 / 3, -0.2083333283662796, 0, 0.2916666567325592, 3]))
    }

    @Test func clipBoundsByOpset() throws {
        // opset 6: attributes; np.clip(x, -1, 1)
        #expect(try KernelHarness.one("Clip", [x], attributes: ["min": .float(-1), "max": .float(1)], opset: 6)
                    .values(as: Float.self) == [-1, -0.5, 0, 0.5, 1])
        // opset 13: optional inputs; only max given
        #expect(try KernelHarness.one("Clip", [x, nil, Tensor(scalar: Float(0.25))], opset: 13).values(as: Float.self)
                == [-2, -0.5, 0, 0.25, 0.25])
        // min > max: np.clip gives max everywhere
        #expect(try KernelHarness.one("Clip", [x, Tensor(scalar: Float(2)), Tensor(scalar: Float(1))], opset: 13)
                    .values(as: Float.self) == [1, 1, 1, 1, 1])
        let i = Tensor(shape: [4], values: [Int8(-128), -5, 5, 127])
        #expect(try KernelHarness.one("Clip", [i, Tensor(scalar: Int8(-10))], opset: 13).values(as: Int8.self) == [-10, -5, 5, 127])
        #expect(try KernelHarness.one("Clip", [i], opset: 13) == i)
        #expect(throws: RuntimeError.self) { try KernelHarness.one("Clip", [x, Tensor(scalar: Double(0))], opset: 13) }
    }

    @Test func softmaxAlongAxisFromOpset13() throws {
        let s = Tensor(shape: [2, 3], values: [Float(1), 2, 3, -1, 0, 1])
        // e = np.exp(s - s.max(-1, keepdims=True)); e / e.sum(-1, keepdims=True)
        let row: [Float] = [0.09003057330846786, 0.2447284609079361, 0.6652409434318542]
        #expect(KernelHarness.close(try KernelHarness.one("Softmax", [s]).values(as: Float.self), row + row))
        // axis 0: both columns differ by 2 → [0.8808, 0.1192] per column
        #expect(KernelHarness.close(try KernelHarness.one("Softmax", [s], attributes: ["axis": .int(0)]).values(as: Float.self),
                                    [0.8807970285415649, 0.8807970285415649, 0.8807970285415649,
                                     0.11920291930437088, 0.11920291930437088, 0.11920291930437088]))
        // s - max - log(sum(exp(s - max)))
        let log: [Float] = [-2.4076061248779297, -1.4076060056686401, -0.40760600566864014]
        #expect(KernelHarness.close(try KernelHarness.one("LogSoftmax", [s]).values(as: Float.self), log + log))
        // t = np.arange(12).reshape(2, 2, 3) / 4, softmax along axis 1
        let t = Tensor(shape: [2, 2, 3], values: (0..<12).map { Float($0) / 4 })
        let lo: Float = 0.32082128524780273, hi: Float = 0.6791787147521973
        #expect(KernelHarness.close(try KernelHarness.one("Softmax", [t], attributes: ["axis": .int(1)]).values(as: Float.self),
                                    [lo, lo, lo, hi, hi, hi, lo, lo, lo, hi, hi, hi]))
        #expect(throws: RuntimeError.self) { try KernelHarness.one("Softmax", [s], attributes: ["axis": .int(2)]) }
        // large inputs keep ln Σ's digits: s = x - x.max(); s - np.log(np.exp(s).sum())
        let big = Tensor(shape: [4], values: [Float(10000), 10001, 10002, 10003])
        #expect(KernelHarness.close(try KernelHarness.one("LogSoftmax", [big]).values(as: Float.self),
                                    [-3.4401895999908447, -2.4401895999908447, -1.4401895999908447, -0.4401896595954895]))
    }

    @Test func softmaxBeforeOpset13FlattensFromAxis() throws {
        // t.reshape(2, 6) softmax along rows (opset 11, axis 1)
        let t = Tensor(shape: [2, 2, 3], values: (0..<12).map { Float($0) / 4 })
        let row: [Float] = [0.08157689869403839, 0.10474681854248047, 0.13449758291244507, 0.17269831895828247,
                            0.22174900770187378, 0.284731388092041]
        #expect(KernelHarness.close(try KernelHarness.one("Softmax", [t], opset: 11).values(as: Float.self), row + row))
        let large = Tensor(shape: [1, 2], values: [Float(10000), 10001])
        // softmax of [0, 1] after the max shift: [0.26894142, 0.73105858]
        #expect(KernelHarness.close(try KernelHarness.one("Softmax", [large], opset: 11).values(as: Float.self),
                                    [0.2689414213699951, 0.7310585786300049]))
    }

    @Test func halfPrecisionActivations() throws {
        let h = Tensor(shape: [2], values: [Float16(-1), 2])
        #expect(try KernelHarness.one("Relu", [h]).values(as: Float16.self) == [0, 2])
        let b = Tensor(shape: [2], values: [BFloat16(Float(-1)), BFloat16(Float(2))])
        // Celu(alpha=1) of -1 = exp(-1) - 1 = -0.63212 → bfloat16 -0.6328125
        #expect(try KernelHarness.one("Celu", [b]).values(as: BFloat16.self) == [BFloat16(Float(-0.63212055)), BFloat16(Float(2))])
    }
}

@Suite struct ActivationEmptyTensorTests {
    @Test func emptyInputsGiveEmptyOutputs() throws {
        let empty = Tensor(zeros: .float32, shape: [0, 3])
        #expect(try KernelHarness.one("Softmax", [empty]).shape == [0, 3])
        #expect(try KernelHarness.one("Softmax", [Tensor(zeros: .float32, shape: [2, 0])]).shape == [2, 0])
        #expect(try KernelHarness.one("Relu", [empty]).shape == [0, 3])
        #expect(try KernelHarness.one("Add", [empty, Tensor(scalar: Float(1))]).shape == [0, 3])
        #expect(try KernelHarness.one("Expand", [Tensor(scalar: Float(1)), Tensor(shape: [2], values: [Int64(0), 4])]).shape == [0, 4])
        #expect(try KernelHarness.one("Where", [Tensor(zeros: .bool, shape: [0]), Tensor(scalar: Float(1)), Tensor(scalar: Float(2))]).shape == [0])
    }
}
