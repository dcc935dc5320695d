import QKGraph
import QKTensor
@testable import QKRuntime

/// Runs one node through the kernel table: inputs are named i0, i1, … (nil = omitted), outputs y0, y1, ….
func runNode(_ opType: String, domain: String = "", inputs: [Tensor?], outputs: Int = 1,
             attributes: [String: Attribute] = [:], opset: Int = 22, threads: Int = 2) throws -> [Tensor] {
    let node = Node(name: "n", opType: opType, domain: domain,
                    inputs: inputs.indices.map { inputs[$0] == nil ? "" : "i\($0)" },
                    outputs: (0..<outputs).map { "y\($0)" }, attributes: attributes)
    guard let kernel = OpTable.kernel(opType: opType, domain: domain) else {
        throw RuntimeError.unsupportedOp(opType: opType, domain: domain, opset: opset, node: "n")
    }
    return try kernel(KernelContext(node: node, inputs: inputs, opset: opset, threads: threads))
}

/// A float32 tensor.
func floats(_ shape: [Int], _ values: [Float]) -> Tensor { Tensor(shape: shape, values: values) }

/// True when both arrays have equal length and every |x − y| ≤ tolerance · max(1, |y|).
func close(_ x: [Float], _ y: [Float], tolerance: Float = 1e-5) -> Bool {
    x.count == y.count && zip(x, y).allSatisfy { abs($0 - $1) <= tolerance * max(1, abs($1)) }
}
