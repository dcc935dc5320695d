/// Sizes of a grouped N-D transposed convolution (ONNX ConvTranspose layout).
///
/// X is [batch, inputChannels, xSpatial…], W is [inputChannels, outputChannels / groups, kernel…],
/// Y is [batch, outputChannels, ySpatial…]. `geometry` is the window of the forward convolution whose
/// adjoint this is: `geometry.input` = ySpatial, `geometry.output` = xSpatial, so X position i and tap t
/// land on Y position i·s − p + t·d.
public struct ConvTransposeShape: Sendable, Equatable {
    public let batch: Int
    public let inputChannels: Int
    public let outputChannels: Int
    public let groups: Int
    public let geometry: WindowGeometry

    public init(batch: Int, inputChannels: Int, outputChannels: Int, groups: Int, geometry: WindowGeometry) {
        precondition(groups > 0 && inputChannels % groups == 0 && outputChannels % groups == 0,
                     "channels \(inputChannels)→\(outputChannels) not divisible by \(groups) groups")
        self.batch = batch
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.groups = groups
        self.geometry = geometry
    }

    public var inputChannelsPerGroup: Int { inputChannels / groups }
    public var outputChannelsPerGroup: Int { outputChannels / groups }
    public var ySpatial: [Int] { geometry.input }
    public var inputCount: Int { batch * inputChannels * geometry.outputSize }
    public var weightCount: Int { inputChannels * outputChannelsPerGroup * geometry.kernelSize }
    public var outputCount: Int { batch * outputChannels * geometry.inputSize }

    /// Resolves ConvTranspose's output size and padding from ONNX attributes (as the ONNX reference does):
    ///
    ///     window = (kernel − 1) · dilation + 1
    ///     SAME_*: out = output_shape ?? in · stride,
    ///             total = stride · (in − 1) + output_padding + window − out,
    ///             SAME_UPPER: begin = ⌊total / 2⌋, else begin = total − ⌊total / 2⌋
    ///     else:   begin/end = pads (0 for VALID or when absent),
    ///             out = output_shape ?? stride · (in − 1) + output_padding + window − begin − end
    ///
    /// Example: in = 3, kernel = 3, stride = 2, SAME_UPPER gives out = 6 with begin padding 0.
    public static func geometry(xSpatial: [Int], kernel: [Int], strides: [Int]?, dilations: [Int]?, pads: [Int]?,
                                autoPad: AutoPad, outputPadding: [Int]?,
                                outputShape: [Int]?) throws(WindowGeometryError) -> WindowGeometry {
        let rank = xSpatial.count
        let strides = strides ?? Array(repeating: 1, count: rank)
        let dilations = dilations ?? Array(repeating: 1, count: rank)
        let outputPadding = outputPadding ?? Array(repeating: 0, count: rank)
        let pads = autoPad == .notSet ? (pads ?? Array(repeating: 0, count: 2 * rank)) : Array(repeating: 0, count: 2 * rank)
        for (what, values, count) in [("kernel_shape", kernel, rank), ("strides", strides, rank),
                                      ("dilations", dilations, rank), ("pads", pads, 2 * rank),
                                      ("output_padding", outputPadding, rank)] where values.count != count {
            throw .rankMismatch(what: what, expected: count, actual: values.count)
        }
        if let outputShape, outputShape.count != rank {
            throw .rankMismatch(what: "output_shape", expected: rank, actual: outputShape.count)
        }
        guard kernel.allSatisfy({ $0 > 0 }) else { throw .nonPositive(what: "kernel_shape", values: kernel) }
        guard strides.allSatisfy({ $0 > 0 }) else { throw .nonPositive(what: "strides", values: strides) }
        guard dilations.allSatisfy({ $0 > 0 }) else { throw .nonPositive(what: "dilations", values: dilations) }
        var begin = Array(repeating: 0, count: rank), end = begin, out = begin
        for i in 0..<rank {
            let window = (kernel[i] - 1) * dilations[i] + 1
            let full = strides[i] * (xSpatial[i] - 1) + outputPadding[i] + window
            if autoPad == .sameUpper || autoPad == .sameLower {
                out[i] = outputShape?[i] ?? xSpatial[i] * strides[i]
                let total = full - out[i]
                begin[i] = autoPad == .sameUpper ? total / 2 : total - total / 2
                end[i] = total - begin[i]
            } else {
                begin[i] = pads[i]
                end[i] = pads[rank + i]
                out[i] = outputShape?[i] ?? full - begin[i] - end[i]
            }
            guard out[i] > 0 else { throw .emptyOutput(input: xSpatial, kernel: kernel) }
        }
        return WindowGeometry(input: out, kernel: kernel, strides: strides, dilations: dilations, padsBegin: begin,
                              padsEnd: end, output: xSpatial)
    }
}
