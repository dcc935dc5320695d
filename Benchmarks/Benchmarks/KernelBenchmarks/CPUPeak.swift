import CPeakProbe
import Foundation
import QKKernels

/// This CPU's measured clock and u8·s8 multiply-accumulate throughput, for "% of peak".
///
/// The clock is timed on a chain of dependent 1-cycle adds; the peaks on 12 independent zmm vpdpbusd
/// (64 MACs each) or 6 independent ymm vpmaddubsw → vpmaddwd → vpaddd chains (32 MACs each) per loop trip.
/// One MAC is 2 ops, so peak GOP/s = 2 · MACs/cycle · GHz. Each probe runs for well under a millisecond and the
/// fastest of 300 runs counts, so that a busy machine's preemptions do not skew it.
struct CPUPeak: Sendable {
    let gigahertz: Double
    /// u8·s8 MACs per cycle with vpdpbusd (nil without AVX-512 VNNI).
    let vnniMACsPerCycle: Double?
    /// u8·s8 MACs per cycle with vpmaddubsw + vpmaddwd.
    let avx2MACsPerCycle: Double

    /// The best single-thread u8·s8 rate, GOP/s.
    var int8GOPS: Double { 2 * (vnniMACsPerCycle ?? avx2MACsPerCycle) * gigahertz }

    static let measured = CPUPeak()

    private init() {
        let adds = 50_000
        gigahertz = Double(16 * adds) / CPUPeak.bestSeconds { _ = qkp_dependent_adds(adds) } / 1e9
        let loops = 50_000
        let avx2Seconds = CPUPeak.bestSeconds { qkp_vpmaddubsw_ymm(loops) }
        avx2MACsPerCycle = Double(6 * 32 * loops) / (avx2Seconds * gigahertz * 1e9)
        if Int8KernelPath.available.contains(.avx512vnni) {
            let seconds = CPUPeak.bestSeconds { qkp_vpdpbusd_zmm(loops) }
            vnniMACsPerCycle = Double(12 * 64 * loops) / (seconds * gigahertz * 1e9)
        } else {
            vnniMACsPerCycle = nil
        }
    }

    /// The fastest of 300 timed runs, in seconds.
    private static func bestSeconds(_ body: () -> Void) -> Double {
        var best = Double.infinity
        for _ in 0..<300 {
            let start = ContinuousClock.now
            body()
            let elapsed = ContinuousClock.now - start
            best = min(best, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
        }
        return best
    }

    var summary: String {
        let vnni = vnniMACsPerCycle.map { String(format: "%.1f", $0) } ?? "n/a"
        return "CPU peak: clock \(String(format: "%.2f", gigahertz)) GHz, u8·s8 MACs/cycle vpdpbusd \(vnni), "
            + "vpmaddubsw \(String(format: "%.1f", avx2MACsPerCycle)); single-thread int8 peak "
            + "\(String(format: "%.0f", int8GOPS)) GOP/s"
    }
}
