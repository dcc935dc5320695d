import Benchmark
import QKKernels
import QKTensor

// Kernel throughput: int8 GEMM/GEMV per ISA path (GOP/s and % of this CPU's single-thread u8·s8 peak), fp32 sgemm
// (GFLOP/s), int8 Conv (im2col + GEMM and depthwise) and requantization. Ops count a multiply-add as 2.

let gops = BenchmarkMetric.custom("GOP/s", polarity: .prefersLarger, useScalingFactor: false)
let percentOfPeak = BenchmarkMetric.custom("% of int8 peak", polarity: .prefersLarger, useScalingFactor: false)
let megaElements = BenchmarkMetric.custom("M elements/s", polarity: .prefersLarger, useScalingFactor: false)

/// Runs `body` `benchmark.scaledIterations` times and records `operations` per run as a rate in `metric` (and as
/// % of the int8 peak when `peak` is given).
func measureRate(_ benchmark: Benchmark, operations: Double, metric: BenchmarkMetric, per unit: Double = 1e9,
                 peak: Double? = nil, _ body: () -> Void) {
    let start = ContinuousClock.now
    for _ in benchmark.scaledIterations { body() }
    let elapsed = ContinuousClock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    let rate = operations * Double(benchmark.scaledIterations.count) / seconds / unit
    benchmark.measurement(metric, Int(rate.rounded()))
    if let peak { benchmark.measurement(percentOfPeak, Int((100 * rate / peak).rounded())) }
}

func randomBytes<T: FixedWidthInteger>(_ count: Int, seed: UInt64) -> [T] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { _ in T.random(in: T.min...T.max, using: &rng) }
}

let benchmarks: @Sendable () -> Void = {
    let peak = CPUPeak.measured
    print(peak.summary)
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock], warmupIterations: 2, maxDuration: .seconds(2),
                                           maxIterations: 200)
    registerGemmBenchmarks(peak: peak.int8GOPS)
    registerConvBenchmarks()
    registerQDQBenchmarks()
    registerQuantizedElementwiseBenchmarks()
    registerFloat32ConvBenchmarks()
    registerPoolingBenchmarks()
}

func registerGemmBenchmarks(peak: Double) {
    let size = 512
    let a: [UInt8] = randomBytes(size * size, seed: 1)
    let b: [Int8] = randomBytes(size * size, seed: 2)
    // Weights whose adjacent pairs keep |b₀| + |b₁| ≤ 128, so the avx2 path runs vpmaddubsw (full-range weights
    // take avx2Widening).
    let narrow = b.map { $0 / 2 }
    var c = [Int32](repeating: 0, count: size * size)
    let ops = 2 * Double(size * size * size)
    for path in Int8KernelPath.available {
        let weights = PackedInt8Weights(path == .avx2 ? narrow : b, k: size, n: size, transposed: false,
                                        zeroPoints: [0], path: path)
        for threads in path == .portable ? [1] : [1, 2] {
            Benchmark("int8 GEMM 512³ \(weights.path) \(threads)T",
                      configuration: .init(metrics: [.wallClock, gops, percentOfPeak])) { benchmark in
                measureRate(benchmark, operations: ops, metric: gops, peak: threads == 1 ? peak : 2 * peak) {
                    c.withUnsafeMutableBufferPointer { out in
                        int8Gemm(m: size, a: a, lda: size, aZeroPoints: [3], weights: weights, bias: nil,
                                 output: .int32(out.baseAddress!), ldc: size, threads: threads)
                    }
                }
            }
        }
        Benchmark("int8 GEMV 1×512×512 \(weights.path) 1T", configuration: .init(metrics: [.wallClock, gops])) { bench in
            measureRate(bench, operations: 2 * Double(size * size), metric: gops) {
                c.withUnsafeMutableBufferPointer { out in
                    int8Gemm(m: 1, a: a, lda: size, aZeroPoints: [3], weights: weights, bias: nil,
                             output: .int32(out.baseAddress!), ldc: size)
                }
            }
        }
    }
    let x = (0..<size * size).map { Float($0 % 17) - 8 }
    var y = [Float](repeating: 0, count: size * size)
    for threads in [1, 2] {
        Benchmark("fp32 sgemm 512³ \(threads)T (GFLOP/s)", configuration: .init(metrics: [.wallClock, gops])) { bench in
            measureRate(bench, operations: ops, metric: gops) {
                gemm(transA: false, transB: false, m: size, n: size, k: size, alpha: 1, a: x, lda: size, b: x,
                     ldb: size, beta: 0, c: &y, ldc: size, threads: threads)
            }
        }
    }
    let acc: [Int32] = (0..<1 << 20).map { Int32(truncatingIfNeeded: $0 &* 2_654_435_761) >> 8 }
    var bytes = [UInt8](repeating: 0, count: acc.count)
    let requantization = Int8Requantization(realMultipliers: [0.00037], zeroPoint: 128, signed: false)
    Benchmark("requantize 1M int32 → u8", configuration: .init(metrics: [.wallClock, megaElements])) { bench in
        measureRate(bench, operations: Double(acc.count), metric: megaElements, per: 1e6) {
            bytes.withUnsafeMutableBytes { out in
                int8Requantize(acc, outer: 1, channels: 1, inner: acc.count, requantization: requantization,
                               output: out.baseAddress!)
            }
        }
    }
}

func registerConvBenchmarks() {
    // A ResNet-style 3×3 layer (64 → 64 channels, 56×56, pad 1) and a MobileNet-style depthwise 3×3 on it.
    let geometry = try! WindowGeometry(input: [56, 56], kernel: [3, 3], strides: nil, dilations: nil,
                                       pads: [1, 1, 1, 1], autoPad: .notSet, ceilMode: false)
    let dense = ConvShape(batch: 1, inputChannels: 64, outputChannels: 64, groups: 1, geometry: geometry)
    let depthwise = ConvShape(batch: 1, inputChannels: 64, outputChannels: 64, groups: 64, geometry: geometry)
    let requantization = Int8Requantization(realMultipliers: [0.0004], zeroPoint: 0, signed: false)
    // The digits fixture's second layer (16 → 32 channels on the 4×4 output of pool1, pad 1) at batch 32.
    let small = try! WindowGeometry(input: [4, 4], kernel: [3, 3], strides: nil, dilations: nil, pads: [1, 1, 1, 1],
                                    autoPad: .notSet, ceilMode: false)
    let digits = ConvShape(batch: 32, inputChannels: 16, outputChannels: 32, groups: 1, geometry: small)
    for (name, shape) in [("3×3 64→64 56×56", dense), ("depthwise 3×3 64ch 56×56", depthwise),
                          ("3×3 16→32 4×4 batch 32", digits)] {
        let x: [UInt8] = randomBytes(shape.inputCount, seed: 3)
        var y = [UInt8](repeating: 0, count: shape.outputCount)
        let w: [Int8] = randomBytes(shape.weightCount, seed: 4)
        let weights = PackedInt8ConvWeights(w, shape: shape, zeroPoints: [0])
        let ops = 2 * Double(shape.outputCount * shape.inputChannelsPerGroup * shape.geometry.kernelSize)
        for threads in [1, 2] {
            Benchmark("int8 Conv \(name) \(threads)T", configuration: .init(metrics: [.wallClock, gops])) { bench in
                measureRate(bench, operations: ops, metric: gops) {
                    y.withUnsafeMutableBufferPointer { out in
                        int8Conv(shape, input: x, inputZeroPoint: 5, weights: weights, bias: nil,
                                 output: .uint8(out.baseAddress!, requantization), threads: threads)
                    }
                }
            }
        }
    }
}
