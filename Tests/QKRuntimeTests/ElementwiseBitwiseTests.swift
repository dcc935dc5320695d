import QKGraph
import QKTensor
import Testing
@testable import QKRuntime

@Suite struct ElementwiseBitwiseTests {
    @Test func bitwiseOps() throws {
        let a = Tensor(shape: [2, 2], values: [Int16(0b1100), -1, 5, 0])
        let b = Tensor(shape: [2], values: [Int16(0b1010), 3])
        // np.bitwise_and / or / xor with b broadcast along rows; np.invert
        #expect(try KernelHarness.one("BitwiseAnd", [a, b]).values(as: Int16.self) == [0b1000, 3, 0, 0])
        #expect(try KernelHarness.one("BitwiseOr", [a, b]).values(as: Int16.self) == [0b1110, -1, 15, 3])
        #expect(try KernelHarness.one("BitwiseXor", [a, b]).values(as: Int16.self) == [0b0110, -4, 15, 3])
        #expect(try KernelHarness.one("BitwiseNot", [a]).values(as: Int16.self) == [-13, 0, -6, -1])
        #expect(try KernelHarness.one("BitwiseNot", [Tensor(shape: [2], values: [UInt8(0), 0xF0])]).values(as: UInt8.self) == [255, 0x0F])
        #expect(throws: RuntimeError.self) { try KernelHarness.one("BitwiseAnd", [Tensor(scalar: Float(1)), Tensor(scalar: Float(1))]) }
    }

    @Test func bitShiftOutOfRangeShifts() throws {
        let x = Tensor(shape: [4], values: [Int8(-128), -7, 3, 64])
        let s = Tensor(shape: [4], values: [Int8(1), 1, 8, -1])
        // left: -128 << 1 wraps to 0, -7 << 1 = -14; shifts ≥ 8 or < 0 give 0
        #expect(try KernelHarness.one("BitShift", [x, s], attributes: ["direction": .string("LEFT")]).values(as: Int8.self)
                == [0, -14, 0, 0])
        // right: arithmetic, out-of-range shifts give the sign fill (-1 for negatives, else 0)
        let r = Tensor(shape: [4], values: [Int8(-128), -7, 3, -64])
        #expect(try KernelHarness.one("BitShift", [r, s], attributes: ["direction": .string("RIGHT")]).values(as: Int8.self)
                == [-64, -4, 0, -1])
        #expect(throws: RuntimeError.self) { try KernelHarness.one("BitShift", [x, s], attributes: ["direction": .string("UP")]) }
    }
}

@Suite struct ElementwiseMathTests {
    let x = Tensor(shape: [3], values: [Float(-0.5), 0, 0.5])

    @Test func trigonometricFamily() throws {
        func apply(_ op: String, _ t: Tensor? = nil) throws -> [Float]? { try KernelHarness.one(op, [t ?? x]).values(as: Float.self) }
        // np.sin(x), np.cos(x), ... np.arctanh(x); np.arccosh([1, 2, 10])
        #expect(KernelHarness.close(try apply("Sin"), [-0.4794255495071411, 0, 0.4794255495071411]))
        #expect(KernelHarness.close(try apply("Cos"), [0.8775825500488281, 1, 0.8775825500488281]))
        #expect(KernelHarness.close(try apply("Tan"), [-0.5463024973869324, 0, 0.5463024973869324]))
        #expect(KernelHarness.close(try apply("Asin"), [-0.5235987901687622, 0, 0.5235987901687622]))
        #expect(KernelHarness.close(try apply("Acos"), [2.094395160675049, 1.5707963705062866, 1.0471975803375244]))
        #expect(KernelHarness.close(try apply("Atan"), [-0.46364760398864746, 0, 0.46364760398864746]))
        #expect(KernelHarness.close(try apply("Sinh"), [-0.5210952758789062, 0, 0.5210952758789062]))
        #expect(KernelHarness.close(try apply("Cosh"), [1.1276260614395142, 1, 1.1276260614395142]))
        #expect(KernelHarness.close(try apply("Asinh"), [-0.4812118113040924, 0, 0.4812118113040924]))
        #expect(KernelHarness.close(try apply("Atanh"), [-0.5493061542510986, 0, 0.5493061542510986]))
        #expect(KernelHarness.close(try apply("Acosh", Tensor(shape: [3], values: [Float(1), 2, 10])), [0, 1.316957950592041, 2.993222951889038]))
    }

    @Test func shrink() throws {
        let t = Tensor(shape: [5], values: [Float(-2), -1, 0, 1, 2])
        // np.where(t < -1.5, t + 0.5, np.where(t > 1.5, t - 0.5, 0))
        #expect(try KernelHarness.one("Shrink", [t], attributes: ["lambd": .float(1.5), "bias": .float(0.5)])
                    .values(as: Float.self) == [-1.5, 0, 0, 0, 1.5])
        #expect(try KernelHarness.one("Shrink", [t]).values(as: Float.self) == [-2, -1, 0, 1, 2])
    }

    @Test func classification() throws {
        let t = Tensor(shape: [4], values: [Float.nan, -.infinity, .infinity, 1])
        #expect(try KernelHarness.one("IsNaN", [t]).values(as: Bool.self) == [true, false, false, false])
        #expect(try KernelHarness.one("IsInf", [t]).values(as: Bool.self) == [false, true, true, false])
        #expect(try KernelHarness.one("IsInf", [t], attributes: ["detect_positive": .int(0)]).values(as: Bool.self)
                == [false, true, false, false])
        #expect(try KernelHarness.one("IsNaN", [Tensor(shape: [1], values: [Float16.nan])]).values(as: Bool.self) == [true])
        #expect(throws: RuntimeError.self) { try KernelHarness.one("IsNaN", [Tensor(scalar: Int32(1))]) }
    }

    @Test func hardmaxMarksTheFirstMaximum() throws {
        let t = Tensor(shape: [2, 3], values: [Float(1), 3, 3, -1, -2, -3])
        #expect(try KernelHarness.one("Hardmax", [t]).values(as: Float.self) == [0, 1, 0, 1, 0, 0])
        #expect(try KernelHarness.one("Hardmax", [t], attributes: ["axis": .int(0)]).values(as: Float.self) == [1, 1, 1, 0, 0, 0])
        // opset 11, axis 0: one maximum over the whole flattened tensor
        #expect(try KernelHarness.one("Hardmax", [t], attributes: ["axis": .int(0)], opset: 11).values(as: Float.self)
                == [0, 1, 0, 0, 0, 0])
    }
}
