import CQKKernels
import QKTensor

/// A copy of a strided view of at most four axes into a new row-major tensor, for small tensors where the cost of a
/// general layout plan (arrays of offsets, per-row index arithmetic) would exceed the copy itself.
///
/// Output element `(i0, i1, i2, i3)` (row-major over ``shape``) is source element `Σ i_k · strides[k]`. Views of
/// fewer axes are padded in front with axes of size 1.
struct StridedView {
    /// Output dims, padded in front with 1s.
    var shape: SIMD4<Int>
    /// Source stride (in elements) of each output axis.
    var strides: SIMD4<Int>

    /// Element counts below which ``transposed(_:_:)`` uses this copy, on one thread: the count from which the
    /// tiled and row-copy paths of ``Tensor/transposed(_:threads:)`` split the work over threads.
    static let smallTensor = 1 << 16

    /// `data` transposed by `perm` (a valid permutation of its axes) when it has at most four axes and one to
    /// ``smallTensor`` − 1 elements; nil otherwise.
    static func transposed(_ data: Tensor, _ perm: [Int]) -> Tensor? {
        let rank = data.rank, count = data.count
        guard rank <= 4, count > 0, count < smallTensor else { return nil }
        var sourceStrides = SIMD4<Int>(repeating: 0), running = 1
        for axis in stride(from: rank - 1, through: 0, by: -1) {
            sourceStrides[axis] = running
            running *= data.shape[axis]
        }
        var view = StridedView(shape: SIMD4(repeating: 1), strides: SIMD4(repeating: 0))
        let pad = 4 - rank
        for k in 0..<rank {
            view.shape[pad + k] = data.shape[perm[k]]
            view.strides[pad + k] = sourceStrides[perm[k]]
        }
        let compact = view.compacted()
        return data.refilled(shape: perm.map { data.shape[$0] }, count: count) { source, destination, size in
            compact.copy(from: source, to: destination, elementSize: size)
        }
    }

    /// The same copy with size-1 axes dropped and each output axis merged into the next one where together they
    /// read consecutive source runs (stride = next dim · next stride), so rows get as long as they can.
    func compacted() -> StridedView {
        var result = StridedView(shape: SIMD4(repeating: 1), strides: SIMD4(repeating: 0))
        var slot = 3
        for axis in stride(from: 3, through: 0, by: -1) where shape[axis] != 1 {
            if slot < 3, strides[axis] == result.shape[slot + 1] * result.strides[slot + 1] {
                result.shape[slot + 1] *= shape[axis]
            } else {
                result.shape[slot] = shape[axis]
                result.strides[slot] = strides[axis]
                slot -= 1
            }
        }
        return result
    }

    /// Writes the view's elements (of `elementSize` bytes) of `source` to `destination` in row-major order.
    func copy(from source: UnsafeRawPointer, to destination: UnsafeMutableRawPointer, elementSize size: Int) {
        if strides[3] == 1 {
            let rowBytes = shape[3] * size
            var out = destination
            for i0 in 0..<shape[0] {
                for i1 in 0..<shape[1] {
                    for i2 in 0..<shape[2] {
                        let offset = i0 * strides[0] + i1 * strides[1] + i2 * strides[2]
                        out.copyMemory(from: source + offset * size, byteCount: rowBytes)
                        out += rowBytes
                    }
                }
            }
            return
        }
        // One-byte matrices swapped whole ([batch, rows, cols] → [batch, cols, rows]): 16 × 16 SIMD blocks.
        let (cols, rows) = (shape[2], shape[3])
        if size == 1, shape[0] == 1, strides[2] == 1, strides[3] == cols, shape[1] == 1 || strides[1] == rows * cols {
            let from = source.assumingMemoryBound(to: UInt8.self)
            let to = destination.assumingMemoryBound(to: UInt8.self)
            for b in 0..<shape[1] { qk_i8conv_transpose(from + b * rows * cols, rows, cols, to + b * rows * cols) }
            return
        }
        switch size {
        case 1: gather(source, destination, as: UInt8.self)
        case 2: gather(source, destination, as: UInt16.self)
        case 4: gather(source, destination, as: UInt32.self)
        default: gather(source, destination, as: UInt64.self)
        }
    }

    private func gather<Word: FixedWidthInteger>(_ source: UnsafeRawPointer, _ destination: UnsafeMutableRawPointer,
                                                 as: Word.Type) {
        let from = source.assumingMemoryBound(to: Word.self)
        var out = destination.assumingMemoryBound(to: Word.self)
        let (n3, s3) = (shape[3], strides[3])
        for i0 in 0..<shape[0] {
            for i1 in 0..<shape[1] {
                for i2 in 0..<shape[2] {
                    let row = from + (i0 * strides[0] + i1 * strides[1] + i2 * strides[2])
                    for i3 in 0..<n3 { out[i3] = row[i3 * s3] }
                    out += n3
                }
            }
        }
    }
}

extension Tensor {
    /// A tensor of this dtype and `shape` (`count` > 0 elements) whose bytes `fill(source, destination, elementSize)`
    /// writes, every one of them; `source` holds this tensor's elements. Unlike ``rebuilt(shape:_:)`` the closure
    /// does not escape and every dtype's array is built by code specialized for it, so small tensors pay little
    /// beyond the copy. Nil when `count` is 0 or does not match `shape`.
    func refilled(shape: [Int], count: Int,
                  _ fill: (UnsafeRawPointer, UnsafeMutableRawPointer, Int) -> Void) -> Tensor? {
        guard count > 0, DataMovement.elementCount(shape) == count else { return nil }
        func make<T>(_ values: [T]) -> [T] {
            [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                values.withUnsafeBytes { source in
                    fill(source.baseAddress ?? UnsafeRawPointer(buffer.baseAddress!),
                         UnsafeMutableRawPointer(buffer.baseAddress!), MemoryLayout<T>.stride)
                }
                initialized = count
            }
        }
        let result: TensorStorage
        switch storage {
        case .float32(let v): result = .float32(make(v))
        case .float16(let v): result = .float16(make(v))
        case .bfloat16(let v): result = .bfloat16(make(v))
        case .float64(let v): result = .float64(make(v))
        case .int8(let v): result = .int8(make(v))
        case .uint8(let v): result = .uint8(make(v))
        case .int16(let v): result = .int16(make(v))
        case .uint16(let v): result = .uint16(make(v))
        case .int32(let v): result = .int32(make(v))
        case .int64(let v): result = .int64(make(v))
        case .bool(let v): result = .bool(make(v))
        case .int4(let v): result = .int4(make(v))
        case .uint4(let v): result = .uint4(make(v))
        }
        // Elements are only moved, so 4-bit values stay in range and the initializer cannot throw.
        return try? Tensor(shape: shape, storage: result)
    }
}
