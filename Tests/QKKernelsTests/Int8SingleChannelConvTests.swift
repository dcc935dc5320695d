import Testing
@testable import QKKernels

/// The single-channel int8 Conv (one group, C = 1: image by image, panels packed and run in one C call) against
/// ``int8ConvReference``, bit for bit, on every path this CPU has: random 1-D/2-D/3-D shapes with strides,
/// dilations and padding, rows wider than a panel and not a multiple of 8, kernels of more than 16 taps and one past
/// the 256-tap limit (the GEMM row path), u8 and s8 inputs and weights, int32 and byte outputs, one and two threads.
@Suite struct Int8SingleChannelConvTests {
    @Test(arguments: Int8KernelPath.available) func randomShapes(path: Int8KernelPath) throws {
        var rng = SeededGenerator(seed: 61)
        for trial in 0..<16 {
            let out = Int.random(in: 1...20, using: &rng), batch = Int.random(in: 1...5, using: &rng)
            try ConvProblem<UInt8, Int8>(channels: 1, groups: 1, perGroupOut: out, rng: &rng, batch: batch,
                                         spatial: 1...40)
                .check(path: path, threads: trial % 2 + 1)
            try ConvProblem<Int8, UInt8>(channels: 1, groups: 1, perGroupOut: out, rng: &rng, batch: batch,
                                         spatial: 1...12)
                .check(path: path, threads: trial % 2 + 1)
        }
    }

    /// Square kernels of 1 to 17 taps a side (17 × 17 = 289 taps runs the GEMM row path) on images of 1 to 37
    /// columns, padding half the kernel.
    @Test(arguments: Int8KernelPath.available) func kernelAndRowSizes(path: Int8KernelPath) throws {
        var rng = SeededGenerator(seed: 62)
        let cases = [(1, 1, 3), (3, 8, 32), (3, 19, 2), (5, 13, 3), (4, 37, 2), (7, 9, 2), (17, 20, 1)]
        for (kernel, side, batch) in cases {
            let geometry = try WindowGeometry(input: [side + 1, side], kernel: [kernel, kernel], strides: nil,
                                              dilations: nil, pads: Array(repeating: kernel / 2, count: 4),
                                              autoPad: .notSet, ceilMode: false)
            let shape = ConvShape(batch: batch, inputChannels: 1, outputChannels: 16, groups: 1, geometry: geometry)
            for threads in [1, 2] {
                var problem = ConvProblem<UInt8, Int8>(shape: shape, rng: &rng)
                problem.check(path: path, threads: threads)
                problem.wZero = [0]
                problem.check(path: path, threads: threads)
            }
        }
    }
}
