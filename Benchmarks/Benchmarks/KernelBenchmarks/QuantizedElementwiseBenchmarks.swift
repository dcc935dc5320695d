import Benchmark
import QKKernels

/// QLinearAdd-style quantized add of a 512×256 uint8 tensor (the encoder's residual size at batch 32), same shape
/// and with a bias row, per instruction-set path, in M elements/s.
func registerQuantizedElementwiseBenchmarks() {
    let rows = 512, columns = 256, count = rows * columns
    let a: [UInt8] = randomBytes(count, seed: 7)
    let b: [UInt8] = randomBytes(count, seed: 8)
    var c = [UInt8](repeating: 0, count: count)
    let parameters = QuantizedBinaryParameters(operation: .add, aScale: 0.031, aZeroPoint: 121, bScale: 0.027,
                                               bZeroPoint: 130, signedInputs: false, outputScale: 0.05,
                                               outputZeroPoint: 128, signedOutput: false)
    for path in QuantizedElementwisePath.available {
        for (name, period) in [("same shape", count), ("bias row", columns)] {
            for threads in path == .portable ? [1] : [1, 2] {
                Benchmark("quantized add 512×256 u8 \(name) \(path) \(threads)T",
                          configuration: .init(metrics: [.wallClock, megaElements])) { bench in
                    measureRate(bench, operations: Double(count), metric: megaElements, per: 1e6) {
                        a.withUnsafeBytes { pa in
                            b.withUnsafeBytes { pb in
                                c.withUnsafeMutableBytes { pc in
                                    quantizedBinary(parameters, count: count, a: pa.baseAddress!, b: pb.baseAddress!,
                                                    bPeriod: period, output: pc.baseAddress!, threads: threads, path: path)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
