import Foundation
import QKGraph
import QKKernels
import QKTensor

/// Runs a ``Model`` with the kernels of ``OpTable``.
///
/// Preparation (once): rewrite quantized patterns into integer nodes (``IntegerFusion``, unless
/// `integerExecution` is false), verify the graph, order nodes topologically, look every op up in the kernel
/// table and build kernels that pack constant weights (an unknown op or inconsistent quantization parameters
/// fail here, before any input is read) and count the readers of each value.
/// Execution: feed inputs, run nodes in order, free each intermediate tensor after its last reader.
public final class Interpreter: @unchecked Sendable {
    public let model: Model
    /// Threads the kernels may use.
    public let threads: Int
    /// What ``IntegerFusion`` rewrote (nil when integer execution is off or the model has no Q/DQ or QLinear ops).
    public let integerFusion: IntegerFusionReport?
    /// The graph that runs: `model.graph` after integer fusion.
    public let executedGraph: Graph
    private let steps: [Step]
    private let readerCounts: [String: Int]

    private struct Step {
        let node: Node
        let kernel: OpKernel
        let opset: Int
    }

    /// Prepares `model` for execution. Throws ``GraphError`` for a malformed graph and
    /// ``RuntimeError/unsupportedOp(opType:domain:opset:node:)`` for an op the runtime lacks.
    /// `integerExecution: false` runs quantized models node by node as written (dequantize → fp32 op → quantize),
    /// e.g. to compare against the fused integer execution or to observe the float values between Q/DQ pairs.
    public init(model: Model, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                integerExecution: Bool = true) throws {
        keepFreedMemoryForReuse()
        self.model = model
        self.threads = max(1, threads)
        var graph = model.graph
        try graph.verify()
        let quantizedOps: Set<String> = ["QuantizeLinear", "DequantizeLinear", "QLinearConv", "QLinearMatMul", "QGemm"]
        if integerExecution, graph.nodes.contains(where: { quantizedOps.contains($0.opType) }) {
            let fused = IntegerFusion.apply(to: model)
            graph = fused.model.graph
            integerFusion = fused.report
        } else {
            integerFusion = nil
        }
        executedGraph = graph
        let overridable = Set(graph.inputs.map(\.name))
        var steps: [Step] = []
        for index in try graph.topologicalOrder() {
            let node = graph.nodes[index]
            let opset = Int(model.opsetVersion(for: node.normalizedDomain) ?? 1)
            let constant: (String) -> Tensor? = { overridable.contains($0) ? nil : graph.initializers[$0] }
            guard let kernel = try OpTable.preparedKernel(for: node, opset: opset, constant: constant) else {
                throw RuntimeError.unsupportedOp(opType: node.opType, domain: node.normalizedDomain, opset: opset,
                                                 node: node.displayName)
            }
            steps.append(Step(node: node, kernel: kernel, opset: opset))
        }
        self.steps = steps
        var counts: [String: Int] = [:]
        for node in graph.nodes {
            for input in node.inputs where !input.isEmpty { counts[input, default: 0] += 1 }
        }
        self.readerCounts = counts
    }

    /// Runs the model on `feeds` (one tensor per runtime input, by name) and returns the graph outputs,
    /// or the values named in `outputNames` when given (any intermediate value may be requested).
    /// `observe` is called with every value a node produces, in execution order (used by calibration and
    /// per-layer comparison); `profile` with each node and the seconds its kernel took.
    public func run(_ feeds: [String: Tensor], outputNames: [String]? = nil,
                    observe: ((_ name: String, _ value: Tensor) -> Void)? = nil,
                    profile: ((_ node: Node, _ seconds: Double) -> Void)? = nil) throws -> [String: Tensor] {
        let graph = executedGraph
        let wanted = outputNames ?? graph.outputs.map(\.name)
        try validate(feeds)
        var values = graph.initializers
        for (name, tensor) in feeds { values[name] = tensor }
        var remaining = readerCounts
        let keep = Set(wanted)
        for step in steps {
            let inputs: [Tensor?] = try step.node.inputs.map { name in
                guard !name.isEmpty else { return nil }
                guard let value = values[name] else {
                    throw RuntimeError.invalidInput(node: step.node.displayName, opType: step.node.opType,
                                                    message: "input '\(name)' has no value")
                }
                return value
            }
            let start = profile == nil ? 0 : DispatchTime.now().uptimeNanoseconds
            let outputs = try execute(step, inputs: inputs)
            if let profile { profile(step.node, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9) }
            for (name, tensor) in zip(step.node.outputs, outputs) where !name.isEmpty {
                values[name] = tensor
                observe?(name, tensor)
            }
            for name in step.node.inputs where !name.isEmpty {
                remaining[name, default: 1] -= 1
                if remaining[name] == 0 && !keep.contains(name) && graph.initializers[name] == nil {
                    values[name] = nil
                }
            }
        }
        var result: [String: Tensor] = [:]
        for name in wanted {
            guard let value = values[name] else {
                throw RuntimeError.invalidInput(node: "graph", opType: "output", message: "no value named '\(name)' was computed")
            }
            result[name] = value
        }
        return result
    }

    private func execute(_ step: Step, inputs: [Tensor?]) throws -> [Tensor] {
        let context = KernelContext(node: step.node, inputs: inputs, opset: step.opset, threads: threads)
        let outputs: [Tensor]
        do {
            outputs = try step.kernel(context)
        } catch let error as RuntimeError {
            throw error
        } catch {
            throw context.invalid("\(error)")
        }
        let required = step.node.outputs.enumerated().filter { !$0.element.isEmpty }.map(\.offset)
        if let missing = required.first(where: { $0 >= outputs.count }) {
            throw context.invalid("kernel produced \(outputs.count) outputs, output #\(missing) is needed")
        }
        return outputs
    }

    /// Checks feeds against the declared inputs: every runtime input present, no unknown names, dtype equal and
    /// known dimensions equal.
    private func validate(_ feeds: [String: Tensor]) throws {
        let graph = executedGraph
        let declared = graph.runtimeInputs
        for (name, _) in feeds where !graph.inputs.contains(where: { $0.name == name }) {
            throw RuntimeError.unexpectedFeed(name: name, known: declared.map(\.name))
        }
        for input in declared {
            guard let tensor = feeds[input.name] else {
                throw RuntimeError.missingFeed(name: input.name, expected: input.typeDescription)
            }
            let actual = "\(tensor.dtype)\(tensor.shape)"
            if let dtype = input.dtype, dtype != tensor.dtype {
                throw RuntimeError.feedMismatch(name: input.name, expected: input.typeDescription, actual: actual)
            }
            if let shape = input.shape {
                let matches = shape.count == tensor.rank
                    && zip(shape, tensor.shape).allSatisfy { declared, size in declared.value.map { $0 == size } ?? true }
                if !matches {
                    throw RuntimeError.feedMismatch(name: input.name, expected: input.typeDescription, actual: actual)
                }
            }
        }
    }
}
