import Benchmark
import QKKernels

/// fp32 Conv + ReLU on the digits fixture's two layers (3×3, pad 1: 1 → 16 channels on 8×8 and 16 → 32 on 4×4) at
/// batch 1 and 32, 1 and 2 threads, in GFLOP/s (a multiply-add counts 2).
func registerFloat32ConvBenchmarks() {
    func layer(batch: Int, channels: Int, outChannels: Int, side: Int) -> ConvShape {
        let geometry = try! WindowGeometry(input: [side, side], kernel: [3, 3], strides: nil, dilations: nil,
                                           pads: [1, 1, 1, 1], autoPad: .notSet, ceilMode: false)
        return ConvShape(batch: batch, inputChannels: channels, outputChannels: outChannels, groups: 1,
                         geometry: geometry)
    }
    for batch in [1, 32] {
        for (name, shape) in [("conv1 1→16 8×8", layer(batch: batch, channels: 1, outChannels: 16, side: 8)),
                              ("conv2 16→32 4×4", layer(batch: batch, channels: 16, outChannels: 32, side: 4))] {
            let x = (0..<shape.inputCount).map { Float($0 % 13) * 0.25 - 1.5 }
            let w = (0..<shape.weightCount).map { Float($0 % 7) * 0.125 - 0.375 }
            let bias = (0..<shape.outputChannels).map { Float($0 % 5) * 0.1 - 0.2 }
            let ops = 2 * Double(shape.outputCount * shape.inputChannelsPerGroup * shape.geometry.kernelSize)
            for threads in [1, 2] {
                Benchmark("fp32 Conv+Relu digits \(name) batch \(batch) \(threads)T",
                          configuration: .init(metrics: [.wallClock, gops])) { bench in
                    measureRate(bench, operations: ops, metric: gops) {
                        blackHole(conv(shape, input: x, weights: w, bias: bias, activation: .relu, threads: threads))
                    }
                }
            }
        }
    }
}
