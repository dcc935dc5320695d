import QKGraph
import QKTensor

/// The per-sample conditions of the ops that may read a batched value (``BatchSlicing``).
extension BatchSliceAnalysis {
    /// Returns when `node`, reading at least one batched value, computes batched outputs row by row; throws the
    /// refusal otherwise.
    func checkPerSample(_ node: Node, _ inputs: [BatchFact?]) throws {
        let op = node.opType
        if perElementOps.contains(op) { return try requireInvariant(node, inputs, except: [0]) }
        if broadcastOps.contains(op) { return try checkBroadcast(node, inputs) }
        if let data = windowOps[op] {
            if op == "MaxPool", node.outputs.count > 1, !node.outputs[1].isEmpty {
                throw refuse(node, "returns indices that count across the batch")
            }
            return try requireInvariant(node, inputs, except: [data])
        }
        let positions = op == "Concat" ? Set(node.inputs.indices) : Set(batchedPositions[op] ?? [0])
        try requireInvariant(node, inputs, except: positions)
        switch op {
        case "BatchNormalization":
            let extraOutputs = node.outputs.dropFirst().contains { !$0.isEmpty }
            guard (try node.int("training_mode") ?? 0) == 0, !extraOutputs else {
                throw refuse(node, "runs in training mode (statistics over the batch)")
            }
        case "QuantizeLinear", "DequantizeLinear":
            try checkQuantization(node)
        case "Gemm":
            try checkGemm(node)
        case "MatMul", "MatMulInteger", "QLinearMatMul":
            try checkMatMul(node, inputs)
        case "Softmax", "LogSoftmax", "Hardmax", "LayerNormalization", "LpNormalization", "Concat", "Split",
             "ArgMax", "ArgMin", "CumSum":
            try checkAxisAttribute(node)
        case "Flatten":
            let axis = try node.int("axis") ?? 1
            let rank = try knownRank(node, 0)
            guard axis == 1 || axis + rank == 1 else {
                throw refuse(node, "flattens the batch with other dims (axis ≠ 1)")
            }
        case "Transpose":
            guard let perm = try node.ints("perm"), perm.first == 0 else { throw refuse(node, "moves axis 0") }
        case "Reshape":
            try checkReshape(node, inputs)
        case "Squeeze", "Unsqueeze":
            let rank = try knownRank(node, 0) + (op == "Unsqueeze" ? (try axes(node, input: 1)?.count ?? 0) : 0)
            guard let list = try axes(node, input: 1),
                  try list.allSatisfy({ try normalized($0, rank: rank, node) != 0 }) else {
                throw refuse(node, "may add or remove axis 0")
            }
        case "Slice":
            try checkSlice(node)
        case "Gather":
            try checkGather(node, inputs)
        default:
            if reductionOps.contains(op) { return try checkReduction(node) }
            throw refuse(node, "is not known to be per-sample")
        }
    }

    /// Elementwise ops with broadcasting: every batched operand has the output's rank (its axis 0 is the
    /// output's), every invariant one a lower rank or dim 0 of size 1, so none reaches across samples.
    private func checkBroadcast(_ node: Node, _ inputs: [BatchFact?]) throws {
        var ranks: [Int] = []
        for index in inputs.indices where inputs[index] != nil { ranks.append(try knownRank(node, index)) }
        let outputRank = ranks.max() ?? 0
        for (index, fact) in inputs.enumerated() {
            guard let fact else { continue }
            let rank = try knownRank(node, index)
            if fact == .batched {
                guard rank == outputRank else { throw refuse(node, "broadcasts a batched value to a higher rank") }
            } else if !fact.isInvariant {
                throw refuse(node, "uses the batch size as data")
            } else if rank == outputRank, firstDim(node.inputs[index]) != 1 {
                throw refuse(node, "broadcasts '\(node.inputs[index])' along the batch axis")
            }
        }
    }

    /// Gemm: A batched and not transposed, B invariant, C without rows of its own (rank < 2 or one row).
    private func checkGemm(_ node: Node) throws {
        guard (try node.int("transA") ?? 0) == 0 else { throw refuse(node, "transposes A (the batch would be K)") }
        if node.inputs.count > 2, !node.inputs[2].isEmpty {
            let rank = try knownRank(node, 2)
            guard rank < 2 || firstDim(node.inputs[2]) == 1 else { throw refuse(node, "adds a C with one row per sample") }
        }
    }

    /// MatMul: the batch is in A's leading dims (rank ≥ 2); an invariant B must not add leading dims of its own
    /// (lower rank, or equal rank with dim 0 of 1, or both rank 2); a batched B has A's rank ≥ 3.
    private func checkMatMul(_ node: Node, _ inputs: [BatchFact?]) throws {
        let a = 0, b = node.opType == "QLinearMatMul" ? 3 : 1
        let rankA = try knownRank(node, a), rankB = try knownRank(node, b)
        guard inputs[a] == .batched, rankA >= 2 else { throw refuse(node, "has the batch outside A's leading dims") }
        // A's quantization parameters may be per row ([M]); only per-tensor ones are the same for every sample.
        let rowParameters = node.opType == "QLinearMatMul" ? [1, 2, 6, 7] : (node.opType == "MatMulInteger" ? [2] : [])
        for index in rowParameters where index < node.inputs.count && !node.inputs[index].isEmpty {
            guard let shape = inferred[node.inputs[index]]?.shape, shape.allSatisfy({ $0.value == 1 }) else {
                throw refuse(node, "has per-row quantization parameters")
            }
        }
        if inputs[b] == .batched {
            guard rankA >= 3, rankB == rankA else { throw refuse(node, "has the batch as B's K or N") }
        } else {
            let aligned = rankB < rankA || (rankB == rankA && (rankA == 2 || firstDim(node.inputs[b]) == 1))
            guard aligned else { throw refuse(node, "broadcasts B along the batch axis") }
        }
    }

    /// Q/DQ: per-axis (or blocked) parameters on an axis other than 0.
    private func checkQuantization(_ node: Node) throws {
        guard node.inputs.count > 1, let scale = inferred[node.inputs[1]]?.shape else {
            throw refuse(node, "has a scale of unknown shape")
        }
        let perTensor = scale.allSatisfy { $0.value == 1 }
        if !perTensor {
            guard try normalized(node.int("axis") ?? 1, rank: knownRank(node, 0), node) != 0 else {
                throw refuse(node, "quantizes per sample along axis 0")
            }
        }
    }

    /// Ops with an `axis` attribute (default −1 or 1 by opset): it must not be 0.
    private func checkAxisAttribute(_ node: Node) throws {
        let opset = model.opsetVersion(for: "") ?? 21
        let defaultAxis: Int = switch node.opType {
        case "Softmax", "LogSoftmax", "Hardmax": opset >= 13 ? -1 : 1
        case "LayerNormalization", "LpNormalization": -1
        case "CumSum": 0
        default: 0  // Concat (required), Split, ArgMax, ArgMin
        }
        let axis = node.opType == "CumSum" ? try constantInts(node, 1)?.first ?? 0 : try node.int("axis") ?? defaultAxis
        let inputs = node.opType == "Concat" ? Array(node.inputs.indices) : [0]
        for index in inputs where try normalized(axis, rank: knownRank(node, index), node) == 0 {
            throw refuse(node, "works along axis 0")
        }
        if node.opType == "Concat", node.inputs.contains(where: { facts[$0] != .batched }) {
            throw refuse(node, "joins a batched value with one that is not")
        }
    }

    /// Reductions over constant axes, none of them 0 (no axes means all of them).
    private func checkReduction(_ node: Node) throws {
        guard let list = try axes(node, input: 1), !list.isEmpty else { throw refuse(node, "reduces over every axis") }
        let rank = try knownRank(node, 0)
        for axis in list where try normalized(axis, rank: rank, node) == 0 {
            throw refuse(node, "reduces over axis 0")
        }
    }

    /// Gather: rows of invariant data picked by batched indices along axis 0 (an embedding lookup: the output's
    /// dim 0 is the indices' dim 0), or batched data gathered along another axis with invariant indices.
    private func checkGather(_ node: Node, _ inputs: [BatchFact?]) throws {
        let axis = try normalized(node.int("axis") ?? 0, rank: knownRank(node, 0), node)
        let indicesRank = try knownRank(node, 1)
        let lookup = inputs[0]?.isInvariant == true && inputs[1] == .batched && axis == 0 && indicesRank >= 1
        let select = inputs[0] == .batched && inputs[1]?.isInvariant == true && axis != 0
        guard lookup || select else { throw refuse(node, "gathers along the batch axis") }
    }

    /// Slice with constant bounds on axes other than 0 (absent axes mean 0, 1, …).
    private func checkSlice(_ node: Node) throws {
        let rank = try knownRank(node, 0)
        let starts = try node.ints("starts") ?? constantInts(node, 1) ?? []
        let list = try node.ints("axes") ?? constantInts(node, 3) ?? Array(starts.indices)
        _ = try constantInts(node, 2)
        _ = try constantInts(node, 4)
        guard try list.allSatisfy({ try normalized($0, rank: rank, node) != 0 }) else {
            throw refuse(node, "slices axis 0")
        }
    }
}

/// Ops that map each element of input 0 on its own (other inputs invariant: Clip bounds, CastLike's type).
let perElementOps: Set<String> = [
    "Relu", "Sigmoid", "Tanh", "Erf", "Exp", "Log", "Sqrt", "Abs", "Neg", "Identity", "Cast", "CastLike",
    "LeakyRelu", "Elu", "Selu", "Celu", "HardSigmoid", "HardSwish", "Softplus", "Softsign", "Gelu", "Mish",
    "ThresholdedRelu", "Shrink", "Floor", "Ceil", "Round", "Sign", "Reciprocal", "Not", "IsNaN", "IsInf",
    "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Clip", "BitwiseNot",
]

/// Elementwise ops with multidirectional (or PRelu's unidirectional) broadcasting.
let broadcastOps: Set<String> = [
    "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "Equal", "Less", "LessOrEqual", "Greater",
    "GreaterOrEqual", "And", "Or", "Xor", "Where", "PRelu", "Mod", "BitShift", "BitwiseAnd", "BitwiseOr",
    "BitwiseXor",
]

/// Ops over the spatial dims of each sample, by the position of their batched input (the others invariant).
let windowOps: [String: Int] = [
    "Conv": 0, "ConvInteger": 0, "QLinearConv": 0, "ConvTranspose": 0, "MaxPool": 0, "AveragePool": 0,
    "GlobalAveragePool": 0, "GlobalMaxPool": 0, "LpPool": 0, "GlobalLpPool": 0, "InstanceNormalization": 0,
    "LRN": 0, "DepthToSpace": 0, "SpaceToDepth": 0,
]

/// Ops whose batched inputs are not just input 0.
let batchedPositions: [String: [Int]] = [
    "MatMul": [0, 1], "MatMulInteger": [0, 1], "QLinearMatMul": [0, 3], "Reshape": [0, 1], "Gather": [0, 1],
]

/// Reductions with `axes` (attribute, or input 1 in newer opsets).
let reductionOps: Set<String> = [
    "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum",
    "ReduceLogSumExp", "ReduceSumSquare",
]
