import Testing
import QKGraph
import QKTensor
@testable import QKRuntime

@Suite struct ConvolutionOpsTests {
    let x5 = floats([1, 1, 5, 5], (0..<25).map(Float.init))
    let ones3 = floats([1, 1, 3, 3], [Float](repeating: 1, count: 9))

    /// ONNX test conv_with_autopad_same: SAME_LOWER, stride 2.
    @Test func autoPadSameLower() throws {
        let y = try runNode("Conv", inputs: [x5, ones3], attributes: ["auto_pad": .string("SAME_LOWER"),
                                                                       "kernel_shape": .ints([3, 3]), "strides": .ints([2, 2])])
        #expect(y[0].shape == [1, 1, 3, 3] && y[0].floatValues == [12, 27, 24, 63, 108, 81, 72, 117, 84])
    }

    /// ONNX test conv_with_strides_and_asymmetric_padding on a 7×5 input.
    @Test func asymmetricPads() throws {
        let x = floats([1, 1, 7, 5], (0..<35).map(Float.init))
        let y = try runNode("Conv", inputs: [x, ones3], attributes: ["pads": .ints([1, 0, 1, 0]), "strides": .ints([2, 2])])
        #expect(y[0].shape == [1, 1, 4, 2] && y[0].floatValues == [21, 33, 99, 117, 189, 207, 171, 183])
    }

    @Test func biasGroupsAndErrors() throws {
        // Two groups, 1×1 kernels: channel 0 doubled + 1, channel 1 negated − 1.
        let x = floats([1, 2, 1, 2], [1, 2, 3, 4]), w = floats([2, 1, 1, 1], [2, -1]), b = floats([2], [1, -1])
        let y = try runNode("Conv", inputs: [x, w, b], attributes: ["group": .int(2)])
        #expect(y[0].floatValues == [3, 5, -4, -5])
        #expect(throws: RuntimeError.self) { try runNode("Conv", inputs: [x, w, b], attributes: ["group": .int(3)]) }
        #expect(throws: RuntimeError.self) {
            try runNode("Conv", inputs: [x, w], attributes: ["group": .int(2), "auto_pad": .string("SAME")])
        }
        #expect(throws: RuntimeError.self) { try runNode("Conv", inputs: [x, floats([2], [1, 2])]) }
    }

    @Test func float16Conv() throws {
        let x = Tensor(shape: [1, 1, 3], values: [Float16(1), 2, 3]), w = Tensor(shape: [1, 1, 2], values: [Float16(1), 0.5])
        let y = try runNode("Conv", inputs: [x, w])
        #expect(y[0].dtype == .float16 && y[0].floatValues == [2, 3.5])
    }

    /// ONNX test convtranspose_output_shape: output_shape 10×8 is larger than the natural 9×7, the extra
    /// row and column stay 0.
    @Test func convTransposeOutputShape() throws {
        let x = floats([1, 1, 3, 3], (0..<9).map(Float.init)), w = floats([1, 2, 3, 3], [Float](repeating: 1, count: 18))
        let y = try runNode("ConvTranspose", inputs: [x, w], attributes: ["output_shape": .ints([10, 8]),
                                                                           "strides": .ints([3, 2])])
        #expect(y[0].shape == [1, 2, 10, 8])
        let values = y[0].floatValues
        #expect(Array(values[0..<8]) == [0, 0, 1, 1, 3, 2, 2, 0])
        #expect(Array(values[24..<32]) == [3, 3, 7, 4, 9, 5, 5, 0])
        #expect(Array(values[72..<80]) == [Float](repeating: 0, count: 8))
    }

    /// 1-D transposed convolution with stride 2, bias and 2 groups, checked by hand: each input scatters
    /// its two taps to positions 2i and 2i + 1.
    @Test func convTransposeGroupsAndBias() throws {
        let x = floats([1, 2, 2], [1, 2, 3, 4]), w = floats([2, 1, 2], [1, 10, -1, 1]), b = floats([2], [0.5, 0])
        let y = try runNode("ConvTranspose", inputs: [x, w, b], attributes: ["group": .int(2), "strides": .ints([2])])
        #expect(y[0].shape == [1, 2, 4] && y[0].floatValues == [1.5, 10.5, 2.5, 20.5, -3, 3, -4, 4])
    }
}
