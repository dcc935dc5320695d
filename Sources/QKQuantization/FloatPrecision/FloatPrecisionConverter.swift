import QKGraph
import QKTensor

/// Converts a float32 model to float16 or bfloat16.
///
/// Every float32 value computed by a convertible node (``FloatPrecisionOps``) becomes the target type; float32
/// initializers read by a converted node are converted (x₁₆ = round_to_nearest_even(x)); Constant/ConstantOfShape
/// float values and Cast `to = float` inside the converted region are retargeted. Where a float32 value flows
/// between a converted and a kept node, one Cast per value and direction is inserted. With `keepIO` the graph's
/// float32 inputs and outputs stay float32 (Casts at the boundary). Integer (shape) computations are untouched.
public enum FloatPrecisionConverter {
    /// Converts `model` to `dtype` (.float16 or .bfloat16); one decision per node that reads or writes float32.
    public static func convert(_ model: Model, to dtype: DType, keepIO: Bool = true) throws
        -> (model: Model, decisions: [QuantizationDecision]) {
        guard dtype == .float16 || dtype == .bfloat16 else {
            throw DynamicQuantizationError.unsupportedTarget(dtype.rawValue)
        }
        if let node = model.graph.nodes.first(where: { DynamicQuantizer.quantizedOps.contains($0.opType) }) {
            throw DynamicQuantizationError.alreadyQuantized(node: node.displayName, opType: node.opType)
        }
        var plan = try FloatPrecisionPlan(model: model, target: dtype, keepIO: keepIO)
        var result = model
        result.graph = plan.rewrite()
        result.irVersion = 10
        return (result, plan.decisions)
    }
}

/// Which nodes convert and which values end up in the target type, then the rewritten graph.
struct FloatPrecisionPlan {
    let graph: Graph
    let target: DType
    let keepIO: Bool
    /// Values whose source type is float32.
    let float32Values: Set<String>
    /// Indices (in topological order) of converted nodes.
    var converted: Set<Int> = []
    var order: [Node] = []
    var decisions: [QuantizationDecision] = []
    /// Values that hold the target type in the rewritten graph.
    var low: Set<String> = []

    init(model: Model, target: DType, keepIO: Bool) throws {
        graph = try model.graph.topologicallySorted()
        self.target = target
        self.keepIO = keepIO
        let types = try ShapeInference.infer(model)
        float32Values = Set(types.filter { $0.value.dtype == .float32 }.map(\.key))
        order = graph.nodes
        let opset = Int(model.opsetVersion(for: "") ?? 1)
        for (index, node) in order.enumerated() {
            let touches = (node.inputs + node.outputs).contains { float32Values.contains($0) }
                || (node.opType == "Cast" && (try? node.int("to")) == DType.float32.onnxCode)
            guard touches else { continue }
            if let overflowing = node.inputs.first(where: { overflows(graph.initializers[$0], target) })
                ?? (overflows(try? node.tensor("value"), target) ? node.outputs.first : nil) {
                decisions.append(QuantizationDecision(node: node.displayName, opType: node.opType, action: .keptFloat,
                    reason: "kept float32: constant '\(overflowing)' overflows \(target)"))
            } else if let problem = FloatPrecisionOps.problem(node.opType, opset: opset, bfloat16: target == .bfloat16) {
                decisions.append(QuantizationDecision(node: node.displayName, opType: node.opType,
                                                      action: .keptFloat, reason: problem))
            } else {
                converted.insert(index)
                decisions.append(QuantizationDecision(node: node.displayName, opType: node.opType,
                                                      action: .converted, reason: "computes in \(target)"))
                low.formUnion(node.outputs.filter { float32Values.contains($0) })
            }
        }
        let inputs = Set(graph.runtimeInputs.map(\.name))
        if !keepIO { low.formUnion(inputs.intersection(float32Values)) }
        for (index, node) in order.enumerated() where converted.contains(index) {
            for input in node.inputs where graph.initializers[input]?.dtype == .float32 { low.insert(input) }
        }
    }

    /// The graph with converted nodes, converted initializers and boundary Casts.
    mutating func rewrite() -> Graph {
        var result = graph
        var casts: [String: String] = [:]
        var nodes: [Node] = []
        let outputNames = Set(graph.outputs.map(\.name))
        // Graph outputs computed in the target type are written under a new name and cast back (keepIO).
        var renamed: [String: String] = [:]
        if keepIO {
            for name in outputNames where low.contains(name) { renamed[name] = name + "_" + target.rawValue }
        }
        func value(_ name: String) -> String { renamed[name] ?? name }
        func cast(_ name: String, to dtype: DType) -> String {
            let key = name + "->" + dtype.rawValue
            if let existing = casts[key] { return existing }
            let output = name + "_to_" + dtype.rawValue
            nodes.append(Node(name: output + "_Cast", opType: "Cast", inputs: [value(name)], outputs: [output],
                              attributes: ["to": .int(Int64(dtype.onnxCode))]))
            casts[key] = output
            return output
        }
        for (index, original) in order.enumerated() {
            var node = original
            let isConverted = converted.contains(index)
            node.inputs = original.inputs.map { input in
                guard float32Values.contains(input) else { return value(input) }
                let isLow = low.contains(input)
                if isConverted == isLow { return value(input) }
                return cast(input, to: isConverted ? target : .float32)
            }
            node.outputs = original.outputs.map(value)
            if isConverted { retarget(&node) }
            nodes.append(node)
        }
        for name in renamed.keys.sorted() {
            nodes.append(Node(name: name + "_Cast", opType: "Cast", inputs: [renamed[name] ?? name], outputs: [name],
                              attributes: ["to": .int(Int64(DType.float32.onnxCode))]))
        }
        for (name, tensor) in graph.initializers where low.contains(name) && tensor.dtype == .float32 {
            result.initializers[name] = tensor.converted(to: target)
        }
        if !keepIO {
            result.inputs = result.inputs.map { retyped($0) }
            result.outputs = result.outputs.map { retyped($0) }
        }
        result.valueInfo = graph.valueInfo.filter { !low.contains($0.name) }
        result.nodes = nodes
        return result
    }

    /// Whether a float32 constant holds finite values that become ±∞ in `target` (e.g. −3.4·10³⁸ attention-mask
    /// fillers, or anything above 65504 in float16).
    private func overflows(_ tensor: Tensor?, _ target: DType) -> Bool {
        guard let tensor, tensor.dtype == .float32 else { return false }
        return zip(tensor.floatValues, tensor.converted(to: target).floatValues).contains { $0.isFinite && !$1.isFinite }
    }

    private func retyped(_ info: ValueInfo) -> ValueInfo {
        guard low.contains(info.name) else { return info }
        var copy = info
        copy.dtype = target
        return copy
    }

    /// Float attributes of a converted node in the target type: Constant/ConstantOfShape values, Cast `to`.
    private func retarget(_ node: inout Node) {
        for key in ["value"] {
            if case .tensor(let tensor)? = node.attributes[key], tensor.dtype == .float32 {
                node.attributes[key] = .tensor(tensor.converted(to: target))
            }
        }
        if node.opType == "Cast", case .int(let code)? = node.attributes["to"], code == Int64(DType.float32.onnxCode) {
            node.attributes["to"] = .int(Int64(target.onnxCode))
        }
    }
}
