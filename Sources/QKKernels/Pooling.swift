import Foundation

/// Sliding-window pooling over `planes` independent N·C planes of a 1-D, 2-D or 3-D tensor
/// (ONNX MaxPool / AveragePool / LpPool semantics; padding positions are never read).
///
/// For output position o the window holds the input positions o·s − p + t·d (t < kernel) inside the plane:
///
///     max:      Y[o] = max_t X[o·s − p + t·d]
///     average:  Y[o] = Σ_t X[…] / count,  count = taps inside the input, or (count_include_pad) taps inside
///               the explicitly padded input (−p_begin ..< in + p_end)
///     Lp:       Y[o] = (Σ_t |X[…]|^p)^(1/p)
public enum Pooling {
    /// Max pooling. With `indices`, also returns the flat index into X (including the plane offset) of each
    /// maximum, row-major (`columnMajor` false) or with the spatial axes in column-major order; the first
    /// maximum in row-major window order wins.
    public static func max<T: Comparable & Numeric>(_ x: [T], planes: Int, geometry: WindowGeometry, indices: Bool = false,
                                          columnMajor: Bool = false, threads: Int = 1) -> (values: [T], indices: [Int64]?) {
        precondition(x.count == planes * geometry.inputSize, "maxPool input size")
        let g = geometry.promotedTo3D
        let outPlane = g.outputSize, inPlane = g.inputSize
        var values = [T](repeating: .zero, count: planes * outPlane)
        guard !values.isEmpty else { return ([], indices ? [] : nil) }
        var argmax = [Int64](repeating: -1, count: indices ? planes * outPlane : 0)
        // Column-major strides of the spatial axes (the promoted unit axes lead and never move the index).
        let columnStrides = [1, g.input[0], g.input[0] * g.input[1]]
        x.withUnsafeBufferPointer { xb in
            values.withUnsafeMutableBufferPointer { vb in
                argmax.withUnsafeMutableBufferPointer { ib in
                    let xp = xb.baseAddress!, vp = vb.baseAddress!, ip = indices ? ib.baseAddress : nil
                    parallelChunks(planes, threads: threads) { range in
                        for plane in range {
                            let src = xp + plane * inPlane
                            forEachWindow(g) { out, d, h, w in
                                // A window entirely in the padding keeps 0 and index −1.
                                guard let fd = d.first, let fh = h.first, let fw = w.first else { return }
                                var best = src[(fd * g.input[1] + fh) * g.input[2] + fw]
                                var bestAt = (fd, fh, fw)
                                for pd in d.positions {
                                    for ph in h.positions {
                                        let line = src + (pd * g.input[1] + ph) * g.input[2]
                                        for pw in w.positions where line[pw] > best {
                                            best = line[pw]
                                            bestAt = (pd, ph, pw)
                                        }
                                    }
                                }
                                vp[plane * outPlane + out] = best
                                if let ip {
                                    let offset = columnMajor
                                        ? bestAt.0 * columnStrides[0] + bestAt.1 * columnStrides[1] + bestAt.2 * columnStrides[2]
                                        : (bestAt.0 * g.input[1] + bestAt.1) * g.input[2] + bestAt.2
                                    ip[plane * outPlane + out] = Int64(plane * inPlane + offset)
                                }
                            }
                        }
                    }
                }
            }
        }
        return (values, indices ? argmax : nil)
    }

    /// Average pooling; see the type's formula for the divisor.
    public static func average(_ x: [Float], planes: Int, geometry: WindowGeometry, countIncludePad: Bool,
                               threads: Int = 1) -> [Float] {
        reduce(x, planes: planes, geometry: geometry, threads: threads) { src, d, h, w, g in
            var sum: Float = 0
            for pd in d.positions {
                for ph in h.positions {
                    let line = src + (pd * g.input[1] + ph) * g.input[2]
                    for pw in w.positions { sum += line[pw] }
                }
            }
            let count = countIncludePad ? d.paddedCount * h.paddedCount * w.paddedCount
                                        : d.count * h.count * w.count
            return sum / Float(count)
        }
    }

    /// Lp pooling: (Σ |x|^p)^(1/p) over the taps inside the input.
    public static func lp(_ x: [Float], planes: Int, geometry: WindowGeometry, p: Float, threads: Int = 1) -> [Float] {
        reduce(x, planes: planes, geometry: geometry, threads: threads) { src, d, h, w, g in
            var sum: Float = 0
            for pd in d.positions {
                for ph in h.positions {
                    let line = src + (pd * g.input[1] + ph) * g.input[2]
                    for pw in w.positions { sum += Foundation.pow(Swift.abs(line[pw]), p) }
                }
            }
            return Foundation.pow(sum, 1 / p)
        }
    }

    private static func reduce(_ x: [Float], planes: Int, geometry: WindowGeometry, threads: Int,
                               _ body: (UnsafePointer<Float>, WindowAxis, WindowAxis, WindowAxis, WindowGeometry) -> Float)
        -> [Float] {
        precondition(x.count == planes * geometry.inputSize, "pool input size")
        let g = geometry.promotedTo3D
        let outPlane = g.outputSize, inPlane = g.inputSize
        var y = [Float](repeating: 0, count: planes * outPlane)
        guard !y.isEmpty else { return y }
        x.withUnsafeBufferPointer { xb in
            y.withUnsafeMutableBufferPointer { yb in
                let xp = xb.baseAddress!, yp = yb.baseAddress!
                parallelChunks(planes, threads: threads) { range in
                    for plane in range {
                        let src = xp + plane * inPlane
                        forEachWindow(g) { out, d, h, w in yp[plane * outPlane + out] = body(src, d, h, w, g) }
                    }
                }
            }
        }
        return y
    }

    /// Calls `body(outputIndex, d, h, w)` for each output position of the 3-D geometry, in row-major order.
    private static func forEachWindow(_ g: WindowGeometry, _ body: (Int, WindowAxis, WindowAxis, WindowAxis) -> Void) {
        var out = 0
        for od in 0..<g.output[0] {
            let d = WindowAxis(g, axis: 0, output: od)
            for oh in 0..<g.output[1] {
                let h = WindowAxis(g, axis: 1, output: oh)
                for ow in 0..<g.output[2] {
                    body(out, d, h, WindowAxis(g, axis: 2, output: ow))
                    out += 1
                }
            }
        }
    }
}

/// One window along one axis: the input positions start + t·dilation of the taps t inside the input.
struct WindowAxis {
    /// Input positions of the taps inside the input, in tap order.
    let positions: StrideTo<Int>
    /// Number of taps inside the input.
    let count: Int
    /// Taps inside the explicitly padded input (−p_begin ..< in + p_end).
    let paddedCount: Int

    init(_ g: WindowGeometry, axis: Int, output: Int) {
        let start = output * g.strides[axis] - g.padsBegin[axis], dilation = g.dilations[axis]
        let valid = validOutputRange(count: g.kernel[axis], stride: dilation, offset: start, size: g.input[axis])
        positions = stride(from: start + valid.lowerBound * dilation, to: start + valid.upperBound * dilation,
                           by: dilation)
        count = valid.count
        paddedCount = validOutputRange(count: g.kernel[axis], stride: dilation, offset: start + g.padsBegin[axis],
                                       size: g.input[axis] + g.padsBegin[axis] + g.padsEnd[axis]).count
    }

    /// The first position inside the input, nil when the window lies entirely in the padding.
    var first: Int? { count > 0 ? positions.first(where: { _ in true }) : nil }
}
