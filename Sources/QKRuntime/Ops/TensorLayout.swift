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

    /// The largest source offset the plan reads, -1 when it reads nothing (an empty output, or an axis
    /// that is fill everywhere).
    var maxOffset: Int {
        var total = 0
        for table in offsets {
            guard let top = table.max(), top >= 0 else { return -1 }
            total += top
        }
        return total
    }

    var needsFill: Bool { offsets.contains { $0.contains { $0 < 0 } } }
}

/// Raw element access for kernels that only move elements.
///
/// Every ``TensorScalar`` is a trivial type of 1, 2, 4 or 8 bytes, so moving elements is moving fixed-size
/// words. The copy loops below are written over `UInt8 … UInt64` words and specialized once per width,
/// instead of running generic over the element type (which would copy each element through value witnesses).
extension TensorStorage {
    /// Calls `body` with the bytes of each storage in `all`, in order.
    static func withElementBytes<R>(of all: ArraySlice<TensorStorage>,
                                    _ body: ([UnsafeRawBufferPointer]) throws -> R) rethrows -> R {
        guard let first = all.first else { return try body([]) }
        return try first.withElementBytes { head in
            try withElementBytes(of: all.dropFirst()) { rest in try body([head] + rest) }
        }
    }

    /// Calls `body` with the elements' bytes.
    func withElementBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch self {
        case .float32(let v): try v.withUnsafeBytes(body)
        case .float16(let v): try v.withUnsafeBytes(body)
        case .bfloat16(let v): try v.withUnsafeBytes(body)
        case .float64(let v): try v.withUnsafeBytes(body)
        case .int8(let v): try v.withUnsafeBytes(body)
        case .uint8(let v): try v.withUnsafeBytes(body)
        case .int16(let v): try v.withUnsafeBytes(body)
        case .uint16(let v): try v.withUnsafeBytes(body)
        case .int32(let v): try v.withUnsafeBytes(body)
        case .int64(let v): try v.withUnsafeBytes(body)
        case .bool(let v): try v.withUnsafeBytes(body)
        case .int4(let v): try v.withUnsafeBytes(body)
        case .uint4(let v): try v.withUnsafeBytes(body)
        }
    }
}

/// Fills a new element array of `count` elements through `body(source bytes, destination bytes, element size)`;
/// `body` must write every destination byte.
private struct RawRebuild: ElementTransform {
    let count: Int
    let body: (UnsafeRawBufferPointer, UnsafeMutableRawBufferPointer, Int) throws -> Void

    func apply<T: TensorScalar>(_ src: [T]) throws -> [T] {
        try [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            try src.withUnsafeBytes { s in
                try body(s, UnsafeMutableRawBufferPointer(buffer), MemoryLayout<T>.stride)
            }
            initialized = count
        }
    }
}

extension Tensor {
    /// A tensor of this dtype and `shape` whose bytes `body(source, destination, elementSize)` writes;
    /// `source` holds this tensor's elements.
    func rebuilt(shape: [Int], _ body: @escaping (UnsafeRawBufferPointer, UnsafeMutableRawBufferPointer, Int) throws -> Void) throws -> Tensor {
        guard let count = DataMovement.elementCount(shape) else { throw LayoutError.planOutOfRange(shape: shape, sourceCount: self.count) }
        return try Tensor(shape: shape, storage: storage.map(RawRebuild(count: count, body: body)))
    }

    /// The tensor rebuilt as `plan` describes (see ``AxisGather``); `fill` is a scalar of the same dtype.
    func gathered(_ plan: AxisGather, fill: Tensor? = nil, threads: Int = 1) throws -> Tensor {
        guard plan.offsets.count == plan.shape.count, zip(plan.offsets, plan.shape).allSatisfy({ $0.count == $1 }),
              plan.maxOffset < count else {
            throw LayoutError.planOutOfRange(shape: plan.shape, sourceCount: count)
        }
        var fillBytes: [UInt8] = []
        if plan.needsFill {
            guard let fill, fill.dtype == dtype, fill.count == 1 else { throw LayoutError.missingFill }
            fillBytes = fill.storage.withElementBytes { Array($0) }
        }
        return try rebuilt(shape: plan.shape) { src, dst, size in
            guard !dst.isEmpty else { return }
            let fillWord = fillBytes.isEmpty ? nil : fillBytes
            switch size {
            case 1: gatherRows(plan, src, dst, fillWord, as: UInt8.self, threads: threads)
            case 2: gatherRows(plan, src, dst, fillWord, as: UInt16.self, threads: threads)
            case 4: gatherRows(plan, src, dst, fillWord, as: UInt32.self, threads: threads)
            default: gatherRows(plan, src, dst, fillWord, as: UInt64.self, threads: threads)
            }
        }
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
            return try rebuilt(shape: outShape) { src, dst, size in
                switch size {
                case 1: tiledTranspose(src, dst, batch, rows, cols, as: UInt8.self, threads: threads)
                case 2: tiledTranspose(src, dst, batch, rows, cols, as: UInt16.self, threads: threads)
                case 4: tiledTranspose(src, dst, batch, rows, cols, as: UInt32.self, threads: threads)
                default: tiledTranspose(src, dst, batch, rows, cols, as: UInt64.self, threads: threads)
                }
            }
        }
        let strides = self.strides
        let offsets = perm.map { axis in (0..<shape[axis]).map { $0 * strides[axis] } }
        return try gathered(AxisGather(shape: outShape, offsets: offsets), threads: threads)
    }
}

/// The copy loop of ``Tensor/gathered(_:fill:threads:)`` over `Word`-sized elements: one output row (the
/// last axis) at a time, a block copy when the row reads consecutive source elements.
private func gatherRows<Word: FixedWidthInteger>(_ plan: AxisGather, _ src: UnsafeRawBufferPointer,
                                                 _ dst: UnsafeMutableRawBufferPointer, _ fillBytes: [UInt8]?,
                                                 as: Word.Type, threads: Int) {
    let source = src.baseAddress.map { $0.assumingMemoryBound(to: Word.self) }
    let destination = dst.baseAddress!.assumingMemoryBound(to: Word.self)
    let fill = fillBytes.map { bytes in bytes.withUnsafeBytes { $0.loadUnaligned(as: Word.self) } } ?? 0
    let rank = plan.shape.count
    if rank == 0 {
        destination[0] = plan.needsFill ? fill : source![0]
        return
    }
    let inner = plan.shape[rank - 1]
    let last = plan.offsets[rank - 1]
    let contiguous = last.first.map { first in first >= 0 && last.enumerated().allSatisfy { $0.element == first + $0.offset } } ?? false
    let outerShape = Array(plan.shape.dropLast())
    let rows = outerShape.reduce(1, *)
    let offsets = plan.offsets
    parallelChunks(rows, threads: inner * rows >= 1 << 16 ? threads : 1) { range in
        var index = DataMovement.multiIndex(of: range.lowerBound, in: outerShape)
        last.withUnsafeBufferPointer { lastOffsets in
            for row in range {
                var base = 0
                var filled = false
                for k in 0..<(rank - 1) {
                    let o = offsets[k][index[k]]
                    if o < 0 { filled = true }
                    base += o
                }
                let out = destination + row * inner
                if filled {
                    out.update(repeating: fill, count: inner)
                } else if contiguous {
                    out.update(from: source! + base + lastOffsets[0], count: inner)
                } else {
                    for j in 0..<inner {
                        let o = lastOffsets[j]
                        out[j] = o < 0 ? fill : source![base + o]
                    }
                }
                DataMovement.increment(&index, in: outerShape)
            }
        }
    }
}

/// `[batch, rows, cols] → [batch, cols, rows]` over `Word`-sized elements, in 32×32 tiles.
private func tiledTranspose<Word: FixedWidthInteger>(_ src: UnsafeRawBufferPointer, _ dst: UnsafeMutableRawBufferPointer,
                                                     _ batch: Int, _ rows: Int, _ cols: Int,
                                                     as: Word.Type, threads: Int) {
    guard let sBase = src.baseAddress, let dBase = dst.baseAddress else { return }
    let s = sBase.assumingMemoryBound(to: Word.self), d = dBase.assumingMemoryBound(to: Word.self)
    let tile = 32
    let rowTiles = (rows + tile - 1) / tile
    parallelChunks(batch * rowTiles, threads: batch * rows * cols >= 1 << 16 ? threads : 1) { range in
        for job in range {
            let b = job / rowTiles, r0 = (job % rowTiles) * tile
            let base = b * rows * cols, r1 = min(rows, r0 + tile)
            var c0 = 0
            while c0 < cols {
                let c1 = min(cols, c0 + tile)
                for r in r0..<r1 {
                    for c in c0..<c1 { d[base + c * rows + r] = s[base + r * cols + c] }
                }
                c0 = c1
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
        case .missingFill: "layout plan has fill positions but no fill value of the tensor's dtype"
        }
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
