import Benchmark
import QKKernels

/// MaxPool 2×2 stride 2 on the digits CNN's shapes at batch 32 (pool1 32×16×8×8, pool2 32×32×4×4) in u8 and fp32,
/// per instruction-set path, in M input elements/s (``MaxPoolInside``, resolved once as the prepared op does).
func registerPoolingBenchmarks() {
    let window = { (size: Int) in
        try! WindowGeometry(input: [size, size], kernel: [2, 2], strides: [2, 2], dilations: nil, pads: nil,
                            autoPad: .notSet, ceilMode: false)
    }
    for (name, planes, size) in [("pool1 32×16×8×8", 32 * 16, 8), ("pool2 32×32×4×4", 32 * 32, 4)] {
        let pool = MaxPoolInside(window(size))!
        let count = planes * size * size
        let bytes: [UInt8] = randomBytes(count, seed: 11)
        let floats = bytes.map { Float($0) - 128 }
        for path in PoolingKernelPath.available {
            Benchmark("maxpool 2×2 \(name) u8 \(path)", configuration: .init(metrics: [.wallClock, megaElements])) {
                bench in
                measureRate(bench, operations: Double(count), metric: megaElements, per: 1e6) {
                    blackHole(pool(bytes, planes: planes, path: path))
                }
            }
            Benchmark("maxpool 2×2 \(name) fp32 \(path)", configuration: .init(metrics: [.wallClock, megaElements])) {
                bench in
                measureRate(bench, operations: Double(count), metric: megaElements, per: 1e6) {
                    blackHole(pool(floats, planes: planes, path: path))
                }
            }
        }
    }
}
