import Foundation
import Testing
@testable import QuantKit

/// Metrics against values worked out by hand (the numpy comparison is in Tests/interop/test_compare.py).
@Suite struct MetricsTests {
    @Test func sqnrOfAKnownError() {
        // Σr² = 9 + 16 = 25, Σ(r−q)² = 0 + 1 = 1 → 10·log10(25) = 13.9794 dB.
        let metrics = ErrorMetrics(reference: [3, 4], candidate: [3, 3])
        #expect(abs(metrics.sqnrDB - 13.979400086720377) < 1e-12)
        #expect(metrics.count == 2)
    }

    @Test func sqnrSpecialCases() {
        #expect(Metrics.sqnrDB(reference: [1, -2], candidate: [1, -2]) == .infinity)
        #expect(Metrics.sqnrDB(reference: [0, 0], candidate: [0, 0]) == .infinity)
        #expect(Metrics.sqnrDB(reference: [0, 0], candidate: [0, 1]) == -.infinity)
        #expect(Metrics.sqnrDB(reference: [], candidate: []) == .infinity)
        // Every +6.02 dB is a halving of the error amplitude: noise 1 vs 0.5 on the same signal.
        let coarse = Metrics.sqnrDB(reference: [10, 10], candidate: [11, 9])
        let fine = Metrics.sqnrDB(reference: [10, 10], candidate: [10.5, 9.5])
        #expect(abs((fine - coarse) - 20 * log10(2)) < 1e-9)
    }

    @Test func cosineByHand() {
        #expect(abs(ErrorMetrics(reference: [1, 2], candidate: [2, 4]).cosine - 1) < 1e-12)
        #expect(ErrorMetrics(reference: [1, 0], candidate: [0, 1]).cosine == 0)
        #expect(abs(ErrorMetrics(reference: [1, 0], candidate: [1, 1]).cosine - 1 / 2.0.squareRoot()) < 1e-12)
        #expect(abs(ErrorMetrics(reference: [1, 2], candidate: [-1, -2]).cosine + 1) < 1e-12)
        #expect(ErrorMetrics(reference: [0, 0], candidate: [0, 0]).cosine == 1)
        #expect(ErrorMetrics(reference: [0, 0], candidate: [1, 0]).cosine == 0)
    }

    @Test func absoluteErrors() {
        let metrics = ErrorMetrics(reference: [1, -2, 3], candidate: [1.5, -2, 1])
        #expect(metrics.maxAbsError == 2)
        #expect(abs(metrics.meanAbsError - 2.5 / 3) < 1e-12)
        let empty = ErrorMetrics(reference: [], candidate: [])
        #expect(empty.maxAbsError == 0 && empty.meanAbsError == 0 && empty.count == 0)
    }

    @Test func nanPoisonsEveryMetric() {
        let metrics = ErrorMetrics(reference: [1, .nan], candidate: [1, 2])
        #expect(metrics.sqnrDB.isNaN && metrics.cosine.isNaN && metrics.maxAbsError.isNaN && metrics.meanAbsError.isNaN)
    }

    @Test func batchesAccumulateLikeOneCall() {
        let reference: [Float] = (0..<50).map { sin(Float($0)) }
        let candidate = reference.enumerated().map { $0.element + Float($0.offset % 7) * 0.01 - 0.03 }
        var accumulator = ErrorAccumulator()
        accumulator.add(reference: Array(reference[..<17]), candidate: Array(candidate[..<17]))
        accumulator.add(reference: Array(reference[17...]), candidate: Array(candidate[17...]))
        let whole = ErrorMetrics(reference: reference, candidate: candidate)
        let joined = accumulator.metrics
        #expect(joined.count == 50)
        #expect(abs(joined.sqnrDB - whole.sqnrDB) < 1e-9 && abs(joined.cosine - whole.cosine) < 1e-12)
        #expect(joined.maxAbsError == whole.maxAbsError && abs(joined.meanAbsError - whole.meanAbsError) < 1e-12)
    }

    @Test func agreementAndAccuracy() {
        #expect(Metrics.agreement([1, 2, 3, 4], [1, 0, 3, 0]) == 0.5)
        #expect(Metrics.agreement([], []) == 1)
        #expect(Metrics.accuracy(predictions: [0, 1, 1], labels: [0, 1, 2]) == 2.0 / 3)
        #expect(Metrics.accuracy(predictions: [], labels: []) == 0)
    }

    @Test func peakMemoryParsesVmHWM() {
        let status = "Name:\tqkit\nVmPeak:\t  900 kB\nVmHWM:\t   12345 kB\nVmRSS:\t  100 kB\n"
        #expect(PeakMemory.vmHWMKilobytes(status: status) == 12345)
        #expect(PeakMemory.vmHWMKilobytes(status: "VmRSS:\t1 kB\n") == nil)
        #expect(PeakMemory.vmHWMKilobytes(status: "VmHWM:\t12 MB\n") == nil)
        // The test process holds at least its own code and this array resident.
        let block = [UInt8](repeating: 1, count: 8 << 20)
        #expect((PeakMemory.residentBytes() ?? 0) >= block.count)
    }
}
