import CQKKernels

/// Max pooling in C for u8, s8 and fp32 planes whose windows all lie inside the input (no padding read, no
/// dilation), the MaxPool of quantized CNNs: the 2×2 stride-2 window has its own loops, any other kernel and stride
/// runs line by line. The results equal ``Pooling/max(_:planes:geometry:indices:columnMajor:threads:)`` bit for bit
/// (for floats each window is folded as `x >= best ? x : best` from its first tap in window order, so a NaN after
/// the first tap is skipped and equal values of either sign keep the last).
extension Pooling {
    /// Max pooling of u8 planes; nil when a window reaches into the padding or is dilated.
    public static func maxInside(_ x: [UInt8], planes: Int, geometry: WindowGeometry, threads: Int = 1) -> [UInt8]? {
        maxInside(x, planes: planes, geometry: geometry, threads: threads,
                  pairs: qk_maxpool_2x2_u8, ordered: nil, general: qk_maxpool_inside_u8)
    }

    /// Max pooling of s8 planes; nil when a window reaches into the padding or is dilated.
    public static func maxInside(_ x: [Int8], planes: Int, geometry: WindowGeometry, threads: Int = 1) -> [Int8]? {
        maxInside(x, planes: planes, geometry: geometry, threads: threads,
                  pairs: qk_maxpool_2x2_s8, ordered: nil, general: qk_maxpool_inside_s8)
    }

    /// Max pooling of fp32 planes; nil when a window reaches into the padding or is dilated.
    public static func maxInside(_ x: [Float], planes: Int, geometry: WindowGeometry, threads: Int = 1) -> [Float]? {
        maxInside(x, planes: planes, geometry: geometry, threads: threads,
                  pairs: nil, ordered: qk_maxpool_2x2_f32, general: qk_maxpool_inside_f32)
    }

    private typealias Pairs<T> = (UnsafePointer<T>?, Int, Int, UnsafeMutablePointer<T>?, UnsafeMutablePointer<T>?) -> Void
    private typealias OrderedPairs<T> = (UnsafePointer<T>?, Int, Int, Int, Int, Int, UnsafeMutablePointer<T>?) -> Void
    private typealias General<T> = (UnsafePointer<T>?, Int, UnsafePointer<Int>?, UnsafeMutablePointer<T>?) -> Void

    /// Splits the planes over threads when the work is large enough and runs the fitting C loop on each chunk.
    private static func maxInside<T: Numeric>(_ x: [T], planes: Int, geometry: WindowGeometry, threads: Int,
                                              pairs: Pairs<T>?, ordered: OrderedPairs<T>?,
                                              general: General<T>) -> [T]? {
        precondition(x.count == planes * geometry.inputSize, "maxPool input size")
        let (ad, ah, aw) = geometry.axes3D
        func inside(_ a: AxisWindow) -> Bool { a.dilation == 1 && a.padBegin == 0 && (a.output - 1) * a.stride + a.kernel <= a.input }
        guard inside(ad), inside(ah), inside(aw) else { return nil }
        let inPlane = geometry.inputSize, outPlane = geometry.outputSize
        // 2×2 stride 2 within each depth slice (kernel 1, stride 1 along depth).
        let twoByTwo = ad.kernel == 1 && ad.stride == 1 && ah.kernel == 2 && ah.stride == 2 && aw.kernel == 2
            && aw.stride == 2
        let exactPairs = twoByTwo && ah.input == 2 * ah.output && aw.input == 2 * aw.output
        let runsGeneral = !(exactPairs && pairs != nil) && !(twoByTwo && ordered != nil)
        let sizes = runsGeneral ? [ad.input, ah.input, aw.input, ad.output, ah.output, aw.output,
                               ad.kernel, ah.kernel, aw.kernel, ad.stride, ah.stride, aw.stride] : []
        var y = [T](repeating: .zero, count: planes * outPlane)
        x.withUnsafeBufferPointer { xb in
            y.withUnsafeMutableBufferPointer { yb in
                sizes.withUnsafeBufferPointer { g in
                    let xp = xb.baseAddress!, yp = yb.baseAddress!
                    parallelChunks(planes, threads: threads, workPerItem: outPlane * geometry.kernelSize) { range in
                        let source = xp + range.lowerBound * inPlane, target = yp + range.lowerBound * outPlane
                        if exactPairs, let pairs {
                            let linePairs = range.count * ad.input * ah.output
                            let vertical = UnsafeMutablePointer<T>.allocate(capacity: linePairs * aw.input)
                            defer { vertical.deallocate() }
                            pairs(source, linePairs, aw.output, vertical, target)
                        } else if twoByTwo, let ordered {
                            ordered(source, range.count * ad.input, ah.input, aw.input, ah.output, aw.output, target)
                        } else {
                            general(source, range.count, g.baseAddress, target)
                        }
                    }
                }
            }
        }
        return y
    }
}
