import CQKKernels

/// One instruction-set variant of the 2×2 stride-2 max pooling loops (pool_max.c, pool_max2x2_avx2.c). Every path
/// gives the same bits as the general Swift loop (tests check each path the CPU has):
///
/// | path       | block (outputs per step)                        | needs |
/// |------------|-------------------------------------------------|-------|
/// | `avx2`     | fp32 8, u8/s8 16 (whole line pairs when narrow) | AVX2  |
/// | `portable` | 1 (loops the compiler may vectorize)            | —     |
public enum PoolingKernelPath: String, Sendable, CaseIterable, CustomStringConvertible {
    case avx2
    case portable

    public var description: String { rawValue }

    /// Every path this CPU can run, fastest first.
    public static let available: [PoolingKernelPath] = {
        qk_detect_cpu_features().avx2 != 0 ? [.avx2, .portable] : [.portable]
    }()

    /// The fastest path this CPU can run.
    public static let best: PoolingKernelPath = available[0]
}

/// An element type with C max pooling loops (u8, s8, fp32).
public protocol InsideMaxPoolElement: Numeric, Sendable {
    /// The 2×2 stride-2 loop of `path`: (x, planes, in_h, in_w, out_h, out_w, y).
    static func twoByTwoLoop(_ path: PoolingKernelPath) -> MaxPoolInside.TwoByTwoLoop<Self>
    /// The loop for any kernel and stride: (x, planes, 12 sizes, y).
    static var generalLoop: MaxPoolInside.GeneralLoop<Self> { get }
}

extension UInt8: InsideMaxPoolElement {
    public static func twoByTwoLoop(_ path: PoolingKernelPath) -> MaxPoolInside.TwoByTwoLoop<Self> {
        path == .avx2 ? qk_maxpool2x2_u8_avx2 : qk_maxpool2x2_u8_generic
    }
    public static var generalLoop: MaxPoolInside.GeneralLoop<Self> { qk_maxpool_inside_u8 }
}

extension Int8: InsideMaxPoolElement {
    public static func twoByTwoLoop(_ path: PoolingKernelPath) -> MaxPoolInside.TwoByTwoLoop<Self> {
        path == .avx2 ? qk_maxpool2x2_s8_avx2 : qk_maxpool2x2_s8_generic
    }
    public static var generalLoop: MaxPoolInside.GeneralLoop<Self> { qk_maxpool_inside_s8 }
}

extension Float: InsideMaxPoolElement {
    public static func twoByTwoLoop(_ path: PoolingKernelPath) -> MaxPoolInside.TwoByTwoLoop<Self> {
        path == .avx2 ? qk_maxpool2x2_f32_avx2 : qk_maxpool2x2_f32_generic
    }
    public static var generalLoop: MaxPoolInside.GeneralLoop<Self> { qk_maxpool_inside_f32 }
}

/// Max pooling of one geometry whose windows all lie inside the input (no padding read, no dilation), the MaxPool
/// of CNNs, resolved once so that a run is one output allocation and one C loop per chunk of planes:
///
///     Y[o] = max_t X[o·s + t]   (t over the kernel; floats fold x >= best ? x : best in window order)
///
/// The 2×2 stride-2 window (within each depth slice) has its own SIMD loops; any other kernel and stride runs line
/// by line. Results equal ``Pooling/max(_:planes:geometry:indices:columnMajor:threads:)`` bit for bit (for floats a
/// NaN after a window's first tap is skipped and of equal values (+0, −0) the later tap wins).
public struct MaxPoolInside: Sendable {
    /// A C 2×2 stride-2 loop (x, planes, in_h, in_w, out_h, out_w, y).
    public typealias TwoByTwoLoop<T> = (UnsafePointer<T>?, Int, Int, Int, Int, Int, UnsafeMutablePointer<T>?) -> Void
    /// A C loop for any kernel and stride (x, planes, 12 sizes, y).
    public typealias GeneralLoop<T> = (UnsafePointer<T>?, Int, UnsafePointer<Int>?, UnsafeMutablePointer<T>?) -> Void

    /// Elements in one input plane and one output plane.
    public let inputPlaneSize: Int, outputPlaneSize: Int
    /// Taps per window.
    let kernelSize: Int
    /// For the 2×2 stride-2 window: depth slices per plane, and input and output height and width.
    let twoByTwo: (slices: Int, inH: Int, inW: Int, outH: Int, outW: Int)?
    /// For other windows: the 3-D promoted input, output, kernel and strides (d, h, w each).
    let sizes: [Int]

    /// Nil when a window of `geometry` reaches into the padding or is dilated.
    public init?(_ geometry: WindowGeometry) {
        let (ad, ah, aw) = geometry.axes3D
        func inside(_ a: AxisWindow) -> Bool {
            a.dilation == 1 && a.padBegin == 0 && (a.output - 1) * a.stride + a.kernel <= a.input
        }
        guard inside(ad), inside(ah), inside(aw) else { return nil }
        inputPlaneSize = geometry.inputSize
        outputPlaneSize = geometry.outputSize
        kernelSize = geometry.kernelSize
        if ad.kernel == 1 && ad.stride == 1 && ah.kernel == 2 && ah.stride == 2 && aw.kernel == 2 && aw.stride == 2 {
            twoByTwo = (ad.input, ah.input, aw.input, ah.output, aw.output)
            sizes = []
        } else {
            twoByTwo = nil
            sizes = [ad.input, ah.input, aw.input, ad.output, ah.output, aw.output,
                     ad.kernel, ah.kernel, aw.kernel, ad.stride, ah.stride, aw.stride]
        }
    }

    /// Pools `planes` planes of `x` (planes · ``inputPlaneSize`` elements) on `path`, splitting the planes over
    /// `threads` when the work is large enough.
    public func callAsFunction(_ x: [UInt8], planes: Int, threads: Int = 1, path: PoolingKernelPath = .best) -> [UInt8] {
        pool(x, planes: planes, threads: threads, path: path)
    }

    /// ``callAsFunction(_:planes:threads:path:)`` for s8 planes.
    public func callAsFunction(_ x: [Int8], planes: Int, threads: Int = 1, path: PoolingKernelPath = .best) -> [Int8] {
        pool(x, planes: planes, threads: threads, path: path)
    }

    /// ``callAsFunction(_:planes:threads:path:)`` for fp32 planes.
    public func callAsFunction(_ x: [Float], planes: Int, threads: Int = 1, path: PoolingKernelPath = .best) -> [Float] {
        pool(x, planes: planes, threads: threads, path: path)
    }

    /// The three element types through one body, specialized here (a generic call from another module would look
    /// up metadata on every run).
    fileprivate func pool<T: InsideMaxPoolElement>(_ x: [T], planes: Int, threads: Int, path: PoolingKernelPath) -> [T] {
        precondition(x.count == planes * inputPlaneSize, "maxPool input size")
        let count = planes * outputPlaneSize
        return [T](unsafeUninitializedCapacity: count) { y, initialized in
            x.withUnsafeBufferPointer { xb in
                guard let xp = xb.baseAddress, let yp = y.baseAddress else { return }
                run(xp, planes: planes, yp, threads: threads, path: path)
            }
            initialized = count
        }
    }

    private func run<T: InsideMaxPoolElement>(_ x: UnsafePointer<T>, planes: Int, _ y: UnsafeMutablePointer<T>,
                                              threads: Int, path: PoolingKernelPath) {
        let (inPlane, outPlane) = (inputPlaneSize, outputPlaneSize)
        let twoByTwoLoop = T.twoByTwoLoop(path), generalLoop = T.generalLoop
        sizes.withUnsafeBufferPointer { g in
            parallelChunks(planes, threads: threads, workPerItem: outPlane * kernelSize) { range in
                let source = x + range.lowerBound * inPlane, target = y + range.lowerBound * outPlane
                if let t = twoByTwo {
                    twoByTwoLoop(source, range.count * t.slices, t.inH, t.inW, t.outH, t.outW, target)
                } else {
                    generalLoop(source, range.count, g.baseAddress, target)
                }
            }
        }
    }
}

extension Pooling {
    /// Max pooling in C of u8, s8 or fp32 planes (see ``MaxPoolInside``); nil when a window reaches into the
    /// padding or is dilated.
    public static func maxInside<T: InsideMaxPoolElement>(_ x: [T], planes: Int, geometry: WindowGeometry,
                                                          threads: Int = 1, path: PoolingKernelPath = .best) -> [T]? {
        MaxPoolInside(geometry).map { $0.pool(x, planes: planes, threads: threads, path: path) }
    }
}
