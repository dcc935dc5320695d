import Foundation
import XCTest
@testable import QKTraining

/// ``TrainingConfig/keepBestEpoch``: the start or the epoch whose outputs are closest to the teacher's.
final class KeepBestEpochTests: XCTestCase {
    func config() -> TrainingConfig {
        var config = TrainingConfig()
        (config.epochs, config.batchSize, config.learningRate, config.seed) = (4, 8, 0.05, 3)
        return config
    }

    /// Held-out cluster samples with `teacher`'s logits.
    func validation(teacher: TrainingGraph) throws -> TrainingData {
        var data = try clusterData(count: 30)
        data.teacherLogits = try Trainer.logits(teacher, on: data, threads: 1)
        return data
    }

    /// Mean KL(softmax(t) ‖ softmax(z)) over the rows, written out here in Double.
    func meanKL(_ graph: TrainingGraph, _ data: TrainingData) throws -> Double {
        let z = try Trainer.logits(graph, on: data, threads: 1).values.map(Double.init)
        let t = data.teacherLogits!.values.map(Double.init)
        var total = 0.0
        for row in 0..<data.count {
            let zs = Array(z[row * 3..<row * 3 + 3]), ts = Array(t[row * 3..<row * 3 + 3])
            let logZ = log(zs.map(exp).reduce(0, +)), logT = log(ts.map(exp).reduce(0, +))
            for k in 0..<3 { total += exp(ts[k] - logT) * ((ts[k] - logT) - (zs[k] - logZ)) }
        }
        return total / Double(data.count)
    }

    func testTheStartIsKeptWhenItIsTheTeacher() throws {
        let start = try TrainingGraph(model: trainingMLP(seed: 2))
        var config = config()
        config.keepBestEpoch = true
        var graph = start
        try Trainer.train(&graph, data: try clusterData(), validation: try validation(teacher: start), config: config)
        XCTAssertEqual(graph.parameters, start.parameters, "every epoch moves away from a teacher equal to the start")
    }

    func testTheEpochWithTheLowestDivergenceIsKept() throws {
        let start = try TrainingGraph(model: trainingMLP(seed: 2))
        let held = try validation(teacher: try TrainingGraph(model: trainingMLP(seed: 1)))
        var snapshots = [start]
        var plain = start
        try Trainer.train(&plain, data: try clusterData(), validation: held, config: config()) { _, state in
            snapshots.append(state)
        }
        let divergences = try snapshots.map { try meanKL($0, held) }
        let bestIndex = divergences.indices.min { divergences[$0] < divergences[$1] }!
        var kept = start
        var config = config()
        config.keepBestEpoch = true
        try Trainer.train(&kept, data: try clusterData(), validation: held, config: config)
        XCTAssertEqual(kept.parameters, snapshots[bestIndex].parameters, "KL per snapshot: \(divergences)")
        XCTAssertEqual(try Trainer.divergence(kept, from: held, threads: 1), divergences[bestIndex], accuracy: 1e-6)
        XCTAssertThrowsError(try Trainer.train(&kept, data: try clusterData(), validation: try clusterData(count: 30),
                                               config: config), "validation without teacher logits")
    }
}
