/// Multidirectional (numpy) broadcasting of one input shape to an output shape, as a precomputed index table:
/// output element i reads input element `index(i)`. Its adjoint, ``reduce(_:scale:)``, sums a gradient over the
/// broadcast axes.
struct BroadcastMap {
    let inputCount: Int
    /// nil when the input already has the output's element count in the same layout (identity map).
    private let table: [Int]?

    init(input: [Int], output: [Int], ctx: OpContext) throws {
        guard input.count <= output.count else {
            throw ctx.invalid("cannot broadcast shape \(input) to \(output)")
        }
        let padded = Array(repeating: 1, count: output.count - input.count) + input
        for (i, o) in zip(padded, output) where i != o && i != 1 {
            throw ctx.invalid("cannot broadcast shape \(input) to \(output)")
        }
        inputCount = input.reduce(1, *)
        if padded == output {
            table = nil
            return
        }
        var strides = Array(repeating: 0, count: output.count)
        var running = 1
        for axis in stride(from: output.count - 1, through: 0, by: -1) {
            strides[axis] = padded[axis] == 1 ? 0 : running
            running *= padded[axis]
        }
        let total = output.reduce(1, *)
        var table = [Int](repeating: 0, count: total)
        var index = Array(repeating: 0, count: output.count)
        var offset = 0
        for i in 0..<total {
            table[i] = offset
            var axis = output.count - 1
            while axis >= 0 {
                index[axis] += 1
                offset += strides[axis]
                if index[axis] < output[axis] { break }
                offset -= strides[axis] * index[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        self.table = table
    }

    @inline(__always)
    func index(_ outputIndex: Int) -> Int { table?[outputIndex] ?? outputIndex }

    /// scale · Σ of `gradient` (output-shaped) over the broadcast axes: the gradient of the input.
    func reduce(_ gradient: [Float], scale: Float = 1) -> [Float] {
        guard let table else { return scale == 1 ? gradient : gradient.map { $0 * scale } }
        var result = [Float](repeating: 0, count: inputCount)
        for i in 0..<gradient.count { result[table[i]] += gradient[i] }
        if scale != 1 { for i in result.indices { result[i] *= scale } }
        return result
    }
}

/// numpy's broadcast of two shapes, or nil when they do not broadcast.
func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
    let rank = max(a.count, b.count)
    let pa = Array(repeating: 1, count: rank - a.count) + a, pb = Array(repeating: 1, count: rank - b.count) + b
    var result: [Int] = []
    for (x, y) in zip(pa, pb) {
        guard x == y || x == 1 || y == 1 else { return nil }
        result.append(x == 1 ? y : x)
    }
    return result
}
