import QKGraph
import QKTensor

enum ResizeKernel {
    /// Everything Resize/Upsample needs once inputs and attributes are read.
    struct Request {
        var mode: String
        var coordinates: String
        var nearestMode: String
        /// Per axis of the input: scale factor and output size (1 and the input dim on untouched axes).
        var scales: [Double]
        var sizes: [Int]
        /// Per axis: crop window in normalized coordinates (`(0, 1)` unless tf_crop_and_resize).
        var roi: [(start: Double, end: Double)]
        var resized: [Int]
        var cubicA: Double = -0.75
        var excludeOutside = false
        var antialias = false
        var extrapolation: Float = 0
    }

    /// Resize (opsets 10–19). Opset 10 takes (X, scales) with asymmetric coordinates and floor rounding (as
    /// ONNX's 10→11 version converter maps it); 11+ take
    /// (X, roi?, scales?, sizes?) with exactly one of scales/sizes non-empty. Output dim `k` is
    /// `floor(d·scale)` for scales and `sizes[k]` for sizes (then `scale = size / d`; the policies
    /// not_larger/not_smaller use the min/max scale over `axes` and `round(d·scale)`).
    /// Modes nearest (every dtype, exact), linear and cubic (numeric dtypes, optionally antialiased), computed
    /// in Float; integer results round half to even and saturate, as the ONNX reference.
    static func resize(_ ctx: KernelContext) throws -> [Tensor] {
        let data = try ctx.input(0)
        let node = ctx.node
        let old = ctx.opset < 11
        let rank = data.rank
        let axes = try (node.ints("axes") ?? Array(0..<rank)).map { try DataMovement.axis($0, rank: rank, ctx, "axes entry") }
        guard Set(axes).count == axes.count else { throw ctx.invalid("axes \(axes) repeat an axis") }
        let scalesInput = ctx.optionalInput(old ? 1 : 2).flatMap { $0.count == 0 ? nil : $0 }
        let sizesInput = old ? nil : ctx.optionalInput(3).flatMap { $0.count == 0 ? nil : $0 }
        var request = Request(
            mode: try node.string("mode", default: "nearest"),
            coordinates: old ? "asymmetric" : try node.string("coordinate_transformation_mode", default: "half_pixel"),
            nearestMode: old ? "floor" : try node.string("nearest_mode", default: "round_prefer_floor"),
            scales: Array(repeating: 1, count: rank), sizes: data.shape,
            roi: Array(repeating: (0, 1), count: rank), resized: axes)
        request.cubicA = Double(try node.float("cubic_coeff_a", default: -0.75))
        request.excludeOutside = try node.int("exclude_outside", default: 0) != 0
        request.antialias = try node.int("antialias", default: 0) != 0
        request.extrapolation = try node.float("extrapolation_value", default: 0)
        switch (scalesInput, sizesInput) {
        case (let scales?, nil):
            try setScales(scales.floatValues.map(Double.init), &request, data.shape, ctx)
        case (nil, let sizes?):
            guard let values = sizes.values(as: Int64.self), values.count == axes.count,
                  values.allSatisfy({ $0 >= 0 && $0 <= DataMovement.maxElements }) else {
                throw ctx.invalid("sizes must hold \(axes.count) non-negative int64 values, got \(sizes.dtype) \(sizes.shape)")
            }
            try setSizes(values.map { Int($0) }, &request, data.shape, policy: node.string("keep_aspect_ratio_policy", default: "stretch"), ctx)
        default:
            throw ctx.invalid("exactly one of scales and sizes must be given")
        }
        if request.coordinates == "tf_crop_and_resize" {
            guard let roi = ctx.optionalInput(1)?.floatValues, roi.count == 2 * axes.count else {
                throw ctx.invalid("tf_crop_and_resize needs roi with \(2 * axes.count) values")
            }
            for (i, axis) in axes.enumerated() { request.roi[axis] = (Double(roi[i]), Double(roi[axes.count + i])) }
        }
        return [try run(request, data, ctx)]
    }

    /// Upsample (opsets 7–9): scales attribute (7) or input (9), nearest (floor) or linear, asymmetric
    /// coordinates, output dim `floor(d·scale)`.
    static func upsample(_ ctx: KernelContext) throws -> [Tensor] {
        let data = try ctx.input(0)
        let scales = ctx.opset < 9 ? try ctx.node.required("scales", ctx.node.floats) : try ctx.input(1).floatValues
        var request = Request(
            mode: try ctx.node.string("mode", default: "nearest"), coordinates: "asymmetric", nearestMode: "floor",
            scales: Array(repeating: 1, count: data.rank), sizes: data.shape,
            roi: Array(repeating: (0, 1), count: data.rank), resized: Array(0..<data.rank))
        try setScales(scales.map(Double.init), &request, data.shape, ctx)
        return [try run(request, data, ctx)]
    }

    private static func setScales(_ scales: [Double], _ r: inout Request, _ shape: [Int], _ ctx: KernelContext) throws {
        guard scales.count == r.resized.count, scales.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw ctx.invalid("scales \(scales) must hold \(r.resized.count) positive values")
        }
        for (i, axis) in r.resized.enumerated() {
            let size = (Double(shape[axis]) * scales[i]).rounded(.down)
            guard size <= Double(DataMovement.maxElements) else { throw ctx.invalid("scales \(scales) give a too large output") }
            r.scales[axis] = scales[i]
            r.sizes[axis] = Int(size)
        }
    }

    private static func setSizes(_ sizes: [Int], _ r: inout Request, _ shape: [Int], policy: String, _ ctx: KernelContext) throws {
        let ratios = zip(r.resized, sizes).map { axis, size in shape[axis] == 0 ? 1 : Double(size) / Double(shape[axis]) }
        let common: Double?
        switch policy {
        case "stretch": common = nil
        case "not_larger": common = ratios.min()
        case "not_smaller": common = ratios.max()
        default: throw ctx.unsupported("keep_aspect_ratio_policy", policy)
        }
        for (i, axis) in r.resized.enumerated() {
            if let scale = common {
                let size = scale * Double(shape[axis]) + 0.5
                guard size <= Double(DataMovement.maxElements) else { throw ctx.invalid("sizes \(sizes) give a too large output") }
                r.scales[axis] = scale
                r.sizes[axis] = Int(size)
            } else {
                r.scales[axis] = ratios[i]
                r.sizes[axis] = sizes[i]
            }
        }
    }

    private static func geometry(_ r: Request, _ shape: [Int], _ axis: Int) -> ResizeCoordinates.AxisGeometry {
        .init(input: shape[axis], output: r.sizes[axis], scale: r.scales[axis], roi: r.roi[axis])
    }

    private static func isIdentity(_ r: Request, _ shape: [Int], _ axis: Int) -> Bool {
        r.sizes[axis] == shape[axis] && r.scales[axis] == 1 && r.roi[axis] == (0, 1)
    }

    private static func run(_ r: Request, _ data: Tensor, _ ctx: KernelContext) throws -> Tensor {
        guard let map = ResizeCoordinates.modes[r.coordinates] else {
            throw ctx.unsupported("coordinate_transformation_mode", r.coordinates)
        }
        for axis in r.resized where data.shape[axis] == 0 && r.sizes[axis] > 0 {
            throw ctx.invalid("cannot resize empty axis \(axis) of shape \(data.shape) to \(r.sizes[axis])")
        }
        let crop = r.coordinates == "tf_crop_and_resize"
        if r.mode == "nearest" {
            if r.antialias { throw ctx.unsupported("antialias", "1 with mode nearest") }
            guard let pick = ResizeNearest.modes[r.nearestMode] else { throw ctx.unsupported("nearest_mode", r.nearestMode) }
            let indices = (0..<data.rank).map { axis -> [Int] in
                if isIdentity(r, data.shape, axis) { return Array(0..<data.shape[axis]) }
                let g = geometry(r, data.shape, axis)
                return (0..<g.output).map { o in
                    guard let x = ResizeCoordinates.source(o, g, map, cropMode: crop) else { return -1 }
                    let left = x.rounded(.down)
                    let i = x == left ? Int(left) : Int(left) + (pick(x - left) ? 1 : 0)
                    return min(max(i, 0), g.input - 1)
                }
            }
            let fill = Tensor(scalar: r.extrapolation).converted(to: data.dtype)
            return try data.gathered(AxisGather(sourceShape: data.shape, indices: indices), fill: fill, threads: ctx.threads)
        }
        guard let filter = ResizeFilter.weights(mode: r.mode, antialias: r.antialias, a: r.cubicA) else {
            throw ctx.unsupported("mode", r.mode)
        }
        guard data.dtype != .bool else { throw ctx.invalid("\(r.mode) resize needs a numeric input, got bool") }
        var shape = data.shape
        var values = data.floatValues
        for axis in r.resized where !isIdentity(r, shape, axis) {
            let pass = ResamplePass(axis: axis, geometry: geometry(r, shape, axis), map: map, filter: filter,
                                    excludeOutside: r.excludeOutside, cropMode: crop, extrapolation: r.extrapolation)
            values = pass.apply(values, shape: shape, threads: ctx.threads)
            shape[axis] = r.sizes[axis]
        }
        if data.dtype.isInteger { values = values.map { $0.rounded(.toNearestOrEven) } }
        return Tensor(shape: shape, values: values).converted(to: data.dtype)
    }
}
