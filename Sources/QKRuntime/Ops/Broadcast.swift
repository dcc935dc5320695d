import QKKernels
import QKTensor

/// Two shapes that cannot be broadcast together.
public struct BroadcastError: Error, CustomStringConvertible, Equatable {
    public let shapes: [[Int]]

    public var description: String {
        "shapes \(shapes.map { "\($0)" }.joined(separator: ", ")) cannot be broadcast together "
            + "(each axis, aligned from the right, must be equal or 1)"
    }
}

/// The numpy (multidirectional) broadcast of two shapes: align from the right, pad the shorter with 1s;
/// on each axis the sizes must be equal or one of them 1, and the result takes the other.
/// `broadcastShape([2, 3, 4], [3, 1]) == [2, 3, 4]`; `[2, 0]` with `[1]` gives `[2, 0]`.
public func broadcastShape(_ a: [Int], _ b: [Int]) throws -> [Int] {
    if a == b { return a }
    let rank = max(a.count, b.count)
    var out = [Int](repeating: 1, count: rank)
    for axis in 0..<rank {
        let da = axis < rank - a.count ? 1 : a[axis - (rank - a.count)]
        let db = axis < rank - b.count ? 1 : b[axis - (rank - b.count)]
        guard da == db || da == 1 || db == 1 else { throw BroadcastError(shapes: [a, b]) }
        out[axis] = da == 1 ? db : da
    }
    return out
}

/// The broadcast of any number of shapes (``broadcastShape(_:_:)`` folded left to right).
public func broadcastShape(_ shapes: [[Int]]) throws -> [Int] {
    guard var out = shapes.first else { return [] }
    for shape in shapes.dropFirst() {
        do { out = try broadcastShape(out, shape) } catch { throw BroadcastError(shapes: shapes) }
    }
    return out
}

/// Element offsets of broadcast operands: the output's axes are collapsed (size-1 axes dropped, neighbours
/// merged when every operand is contiguous across them), and each operand gets a stride per collapsed axis
/// that is 0 where it is broadcast. The output is walked as rows of the last collapsed axis.
struct BroadcastLayout {
    /// Collapsed output axes; at least one.
    let dims: [Int]
    /// Per operand, per collapsed axis.
    let strides: [[Int]]
    let count: Int

    init(output: [Int], operands: [[Int]]) {
        let rank = output.count
        let padded = operands.map { [Int](repeating: 1, count: rank - $0.count) + $0 }
        let full = padded.map { shape -> [Int] in
            let contiguous = Tensor.strides(for: shape)
            return (0..<rank).map { shape[$0] == 1 ? 0 : contiguous[$0] }
        }
        var dims: [Int] = []
        var strides = [[Int]](repeating: [], count: operands.count)
        for axis in 0..<rank where output[axis] != 1 {
            let mergeable = !dims.isEmpty && (0..<operands.count).allSatisfy { k in
                strides[k].last! == full[k][axis] * output[axis]
            }
            if mergeable {
                dims[dims.count - 1] *= output[axis]
                for k in 0..<operands.count { strides[k][strides[k].count - 1] = full[k][axis] }
            } else {
                dims.append(output[axis])
                for k in 0..<operands.count { strides[k].append(full[k][axis]) }
            }
        }
        if dims.isEmpty {
            dims = [1]
            strides = strides.map { _ in [0] }
        }
        self.dims = dims
        self.strides = strides
        self.count = output.reduce(1, *)
    }

    var rowLength: Int { dims[dims.count - 1] }
    var rowCount: Int { rowLength == 0 ? 0 : count / rowLength }

    /// Calls `body(row, offsetA, offsetB)` for each output row in `rows` (in order) with the offsets of the row's
    /// first element in operands 0 and 1, advancing the offsets axis by axis instead of dividing per row.
    @inline(__always)
    func forEachRow(_ rows: Range<Int>, _ body: (Int, Int, Int) -> Void) {
        guard !rows.isEmpty else { return }
        let outer = dims.count - 1
        var index = [Int](repeating: 0, count: Swift.max(0, outer))
        var rest = rows.lowerBound
        for axis in stride(from: outer - 1, through: 0, by: -1) {
            index[axis] = rest % dims[axis]
            rest /= dims[axis]
        }
        var a = offset(row: rows.lowerBound, operand: 0), b = offset(row: rows.lowerBound, operand: 1)
        let (stridesA, stridesB) = (strides[0], strides[1])
        for row in rows {
            body(row, a, b)
            var axis = outer - 1
            while axis >= 0 {
                index[axis] += 1
                a += stridesA[axis]
                b += stridesB[axis]
                if index[axis] < dims[axis] { break }
                a -= stridesA[axis] * dims[axis]
                b -= stridesB[axis] * dims[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }

    /// Offset of the first element of output row `row` in operand `k`.
    func offset(row: Int, operand k: Int) -> Int {
        var rest = row
        var offset = 0
        var axis = dims.count - 2
        while axis >= 0, rest > 0 {
            offset += (rest % dims[axis]) * strides[k][axis]
            rest /= dims[axis]
            axis -= 1
        }
        return offset
    }
}

/// Below this many elements a map runs on one thread (a cheap op on 2¹⁶ floats takes a few microseconds,
/// about what waking and joining a second thread costs).
let parallelThreshold = 1 << 16

/// A function of one element, as a type: generic loops over it are specialised and inline the call
/// (a closure would cost an indirect call per element).
protocol ElementUnaryOp {
    associatedtype A
    associatedtype R
    func callAsFunction(_ a: A) -> R
}

/// A function of two elements, as a type (see ``ElementUnaryOp``).
protocol ElementBinaryOp {
    associatedtype A
    associatedtype B
    associatedtype R
    func callAsFunction(_ a: A, _ b: B) -> R
}

/// `op` applied to every element, split over `threads` for large arrays.
func parallelMap<Op: ElementUnaryOp>(_ a: [Op.A], threads: Int, _ op: Op) -> [Op.R] {
    let n = a.count
    return [Op.R](unsafeUninitializedCapacity: n) { out, initialized in
        // Pointers are taken once, outside the loop: reading the inout buffer inside it costs an
        // exclusivity check per element.
        guard let po = out.baseAddress else { initialized = 0; return }
        a.withUnsafeBufferPointer { pa in
            guard let source = pa.baseAddress else { return }
            parallelChunks(n, threads: n < parallelThreshold ? 1 : threads) { range in
                var (from, to) = (source + range.lowerBound, po + range.lowerBound)
                for _ in range {
                    to.initialize(to: op(from.pointee))
                    (from, to) = (from + 1, to + 1)
                }
            }
        }
        initialized = n
    }
}

/// `op(a, b)` over the broadcast of `a` (shape `aShape`) and `b` (shape `bShape`), numpy rules.
/// Same shapes, a scalar operand and a trailing (bias-like) operand run as flat loops.
func broadcastMap<Op: ElementBinaryOp>(_ a: [Op.A], _ aShape: [Int], _ b: [Op.B], _ bShape: [Int], threads: Int,
                                       _ op: Op) throws -> (shape: [Int], values: [Op.R]) {
    let shape = try broadcastShape(aShape, bShape)
    let n = shape.reduce(1, *)
    let workers = n < parallelThreshold ? 1 : threads
    let values = [Op.R](unsafeUninitializedCapacity: n) { out, initialized in
        guard let po = out.baseAddress else { initialized = 0; return }
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                if a.count == n && b.count == n {
                    parallelChunks(n, threads: workers) { r in for i in r { (po + i).initialize(to: op(pa[i], pb[i])) } }
                } else if b.count == 1 && a.count == n {
                    let y = pb[0]
                    parallelChunks(n, threads: workers) { r in for i in r { (po + i).initialize(to: op(pa[i], y)) } }
                } else if a.count == 1 && b.count == n {
                    let x = pa[0]
                    parallelChunks(n, threads: workers) { r in for i in r { (po + i).initialize(to: op(x, pb[i])) } }
                } else if n > 0 {
                    let layout = BroadcastLayout(output: shape, operands: [aShape, bShape])
                    let length = layout.rowLength
                    let (sa, sb) = (layout.strides[0].last!, layout.strides[1].last!)
                    parallelChunks(layout.rowCount, threads: workers) { rows in
                        layout.forEachRow(rows) { row, oa, ob in
                            let (ra, rb, ro) = (pa.baseAddress! + oa, pb.baseAddress! + ob, po + row * length)
                            switch (sa, sb) {
                            case (1, 1): for j in 0..<length { (ro + j).initialize(to: op(ra[j], rb[j])) }
                            case (1, 0): let y = rb[0]; for j in 0..<length { (ro + j).initialize(to: op(ra[j], y)) }
                            case (0, 1): let x = ra[0]; for j in 0..<length { (ro + j).initialize(to: op(x, rb[j])) }
                            default: for j in 0..<length { (ro + j).initialize(to: op(ra[j * sa], rb[j * sb])) }
                            }
                        }
                    }
                }
            }
        }
        initialized = n
    }
    return (shape, values)
}

/// ``broadcastMap(_:_:_:_:threads:_:)`` for float32 `+ − · /` through ``VectorMath/binary``: flat loops for
/// equal shapes and scalars, one vector call per output row otherwise; nil when a row would read an operand
/// with a stride other than 0 or 1 (the generic map handles those).
func vectorBroadcast(_ a: [Float], _ aShape: [Int], _ b: [Float], _ bShape: [Int], _ op: VectorMath.Arithmetic,
                     threads: Int) throws -> (shape: [Int], values: [Float])? {
    let shape = try broadcastShape(aShape, bShape)
    let n = shape.reduce(1, *)
    guard n > 0 else { return nil }
    let flat = (a.count == n || a.count == 1) && (b.count == n || b.count == 1)
    let layout = flat ? nil : BroadcastLayout(output: shape, operands: [aShape, bShape])
    let (sa, sb) = layout.map { ($0.strides[0].last!, $0.strides[1].last!) } ?? (a.count == n ? 1 : 0, b.count == n ? 1 : 0)
    guard (0...1).contains(sa), (0...1).contains(sb) else { return nil }
    let workers = n < parallelThreshold ? 1 : threads
    let math = VectorMath.best
    let values = [Float](unsafeUninitializedCapacity: n) { out, initialized in
        let po = out.baseAddress!
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                let (xa, xb) = (pa.baseAddress!, pb.baseAddress!)
                if let layout {
                    let length = layout.rowLength
                    parallelChunks(layout.rowCount, threads: workers) { rows in
                        layout.forEachRow(rows) { row, oa, ob in
                            math.binary(op, xa + oa, strideA: sa, xb + ob, strideB: sb, po + row * length, count: length)
                        }
                    }
                } else {
                    parallelChunks(n, threads: workers) { r in
                        let first = r.lowerBound
                        math.binary(op, xa + first * sa, strideA: sa, xb + first * sb, strideB: sb, po + first,
                                    count: r.count)
                    }
                }
            }
        }
        initialized = n
    }
    return (shape, values)
}

/// `values` (shape `from`) repeated to the broadcast-compatible shape `to`. Elements are moved as bytes, so
/// the loop costs the same whether or not the caller's generic `T` is specialised.
func broadcastValues<T>(_ values: [T], from: [Int], to shape: [Int]) -> [T] {
    if from == shape { return values }
    let n = shape.reduce(1, *)
    let size = MemoryLayout<T>.stride
    let layout = BroadcastLayout(output: shape, operands: [from])
    let length = layout.rowLength
    let step = layout.strides[0].last!
    return [T](unsafeUninitializedCapacity: n) { out, initialized in
        guard let start = out.baseAddress else { initialized = 0; return }
        let dst = UnsafeMutableRawPointer(start)
        values.withUnsafeBytes { src in
            for row in 0..<layout.rowCount {
                let source = src.baseAddress! + layout.offset(row: row, operand: 0) * size
                let target = dst + row * length * size
                if step == 1 {
                    target.copyMemory(from: source, byteCount: length * size)
                } else {
                    // Repeat one element: copy it once, then double the filled prefix.
                    target.copyMemory(from: source, byteCount: size)
                    var filled = 1
                    while filled < length {
                        let chunk = min(filled, length - filled)
                        (target + filled * size).copyMemory(from: target, byteCount: chunk * size)
                        filled += chunk
                    }
                }
            }
        }
        initialized = n
    }
}

/// A tensor broadcast (materialised) to `shape`, any dtype.
func broadcastTensor(_ tensor: Tensor, to shape: [Int]) throws -> Tensor {
    struct Repeat: ElementTransform {
        let from: [Int], to: [Int]
        func apply<T: TensorScalar>(_ values: [T]) -> [T] { broadcastValues(values, from: from, to: to) }
    }
    return try Tensor(shape: shape, storage: tensor.storage.map(Repeat(from: tensor.shape, to: shape)))
}
