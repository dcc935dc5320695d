import Testing
import QKGraph
import QKTensor
@testable import QKRuntime

/// MatMulInteger, QLinearMatMul, ConvInteger and QLinearConv: hand-computed cases and seeded random cases against
/// plain Int64 loops written here.
@Suite struct QuantizedMatMulConvTests {
    /// (A − 1)·(B − [0, 2]) = [[0, 1], [2, 3]]·[[−1, 0], [3, −6]] = [[3, −6], [7, −18]].
    @Test func matMulIntegerPerColumnZeroPoint() throws {
        let a = Tensor(shape: [2, 2], values: [UInt8(1), 2, 3, 4]), b = Tensor(shape: [2, 2], values: [Int8(-1), 2, 3, -4])
        let y = try runNode("MatMulInteger", inputs: [a, b, Tensor(scalar: UInt8(1)), Tensor(shape: [2], values: [Int8(0), 2])],
                            opset: 10)
        #expect(y[0].shape == [2, 2] && y[0].values(as: Int32.self) == [3, -6, 7, -18])
    }

    /// Batch broadcasting: A 2×1×2 against B 2×1 (shared): each row dotted with [1, −1].
    @Test func matMulIntegerBroadcastsBatches() throws {
        let a = Tensor(shape: [2, 1, 2], values: [Int8(5), 3, -4, 9]), b = Tensor(shape: [2, 1], values: [Int8(1), -1])
        let y = try runNode("MatMulInteger", inputs: [a, b], opset: 10)
        #expect(y[0].shape == [2, 1, 1] && y[0].values(as: Int32.self) == [2, -13])
    }

    /// acc = [3, 5], multiplier 1 · 0.5 / 1: 1.5 → 2 and 2.5 → 2 (ties to even), + y_zp 10.
    @Test func qLinearMatMulTiesToEven() throws {
        let a = Tensor(shape: [2, 2], values: [UInt8(1), 2, 2, 3]), b = Tensor(shape: [2, 1], values: [UInt8(1), 1])
        let y = try runNode("QLinearMatMul", inputs: [a, floats([], [1]), Tensor(scalar: UInt8(0)), b, floats([], [0.5]),
                                                      Tensor(scalar: UInt8(0)), floats([], [1]), Tensor(scalar: UInt8(10))],
                            opset: 10)
        #expect(y[0].values(as: UInt8.self) == [12, 12])
    }

    /// Per-channel 1×1 conv: channel 0 (w 1, scale 0.5, bias 1) gives (x + 1)/2 → [1, 1.5→2, 2, 2.5→2] + 128;
    /// channel 1 (w −1, scale 1) gives −x + 128.
    @Test func qLinearConvPerChannelWithBias() throws {
        let x = Tensor(shape: [1, 1, 2, 2], values: [UInt8(1), 2, 3, 4]), w = Tensor(shape: [2, 1, 1, 1], values: [Int8(1), -1])
        let y = try runNode("QLinearConv", inputs: [x, floats([], [1]), Tensor(scalar: UInt8(0)), w, floats([2], [0.5, 1]),
                                                    Tensor(shape: [2], values: [Int8(0), 0]), floats([], [1]),
                                                    Tensor(scalar: UInt8(128)), Tensor(shape: [2], values: [Int32(1), 0])],
                            opset: 10)
        #expect(y[0].shape == [1, 2, 2, 2] && y[0].values(as: UInt8.self) == [129, 130, 130, 130, 127, 126, 125, 124])
    }

    /// Seeded random grouped, strided, dilated, padded ConvInteger (u8 x, s8 w with per-channel zero points)
    /// and QLinearConv against an Int64 loop (QLinearConv requantized here with round-half-even in Double).
    @Test func randomConvsMatchInt64Loop() throws {
        var rng = SplitMix64(seed: 42)
        for trial in 0..<12 {
            let group = [1, 2, 3][trial % 3]
            let cg: Int = .random(in: 1...3, using: &rng), mg: Int = .random(in: 1...3, using: &rng)
            let c = group * cg, m = group * mg
            let h: Int = .random(in: 5...9, using: &rng), wd: Int = .random(in: 3...8, using: &rng)  // dilated kernel ≤ 5 tall
            let kh: Int = .random(in: 1...3, using: &rng), kw: Int = .random(in: 1...3, using: &rng)
            let strides: [Int] = [.random(in: 1...2, using: &rng), .random(in: 1...2, using: &rng)]
            let dilations: [Int] = [.random(in: 1...2, using: &rng), 1]
            let pads: [Int] = (0..<4).map { _ in Int.random(in: 0...1, using: &rng) }
            let x: [UInt8] = (0..<2 * c * h * wd).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let w: [Int8] = (0..<m * cg * kh * kw).map { _ in Int8.random(in: -128...127, using: &rng) }
            let xZero: UInt8 = .random(in: 0...255, using: &rng)
            let wZero: [Int8] = (0..<m).map { _ in Int8.random(in: -5...5, using: &rng) }
            let attributes: [String: Attribute] = [
                "group": .int(Int64(group)), "strides": .ints(strides.map(Int64.init)),
                "dilations": .ints(dilations.map(Int64.init)), "pads": .ints(pads.map(Int64.init)),
            ]
            let xt = Tensor(shape: [2, c, h, wd], values: x), wt = Tensor(shape: [m, cg, kh, kw], values: w)
            let y = try runNode("ConvInteger", inputs: [xt, wt, Tensor(scalar: xZero), Tensor(shape: [m], values: wZero)],
                                attributes: attributes, opset: 10)
            let expected = int64Conv(x: x.map(Int64.init), c: c, h: h, w: wd, xZero: Int64(xZero), weights: w.map(Int64.init),
                                     m: m, kh: kh, kw: kw, wZero: wZero.map(Int64.init), group: group, strides: strides,
                                     dilations: dilations, pads: pads)
            #expect(y[0].shape == [2, m] + expected.spatial, "trial \(trial)")
            #expect(y[0].values(as: Int32.self) == expected.values.map { Int32($0) }, "trial \(trial)")

            let bias: [Int32] = (0..<m).map { _ in Int32.random(in: -500...500, using: &rng) }
            let wScales: [Float] = (0..<m).map { _ in Float.random(in: 0.001...0.01, using: &rng) }
            let (xScale, yScale): (Float, Float) = (0.02, 0.05)
            let q = try runNode("QLinearConv", inputs: [xt, floats([], [xScale]), Tensor(scalar: xZero), wt, floats([m], wScales),
                                                        Tensor(shape: [m], values: wZero), floats([], [yScale]),
                                                        Tensor(scalar: Int8(-7)), Tensor(shape: [m], values: bias)],
                                attributes: attributes, opset: 10)
            let plane = expected.spatial.reduce(1, *)
            var want = [Int8]()
            for (i, acc) in expected.values.enumerated() {
                let channel = (i / plane) % m
                let multiplier = Double(xScale * wScales[channel] / yScale)
                let r: Double = (Double(acc + Int64(bias[channel])) * multiplier).rounded(.toNearestOrEven) - 7
                want.append(Int8(min(max(r, -128), 127)))
            }
            #expect(q[0].values(as: Int8.self) == want, "trial \(trial)")
        }
    }

    /// Plain 2-D grouped convolution in Int64 (padding contributes 0 after the zero-point shift).
    private func int64Conv(x: [Int64], c: Int, h: Int, w: Int, xZero: Int64, weights: [Int64], m: Int, kh: Int, kw: Int,
                           wZero: [Int64], group: Int, strides: [Int], dilations: [Int],
                           pads: [Int]) -> (spatial: [Int], values: [Int64]) {
        let oh = (h + pads[0] + pads[2] - dilations[0] * (kh - 1) - 1) / strides[0] + 1
        let ow = (w + pads[1] + pads[3] - dilations[1] * (kw - 1) - 1) / strides[1] + 1
        let cg = c / group, mg = m / group
        var out = [Int64]()
        for n in 0..<2 {
            for oc in 0..<m {
                for y in 0..<oh {
                    for xo in 0..<ow {
                        var sum: Int64 = 0
                        for ic in 0..<cg {
                            let channel = (oc / mg) * cg + ic
                            for i in 0..<kh {
                                for j in 0..<kw {
                                    let iy = y * strides[0] - pads[0] + i * dilations[0]
                                    let ix = xo * strides[1] - pads[1] + j * dilations[1]
                                    guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                                    let xv = x[((n * c + channel) * h + iy) * w + ix] - xZero
                                    sum += xv * (weights[((oc * cg + ic) * kh + i) * kw + j] - wZero[oc])
                                }
                            }
                        }
                        out.append(sum)
                    }
                }
            }
        }
        return ([oh, ow], out)
    }
}
