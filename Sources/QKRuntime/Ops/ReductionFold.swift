import Foundation
import QKKernels
import QKTensor

/// The floating-point types the reduction and normalization kernels compute in (float16 and bfloat16
/// tensors are computed in `Float` and rounded back).
protocol ReductionFloat: BinaryFloatingPoint, SIMDScalar, TensorScalar, Codable {
    static func exp(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
}

extension Float: ReductionFloat {
    static func exp(_ x: Float) -> Float { Foundation.exp(x) }
    static func log(_ x: Float) -> Float { Foundation.log(x) }
}

extension Double: ReductionFloat {
    static func exp(_ x: Double) -> Double { Foundation.exp(x) }
    static func log(_ x: Double) -> Double { Foundation.log(x) }
}

/// How a reduction folds elements: `acc = combine(acc, transform(x))`, starting from `identity`, with a
/// scalar and an 8-lane form of each step so contiguous rows are folded eight lanes at a time.
/// (Lane-wise loops are used instead of SIMD mask operations, which stay slow in generic code even when
/// specialized: about 50× slower measured for a float32 max.)
protocol FoldRule {
    static func identity<F: ReductionFloat>() -> F
    static func transform<F: ReductionFloat>(_ x: F) -> F
    static func transform<F: ReductionFloat>(_ x: SIMD8<F>) -> SIMD8<F>
    static func combine<F: ReductionFloat>(_ a: F, _ b: F) -> F
    static func combine<F: ReductionFloat>(_ a: SIMD8<F>, _ b: SIMD8<F>) -> SIMD8<F>
}

/// Rules that fold untransformed elements.
protocol PlainFoldRule: FoldRule {}
extension PlainFoldRule {
    static func transform<F: ReductionFloat>(_ x: F) -> F { x }
    static func transform<F: ReductionFloat>(_ x: SIMD8<F>) -> SIMD8<F> { x }
}

/// Rules that add transformed elements.
protocol AddingFoldRule: FoldRule {}
extension AddingFoldRule {
    static func identity<F: ReductionFloat>() -> F { 0 }
    static func combine<F: ReductionFloat>(_ a: F, _ b: F) -> F { a + b }
    static func combine<F: ReductionFloat>(_ a: SIMD8<F>, _ b: SIMD8<F>) -> SIMD8<F> { a + b }
}

/// Σ x
enum SumRule: AddingFoldRule, PlainFoldRule {}

/// Σ |x|
enum MagnitudeSumRule: AddingFoldRule {
    static func transform<F: ReductionFloat>(_ x: F) -> F { x.magnitude }
    static func transform<F: ReductionFloat>(_ x: SIMD8<F>) -> SIMD8<F> {
        var result = x
        for lane in 0..<8 { result[lane] = x[lane].magnitude }
        return result
    }
}

/// Σ x²
enum SquareSumRule: AddingFoldRule {
    static func transform<F: ReductionFloat>(_ x: F) -> F { x * x }
    static func transform<F: ReductionFloat>(_ x: SIMD8<F>) -> SIMD8<F> { x * x }
}

/// Π x
enum ProductRule: PlainFoldRule {
    static func identity<F: ReductionFloat>() -> F { 1 }
    static func combine<F: ReductionFloat>(_ a: F, _ b: F) -> F { a * b }
    static func combine<F: ReductionFloat>(_ a: SIMD8<F>, _ b: SIMD8<F>) -> SIMD8<F> { a * b }
}

/// max x; a NaN anywhere gives NaN (as numpy's `maximum.reduce`); empty gives −∞.
enum MaximumRule: PlainFoldRule {
    static func identity<F: ReductionFloat>() -> F { -F.infinity }
    static func combine<F: ReductionFloat>(_ a: F, _ b: F) -> F { b > a || b != b ? b : a }
    static func combine<F: ReductionFloat>(_ a: SIMD8<F>, _ b: SIMD8<F>) -> SIMD8<F> {
        var result = a
        for lane in 0..<8 { result[lane] = combine(a[lane], b[lane]) }
        return result
    }
}

/// min x; a NaN anywhere gives NaN; empty gives +∞.
enum MinimumRule: PlainFoldRule {
    static func identity<F: ReductionFloat>() -> F { F.infinity }
    static func combine<F: ReductionFloat>(_ a: F, _ b: F) -> F { b < a || b != b ? b : a }
    static func combine<F: ReductionFloat>(_ a: SIMD8<F>, _ b: SIMD8<F>) -> SIMD8<F> {
        var result = a
        for lane in 0..<8 { result[lane] = combine(a[lane], b[lane]) }
        return result
    }
}

/// The folding engine over a ``ReductionLayout`` view.
enum ReductionFold {
    /// Below this many input elements a reduction runs on one thread.
    static let parallelThreshold = 1 << 15

    /// `out[o, i] = fold_r x[o, r, i]` for the rule `R`, over the (already arranged) values `x`.
    static func fold<F: ReductionFloat, R: FoldRule>(_ rule: R.Type, _ x: [F], layout: ReductionLayout,
                                                       threads: Int) -> [F] {
        let (outer, reduced, inner) = (layout.outer, layout.reduced, layout.inner)
        var out = [F](repeating: R.identity(), count: outer * inner)
        guard reduced > 0, !out.isEmpty else { return out }
        let workers = x.count >= parallelThreshold ? threads : 1
        x.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                guard let src = source.baseAddress, let dst = target.baseAddress else { return }
                parallelChunks(outer, threads: workers) { range in
                    for o in range {
                        let block = src + o * reduced * inner
                        if inner == 1 {
                            dst[o] = foldRow(R.self, block, count: reduced)
                        } else {
                            foldRows(R.self, block, rows: reduced, width: inner, into: dst + o * inner)
                        }
                    }
                }
            }
        }
        return out
    }

    /// Folds `count` contiguous elements, eight lanes at a time, then the lanes and the tail.
    @inline(__always)
    static func foldRow<F: ReductionFloat, R: FoldRule>(_ rule: R.Type, _ row: UnsafePointer<F>, count: Int) -> F {
        var lanes = SIMD8<F>(repeating: R.identity())
        var index = 0
        let raw = UnsafeRawPointer(row)
        while index + 8 <= count {
            let chunk = raw.loadUnaligned(fromByteOffset: index * MemoryLayout<F>.stride, as: SIMD8<F>.self)
            lanes = R.combine(lanes, R.transform(chunk))
            index += 8
        }
        var result: F = R.identity()
        for lane in 0..<8 { result = R.combine(result, lanes[lane]) }
        while index < count {
            result = R.combine(result, R.transform(row[index]))
            index += 1
        }
        return result
    }

    /// Folds `rows` rows of `width` contiguous elements element-wise into `target` (which holds the identity).
    @inline(__always)
    static func foldRows<F: ReductionFloat, R: FoldRule>(_ rule: R.Type, _ block: UnsafePointer<F>, rows: Int,
                                                          width: Int, into target: UnsafeMutablePointer<F>) {
        for r in 0..<rows {
            let row = block + r * width
            for i in 0..<width { target[i] = R.combine(target[i], R.transform(row[i])) }
        }
    }
}
