import QKGraph
import QKKernels
import QKTensor

/// The SIMD fast paths of QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear (QKKernels'
/// QuantizeLinearKernels.swift): float32 data, float32 scales, per tensor or per axis, 8/16-bit integers (and int32
/// for DequantizeLinear), written straight into the output array. They give the same bits as the general loops of
/// QuantizedLinear.swift and return nil for anything else — other dtypes, blocked layouts, float8, and every
/// invalid input — so that the general code runs and reports the error exactly as before.
extension OpTable {
    /// QuantizeLinear through ``quantizeLinear(_:scale:zeroPoint:as:into:threads:path:)`` (or its per-axis twin).
    static func fastQuantizeLinear(_ ctx: KernelContext) -> Tensor? {
        guard let x = ctx.inputs.first ?? nil, case .float32(let xValues) = x.storage,
              let parameters = fastParameters(ctx, dataShape: x.shape) else { return nil }
        var dtype = parameters.zeroPoint?.dtype ?? .uint8
        if parameters.outputCode != 0 {
            guard let requested = quantizedOutputDTypes[parameters.outputCode], parameters.zeroPoint == nil || requested == dtype else {
                return nil
            }
            dtype = requested
        }
        guard let type = fastIntegerType(dtype), type != .int32 else { return nil }
        return xValues.withUnsafeBufferPointer { xs in
            makeTensor(dtype, count: xs.count, shape: x.shape) { y in
                if let inner = parameters.inner {
                    quantizeLinear(xs, scales: parameters.scales, zeroPoints: parameters.zeroPoints, inner: inner,
                                   as: type, into: y, threads: ctx.threads)
                } else {
                    quantizeLinear(xs, scale: parameters.scales[0], zeroPoint: parameters.zeroPoints[0], as: type,
                                   into: y, threads: ctx.threads)
                }
            }
        }
    }

    /// DequantizeLinear through ``dequantizeLinear(_:count:type:scale:zeroPoint:into:threads:path:)`` (or its
    /// per-axis twin), float32 output only.
    static func fastDequantizeLinear(_ ctx: KernelContext) -> Tensor? {
        guard let x = ctx.inputs.first ?? nil, let type = fastIntegerType(x.dtype),
              let parameters = fastParameters(ctx, dataShape: x.shape) else { return nil }
        guard parameters.outputCode == 0 || parameters.outputCode == 1,
              parameters.zeroPoint == nil || parameters.zeroPoint?.dtype == x.dtype,
              type != .int32 || parameters.zeroPoints.allSatisfy({ $0 == 0 }) else { return nil }
        return x.storage.withUnsafeRawElements { xs in
            makeTensor(.float32, count: x.count, shape: x.shape) { raw in
                let y = raw.assumingMemoryBound(to: Float.self)
                if let inner = parameters.inner {
                    dequantizeLinear(xs, count: x.count, type: type, scales: parameters.scales,
                                     zeroPoints: parameters.zeroPoints, inner: inner, into: y, threads: ctx.threads)
                } else {
                    dequantizeLinear(xs, count: x.count, type: type, scale: parameters.scales[0],
                                     zeroPoint: parameters.zeroPoints[0], into: y, threads: ctx.threads)
                }
            }
        }
    }

    /// DynamicQuantizeLinear for a non-empty, finite float32 x with a positive range (scale > 0); the formulas
    /// are those of the general kernel, with the range scan and the quantization in SIMD.
    static func fastDynamicQuantizeLinear(_ ctx: KernelContext) -> [Tensor]? {
        guard let x = ctx.inputs.first ?? nil, case .float32(let values) = x.storage else { return nil }
        return values.withUnsafeBufferPointer { xs -> [Tensor]? in
            guard let range = finiteMinMax(xs) else { return nil }
            let lo = min(0, range.min), hi = max(0, range.max)
            let scale = (hi - lo) / 255
            guard scale > 0 else { return nil }
            let zp = Int32(min(max((-lo / scale).rounded(.toNearestOrEven), 0), 255))
            let y = makeTensor(.uint8, count: xs.count, shape: x.shape) { out in
                quantizeLinear(xs, scale: scale, zeroPoint: zp, as: .uint8, into: out, threads: ctx.threads)
            }
            return [y, Tensor(scalar: scale), Tensor(scalar: UInt8(zp))]
        }
    }

    /// The kernel type of an integer dtype the fast kernels handle (a switch: cheaper than a dictionary lookup).
    private static func fastIntegerType(_ dtype: DType) -> QDQIntegerType? {
        switch dtype {
        case .uint8: .uint8
        case .int8: .int8
        case .uint16: .uint16
        case .int16: .int16
        case .int32: .int32
        default: nil
        }
    }

    /// The zero points as Int32 (8/16/32-bit storages only; nil for others and for an empty tensor).
    private static func fastZeroPoints(_ zero: Tensor) -> [Int32]? {
        guard zero.count > 0 else { return nil }
        switch zero.storage {
        case .uint8(let v): return v.map(Int32.init)
        case .int8(let v): return v.map(Int32.init)
        case .uint16(let v): return v.map(Int32.init)
        case .int16(let v): return v.map(Int32.init)
        case .int32(let v): return v
        default: return nil
        }
    }

    /// Validated float32 scale and zero point of a QuantizeLinear/DequantizeLinear node: per tensor (`inner` nil)
    /// or per axis (`inner` = elements after the axis); nil when the general code must run.
    private struct FastParameters {
        var scales: [Float]
        var zeroPoints: [Int32]
        var zeroPoint: Tensor?
        var inner: Int?
        var outputCode: Int
    }

    private static func fastParameters(_ ctx: KernelContext, dataShape: [Int]) -> FastParameters? {
        guard ctx.inputs.count >= 2, let scale = ctx.inputs[1], case .float32(let scales) = scale.storage,
              !scales.isEmpty, scales.allSatisfy({ $0 > 0 && $0.isFinite }) else { return nil }
        let zero = ctx.inputs.count > 2 ? ctx.inputs[2] : nil
        var zeroPoints: [Int32] = [0]
        if let zero {
            guard let values = fastZeroPoints(zero) else { return nil }
            zeroPoints = values
        }
        let attributes = ctx.node.attributes
        var axis = 1, outputCode = 0
        if !attributes.isEmpty {
            guard let blockSize = try? ctx.node.int("block_size", default: 0), blockSize == 0,
                  let a = try? ctx.node.int("axis", default: 1),
                  let code = try? ctx.node.int("output_dtype", default: 0) else {
                return nil
            }
            (axis, outputCode) = (a, code)
        }
        if scale.shape.isEmpty || scale.shape == [1] {
            guard zeroPoints.count == 1 else { return nil }
            return FastParameters(scales: scales, zeroPoints: zeroPoints, zeroPoint: zero, inner: nil, outputCode: outputCode)
        }
        let rank = dataShape.count
        guard scale.shape.count == 1, (-rank..<rank).contains(axis), zero == nil || zero?.shape == scale.shape else {
            return nil
        }
        let a = axis < 0 ? axis + rank : axis
        guard dataShape[a] == scales.count else { return nil }
        return FastParameters(scales: scales, zeroPoints: zeroPoints, zeroPoint: zero,
                              inner: dataShape[(a + 1)...].reduce(1, *), outputCode: outputCode)
    }

    /// A tensor of `dtype` (uint8, int8, uint16, int16 or float32) whose `count` elements `fill` writes, uninitialized
    /// before.
    private static func makeTensor(_ dtype: DType, count: Int, shape: [Int],
                                   _ fill: (UnsafeMutableRawPointer) -> Void) -> Tensor {
        func make<T: TensorScalar>(_: T.Type) -> Tensor {
            let values = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                if let base = buffer.baseAddress, count > 0 { fill(UnsafeMutableRawPointer(base)) }
                initialized = count
            }
            return Tensor(shape: shape, values: values)
        }
        switch dtype {
        case .uint8: return make(UInt8.self)
        case .int8: return make(Int8.self)
        case .uint16: return make(UInt16.self)
        case .int16: return make(Int16.self)
        default: return make(Float.self)
        }
    }
}

extension TensorStorage {
    /// The elements' bytes of an 8/16/32-bit integer storage (other storages: an empty buffer's address is not
    /// used, as the fast paths only call this for those dtypes).
    fileprivate func withUnsafeRawElements<R>(_ body: (UnsafeRawPointer) -> R) -> R {
        func raw<T>(_ values: [T]) -> R {
            values.withUnsafeBytes { body($0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!) }
        }
        switch self {
        case .uint8(let v): return raw(v)
        case .int8(let v): return raw(v)
        case .uint16(let v): return raw(v)
        case .int16(let v): return raw(v)
        case .int32(let v): return raw(v)
        default: preconditionFailure("withUnsafeRawElements: \(dtype) is not an 8/16/32-bit integer storage")
        }
    }
}
