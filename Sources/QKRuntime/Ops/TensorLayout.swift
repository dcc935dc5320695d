import QKKernels
import QKTensor

/// How to build an output tensor by picking source elements axis by axis.
///
/// The element at output index `(i0, …, in-1)` is `source[Σ offsets[k][ik]]` (offsets in source elements,
/// already multiplied by the source stride). A negative offset on any axis marks a fill position:
/// the element there is the fill value instead. This one form covers transpose (`offsets[k][i] = i·stride`),
/// slice (`(start + i·step)·stride`), tile (`(i mod d)·stride`), pad, nearest resize, gather along one axis
/// and broadcasting a scalar (all offsets 0).
struct AxisGather: Sendable {
    /// The output shape; `offsets[k].count == shape[k]`.
    var shape: [Int]
    var offsets: [[Int]]

    /// A plan reading `sourceShape` in row-major order through per-axis source indices `indices[k]`
    /// (negative = fill).
    init(sourceShape: [Int], indices: [[Int]]) {
        let strides = Tensor.strides(for: sourceShape)
        shape = indices.map(\.count)
        offsets = zip(indices, strides).map { idx, stride in idx.map { $0 < 0 ? -1 : $0 * stride } }
    }

    init(shape: [Int], offsets: [[Int]]) {
        self.shape = shape
        self.offsets = offsets
    }

    /// The largest source offset the plan reads, -1 when it reads nothing.
    var maxOffset: Int {
        if shape.contains(0) { return -1 }
        var total = 0
        for table in offsets {
            guard let top = table.max() else { return -1 }
            total += max(top, 0)
        }
        return total
    }

    var needsFill: Bool { offsets.contains { $0.contains { $0 < 0 } } }
}

/// Copies the source elements into a new array as `plan` describes, in every dtype.
private struct AxisGatherCopy: ElementTransform {
    let plan: AxisGather
    /// A scalar tensor of the source dtype, required when the plan has fill positions.
    let fill: Tensor?
    let threads: Int

    func apply<T: TensorScalar>(_ src: [T]) throws -> [T] {
        let count = plan.shape.reduce(1, *)
        guard plan.offsets.count == plan.shape.count, plan.maxOffset < src.count else {
            throw LayoutError.planOutOfRange(shape: plan.shape, sourceCount: src.count)
        }
        if count == 0 { return [] }
        var fillValue: T?
        if plan.needsFill {
            guard let f = try fill?.requireValues(as: T.self).first else { throw LayoutError.missingFill }
            fillValue = f
        }
        guard let seed = fillValue ?? src.first else { throw LayoutError.missingFill }
        var out = [T](repeating: seed, count: count)
        src.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { d in
                gatherRows(source: s, destination: d, fill: seed)
            }
        }
        return out
    }

    private func gatherRows<T>(source: UnsafeBufferPointer<T>, destination: UnsafeMutableBufferPointer<T>, fill: T) {
        let rank = plan.shape.count
        if rank == 0 {
            destination[0] = source[0]
            return
        }
        let inner = plan.shape[rank - 1]
        let last = plan.offsets[rank - 1]
        let contiguous = last.first.map { first in first >= 0 && last.enumerated().allSatisfy { $0.element == first + $0.offset } } ?? false
        let rows = plan.shape.dropLast().reduce(1, *)
        let outerShape = Array(plan.shape.dropLast())
        let offsets = plan.offsets
        let workers = inner * rows >= 1 << 16 ? threads : 1
        parallelChunks(rows, threads: workers) { range in
            var index = DataMovement.multiIndex(of: range.lowerBound, in: outerShape)
            for row in range {
                var base = 0
                var filled = false
                for k in 0..<(rank - 1) {
                    let o = offsets[k][index[k]]
                    if o < 0 { filled = true }
                    base += o
                }
                let out = destination.baseAddress! + row * inner
                if filled {
                    out.update(repeating: fill, count: inner)
                } else if contiguous {
                    out.update(from: source.baseAddress! + base + last[0], count: inner)
                } else {
                    for j in 0..<inner {
                        let o = last[j]
                        out[j] = o < 0 ? fill : source[base + o]
                    }
                }
                DataMovement.increment(&index, in: outerShape)
            }
        }
    }
}

/// Internal consistency errors of a layout plan (a bug in a kernel, reported instead of crashing).
enum LayoutError: Error, CustomStringConvertible {
    case planOutOfRange(shape: [Int], sourceCount: Int)
    case missingFill

    var description: String {
        switch self {
        case .planOutOfRange(let shape, let count): "layout plan for \(shape) reads past the \(count) source elements"
        case .missingFill: "layout plan has fill positions but no fill value"
        }
    }
}

extension Tensor {
    /// The tensor rebuilt as `plan` describes (see ``AxisGather``); `fill` is a scalar of the same dtype.
    func gathered(_ plan: AxisGather, fill: Tensor? = nil, threads: Int = 1) throws -> Tensor {
        try Tensor(shape: plan.shape, storage: storage.map(AxisGatherCopy(plan: plan, fill: fill, threads: threads)))
    }

    /// The axes permuted: `result.shape[k] == shape[perm[k]]`, as numpy `transpose`.
    ///
    /// Adjacent axes that stay adjacent are merged first; a permutation that then moves only two merged
    /// blocks (`[1, 0]`, `[0, 2, 1]`: e.g. NCHW↔NHWC, or swapping the last two axes) runs as a cache-tiled
    /// batched matrix transpose, every other one copies rows through ``AxisGather``.
    func transposed(_ perm: [Int], threads: Int = 1) throws -> Tensor {
        let (mergedShape, mergedPerm) = DataMovement.mergeAxes(shape: shape, perm: perm)
        let outShape = perm.map { shape[$0] }
        if mergedPerm == [1, 0] || mergedPerm == [0, 2, 1] {
            let batch = mergedPerm.count == 3 ? mergedShape[0] : 1
            let rows = mergedShape[mergedShape.count - 2], cols = mergedShape[mergedShape.count - 1]
            let transform = TiledTranspose(batch: batch, rows: rows, cols: cols, threads: threads)
            return try Tensor(shape: outShape, storage: storage.map(transform))
        }
        let strides = self.strides
        let offsets = perm.map { axis in (0..<shape[axis]).map { $0 * strides[axis] } }
        return try gathered(AxisGather(shape: outShape, offsets: offsets), threads: threads)
    }
}

/// `[batch, rows, cols] → [batch, cols, rows]` in 32×32 tiles.
private struct TiledTranspose: ElementTransform {
    let batch: Int, rows: Int, cols: Int
    let threads: Int

    func apply<T: TensorScalar>(_ src: [T]) -> [T] {
        guard let seed = src.first else { return src }
        var out = [T](repeating: seed, count: src.count)
        let (rows, cols, tile) = (self.rows, self.cols, 32)
        let rowTiles = (rows + tile - 1) / tile
        src.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { d in
                let workers = src.count >= 1 << 16 ? threads : 1
                parallelChunks(batch * rowTiles, threads: workers) { range in
                    for job in range {
                        let b = job / rowTiles, r0 = (job % rowTiles) * tile
                        let sBase = b * rows * cols, r1 = min(rows, r0 + tile)
                        var c0 = 0
                        while c0 < cols {
                            let c1 = min(cols, c0 + tile)
                            for r in r0..<r1 {
                                for c in c0..<c1 { d[sBase + c * rows + r] = s[sBase + r * cols + c] }
                            }
                            c0 = c1
                        }
                    }
                }
            }
        }
        return out
    }
}

/// Index arithmetic shared by the shape and movement kernels.
enum DataMovement {
    /// The row-major multi-index of flat position `flat` in `shape`.
    static func multiIndex(of flat: Int, in shape: [Int]) -> [Int] {
        var index = Array(repeating: 0, count: shape.count)
        var rest = flat
        for k in stride(from: shape.count - 1, through: 0, by: -1) where shape[k] > 0 {
            index[k] = rest % shape[k]
            rest /= shape[k]
        }
        return index
    }

    /// Advances `index` to the next row-major position in `shape` (wrapping to zeros at the end).
    static func increment(_ index: inout [Int], in shape: [Int]) {
        var k = shape.count - 1
        while k >= 0 {
            index[k] += 1
            if index[k] < shape[k] { return }
            index[k] = 0
            k -= 1
        }
    }

    /// Drops size-1 axes and merges input axes that stay adjacent and in order under `perm`;
    /// returns the merged input shape and the permutation over merged axes.
    static func mergeAxes(shape: [Int], perm: [Int]) -> (shape: [Int], perm: [Int]) {
        let kept = perm.filter { shape[$0] != 1 }
        var groups: [[Int]] = []
        for axis in kept {
            if let last = groups.last?.last, isNextKept(after: last, is: axis, shape: shape) {
                groups[groups.count - 1].append(axis)
            } else {
                groups.append([axis])
            }
        }
        let order = groups.sorted { $0[0] < $1[0] }
        let mergedShape = order.map { $0.reduce(1) { $0 * shape[$1] } }
        let mergedPerm = groups.map { g in order.firstIndex { $0[0] == g[0] } ?? 0 }
        return (mergedShape, mergedPerm)
    }

    /// True when `next` follows `axis` once size-1 axes are ignored.
    private static func isNextKept(after axis: Int, is next: Int, shape: [Int]) -> Bool {
        guard next > axis else { return false }
        return (axis + 1..<next).allSatisfy { shape[$0] == 1 }
    }

    /// The largest element count a kernel will allocate (2⁴⁰); shapes beyond it are rejected as invalid.
    static let maxElements = 1 << 40

    /// The element count of `shape`, nil when a dim is negative or the count exceeds ``maxElements``
    /// (so products of untrusted dims never overflow).
    static func elementCount(_ shape: [Int]) -> Int? {
        guard shape.allSatisfy({ $0 >= 0 }) else { return nil }
        if shape.contains(0) { return 0 }
        var total = 1
        for d in shape {
            let (p, overflow) = total.multipliedReportingOverflow(by: d)
            guard !overflow, p <= maxElements else { return nil }
            total = p
        }
        return total
    }

    /// `axis` made non-negative for a tensor of `rank`; nil when out of `-rank..<rank`.
    static func normalize(_ axis: Int, rank: Int) -> Int? {
        let a = axis < 0 ? axis + rank : axis
        return (0..<rank).contains(a) ? a : nil
    }

    /// The values of an int32 or int64 index tensor as `Int`, nil for another dtype.
    static func indices(_ tensor: Tensor) -> [Int]? {
        switch tensor.storage {
        case .int64(let v): v.map { Int($0) }
        case .int32(let v): v.map { Int($0) }
        default: nil
        }
    }
}

extension DataMovement {
    /// `axis` normalized for `rank`, or an error naming the attribute/input it came from.
    static func axis(_ axis: Int, rank: Int, _ ctx: KernelContext, _ what: String = "axis") throws -> Int {
        guard let a = normalize(axis, rank: rank) else {
            throw ctx.invalid("\(what) \(axis) is out of range for rank \(rank)")
        }
        return a
    }

    /// Input `index` of `ctx` as an int32/int64 index list.
    static func indexInput(_ ctx: KernelContext, _ index: Int, _ name: String) throws -> [Int] {
        let tensor = try ctx.input(index)
        guard let values = indices(tensor) else {
            throw ctx.invalid("\(name) must be int32 or int64, got \(tensor.dtype)")
        }
        return values
    }

    /// Optional input `index` of `ctx` as an int32/int64 index list; nil when omitted.
    static func optionalIndexInput(_ ctx: KernelContext, _ index: Int, _ name: String) throws -> [Int]? {
        guard ctx.optionalInput(index) != nil else { return nil }
        return try indexInput(ctx, index, name)
    }
}
