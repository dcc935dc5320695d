import Foundation
import QKGraph
import QKKernels
import QKTensor

/// Runs a ``Model`` with the kernels of ``OpTable``.
///
/// Preparation (once): rewrite quantized patterns into integer nodes (``IntegerFusion``, unless
/// `integerExecution` is false), fold BatchNormalization into Conv, fuse activations into Conv/Gemm and a
/// constant bias Add into the MatMul before it (``ConvBatchNormFolding``, ``ActivationFusion``,
/// ``MatMulAddFusion``, as onnxruntime's default graph optimizations) and the exported exact-Gelu chain into one
/// pass (``GeluChainFusion``, same bits), verify the
/// graph, order nodes topologically, look every op up in the kernel table and build kernels that pack constant
/// weights (an unknown op or inconsistent quantization parameters fail here, before any input is read) and count
/// the readers of each value.
/// Execution: feed inputs, run nodes in order, free each intermediate tensor after its last reader and keep its
/// elements for a later output of the same size (``BufferPool``; steady-state runs reuse them). A run with
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
    /// Output arrays freed by earlier runs (``BufferPool``), while no run holds them (tests may set one).
    var idlePool: BufferPool?
    private let poolLock = NSLock()
    /// Whether runs with enough rows and work per thread (``sliceCount(for:)``) split the batch over the threads,
    /// each slice running the whole graph on one thread (``runBatchSliced(_:plan:)``).
    public let batchSlicing: BatchSlicing
    /// The buffer pools of batch slices, one per slice running at a time.
    let slicePools = BufferPoolShelf()
    /// Multiply-adds per batch row for the last input shapes (``BatchRowWork``).
    let rowWork = LastValueCache<[[Int]], Int>()
    /// The multiply-adds per slice below which a run is not sliced (tests lower it to slice small graphs).
    var minimumSliceMultiplyAdds = Interpreter.defaultMinimumSliceMultiplyAdds

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
        let linear = MatMulAddFusion.apply(to: activations.model)
        let gelu = GeluChainFusion.apply(to: linear.model)
        fused = try ExecutionPlan(gelu.model)
        let changed = folded.report.changed || activations.report.changed || linear.report.changed
            || gelu.report.changed
        unfused = changed ? try ExecutionPlan(unfusedModel) : nil
        batchSlicing = BatchSlicing(model: model)
    }

    /// Runs the model on `feeds` (one tensor per runtime input, by name) and returns the graph outputs,
    /// or the values named in `outputNames` when given (any intermediate value may be requested).
    /// `observe` is called with every value a node produces, in execution order (used by calibration and
    /// per-layer comparison); `profile` with each node and the seconds its kernel took.
    public func run(_ feeds: [String: Tensor], outputNames: [String]? = nil,
                    observe: ((_ name: String, _ value: Tensor) -> Void)? = nil,
                    profile: ((_ node: Node, _ seconds: Double) -> Void)? = nil) throws -> [String: Tensor] {
        let plan = observe != nil || !(outputNames ?? []).allSatisfy(fused.holds) ? unfused ?? fused : fused
        try plan.validate(feeds)
        if observe == nil, profile == nil, outputNames == nil, let sliced = try runBatchSliced(feeds, plan: plan) {
            return sliced
        }
        var values = plan.initialValues
        for (name, tensor) in feeds { values[plan.slots[name]!] = tensor }
        let wanted = outputNames ?? plan.outputNames
        var keep = plan.outputKeep
        if outputNames != nil {
            keep = [Bool](repeating: false, count: values.count)
            for name in wanted { if let slot = plan.slots[name] { keep[slot] = true } }
        }
        let pool = checkOutPool()
        defer { checkInPool(pool) }
        beginParallelRun(threads: threads)
        defer { endParallelRun(threads: threads) }
        try runSteps(of: plan, values: &values, keep: keep, pool: pool, threads: threads, observe: observe,
                     profile: profile)
        var result: [String: Tensor] = [:]
        for name in wanted {
            guard let value = plan.slots[name].flatMap({ values[$0] }) ?? plan.constants[name] else {
                throw RuntimeError.invalidInput(node: "graph", opType: "output", message: "no value named '\(name)' was computed")
            }
            result[name] = value
        }
        return result
    }

    /// Runs every step of `plan` on `values` (feeds in their slots), freeing each value after its last reader
    /// unless `keep` holds it, with kernels on `threads` threads.
    func runSteps(of plan: ExecutionPlan, values: inout [Tensor?], keep: [Bool], pool: BufferPool, threads: Int,
                  observe: ((_ name: String, _ value: Tensor) -> Void)? = nil,
                  profile: ((_ node: Node, _ seconds: Double) -> Void)? = nil) throws {
        var inputs: [Tensor?] = []
        inputs.reserveCapacity(plan.maxInputCount)
        // Steps that depend only on shapes reuse their outputs while the shapes repeat (not when observing).
        let shapeCache = observe == nil ? pool.shapeCache(for: plan) : nil
        for (position, step) in plan.steps.enumerated() {
            let start = profile == nil ? 0 : DispatchTime.now().uptimeNanoseconds
            let outputs: [Tensor]
            if let shapeCache, let cached = shapeCache.outputs(step: position, input: firstInput(step, values)) {
                outputs = cached
            } else {
                for source in step.inputs {
                    switch source {
                    case .omitted: inputs.append(nil)
                    case .constant(let tensor): inputs.append(tensor)
                    case .slot(let slot):
                        guard let value = values[slot] else { throw missingValue(step, slot: slot, plan: plan) }
                        inputs.append(value)
                    }
                }
                outputs = try execute(step, inputs: inputs, pool: pool, threads: threads)
                inputs.removeAll(keepingCapacity: true)  // the kernel's context is gone: the buffer is unique again
                shapeCache?.record(step: position, outputs: outputs)
            }
            if let profile { profile(step.node, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9) }
            for (index, tensor) in outputs.enumerated() where index < step.outputSlots.count {
                guard let slot = step.outputSlots[index] else { continue }
                values[slot] = tensor
                observe?(step.node.outputs[index], tensor)
            }
            for slot in step.lastReads where !keep[slot] {
                if let freed = values[slot] {
                    values[slot] = nil
                    pool.recycle(freed.storage)
                }
            }
        }
    }

    /// The step's first input when it has a value (what a Shape or Size step reads the shape of).
    private func firstInput(_ step: ExecutionPlan.Step, _ values: [Tensor?]) -> Tensor? {
        switch step.inputs.first {
        case .constant(let tensor): tensor
        case .slot(let slot): values[slot]
        default: nil
        }
    }

    /// The error for a step input whose slot has no value (an input no earlier node produced).
    private func missingValue(_ step: ExecutionPlan.Step, slot: Int, plan: ExecutionPlan) -> RuntimeError {
        let position = step.inputs.firstIndex { if case .slot(slot) = $0 { true } else { false } } ?? 0
        return RuntimeError.invalidInput(node: step.node.displayName, opType: step.node.opType,
                                         message: "input '\(step.node.inputs[position])' has no value")
    }

    /// The pool a run takes its output arrays from: the one earlier runs filled, or a new one while another run
    /// holds it (runs on several threads at once each need their own).
    private func checkOutPool() -> BufferPool {
        poolLock.lock()
        defer { poolLock.unlock() }
        if let pool = idlePool {
            idlePool = nil
            return pool
        }
        return BufferPool()
    }

    private func checkInPool(_ pool: BufferPool) {
        pool.endRun()
        poolLock.lock()
        idlePool = pool
        poolLock.unlock()
    }

    private func execute(_ step: ExecutionPlan.Step, inputs: [Tensor?], pool: BufferPool, threads: Int) throws -> [Tensor] {
        let context = KernelContext(bound: step.bound, inputs: inputs, opset: step.opset, threads: threads,
                                    outputBuffers: pool)
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
}
