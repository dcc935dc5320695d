import Foundation
import QKGraph
import QKTensor
import Testing
@testable import QKRuntime

/// QLinearSigmoid, QLinearLeakyRelu and QLinearConcat run through 256-entry result tables: every possible input byte
/// (uint8 and int8) against the per-element definition written out here (dequantize, f, divide, round half to even,
/// add the zero point, saturate).
@Suite struct QuantizedTableOpsTests {
    static func expected(_ q: Int32, scale: Float, zero: Int32, _ f: @escaping (Float) -> Float, outScale: Float, outZero: Int32,
                         range: ClosedRange<Int32>) -> Int32 {
        let t = (f(Float(q - zero) * scale) / outScale).rounded(.toNearestOrEven)
        return Int32(min(max(Double(t) + Double(outZero), Double(range.lowerBound)), Double(range.upperBound)))
    }

    static func everyByte(signed: Bool) -> Tensor {
        signed ? Tensor(shape: [2, 128], values: (-128...127).map(Int8.init))
            : Tensor(shape: [2, 128], values: (0...255).map(UInt8.init))
    }

    static func zeroPoint(_ v: Int32, signed: Bool) -> Tensor {
        signed ? Tensor(scalar: Int8(v)) : Tensor(scalar: UInt8(v))
    }

    @Test(arguments: [false, true])
    func unaryOpsMatchThePerElementDefinition(signed: Bool) throws {
        let x = Self.everyByte(signed: signed), range: ClosedRange<Int32> = signed ? -128...127 : 0...255
        let (inZero, outZero): (Int32, Int32) = signed ? (-3, -128) : (125, 0)
        let sigmoid = { (v: Float) -> Float in 1 / (1 + Foundation.exp(-v)) }
        let leaky = { (v: Float) -> Float in v < 0 ? 0.2 * v : v }
        for (op, f, attributes, outScale) in [("QLinearSigmoid", sigmoid, [String: Attribute](), Float(1.0 / 256)),
                                              ("QLinearLeakyRelu", leaky, ["alpha": .float(0.2)], Float(0.05))] {
            let y = try runNode(op, domain: "com.microsoft",
                                inputs: [x, Tensor(scalar: Float(0.04)), Self.zeroPoint(inZero, signed: signed),
                                         Tensor(scalar: outScale), Self.zeroPoint(outZero, signed: signed)],
                                attributes: attributes, opset: 1)
            let want = (range.lowerBound...range.upperBound).map {
                Self.expected($0, scale: 0.04, zero: inZero, f, outScale: outScale, outZero: outZero, range: range)
            }
            #expect(y[0].shape == [2, 128] && y[0].dtype == x.dtype, "\(op)")
            #expect(int32Values(y[0]) == want, "\(op) signed \(signed)")
        }
    }

    @Test(arguments: [false, true])
    func concatRequantizesEveryInput(signed: Bool) throws {
        let x = Self.everyByte(signed: signed), range: ClosedRange<Int32> = signed ? -128...127 : 0...255
        let small = signed ? Tensor(shape: [2, 3], values: [Int8(-128), 0, 127, 5, -5, 64])
            : Tensor(shape: [2, 3], values: [UInt8(0), 1, 255, 128, 7, 64])
        let y = try runNode("QLinearConcat", domain: "com.microsoft",
                            inputs: [Tensor(scalar: Float(0.3)), Self.zeroPoint(10, signed: signed),
                                     x, Tensor(scalar: Float(0.45)), Self.zeroPoint(20, signed: signed),
                                     small, Tensor(scalar: Float(1.5)), Self.zeroPoint(0, signed: signed)],
                            attributes: ["axis": .int(1)], opset: 1)
        let xs = int32Values(x)!, ss = int32Values(small)!
        var want: [Int32] = []
        for row in 0..<2 {
            want += xs[(row * 128)..<((row + 1) * 128)].map {
                Self.expected($0, scale: 0.45, zero: 20, { $0 }, outScale: 0.3, outZero: 10, range: range)
            }
            want += ss[(row * 3)..<((row + 1) * 3)].map {
                Self.expected($0, scale: 1.5, zero: 0, { $0 }, outScale: 0.3, outZero: 10, range: range)
            }
        }
        #expect(y[0].shape == [2, 131] && int32Values(y[0]) == want, "signed \(signed)")
    }
}
