import QKKernels
import QKTensor

/// IntegerConv for small images (group 1): every image's im2row rows stacked into one (N·P)×K matrix and
/// multiplied by the packed weights in a single ``int8Gemm`` call, instead of one small GEMM per image.
struct BatchedIntegerConv {
    /// Output pixels per image below which the batched form is used.
    static let pixelLimit = 256

    let shape: ConvShape
    let weights: PackedInt8Weights
    let bias: [Int32]?
    let zeroPoint: Int32

    /// Runs into `output` (N×M×P): GEMM into an (N·P)×M scratch of the output's element type, then transposed.
    func run(_ x: Tensor, output: Int8Output, threads: Int) {
        let rows = shape.batch * shape.geometry.outputSize
        let window = PromotedWindow(shape.geometry)
        func gemm<X: FixedWidthInteger>(_ values: [X]) {
            var matrix = [X](repeating: X(truncatingIfNeeded: zeroPoint), count: rows * weights.k)
            values.withUnsafeBufferPointer { px in
                matrix.withUnsafeMutableBufferPointer { pm in
                    for image in 0..<shape.batch {
                        window.rows(px.baseAddress! + image * shape.inputChannels * window.inputSize, channels: shape.inputChannels,
                                    into: pm.baseAddress! + image * window.outputSize * weights.k)
                    }
                }
            }
            matrix.withUnsafeBufferPointer { pm in
                transposedOutput(output, rows: rows) { scratch in
                    int8Gemm(m: rows, a: pm.baseAddress!, lda: weights.k, aZeroPoints: [zeroPoint], weights: weights,
                             bias: bias, output: scratch, ldc: weights.n, threads: threads)
                }
            }
        }
        switch x.storage {
        case .uint8(let v): gemm(v)
        case .int8(let v): gemm(v)
        default: break
        }
    }

    /// Calls `body` with an (N·P)×M scratch output like `output`, then moves element (n·P + p, m) to (n, m, p).
    private func transposedOutput(_ output: Int8Output, rows: Int, _ body: (Int8Output) -> Void) {
        let channels = weights.n, pixels = shape.geometry.outputSize
        func move<T: FixedWidthInteger>(_ target: UnsafeMutablePointer<T>, _ wrap: (UnsafeMutablePointer<T>) -> Int8Output) {
            var scratch = [T](repeating: 0, count: rows * channels)
            scratch.withUnsafeMutableBufferPointer { body(wrap($0.baseAddress!)) }
            for image in 0..<shape.batch {
                for p in 0..<pixels {
                    let source = (image * pixels + p) * channels
                    for m in 0..<channels { target[(image * channels + m) * pixels + p] = scratch[source + m] }
                }
            }
        }
        switch output {
        case .uint8(let p, let r): move(p) { .uint8($0, r) }
        case .int8(let p, let r): move(p) { .int8($0, r) }
        case .int32(let p): move(p) { .int32($0) }
        }
    }
}

/// A Conv window promoted to 3 spatial axes that writes one image's im2row matrix: row o (an output pixel)
/// holds the taps (c, kd, kh, kw) in the weights' order; taps in the padding keep the value already there
/// (the caller fills the matrix with the input zero point).
struct PromotedWindow {
    let input: [Int], output: [Int], kernel: [Int], strides: [Int], dilations: [Int], pads: [Int]
    let inputSize: Int, outputSize: Int

    init(_ g: WindowGeometry) {
        let extra = 3 - g.rank
        func promote(_ v: [Int], _ fill: Int) -> [Int] { Array(repeating: fill, count: extra) + v }
        (input, output, kernel) = (promote(g.input, 1), promote(g.output, 1), promote(g.kernel, 1))
        (strides, dilations, pads) = (promote(g.strides, 1), promote(g.dilations, 1), promote(g.padsBegin, 0))
        (inputSize, outputSize) = (g.inputSize, g.outputSize)
    }

    /// Fills one image's rows tap by tap: for each tap (c, kd, kh, kw) and output line, the output pixels whose
    /// input position is inside the image form one range, copied without per-pixel bounds tests.
    func rows<X>(_ x: UnsafePointer<X>, channels: Int, into rows: UnsafeMutablePointer<X>) {
        // Plain integers, so the loops below read no arrays.
        let (inD, inH, inW) = (input[0], input[1], input[2]), (outD, outH, outW) = (output[0], output[1], output[2])
        let (kD, kH, kW) = (kernel[0], kernel[1], kernel[2]), (sD, sH, sW) = (strides[0], strides[1], strides[2])
        let (dD, dH, dW) = (dilations[0], dilations[1], dilations[2]), (pD, pH, pW) = (pads[0], pads[1], pads[2])
        let k = channels * kD * kH * kW
        var t = 0
        for c in 0..<channels {
            let source = x + c * inputSize
            for kd in 0..<kD {
                let validD = Self.valid(count: outD, stride: sD, offset: kd * dD - pD, size: inD)
                for kh in 0..<kH {
                    let validH = Self.valid(count: outH, stride: sH, offset: kh * dH - pH, size: inH)
                    for kw in 0..<kW {
                        let offW = kw * dW - pW
                        let validW = Self.valid(count: outW, stride: sW, offset: offW, size: inW)
                        for od in validD {
                            let id = od * sD + kd * dD - pD
                            for oh in validH {
                                let ih = oh * sH + kh * dH - pH
                                let line = source + (id * inH + ih) * inW + offW
                                let target = rows + ((od * outH + oh) * outW) * k + t
                                for ow in validW { target[ow * k] = line[ow * sW] }
                            }
                        }
                        t += 1
                    }
                }
            }
        }
    }

    /// The outputs o in 0..<count whose input position o · stride + offset lies in 0..<size.
    static func valid(count: Int, stride: Int, offset: Int, size: Int) -> Range<Int> {
        let low = offset >= 0 ? 0 : (stride - 1 - offset) / stride
        let high = size - offset <= 0 ? 0 : min(count, (size - offset + stride - 1) / stride)
        return low < high ? low..<high : 0..<0
    }
}
