import Foundation

/// One layer's rounding problem (see ``AdaRound`` for the objective): float weights and the codes of nearest
/// rounding as row-major [rows, width], per-row scale and zero point, the code range and the Gram matrix H.
struct RoundingProblem {
    var weights: [Float]
    var rows: Int, width: Int
    var scales: [Float], zeroPoints: [Float]
    var qmin: Float, qmax: Float
    /// Integer codes of nearest rounding (as stored by PTQ).
    var nearest: [Float]
    /// H, width × width row-major.
    var gram: [Double] = []

    static let zeta: Float = 1.1, gamma: Float = -0.1

    /// Σ_k Δ_k (H Δ)_k of one row, Δ = s (q − z) − w.
    func rowError(_ codes: [Float], row r: Int) -> Double {
        let delta = (0..<width).map { k in
            Double(scales[r] * (codes[r * width + k] - zeroPoints[r]) - weights[r * width + k])
        }
        var total = 0.0
        for i in 0..<width {
            var hd = 0.0
            for j in 0..<width { hd += gram[i * width + j] * delta[j] }
            total += delta[i] * hd
        }
        return total
    }

    /// The learned codes (row-major) and a report; rows whose learned rounding reconstructs worse keep nearest.
    func solve(options: AdaRoundOptions, weight: String) -> (codes: [Float], report: AdaRoundLayerReport) {
        let learned = optimize(options: options)
        var codes = nearest
        var (nearestError, learnedError) = (0.0, 0.0)
        for r in 0..<rows {
            let before = rowError(nearest, row: r), after = rowError(learned, row: r)
            nearestError += before
            if after < before {
                for k in 0..<width { codes[r * width + k] = learned[r * width + k] }
                learnedError += after
            } else {
                learnedError += before
            }
        }
        let flipped = zip(codes, nearest).filter { $0 != $1 }.count
        return (codes, AdaRoundLayerReport(weight: weight, nearestError: nearestError, learnedError: learnedError,
                                           flipped: flipped, count: codes.count))
    }

    /// (H Δ_r)_i for every row r and input i, row-major: Σ_j H[i, j] · Δ[r, j], summed in j order.
    static func rowProducts(_ gram: [Double], _ delta: [Double], rows: Int, width: Int) -> [Double] {
        var result = [Double](repeating: 0, count: rows * width)
        gram.withUnsafeBufferPointer { g in
            delta.withUnsafeBufferPointer { d in
                result.withUnsafeMutableBufferPointer { out in
                    for r in 0..<rows {
                        for i in 0..<width {
                            var sum = 0.0
                            for j in 0..<width { sum += g[i * width + j] * d[r * width + j] }
                            out[r * width + i] = sum
                        }
                    }
                }
            }
        }
        return result
    }

    /// Adam on V (``AdaRound``'s relaxation), then hard rounding h = [V ≥ 0].
    func optimize(options: AdaRoundOptions) -> [Float] {
        let n = weights.count
        let (zeta, gamma) = (Self.zeta, Self.gamma)
        var floors = [Float](repeating: 0, count: n)
        var v = [Float](repeating: 0, count: n)
        for i in 0..<n {
            let ratio = weights[i] / scales[i / width]
            floors[i] = ratio.rounded(.down)
            let target = min(max((ratio - floors[i] - gamma) / (zeta - gamma), 1e-4), 1 - 1e-4)
            v[i] = log(target / (1 - target))
        }
        var trace = 0.0
        for k in 0..<width { trace += gram[k * width + k] }
        let randomError = scales.reduce(0.0) { $0 + Double($1) * Double($1) } * trace / 12
        let recScale = randomError > 0 ? 2 / randomError : 0
        let warm = Int(Float(options.iterations) * options.warmup)
        var (m, s2) = ([Float](repeating: 0, count: n), [Float](repeating: 0, count: n))
        var delta = [Double](repeating: 0, count: n), inside = [Bool](repeating: false, count: n)
        var h = [Float](repeating: 0, count: n), grad = [Float](repeating: 0, count: n)
        for step in 0..<options.iterations {
            for i in 0..<n {
                h[i] = min(max(1 / (1 + exp(-v[i])) * (zeta - gamma) + gamma, 0), 1)
                let code = floors[i] + h[i] + zeroPoints[i / width]
                inside[i] = code >= qmin && code <= qmax
                delta[i] = Double(scales[i / width] * (min(max(code, qmin), qmax) - zeroPoints[i / width]) - weights[i])
            }
            let beta = step < warm ? 0 : options.betaStart + (options.betaEnd - options.betaStart)
                * Float(step - warm) / Float(max(options.iterations - warm - 1, 1))
            let products = Self.rowProducts(gram, delta, rows: rows, width: width)
            for r in 0..<rows {
                for i in 0..<width {
                    let index = r * width + i
                    var dh = inside[index] ? Float(recScale * products[index]) * scales[r] : 0
                    if beta > 0 {
                        let centred = 2 * h[index] - 1
                        let magnitude = abs(centred)
                        dh -= options.regularization / Float(n) * beta * pow(magnitude, beta - 1)
                            * (centred < 0 ? -2 : 2)
                    }
                    let sigma = 1 / (1 + exp(-v[index]))
                    let raw = sigma * (zeta - gamma) + gamma
                    grad[index] = raw > 0 && raw < 1 ? dh * sigma * (1 - sigma) * (zeta - gamma) : 0
                }
            }
            let t = Float(step + 1)
            let (c1, c2) = (1 - pow(Float(0.9), t), 1 - pow(Float(0.999), t))
            for i in 0..<n {
                m[i] = 0.9 * m[i] + 0.1 * grad[i]
                s2[i] = 0.999 * s2[i] + 0.001 * grad[i] * grad[i]
                v[i] -= options.learningRate * (m[i] / c1) / ((s2[i] / c2).squareRoot() + 1e-8)
            }
        }
        return (0..<n).map { i in
            min(max(floors[i] + (v[i] >= 0 ? 1 : 0) + zeroPoints[i / width], qmin), qmax)
        }
    }
}
