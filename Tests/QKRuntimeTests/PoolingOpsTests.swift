import Testing
import QKGraph
import QKTensor
@testable import QKRuntime

@Suite struct PoolingOpsTests {
    let grid = floats([1, 1, 5, 5], (1...25).map(Float.init))

    /// ONNX test maxpool_with_argmax_2d_precomputed_strides.
    @Test func maxPoolWithIndices() throws {
        let y = try runNode("MaxPool", inputs: [grid], outputs: 2,
                            attributes: ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2]), "storage_order": .int(1)])
        #expect(y[0].floatValues == [7, 9, 17, 19])
        #expect(y[1].dtype == .int64 && y[1].int64Values == [6, 16, 8, 18])
    }

    @Test func maxPoolUInt8AndSameUpper() throws {
        let x = Tensor(shape: [1, 1, 4], values: [UInt8(3), 200, 7, 9])
        let y = try runNode("MaxPool", inputs: [x], attributes: ["kernel_shape": .ints([2]), "auto_pad": .string("SAME_UPPER")])
        #expect(y[0].values(as: UInt8.self) == [200, 200, 9, 9])
    }

    /// ONNX test averagepool_2d_precomputed_same_upper.
    @Test func averagePoolSameUpper() throws {
        let y = try runNode("AveragePool", inputs: [grid], attributes: ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 2]),
                                                                        "auto_pad": .string("SAME_UPPER")])
        #expect(y[0].shape == [1, 1, 3, 3] && y[0].floatValues == [4, 5.5, 7, 11.5, 13, 14.5, 19, 20.5, 22])
    }

    @Test func globalPools() throws {
        let x = floats([1, 2, 2, 2], [1, 2, 3, 4, -1, -8, -3, -2])
        let average = try runNode("GlobalAveragePool", inputs: [x])
        #expect(average[0].shape == [1, 2, 1, 1] && average[0].floatValues == [2.5, -3.5])
        let maximum = try runNode("GlobalMaxPool", inputs: [x])
        #expect(maximum[0].floatValues == [4, -1])
    }

    @Test func rejectsMissingKernelShapeAndBadRank() throws {
        #expect(throws: (any Error).self) { try runNode("MaxPool", inputs: [grid]) }
        #expect(throws: RuntimeError.self) {
            try runNode("AveragePool", inputs: [floats([4], [1, 2, 3, 4])], attributes: ["kernel_shape": .ints([2])])
        }
    }

    /// Pads at least as large as the kernel used to crash MaxPool's loops; now an error naming the pads, as
    /// onnxruntime's "Pad should be smaller than kernel".
    @Test func rejectsPadsAsLargeAsTheKernel() throws {
        for op in ["MaxPool", "AveragePool"] {
            for pads: [Int64] in [[2, 0, 0, 0], [0, 0, 0, 3]] {
                let error = #expect(throws: RuntimeError.self) {
                    try runNode(op, inputs: [grid], attributes: ["kernel_shape": .ints([2, 2]), "pads": .ints(pads)])
                }
                #expect("\(error!)".contains("must be smaller than kernel_shape"), "\(op) \(pads)")
            }
            let y = try runNode(op, inputs: [grid], attributes: ["kernel_shape": .ints([2, 2]), "pads": .ints([1, 1, 1, 1])])
            #expect(y[0].shape == [1, 1, 6, 6])
        }
    }
}
