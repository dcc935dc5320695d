import QKTensor
import Testing
@testable import QKRuntime

@Suite struct ElementwiseUnaryTests {
    let x = Tensor(shape: [5], values: [Float(-2), -0.5, 0, 0.5, 3])

    @Test func transcendentalFunctions() throws {
        // np.sqrt([0, 1, 2, 9])
        #expect(KernelHarness.close(try KernelHarness.one("Sqrt", [Tensor(shape: [4], values: [Float(0), 1, 2, 9])])
                    .values(as: Float.self), [0, 1, 1.4142135381698608, 3]))
        // np.exp(x)
        #expect(KernelHarness.close(try KernelHarness.one("Exp", [x]).values(as: Float.self),
                                    [0.1353352814912796, 0.6065306663513184, 1, 1.6487212181091309, 20.08553695678711]))
        // np.log([0.5, 1, 10])
        #expect(KernelHarness.close(try KernelHarness.one("Log", [Tensor(shape: [3], values: [Float(0.5), 1, 10])])
                    .values(as: Float.self), [-0.6931471824645996, 0, 2.3025851249694824]))
        // [math.erf(v) for v in x]
        #expect(KernelHarness.close(try KernelHarness.one("Erf", [x]).values(as: Float.self),
                                    [-0.9953222870826721, -0.5204998850822449, 0, 0.5204998850822449, 0.9999778866767883]))
        #expect(try KernelHarness.one("Reciprocal", [x]).values(as: Float.self) == [-0.5, -2, .infinity, 2, 1.0 / 3])
    }

    @Test func doublePrecisionStaysDouble() throws {
        let d = try KernelHarness.one("Exp", [Tensor(shape: [1], values: [Double(1)])])
        #expect(d.values(as: Double.self) == [2.718281828459045])
    }

    @Test func rounding() throws {
        let r = Tensor(shape: [6], values: [Float(0.5), 1.5, 2.5, -2.5, -0.4, 2.6])
        // np.round (half to even) = [0, 2, 2, -2, -0, 3]; np.floor; np.ceil
        #expect(try KernelHarness.one("Round", [r]).values(as: Float.self) == [0, 2, 2, -2, -0, 3])
        #expect(try KernelHarness.one("Floor", [r]).values(as: Float.self) == [0, 1, 2, -3, -1, 2])
        #expect(try KernelHarness.one("Ceil", [r]).values(as: Float.self) == [1, 2, 3, -2, -0, 3])
    }

    @Test func signedOpsOnIntegersAndFloats() throws {
        let i = Tensor(shape: [4], values: [Int8(-128), -3, 0, 5])
        #expect(try KernelHarness.one("Neg", [i]).values(as: Int8.self) == [-128, 3, 0, -5])
        #expect(try KernelHarness.one("Abs", [i]).values(as: Int8.self) == [-128, 3, 0, 5])
        #expect(try KernelHarness.one("Sign", [i]).values(as: Int8.self) == [-1, -1, 0, 1])
        #expect(try KernelHarness.one("Neg", [x]).values(as: Float.self) == [2, 0.5, -0, -0.5, -3])
        #expect(try KernelHarness.one("Abs", [x]).values(as: Float.self) == [2, 0.5, 0, 0.5, 3])
        #expect(try KernelHarness.one("Sign", [x]).values(as: Float.self) == [-1, -1, 0, 1, 1])
        #expect(try KernelHarness.one("Abs", [Tensor(shape: [1], values: [UInt16(7)])]).values(as: UInt16.self) == [7])
    }

    @Test func floatOnlyOpsRefuseIntegers() {
        #expect(throws: RuntimeError.self) { try KernelHarness.one("Sqrt", [Tensor(shape: [1], values: [Int32(4)])]) }
        #expect(throws: RuntimeError.self) { try KernelHarness.one("Neg", [Tensor(shape: [1], values: [true])]) }
    }
}
