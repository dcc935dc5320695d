import Benchmark
import QKKernels
import QKTensor

// QuantizeLinear / DequantizeLinear per SIMD path on the encoder's 512×256 activation (M elements/s, single
// thread; 1/rate is the time per element), and the fixed cost of a 64-element call (the digits CNN's input).

func registerQDQBenchmarks() {
    let count = 512 * 256
    var rng = SplitMix64(seed: 7)
    let x = (0..<count).map { _ in Float.random(in: -4...4, using: &rng) }
    var bytes = [UInt8](repeating: 0, count: count)
    var y = [Float](repeating: 0, count: count)
    for path in QDQKernelPath.available {
        Benchmark("QuantizeLinear 512×256 f32 → u8 \(path) 1T", configuration: .init(metrics: [.wallClock, megaElements])) { bench in
            measureRate(bench, operations: Double(count), metric: megaElements, per: 1e6) {
                x.withUnsafeBufferPointer { xs in
                    bytes.withUnsafeMutableBytes { quantizeLinear(xs, scale: 0.031, zeroPoint: 128, as: .uint8, into: $0.baseAddress!, path: path) }
                }
            }
        }
        Benchmark("DequantizeLinear 512×256 u8 → f32 \(path) 1T", configuration: .init(metrics: [.wallClock, megaElements])) { bench in
            measureRate(bench, operations: Double(count), metric: megaElements, per: 1e6) {
                bytes.withUnsafeBytes { xs in
                    y.withUnsafeMutableBufferPointer {
                        dequantizeLinear(xs.baseAddress!, count: count, type: .uint8, scale: 0.031, zeroPoint: 128,
                                         into: $0.baseAddress!, path: path)
                    }
                }
            }
        }
    }
    Benchmark("QuantizeLinear 64 f32 → u8 (fixed cost)", configuration: .init(metrics: [.wallClock])) { bench in
        for _ in bench.scaledIterations {
            x.withUnsafeBufferPointer { xs in
                bytes.withUnsafeMutableBytes {
                    quantizeLinear(UnsafeBufferPointer(rebasing: xs[0..<64]), scale: 0.031, zeroPoint: 128, as: .uint8,
                                   into: $0.baseAddress!)
                }
            }
        }
    }
}
