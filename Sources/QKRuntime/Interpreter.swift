import Foundation
import QKGraph
import QKKernels
import QKTensor

/// Runs a ``Model`` with the kernels of ``OpTable``.
///
/// Preparation (once): rewrite quantized patterns into integer nodes (``IntegerFusion``, unless
/// `integerExecution` is false), fold BatchNormalization into Conv and fuse activations into Conv/Gemm
/// (``ConvBatchNormFolding``, ``ActivationFusion``, as onnxruntime's default graph optimizations), verify the
/// graph, order nodes topologically, look every op up in the kernel table and build kernels that pack constant
/// weights (an unknown op or inconsistent quantization parameters fail here, before any input is read) and count
/// the readers of each value.
/// Execution: feed inputs, run nodes in order, free each intermediate tensor after its last reader. A run with
/// `observe`, or asking for a value the fused graph no longer computes, runs the graph without the fp32 fusions
/// so that every value of the model is seen.
public final class Interpreter: @unchecked Sendable {
    public let model: Model
    /// Threads the kernels may use.
    public let threads: Int
    /// What ``IntegerFusion`` rewrote (nil when integer execution is off or the model has no Q/DQ or QLinear ops).
    public let integerFusion: IntegerFusionReport?
    /// The graph that runs: `model.graph` after integer fusion and the fp32 fusions.
    public var executedGraph: Graph { fused.graph }
    /// The plan for `executedGraph`.
    private let fused: ExecutionPlan
    /// The plan without the fp32 fusions (nil when they changed nothing), for runs that observe every value.
    private let unfused: ExecutionPlan?

    private struct Step {
        let node: Node
        let kernel: OpKernel
        let opset: Int
        /// Value slots of the node's inputs and outputs (nil for an omitted one).
        let inputSlots: [Int?]
        let outputSlots: [Int?]
        /// Slots whose last reader this node is and that are not initializers: freed after it runs.
        let lastReads: [Int]
        /// Position of the node's last non-empty output (−1 when none): the kernel must produce at least that many.
        let lastRequiredOutput: Int
    }

    /// Nodes in execution order with their prepared kernels; every value lives in a numbered slot.
    private struct ExecutionPlan {
        let graph: Graph
        let steps: [Step]
        /// The slot of every value some node produces or the graph holds.
        let slots: [String: Int]
        /// Slot contents before any feed: the initializers.
        let initialValues: [Tensor?]
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
            let integer = IntegerFusion.apply(to: model)
            graph = integer.model.graph
            integerFusion = integer.report
        } else {
            integerFusion = nil
        }
        var unfusedModel = model
        unfusedModel.graph = graph
        let folded = ConvBatchNormFolding.apply(to: unfusedModel)
        let activations = ActivationFusion.apply(to: folded.model)
        fused = try Self.plan(activations.model)
        unfused = folded.report.changed || activations.report.changed ? try Self.plan(unfusedModel) : nil
    }

    /// Orders `model`'s nodes, prepares their kernels, numbers the values and finds each value's last reader.
    private static func plan(_ model: Model) throws -> ExecutionPlan {
        let graph = model.graph
        let overridable = Set(graph.inputs.map(\.name))
        var steps: [(node: Node, kernel: OpKernel, opset: Int)] = []
        for index in try graph.topologicalOrder() {
            let node = graph.nodes[index]
            let opset = Int(model.opsetVersion(for: node.normalizedDomain) ?? 1)
            let constant: (String) -> Tensor? = { overridable.contains($0) ? nil : graph.initializers[$0] }
            guard let kernel = try OpTable.preparedKernel(for: node, opset: opset, constant: constant) else {
                throw RuntimeError.unsupportedOp(opType: node.opType, domain: node.normalizedDomain, opset: opset,
                                                 node: node.displayName)
            }
            steps.append((node, kernel, opset))
        }
        var slots: [String: Int] = [:]
        func slot(_ name: String) -> Int {
            if let index = slots[name] { return index }
            slots[name] = slots.count
            return slots.count - 1
        }
        for input in graph.inputs { _ = slot(input.name) }
        for name in graph.initializers.keys.sorted() { _ = slot(name) }
        var lastReader: [String: Int] = [:]
        for (position, step) in steps.enumerated() {
            for name in step.node.inputs where !name.isEmpty { lastReader[name] = position }
        }
        var lastReads = [[Int]](repeating: [], count: steps.count)
        for (name, position) in lastReader where graph.initializers[name] == nil {
            lastReads[position].append(slot(name))
        }
        let planned = steps.enumerated().map { position, step in
            Step(node: step.node, kernel: step.kernel, opset: step.opset,
                 inputSlots: step.node.inputs.map { $0.isEmpty ? nil : slot($0) },
                 outputSlots: step.node.outputs.map { $0.isEmpty ? nil : slot($0) },
                 lastReads: lastReads[position].sorted(),
                 lastRequiredOutput: step.node.outputs.lastIndex(where: { !$0.isEmpty }) ?? -1)
        }
        var initialValues = [Tensor?](repeating: nil, count: slots.count)
        for (name, tensor) in graph.initializers { initialValues[slots[name]!] = tensor }
        return ExecutionPlan(graph: graph, steps: planned, slots: slots, initialValues: initialValues)
    }

    /// Runs the model on `feeds` (one tensor per runtime input, by name) and returns the graph outputs,
    /// or the values named in `outputNames` when given (any intermediate value may be requested).
    /// `observe` is called with every value a node produces, in execution order (used by calibration and
    /// per-layer comparison); `profile` with each node and the seconds its kernel took.
    public func run(_ feeds: [String: Tensor], outputNames: [String]? = nil,
                    observe: ((_ name: String, _ value: Tensor) -> Void)? = nil,
                    profile: ((_ node: Node, _ seconds: Double) -> Void)? = nil) throws -> [String: Tensor] {
        let wanted = outputNames ?? executedGraph.outputs.map(\.name)
        var plan = fused
        if let unfused, observe != nil || !wanted.allSatisfy({ fused.slots[$0] != nil }) { plan = unfused }
        try validate(feeds)
        var values = plan.initialValues
        for (name, tensor) in feeds { values[plan.slots[name]!] = tensor }
        var keep = [Bool](repeating: false, count: values.count)
        for name in wanted { if let slot = plan.slots[name] { keep[slot] = true } }
        for step in plan.steps {
            let inputs: [Tensor?] = try zip(step.node.inputs, step.inputSlots).map { name, slot in
                guard let slot else { return nil }
                guard let value = values[slot] else {
                    throw RuntimeError.invalidInput(node: step.node.displayName, opType: step.node.opType,
                                                    message: "input '\(name)' has no value")
                }
                return value
            }
            let start = profile == nil ? 0 : DispatchTime.now().uptimeNanoseconds
            let outputs = try execute(step, inputs: inputs)
            if let profile { profile(step.node, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9) }
            for (index, tensor) in outputs.enumerated() where index < step.outputSlots.count {
                guard let slot = step.outputSlots[index] else { continue }
                values[slot] = tensor
                observe?(step.node.outputs[index], tensor)
            }
            for slot in step.lastReads where !keep[slot] { values[slot] = nil }
        }
        var result: [String: Tensor] = [:]
        for name in wanted {
            guard let value = plan.slots[name].flatMap({ values[$0] }) else {
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
        if step.lastRequiredOutput >= outputs.count {
            let missing = step.node.outputs.indices.first { $0 >= outputs.count && !step.node.outputs[$0].isEmpty }!
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
