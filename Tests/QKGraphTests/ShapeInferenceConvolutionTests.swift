import Testing
import QKTensor
@testable import QKGraph

/// Convolution and pooling arithmetic; expected sizes worked out by hand from
/// ⌊(in + pads − ((k − 1)·d + 1)) / s⌋ + 1.
@Suite struct ShapeInferenceConvolutionTests {
    typealias F = ShapeFixture

    func conv(_ x: ValueInfo, _ w: ValueInfo, _ attributes: [String: Attribute], op: String = "Conv",
              domain: String = "") throws -> [Dimension]? {
        try F.shape(of: "y", F.node(op, ["x", "w"], ["y"], attributes, domain: domain), inputs: [x, w])
    }

    @Test func convPadsStridesDilations() throws {
        let x = F.input("x", .float32, 1, 3, 32, 32), w = F.input("w", .float32, 16, 3, 3, 3)
        // (32 + 2 − 3) / 1 + 1 = 32
        #expect(try conv(x, w, ["pads": .ints([1, 1, 1, 1])]) == F.dims(1, 16, 32, 32))
        // ⌊(32 + 2 − 3) / 2⌋ + 1 = 16
        #expect(try conv(x, w, ["pads": .ints([1, 1, 1, 1]), "strides": .ints([2, 2])]) == F.dims(1, 16, 16, 16))
        // effective kernel (3 − 1)·2 + 1 = 5: 32 − 5 + 1 = 28; asymmetric pads (0 top, 3 bottom): 35 − 5 + 1 = 31
        #expect(try conv(x, w, ["dilations": .ints([2, 2]), "pads": .ints([0, 0, 3, 0])]) == F.dims(1, 16, 31, 28))
        // com.microsoft FusedConv is shaped like Conv
        #expect(try conv(x, w, ["strides": .ints([2, 2])], op: "FusedConv", domain: "com.microsoft")
                == F.dims(1, 16, 15, 15))
    }

    @Test func convAutoPad() throws {
        let x = F.input("x", .float32, 2, 3, 31, 31), w = F.input("w", .float32, 8, 3, 3, 3)
        // SAME: ⌈31 / 2⌉ = 16; VALID: ⌊(31 − 3) / 2⌋ + 1 = 15
        #expect(try conv(x, w, ["auto_pad": .string("SAME_UPPER"), "strides": .ints([2, 2])]) == F.dims(2, 8, 16, 16))
        #expect(try conv(x, w, ["auto_pad": .string("SAME_LOWER"), "strides": .ints([2, 2])]) == F.dims(2, 8, 16, 16))
        #expect(try conv(x, w, ["auto_pad": .string("VALID"), "strides": .ints([2, 2]), "pads": .ints([5, 5, 5, 5])])
                == F.dims(2, 8, 15, 15))
    }

    @Test func convGroupsAndChannelCheck() throws {
        let x = F.input("x", .float32, 2, 8, 10, 10)
        #expect(try conv(x, F.input("w", .float32, 8, 2, 3, 3), ["group": .int(4)]) == F.dims(2, 8, 8, 8))
        let failure = F.failure { try conv(x, F.input("w", .float32, 8, 2, 3, 3), ["group": .int(2)]) }
        #expect(failure?.message.contains("8 channels") == true)
        #expect(F.failure { try conv(x, F.input("w", .float32, 8, 8, 3), [:]) } != nil)
    }

    @Test func convKeepsSymbolicSizesWhenTheWindowPreservesThem() throws {
        let x = F.input("x", .float32, "N", 3, "H", "W")
        #expect(try conv(x, F.input("w", .float32, 4, 3, 1, 1), [:]) == F.dims("N", 4, "H", "W"))
        #expect(try conv(x, F.input("w", .float32, 4, 3, 3, 3), ["pads": .ints([1, 1, 1, 1])]) == F.dims("N", 4, "H", "W"))
        #expect(try conv(x, F.input("w", .float32, 4, 3, 3, 3), ["strides": .ints([2, 2])]) == F.dims("N", 4, "?", "?"))
    }

    @Test func integerAndQLinearConvDtypes() throws {
        let infos = try F.infer(
            [F.node("ConvInteger", ["x", "w"], ["acc"]),
             F.node("QLinearConv", ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz"], ["q"], ["strides": .ints([2])])],
            inputs: [F.input("x", .uint8, 1, 2, 9), F.input("w", .int8, 4, 2, 3), F.input("xs", .float32),
                     F.input("xz", .uint8), F.input("ws", .float32), F.input("wz", .int8), F.input("ys", .float32),
                     F.input("yz", .int8)])
        #expect(infos["acc"]?.dtype == .int32 && infos["acc"]?.shape == F.dims(1, 4, 7))
        #expect(infos["q"]?.dtype == .int8 && infos["q"]?.shape == F.dims(1, 4, 4))
    }

    @Test func convTransposeOutputSize() throws {
        let x = F.input("x", .float32, 1, 4, 5, 5), w = F.input("w", .float32, 4, 2, 3, 3)
        // 2·(5 − 1) + 1 + 3 − 2 = 10; channels = 2 · group 2 = 4
        let attributes: [String: Attribute] = ["strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1]),
                                               "output_padding": .ints([1, 1]), "group": .int(2)]
        #expect(try conv(x, w, attributes, op: "ConvTranspose") == F.dims(1, 4, 10, 10))
        #expect(try conv(x, w, ["strides": .ints([3, 3]), "auto_pad": .string("SAME_UPPER")], op: "ConvTranspose")
                == F.dims(1, 2, 15, 15))
        #expect(try conv(x, w, ["output_shape": .ints([12, 11])], op: "ConvTranspose") == F.dims(1, 2, 12, 11))
    }

    @Test func poolingWithCeilMode() throws {
        func pool(_ size: Int, _ attributes: [String: Attribute], op: String = "MaxPool") throws -> [Dimension]? {
            try F.shape(of: "y", F.node(op, ["x"], ["y"], attributes), inputs: [F.input("x", .float32, 1, 2, size)])
        }
        let k3s2: [String: Attribute] = ["kernel_shape": .ints([3]), "strides": .ints([2])]
        // ⌊(6 − 3) / 2⌋ + 1 = 2, with ceil_mode ⌈3 / 2⌉ + 1 = 3
        #expect(try pool(6, k3s2) == F.dims(1, 2, 2))
        #expect(try pool(6, k3s2.merging(["ceil_mode": .int(1)]) { $1 }) == F.dims(1, 2, 3))
        // ⌈(5 + 2 − 2) / 2⌉ + 1 = 4, but the 4th window would start at padded index 6 = in + pad_begin: dropped
        let k2s2p1: [String: Attribute] = ["kernel_shape": .ints([2]), "strides": .ints([2]), "pads": .ints([1, 1]),
                                           "ceil_mode": .int(1)]
        #expect(try pool(5, k2s2p1) == F.dims(1, 2, 3))
        // AveragePool ⌊(7 − 2) / 2⌋ + 1 = 3; dilation 2: ⌊(7 − 3) / 1⌋ + 1 = 5
        #expect(try pool(7, ["kernel_shape": .ints([2]), "strides": .ints([2])], op: "AveragePool") == F.dims(1, 2, 3))
        #expect(try pool(7, ["kernel_shape": .ints([2]), "dilations": .ints([2])]) == F.dims(1, 2, 5))
    }

    @Test func maxPoolIndicesAndGlobalPooling() throws {
        let infos = try F.infer(
            [F.node("MaxPool", ["x"], ["y", "i"], ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2])]),
             F.node("GlobalAveragePool", ["x"], ["g"]), F.node("GlobalMaxPool", ["x"], ["m"])],
            inputs: [F.input("x", .float32, "N", 8, 7, 9)])
        #expect(infos["y"]?.shape == F.dims("N", 8, 3, 4) && infos["i"]?.dtype == .int64)
        #expect(infos["i"]?.shape == F.dims("N", 8, 3, 4))
        #expect(infos["g"]?.shape == F.dims("N", 8, 1, 1) && infos["m"]?.shape == F.dims("N", 8, 1, 1))
    }
}
