import QKGraph
import QKTensor
import Testing
@testable import QKRuntime

@Suite struct ElementwiseArithmeticTests {
    @Test func basicFloatOps() throws {
        let a = Tensor(shape: [2, 2], values: [Float(1), -2, 3.5, 8])
        let b = Tensor(shape: [2], values: [Float(2), -4])
        // a + b, a - b, a * b, a / b with b broadcast along rows
        #expect(try KernelHarness.one("Add", [a, b]).values(as: Float.self) == [3, -6, 5.5, 4])
        #expect(try KernelHarness.one("Sub", [a, b]).values(as: Float.self) == [-1, 2, 1.5, 12])
        #expect(try KernelHarness.one("Mul", [a, b]).values(as: Float.self) == [2, 8, 7, -32])
        #expect(try KernelHarness.one("Div", [a, b]).values(as: Float.self) == [0.5, 0.5, 1.75, -2])
        #expect(try KernelHarness.one("Add", [a, b]).shape == [2, 2])
    }

    @Test func integerOpsWrapAndTruncate() throws {
        let a = Tensor(shape: [4], values: [Int32(7), -7, Int32.max, Int32.min])
        let b = Tensor(shape: [4], values: [Int32(2), 2, 1, -1])
        // C semantics: 7/2 = 3, -7/2 = -3; INT_MAX + 1 wraps to INT_MIN
        #expect(try KernelHarness.one("Div", [a, b]).values(as: Int32.self) == [3, -3, Int32.max, Int32.min])
        #expect(try KernelHarness.one("Add", [a, b]).values(as: Int32.self) == [9, -5, Int32.min, Int32.max])
        let u = Tensor(shape: [2], values: [UInt8(250), 3])
        #expect(try KernelHarness.one("Add", [u, Tensor(scalar: UInt8(10))]).values(as: UInt8.self) == [4, 13])
        #expect(try KernelHarness.one("Sub", [u, Tensor(scalar: UInt8(10))]).values(as: UInt8.self) == [240, 249])
        // division by zero gives 0 instead of trapping
        #expect(try KernelHarness.one("Div", [Tensor(shape: [1], values: [Int64(5)]), Tensor(shape: [1], values: [Int64(0)])])
                    .values(as: Int64.self) == [0])
    }

    @Test func halfPrecisionComputesInFloat() throws {
        let a = Tensor(shape: [2], values: [Float16(1.5), 2048])
        let b = Tensor(shape: [2], values: [Float16(0.25), 1])
        // float16(1.75); 2048 + 1 = 2049 rounds to even 2048 in float16
        #expect(try KernelHarness.one("Add", [a, b]).values(as: Float16.self) == [1.75, 2048])
        let h = Tensor(shape: [1], values: [BFloat16(Float(3))])
        #expect(try KernelHarness.one("Mul", [h, h]).values(as: BFloat16.self) == [BFloat16(Float(9))])
    }

    @Test func mixedDTypesAreRefused() {
        #expect(throws: RuntimeError.self) {
            try KernelHarness.one("Add", [Tensor(scalar: Float(1)), Tensor(scalar: Int32(1))])
        }
        #expect(throws: RuntimeError.self) { try KernelHarness.one("Add", [Tensor(scalar: true), Tensor(scalar: true)]) }
    }

    @Test func modFollowsFmodAttribute() throws {
        let a = Tensor(shape: [4], values: [Int32(-4), 7, 5, -3])
        let b = Tensor(shape: [4], values: [Int32(3), -3, 2, -2])
        // np.mod(a, b) = [2, -2, 1, -1]; np.fmod(a, b) = [-1, 1, 1, -1]
        #expect(try KernelHarness.one("Mod", [a, b]).values(as: Int32.self) == [2, -2, 1, -1])
        #expect(try KernelHarness.one("Mod", [a, b], attributes: ["fmod": .int(1)]).values(as: Int32.self) == [-1, 1, 1, -1])
        let fa = Tensor(shape: [4], values: [Float(-4.5), 7.5, 5, -3])
        let fb = Tensor(shape: [4], values: [Float(3), -3, 2.5, -2])
        // np.mod(fa, fb) = [1.5, -1.5, 0, -1]; np.fmod(fa, fb) = [-1.5, 1.5, 0, -1]
        #expect(try KernelHarness.one("Mod", [fa, fb]).values(as: Float.self) == [1.5, -1.5, 0, -1])
        #expect(try KernelHarness.one("Mod", [fa, fb], attributes: ["fmod": .int(1)]).values(as: Float.self)
                == [-1.5, 1.5, 0, -1])
        #expect(throws: RuntimeError.self) { try KernelHarness.one("Mod", [a, b], attributes: ["fmod": .int(2)]) }
    }

    @Test func powKeepsTheBaseDType() throws {
        // np.power([2, 3, 4], [0.5, 2, -1]) = [1.4142135, 9, 0.25]
        let p = try KernelHarness.one("Pow", [Tensor(shape: [3], values: [Float(2), 3, 4]),
                                              Tensor(shape: [3], values: [Float(0.5), 2, -1])])
        #expect(KernelHarness.close(p.values(as: Float.self), [1.4142135, 9, 0.25]))
        // float base, int64 exponent → float32
        let q = try KernelHarness.one("Pow", [Tensor(shape: [2], values: [Float(1.5), -2]), Tensor(shape: [2], values: [Int64(2), 3])])
        #expect(q.values(as: Float.self) == [2.25, -8])
        // int base, float exponent → int32 (truncated): 3^1.5 = 5.196 → 5, 4^0.5 = 2
        let r = try KernelHarness.one("Pow", [Tensor(shape: [2], values: [Int32(3), 4]), Tensor(shape: [2], values: [Float(1.5), 0.5])])
        #expect(r.values(as: Int32.self) == [5, 2])
        // float16 base, float32 exponent: computed in float32, so 1.1 is not first rounded to float16
        // np.float16(np.float32(100) ** np.float32(1.1)) = 158.5 (158.25 with a float16 exponent)
        let h = try KernelHarness.one("Pow", [Tensor(shape: [1], values: [Float16(100)]), Tensor(shape: [1], values: [Float(1.1)])])
        #expect(h.values(as: Float16.self) == [158.5])
        // exact integer powers: 3^20 = 3486784401 exceeds Int32 but fits Int64
        let s = try KernelHarness.one("Pow", [Tensor(shape: [3], values: [Int64(3), -2, 5]), Tensor(shape: [3], values: [Int64(20), 3, -1])])
        #expect(s.values(as: Int64.self) == [3_486_784_401, -8, 0])
    }

    @Test func variadicOps() throws {
        let a = Tensor(shape: [3], values: [Float(3), 2, 1])
        let b = Tensor(shape: [3], values: [Float(1), 3, 4])
        let c = Tensor(shape: [3], values: [Float(2), 6, 0])
        // np.maximum.reduce, np.minimum.reduce, sum, mean of [a, b, c]
        #expect(try KernelHarness.one("Max", [a, b, c]).values(as: Float.self) == [3, 6, 4])
        #expect(try KernelHarness.one("Min", [a, b, c]).values(as: Float.self) == [1, 2, 0])
        #expect(try KernelHarness.one("Sum", [a, b, c]).values(as: Float.self) == [6, 11, 5])
        #expect(try KernelHarness.one("Mean", [a, b, c]).values(as: Float.self) == [2, 11.0 / 3, 5.0 / 3])
        #expect(try KernelHarness.one("Max", [a]).values(as: Float.self) == [3, 2, 1])
        // broadcast: Max(scalar 2, [1, 3]) = [2, 3]; NaN propagates like np.maximum
        #expect(try KernelHarness.one("Max", [Tensor(scalar: Float(2)), Tensor(shape: [2], values: [Float(1), 3])])
                    .values(as: Float.self) == [2, 3])
        let nan = try KernelHarness.one("Min", [Tensor(shape: [2], values: [Float.nan, 1]), Tensor(shape: [2], values: [Float(0), .nan])])
        #expect(nan.values(as: Float.self)?.allSatisfy(\.isNaN) == true)
        #expect(try KernelHarness.one("Max", [Tensor(shape: [2], values: [Int8(-5), 7]), Tensor(shape: [2], values: [Int8(-6), 9])])
                    .values(as: Int8.self) == [-5, 9])
    }
}
