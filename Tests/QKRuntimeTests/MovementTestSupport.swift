import QKGraph
import QKTensor
@testable import QKRuntime

/// Runs the standard-domain kernel for `op` on `inputs` (nil = omitted optional input).
func runMovementOp(_ op: String, _ inputs: [Tensor?], attributes: [String: Attribute] = [:], opset: Int = 19,
                   outputs: Int = 1, threads: Int = 1) throws -> [Tensor] {
    let node = Node(name: "t", opType: op, inputs: inputs.map { $0 == nil ? "" : "x" },
                    outputs: (0..<outputs).map { "y\($0)" }, attributes: attributes)
    guard let kernel = OpTable.kernel(opType: op, domain: "") else { throw RuntimeError.unsupportedOp(opType: op, domain: "", opset: opset, node: "t") }
    return try kernel(KernelContext(node: node, inputs: inputs, opset: opset, threads: threads))
}

/// A float32 tensor holding 0, 1, 2, … in row-major order.
func iota(_ shape: [Int]) -> Tensor {
    Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { Float($0) })
}

func int64s(_ values: [Int64]) -> Tensor { Tensor(shape: [values.count], values: values) }
