import Foundation

/// The optimizer's per-parameter memory (momentum buffers, Adam moments) and step count.
struct OptimizerState {
    let config: TrainingConfig
    private var first: [String: [Float]] = [:]
    private var second: [String: [Float]] = [:]
    private var step = 0

    init(config: TrainingConfig) { self.config = config }

    /// Updates `parameters` in place from `gradients` with learning rate `rate` (see ``TrainingConfig/Optimizer``).
    /// A parameter named in `positive` (a learned quantization scale) moves at most to half its value per step,
    /// p ← max(p_step, p / 2): Adam's step is about `rate` whatever p's magnitude, which would carry a scale of
    /// 1e-3 below zero at rate 3e-3.
    mutating func update(_ parameters: inout [String: TrainTensor], gradients: [String: TrainTensor], rate: Float,
                         positive: Set<String> = []) {
        step += 1
        let (beta1, beta2, epsilon): (Float, Float, Float) = (0.9, 0.999, 1e-8)
        let correction1 = 1 - Float(pow(Double(beta1), Double(step))), correction2 = 1 - Float(pow(Double(beta2), Double(step)))
        for name in gradients.keys.sorted() {
            guard var p = parameters[name]?.values, let g0 = gradients[name]?.values else { continue }
            var g = g0
            if config.weightDecay > 0, (parameters[name]?.rank ?? 0) >= 2 {
                for i in g.indices { g[i] += config.weightDecay * p[i] }
            }
            var m = first[name] ?? [Float](repeating: 0, count: p.count)
            switch config.optimizer {
            case .sgd:
                for i in p.indices {
                    m[i] = config.momentum * m[i] + g[i]
                    p[i] -= rate * m[i]
                }
            case .adam:
                var v = second[name] ?? [Float](repeating: 0, count: p.count)
                for i in p.indices {
                    m[i] = beta1 * m[i] + (1 - beta1) * g[i]
                    v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i]
                    p[i] -= rate * (m[i] / correction1) / ((v[i] / correction2).squareRoot() + epsilon)
                }
                second[name] = v
            }
            first[name] = m
            if positive.contains(name), let before = parameters[name]?.values {
                for i in p.indices { p[i] = max(p[i], before[i] / 2) }
            }
            parameters[name]!.values = p
        }
    }
}
