/// Sizes of a grouped N-D convolution over NC·spatial tensors (ONNX Conv layout).
///
/// X is [batch, inputChannels, geometry.input…], W is [outputChannels, inputChannels / groups, geometry.kernel…],
/// Y is [batch, outputChannels, geometry.output…]. Output channel m reads input channels of group
/// g = m / (outputChannels / groups).
public struct ConvShape: Sendable, Equatable {
    public let batch: Int
    public let inputChannels: Int
    public let outputChannels: Int
    public let groups: Int
    public let geometry: WindowGeometry

    /// Creates the shape; channel counts must be divisible by `groups` (checked by the caller, asserted here).
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
    /// Elements of X.
    public var inputCount: Int { batch * inputChannels * geometry.inputSize }
    /// Elements of W for Conv ([M, C/g, k…]); ConvTranspose's W ([C, M/g, k…]) has the same count.
    public var weightCount: Int { outputChannels * inputChannelsPerGroup * geometry.kernelSize }
    /// Elements of Y.
    public var outputCount: Int { batch * outputChannels * geometry.outputSize }
}

/// The output positions o in 0..<count whose input position o·stride + offset lies in 0..<size.
@inlinable @inline(__always)
func validOutputRange(count: Int, stride: Int, offset: Int, size: Int) -> Range<Int> {
    let low = offset >= 0 ? 0 : (-offset + stride - 1) / stride
    let high = size - offset <= 0 ? 0 : min(count, (size - offset + stride - 1) / stride)
    return low < high ? low..<high : 0..<0
}
