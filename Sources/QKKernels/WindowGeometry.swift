/// How a sliding-window op (Conv, pooling) pads its input, as ONNX's `auto_pad` attribute.
public enum AutoPad: String, Sendable, CaseIterable {
    /// Use the explicit `pads`.
    case notSet = "NOTSET"
    /// Output size ⌈in / stride⌉; odd total padding puts the extra element at the end.
    case sameUpper = "SAME_UPPER"
    /// Output size ⌈in / stride⌉; odd total padding puts the extra element at the beginning.
    case sameLower = "SAME_LOWER"
    /// No padding.
    case valid = "VALID"
}

/// An invalid sliding-window configuration.
public enum WindowGeometryError: Error, CustomStringConvertible, Equatable {
    case rankMismatch(what: String, expected: Int, actual: Int)
    case nonPositive(what: String, values: [Int])
    case emptyOutput(input: [Int], kernel: [Int])

    public var description: String {
        switch self {
        case .rankMismatch(let what, let expected, let actual):
            "\(what) has \(actual) values, expected \(expected) (one per spatial axis\(what == "pads" ? ", twice" : ""))"
        case .nonPositive(let what, let values):
            "\(what) must be positive, got \(values)"
        case .emptyOutput(let input, let kernel):
            "window \(kernel) does not fit the padded input \(input)"
        }
    }
}

/// The geometry of a sliding window over the spatial axes of an N·C·spatial tensor.
///
/// Along axis i the output position o reads input positions `o·strides[i] − padsBegin[i] + t·dilations[i]`
/// for taps t in 0..<kernel[i]; positions outside 0..<input[i] are padding.
public struct WindowGeometry: Sendable, Equatable {
    public let input: [Int]
    public let kernel: [Int]
    public let strides: [Int]
    public let dilations: [Int]
    public let padsBegin: [Int]
    public let padsEnd: [Int]
    public let output: [Int]

    /// Builds a geometry with an explicit output size (used by ConvTranspose, whose output is the input here).
    public init(input: [Int], kernel: [Int], strides: [Int], dilations: [Int], padsBegin: [Int], padsEnd: [Int],
                output: [Int]) {
        self.input = input
        self.kernel = kernel
        self.strides = strides
        self.dilations = dilations
        self.padsBegin = padsBegin
        self.padsEnd = padsEnd
        self.output = output
    }

    /// Resolves padding and output size as ONNX Conv / pooling do. With `pads` = [b₀, b₁, …, e₀, e₁, …]:
    ///
    ///     window  = (kernel − 1) · dilation + 1
    ///     NOTSET:  out = ⌊(in + b + e − window) / stride⌋ + 1        (⌈…⌉ with ceil_mode, dropping a last
    ///                                                               window that would start in the end padding)
    ///     SAME_*:  out = ⌈in / stride⌉, total pad = max(0, (out − 1)·stride + window − in),
    ///              SAME_UPPER: b = ⌊total / 2⌋, SAME_LOWER: b = ⌈total / 2⌉, e = total − b
    ///     VALID:   out = ⌊(in − window) / stride⌋ + 1, no padding
    ///
    /// Missing strides/dilations default to 1, missing pads to 0. Example: in = 5, kernel = 3, stride = 2,
    /// SAME_LOWER gives out = 3 with pads (1, 1).
    public init(input: [Int], kernel: [Int], strides: [Int]?, dilations: [Int]?, pads: [Int]?,
                autoPad: AutoPad, ceilMode: Bool = false) throws(WindowGeometryError) {
        let rank = input.count
        let strides = strides ?? Array(repeating: 1, count: rank)
        let dilations = dilations ?? Array(repeating: 1, count: rank)
        let pads = pads ?? Array(repeating: 0, count: 2 * rank)
        guard kernel.count == rank else { throw .rankMismatch(what: "kernel_shape", expected: rank, actual: kernel.count) }
        guard strides.count == rank else { throw .rankMismatch(what: "strides", expected: rank, actual: strides.count) }
        guard dilations.count == rank else {
            throw .rankMismatch(what: "dilations", expected: rank, actual: dilations.count)
        }
        guard pads.count == 2 * rank else { throw .rankMismatch(what: "pads", expected: 2 * rank, actual: pads.count) }
        guard kernel.allSatisfy({ $0 > 0 }) else { throw .nonPositive(what: "kernel_shape", values: kernel) }
        guard strides.allSatisfy({ $0 > 0 }) else { throw .nonPositive(what: "strides", values: strides) }
        guard dilations.allSatisfy({ $0 > 0 }) else { throw .nonPositive(what: "dilations", values: dilations) }
        guard pads.allSatisfy({ $0 >= 0 }) else { throw .nonPositive(what: "pads", values: pads) }
        var begin = Array(repeating: 0, count: rank), end = begin, output = begin
        for i in 0..<rank {
            let window = (kernel[i] - 1) * dilations[i] + 1
            switch autoPad {
            case .notSet:
                begin[i] = pads[i]
                end[i] = pads[rank + i]
                let span = input[i] + begin[i] + end[i] - window
                guard span >= 0 else { throw .emptyOutput(input: input, kernel: kernel) }
                if ceilMode {
                    var out = (span + strides[i] - 1) / strides[i] + 1
                    if (out - 1) * strides[i] >= input[i] + begin[i] { out -= 1 }
                    output[i] = out
                } else {
                    output[i] = span / strides[i] + 1
                }
            case .sameUpper, .sameLower:
                output[i] = (input[i] + strides[i] - 1) / strides[i]
                let total = max(0, (output[i] - 1) * strides[i] + window - input[i])
                begin[i] = autoPad == .sameUpper ? total / 2 : total - total / 2
                end[i] = total - begin[i]
            case .valid:
                guard input[i] >= window else { throw .emptyOutput(input: input, kernel: kernel) }
                output[i] = (input[i] - window) / strides[i] + 1
            }
        }
        self.init(input: input, kernel: kernel, strides: strides, dilations: dilations, padsBegin: begin,
                  padsEnd: end, output: output)
    }

    /// Number of spatial axes.
    public var rank: Int { input.count }
    /// Elements in one input plane (product of the input sizes).
    public var inputSize: Int { input.reduce(1, *) }
    /// Elements in one output plane.
    public var outputSize: Int { output.reduce(1, *) }
    /// Taps in one window.
    public var kernelSize: Int { kernel.reduce(1, *) }

    /// The same geometry with unit axes prepended up to three spatial axes, so 1-D and 2-D ops can run on
    /// 3-D loops (size 1, kernel 1, stride 1, dilation 1, no padding on the added axes).
    var promotedTo3D: WindowGeometry {
        let extra = max(0, 3 - rank)
        let ones = Array(repeating: 1, count: extra), zeros = Array(repeating: 0, count: extra)
        return WindowGeometry(input: ones + input, kernel: ones + kernel, strides: ones + strides,
                              dilations: ones + dilations, padsBegin: zeros + padsBegin, padsEnd: zeros + padsEnd,
                              output: ones + output)
    }
}

/// One spatial axis of a window as plain integers (no arrays, so hot loops copy it without reference counting).
@usableFromInline
struct AxisWindow {
    @usableFromInline let input: Int
    @usableFromInline let output: Int
    @usableFromInline let kernel: Int
    @usableFromInline let stride: Int
    @usableFromInline let dilation: Int
    @usableFromInline let padBegin: Int
    @usableFromInline let padEnd: Int
}

extension WindowGeometry {
    /// The three axes of the geometry promoted to 3-D (leading unit axes for 1-D and 2-D).
    @usableFromInline
    var axes3D: (d: AxisWindow, h: AxisWindow, w: AxisWindow) {
        let g = promotedTo3D
        let axes = (0..<3).map {
            AxisWindow(input: g.input[$0], output: g.output[$0], kernel: g.kernel[$0], stride: g.strides[$0],
                       dilation: g.dilations[$0], padBegin: g.padsBegin[$0], padEnd: g.padsEnd[$0])
        }
        return (axes[0], axes[1], axes[2])
    }
}
