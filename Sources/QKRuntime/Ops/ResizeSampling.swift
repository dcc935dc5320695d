import QKKernels
import QKTensor

/// How Resize maps an output coordinate `x` on one axis to a source coordinate.
///
/// `scale` is the axis's scale factor, `d` its input size, `D` its output size, `W = scale·d` the unrounded
/// output width, `roi = (r0, r1)` the axis's crop window (tf_crop_and_resize only).
///
/// | mode                 | source coordinate                                          |
/// |----------------------|------------------------------------------------------------|
/// | half_pixel           | `(x + 0.5) / scale − 0.5`                                  |
/// | half_pixel_symmetric | `d/2·(1 − D/W) + (x + 0.5) / scale − 0.5`                  |
/// | pytorch_half_pixel   | `(x + 0.5) / scale − 0.5`, or `−0.5` when `W == 1`         |
/// | align_corners        | `x·(d − 1) / (W − 1)`, or `0` when `W == 1`                |
/// | asymmetric           | `x / scale`                                                |
/// | tf_half_pixel_for_nn | `(x + 0.5) / scale`                                        |
/// | tf_crop_and_resize   | `r0·(d−1) + x·(r1 − r0)·(d − 1) / (W − 1)` (centre if W == 1); outside `0...d−1` → extrapolation value |
enum ResizeCoordinates {
    typealias Mapping = @Sendable (_ x: Double, _ axis: AxisGeometry) -> Double

    /// One resized axis: input and output sizes, scale and crop window.
    struct AxisGeometry {
        var input: Int
        var output: Int
        var scale: Double
        var roi: (start: Double, end: Double)
        var width: Double { scale * Double(input) }
    }

    static let modes: [String: Mapping] = [
        "half_pixel": { x, g in (x + 0.5) / g.scale - 0.5 },
        "half_pixel_symmetric": { x, g in
            Double(g.input) / 2 * (1 - Double(g.output) / g.width) + (x + 0.5) / g.scale - 0.5
        },
        "pytorch_half_pixel": { x, g in g.width == 1 ? -0.5 : (x + 0.5) / g.scale - 0.5 },
        "align_corners": { x, g in g.width == 1 ? 0 : x * Double(g.input - 1) / (g.width - 1) },
        "asymmetric": { x, g in x / g.scale },
        "tf_half_pixel_for_nn": { x, g in (x + 0.5) / g.scale },
        "tf_crop_and_resize": { x, g in
            let span = (g.roi.end - g.roi.start) * Double(g.input - 1)
            let base = g.roi.start * Double(g.input - 1)
            return base + (g.width == 1 ? span / 2 : x * span / (g.width - 1))
        },
    ]

    /// The source coordinate of output position `o`, or nil where the output takes the extrapolation value
    /// (tf_crop_and_resize outside `0...d−1`, or a non-finite coordinate from a degenerate roi). Far-out
    /// coordinates are clamped to ±1e9: every tap there is an edge element either way.
    static func source(_ o: Int, _ g: AxisGeometry, _ map: Mapping, cropMode: Bool) -> Double? {
        let x = map(Double(o), g)
        guard x.isFinite, !cropMode || (x >= 0 && x <= Double(g.input - 1)) else { return nil }
        return min(max(x, -1e9), 1e9)
    }
}

/// Picks the source index for a fractional coordinate in nearest mode; `ratio = x − floor(x)` in `(0, 1)`.
///
/// | nearest_mode       | takes the right neighbour when |
/// |--------------------|--------------------------------|
/// | round_prefer_floor | ratio > 0.5                    |
/// | round_prefer_ceil  | ratio ≥ 0.5                    |
/// | floor              | never                          |
/// | ceil               | always                         |
enum ResizeNearest {
    static let modes: [String: @Sendable (_ ratio: Double) -> Bool] = [
        "round_prefer_floor": { $0 > 0.5 },
        "round_prefer_ceil": { $0 >= 0.5 },
        "floor": { _ in false },
        "ceil": { _ in true },
    ]
}

/// Interpolation weights for one output position: `ratio` is the position's offset right of its left
/// neighbour, in `(0, 1]`; `scale` the axis scale. Each returns the weights of consecutive neighbours.
///
/// | mode   | weights                                                                             |
/// |--------|-------------------------------------------------------------------------------------|
/// | linear | `[1 − ratio, ratio]`                                                                |
/// | cubic  | Keys cubic with coefficient A at distances `1 + ratio, ratio, 1 − ratio, 2 − ratio` |
/// | antialias (scale < 1) | the same kernels stretched by `1/scale`, normalized to sum 1         |
enum ResizeFilter {
    typealias Weights = (_ ratio: Double, _ scale: Double) -> [Double]

    static func keys(_ x: Double, a: Double) -> Double {
        let x = abs(x)
        if x <= 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
        if x < 2 { return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }
        return 0
    }

    static func weights(mode: String, antialias: Bool, a: Double) -> Weights? {
        switch (mode, antialias) {
        case ("linear", false): { r, _ in [1 - r, r] }
        case ("cubic", false): { r, _ in [keys(1 + r, a: a), keys(r, a: a), keys(1 - r, a: a), keys(2 - r, a: a)] }
        case ("linear", true): { r, s in
            let scale = min(s, 1), first = Int((-1 / scale).rounded(.down)) + 1
            return normalized((first..<(2 - first)).map { max(0, 1 - abs((Double($0) - r) * scale)) })
        }
        case ("cubic", true): { r, s in
            let scale = min(s, 1), first = Int((-2 / scale).rounded(.down)) + 1
            return normalized((first..<(2 - first)).map { keys(scale * (Double($0) - r), a: a) })
        }
        default: nil
        }
    }

    private static func normalized(_ w: [Double]) -> [Double] {
        let total = w.reduce(0, +)
        return total == 0 ? w : w.map { $0 / total }
    }
}

/// One separable resampling pass: along one axis, output position `o` is `Σ weights[o][j]·in[taps[o][j]]`,
/// or `extrapolation` where `outside[o]`.
struct ResamplePass {
    var axis: Int
    var taps: [[Int]]
    var weights: [[Float]]
    var outside: [Bool]
    var extrapolation: Float

    /// The tap table for `geometry` with source-coordinate mapping `map` and weight function `filter`.
    init(axis: Int, geometry g: ResizeCoordinates.AxisGeometry, map: ResizeCoordinates.Mapping,
         filter: ResizeFilter.Weights, excludeOutside: Bool, cropMode: Bool, extrapolation: Float) {
        self.axis = axis
        self.extrapolation = extrapolation
        var taps: [[Int]] = [], weights: [[Float]] = [], outside: [Bool] = []
        for o in 0..<g.output {
            guard let x = ResizeCoordinates.source(o, g, map, cropMode: cropMode) else {
                taps.append([0])
                weights.append([0])
                outside.append(true)
                continue
            }
            let left = x.rounded(.down)
            var w = filter(x == left ? 1 : x - left, g.scale)
            let n = w.count, pad = (n + 1) / 2
            let padded = x + Double(pad), p = Int(padded.rounded(.down)), frac = padded - padded.rounded(.down)
            let offset = n % 2 == 0 ? (frac == 0 ? -(n / 2) : -(n / 2) + 1) : (frac <= 0.5 ? -((n - 1) / 2) : -((n - 1) / 2) + 1)
            let first = p + offset - pad
            let raw = (0..<n).map { first + $0 }
            if excludeOutside {
                for (j, i) in raw.enumerated() where !(0..<g.input).contains(i) { w[j] = 0 }
                let total = w.reduce(0, +)
                if total != 0 { w = w.map { $0 / total } }
            }
            taps.append(raw.map { min(max($0, 0), g.input - 1) })
            weights.append(w.map { Float($0) })
            outside.append(false)
        }
        self.taps = taps
        self.weights = weights
        self.outside = outside
    }

    /// Applies the pass to `values` of `shape`; returns the new values (shape changes only on `axis`).
    /// Output rows (one per outer index and output position) are independent and split across `threads`.
    func apply(_ values: [Float], shape: [Int], threads: Int) -> [Float] {
        let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *)
        let d = shape[axis], outLen = taps.count
        var out = [Float](repeating: 0, count: outer * outLen * inner)
        values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                let workers = outer * outLen * inner >= 1 << 15 ? threads : 1
                parallelChunks(outer * outLen, threads: workers) { range in
                    for job in range {
                        let (b, o) = job.quotientAndRemainder(dividingBy: outLen)
                        let row = dst.baseAddress! + job * inner
                        if outside[o] {
                            row.update(repeating: extrapolation, count: inner)
                            continue
                        }
                        for (tap, w) in zip(taps[o], weights[o]) where w != 0 {
                            let from = src.baseAddress! + (b * d + tap) * inner
                            for i in 0..<inner { row[i] += w * from[i] }
                        }
                    }
                }
            }
        }
        return out
    }
}
