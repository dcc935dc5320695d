import QKGraph
import QKTensor
@testable import QKTraining

/// A two-layer MLP over 4 features and 3 classes (Gemm → Relu → Gemm → Softmax).
func trainingMLP(seed: UInt64 = 1) -> Model {
    var random = SplitMix64(seed: seed)
    func weights(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in Float(random.next() >> 40) / Float(1 << 24) - 0.5 })
    }
    let graph = Graph(name: "mlp", nodes: [
        Node(name: "fc1", opType: "Gemm", inputs: ["x", "w1", "b1"], outputs: ["h"], attributes: ["transB": .int(1)]),
        Node(name: "relu", opType: "Relu", inputs: ["h"], outputs: ["r"]),
        Node(name: "fc2", opType: "Gemm", inputs: ["r", "w2", "b2"], outputs: ["z"], attributes: ["transB": .int(1)]),
        Node(name: "softmax", opType: "Softmax", inputs: ["z"], outputs: ["p"]),
    ], inputs: [ValueInfo(name: "x", dtype: .float32, shape: [.symbolic("n"), .known(4)])],
    outputs: [ValueInfo(name: "p", dtype: .float32, shape: nil)],
    initializers: ["w1": weights([8, 4]), "b1": Tensor(zeros: .float32, shape: [8]), "w2": weights([3, 8]),
                   "b2": Tensor(zeros: .float32, shape: [3])])
    return Model(graph: graph)
}

/// Three separable clusters: class k has feature k large.
func clusterData(count: Int = 60) throws -> TrainingData {
    var random = SplitMix64(seed: 9)
    var values: [Float] = [], labels: [Int] = []
    for i in 0..<count {
        let label = i % 3
        for f in 0..<4 { values.append((f == label ? 2 : 0) + Float(random.next() >> 40) / Float(1 << 24) - 0.5) }
        labels.append(label)
    }
    return try TrainingData(inputs: ["x": TrainTensor(shape: [count, 4], values: values)], labels: labels)
}
