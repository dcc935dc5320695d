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
    @inlinable
    public static func max<T: Comparable & Numeric>(_ x: [T], planes: Int, geometry: WindowGeometry, indices: Bool = false,
                                          columnMajor: Bool = false, threads: Int = 1) -> (values: [T], indices: [Int64]?) {
        precondition(x.count == planes * geometry.inputSize, "maxPool input size")
        let (ad, ah, aw) = geometry.axes3D
        if !indices && ad.dilation == 1 && ah.dilation == 1 && aw.dilation == 1 {
            return (maxUndilated(x, planes: planes, axes: (ad, ah, aw), threads: threads), nil)
        }
        let outPlane = geometry.outputSize, inPlane = geometry.inputSize
        let (inH, inW) = (ah.input, aw.input)
        var values = [T](repeating: .zero, count: planes * outPlane)
        guard !values.isEmpty else { return ([], indices ? [] : nil) }
        var argmax = [Int64](repeating: -1, count: indices ? planes * outPlane : 0)
        // Column-major strides of the spatial axes (the promoted unit axes lead and never move the index).
        let columnStrides = (1, ad.input, ad.input * ah.input)
        x.withUnsafeBufferPointer { xb in
            values.withUnsafeMutableBufferPointer { vb in
                argmax.withUnsafeMutableBufferPointer { ib in
                    let xp = xb.baseAddress!, vp = vb.baseAddress!, ip = indices ? ib.baseAddress : nil
                    parallelChunks(planes, threads: threads, workPerItem: outPlane * geometry.kernelSize) { range in
                        for plane in range {
                            let src = xp + plane * inPlane
                            forEachWindow(ad, ah, aw) { out, d, h, w in
                                // A window entirely in the padding keeps 0 and index −1.
                                guard let fd = d.first, let fh = h.first, let fw = w.first else { return }
                                var best = src[(fd * inH + fh) * inW + fw]
                                guard let ip else {
                                    // Branch-free when no index is needed (keeps the first of equal values;
                                    // NaN after the first tap is skipped, as with the comparison below).
                                    for pd in d.positions {
                                        for ph in h.positions {
                                            let line = src + (pd * inH + ph) * inW
                                            for pw in w.positions { best = Swift.max(best, line[pw]) }
                                        }
                                    }
                                    vp[plane * outPlane + out] = best
                                    return
                                }
                                var bestAt = (fd, fh, fw)
                                for pd in d.positions {
                                    for ph in h.positions {
                                        let line = src + (pd * inH + ph) * inW
                                        for pw in w.positions where line[pw] > best {
                                            best = line[pw]
                                            bestAt = (pd, ph, pw)
                                        }
                                    }
                                }
                                vp[plane * outPlane + out] = best
                                do {
                                    let offset = columnMajor
                                        ? bestAt.0 * columnStrides.0 + bestAt.1 * columnStrides.1 + bestAt.2 * columnStrides.2
                                        : (bestAt.0 * inH + bestAt.1) * inW + bestAt.2
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

    /// Max pooling without dilation or indices: the window bounds of each axis are computed once per call, so
    /// the inner loops are plain contiguous scans (same result as the general path, including its NaN rule:
    /// a NaN after a window's first tap is skipped).
    @inlinable
    static func maxUndilated<T: Comparable & Numeric>(_ x: [T], planes: Int, axes: (AxisWindow, AxisWindow, AxisWindow),
                                                      threads: Int) -> [T] {
        let (ad, ah, aw) = axes
        func bounds(_ a: AxisWindow) -> [Range<Int>] {
            (0..<a.output).map { o in
                let start = o * a.stride - a.padBegin
                return Swift.max(0, start)..<Swift.min(a.input, start + a.kernel)
            }
        }
        let (dRanges, hRanges, wRanges) = (bounds(ad), bounds(ah), bounds(aw))
        let inPlane = ad.input * ah.input * aw.input, outPlane = ad.output * ah.output * aw.output
        var values = [T](repeating: .zero, count: planes * outPlane)
        x.withUnsafeBufferPointer { xb in
            values.withUnsafeMutableBufferPointer { vb in
                let xp = xb.baseAddress!, vp = vb.baseAddress!
                let window = ad.kernel * ah.kernel * aw.kernel
                let inside = [ad, ah, aw].allSatisfy { $0.padBegin == 0 && ($0.output - 1) * $0.stride + $0.kernel <= $0.input }
                parallelChunks(planes, threads: threads, workPerItem: outPlane * window) { range in
                    for plane in range {
                        let src = xp + plane * inPlane
                        var out = vp + plane * outPlane
                        if inside {
                            if let pairs = src as? UnsafePointer<Float>, ad.kernel == 1, ah.kernel == 2, aw.kernel == 2,
                               ah.stride == 2, aw.stride == 2, aw.output % 4 == 0 {
                                maxPairs2x2(pairs, out as! UnsafeMutablePointer<Float>, axes: axes)
                            } else {
                                maxInside(src, out, axes: axes)
                            }
                            continue
                        }
                        for dr in dRanges {
                            for hr in hRanges {
                                for wr in wRanges {
                                    // A window entirely in the padding keeps 0, as in the general path.
                                    if !dr.isEmpty && !hr.isEmpty && !wr.isEmpty {
                                        var best = src[(dr.lowerBound * ah.input + hr.lowerBound) * aw.input + wr.lowerBound]
                                        for pd in dr {
                                            for ph in hr {
                                                let line = src + (pd * ah.input + ph) * aw.input
                                                for pw in wr { best = Swift.max(best, line[pw]) }
                                            }
                                        }
                                        out.pointee = best
                                    }
                                    out += 1
                                }
                            }
                        }
                    }
                }
            }
        }
        return values
    }

    /// ``maxUndilated(_:planes:axes:threads:)`` on one plane whose windows all lie inside the input (no padding
    /// read). A row of outputs is updated tap by tap, so the outputs' max chains are independent (pipelined)
    /// instead of one serial chain per window; every output still sees its taps in row-major order starting
    /// from the first, so the result (NaN rule included) is the same.
    @inlinable
    static func maxInside<T: Comparable>(_ src: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>,
                                         axes: (AxisWindow, AxisWindow, AxisWindow)) {
        let (ad, ah, aw) = axes
        let (inH, inW, outW) = (ah.input, aw.input, aw.output)
        let (kd, kh, kw) = (ad.kernel, ah.kernel, aw.kernel)
        let (sd, sh, sw) = (ad.stride, ah.stride, aw.stride)
        var dst = out
        for zd in 0..<ad.output {
            for zh in 0..<ah.output {
                let row = src + (zd * sd * inH + zh * sh) * inW
                for zw in 0..<outW { dst[zw] = row[zw * sw] }
                for td in 0..<kd {
                    for th in 0..<kh {
                        for tw in 0..<kw where td + th + tw > 0 {
                            let line = row + (td * inH + th) * inW + tw
                            for zw in 0..<outW { dst[zw] = Swift.max(dst[zw], line[zw * sw]) }
                        }
                    }
                }
                dst += outW
            }
        }
    }

    /// ``maxInside(_:_:axes:)`` for the common 2×2 window with stride 2 on float planes whose output rows are a
    /// multiple of 4 wide: four outputs at a time from two 8-float loads per input row, split into even and odd
    /// taps. Each lane keeps `x >= best ? x : best` in the same tap order (top-left, top-right, bottom-left,
    /// bottom-right), so the result equals the scalar loop bit for bit, NaN rule included.
    @usableFromInline
    static func maxPairs2x2(_ src: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                            axes: (AxisWindow, AxisWindow, AxisWindow)) {
        let (ad, ah, aw) = axes
        let (inH, inW, outH, outW) = (ah.input, aw.input, ah.output, aw.output)
        func update(_ best: inout SIMD4<Float>, _ x: SIMD4<Float>) { best.replace(with: x, where: x .>= best) }
        var dst = UnsafeMutableRawPointer(out)
        for zd in 0..<ad.output {
            for zh in 0..<outH {
                let top = UnsafeRawPointer(src + (zd * ad.stride * inH + 2 * zh) * inW)
                let bottom = top + inW * MemoryLayout<Float>.stride
                for quad in stride(from: 0, to: outW, by: 4) {
                    let offset = 2 * quad * MemoryLayout<Float>.stride
                    let upper = top.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                    let lower = bottom.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                    var best = upper.evenHalf
                    update(&best, upper.oddHalf)
                    update(&best, lower.evenHalf)
                    update(&best, lower.oddHalf)
                    dst.storeBytes(of: best, as: SIMD4<Float>.self)
                    dst += MemoryLayout<SIMD4<Float>>.stride
                }
            }
        }
    }

    /// Average pooling; see the type's formula for the divisor.
    public static func average(_ x: [Float], planes: Int, geometry: WindowGeometry, countIncludePad: Bool,
                               threads: Int = 1) -> [Float] {
        reduce(x, planes: planes, geometry: geometry, threads: threads) { src, d, h, w, inH, inW in
            var sum: Float = 0
            for pd in d.positions {
                for ph in h.positions {
                    let line = src + (pd * inH + ph) * inW
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
        reduce(x, planes: planes, geometry: geometry, threads: threads) { src, d, h, w, inH, inW in
            var sum: Float = 0
            for pd in d.positions {
                for ph in h.positions {
                    let line = src + (pd * inH + ph) * inW
                    for pw in w.positions { sum += Foundation.pow(Swift.abs(line[pw]), p) }
                }
            }
            return Foundation.pow(sum, 1 / p)
        }
    }

    private static func reduce(_ x: [Float], planes: Int, geometry: WindowGeometry, threads: Int,
                               _ body: (UnsafePointer<Float>, WindowAxis, WindowAxis, WindowAxis, Int, Int) -> Float)
        -> [Float] {
        precondition(x.count == planes * geometry.inputSize, "pool input size")
        let (ad, ah, aw) = geometry.axes3D
        let outPlane = geometry.outputSize, inPlane = geometry.inputSize
        var y = [Float](repeating: 0, count: planes * outPlane)
        guard !y.isEmpty else { return y }
        x.withUnsafeBufferPointer { xb in
            y.withUnsafeMutableBufferPointer { yb in
                let xp = xb.baseAddress!, yp = yb.baseAddress!
                parallelChunks(planes, threads: threads, workPerItem: outPlane * geometry.kernelSize) { range in
                    for plane in range {
                        let src = xp + plane * inPlane
                        forEachWindow(ad, ah, aw) { out, d, h, w in
                            yp[plane * outPlane + out] = body(src, d, h, w, ah.input, aw.input)
                        }
                    }
                }
            }
        }
        return y
    }

    /// Calls `body(outputIndex, d, h, w)` for each output position of the 3-D geometry, in row-major order.
    @inlinable @inline(__always)
    static func forEachWindow(_ ad: AxisWindow, _ ah: AxisWindow, _ aw: AxisWindow,
                                      _ body: (Int, WindowAxis, WindowAxis, WindowAxis) -> Void) {
        var out = 0
        for od in 0..<ad.output {
            let d = WindowAxis(ad, output: od)
            for oh in 0..<ah.output {
                let h = WindowAxis(ah, output: oh)
                for ow in 0..<aw.output {
                    body(out, d, h, WindowAxis(aw, output: ow))
                    out += 1
                }
            }
        }
    }
}

/// One window along one axis: the input positions start + t·dilation of the taps t inside the input.
@usableFromInline
struct WindowAxis {
    /// Input positions of the taps inside the input, in tap order.
    @usableFromInline let positions: StrideTo<Int>
    /// Number of taps inside the input.
    @usableFromInline let count: Int
    /// Taps inside the explicitly padded input (−p_begin ..< in + p_end).
    @usableFromInline let paddedCount: Int

    @inlinable @inline(__always)
    init(_ a: AxisWindow, output: Int) {
        let start = output * a.stride - a.padBegin, dilation = a.dilation
        let valid = validOutputRange(count: a.kernel, stride: dilation, offset: start, size: a.input)
        positions = stride(from: start + valid.lowerBound * dilation, to: start + valid.upperBound * dilation,
                           by: dilation)
        count = valid.count
        paddedCount = validOutputRange(count: a.kernel, stride: dilation, offset: start + a.padBegin,
                                       size: a.input + a.padBegin + a.padEnd).count
    }

    /// The first position inside the input, nil when the window lies entirely in the padding.
    @inlinable var first: Int? { count > 0 ? positions.first(where: { _ in true }) : nil }
}
