import CQKKernels
import Dispatch
import Foundation
import QKKernels
import QKTensor
import XCTest

/// The persistent pool behind parallelChunks: exact chunk coverage, the documented chunk boundaries, nested
/// and concurrent calls, and results equal to one thread.
final class ParallelChunksTests: XCTestCase {
    /// Every chunk `body` saw, in any order (a lock keeps the list consistent across threads).
    final class ChunkLog: @unchecked Sendable {
        private let lock = NSLock()
        private var ranges: [Range<Int>] = []

        func add(_ range: Range<Int>) { lock.withLock { ranges.append(range) } }
        var sorted: [Range<Int>] { lock.withLock { ranges.sorted { $0.lowerBound < $1.lowerBound } } }
    }

    /// The chunks the documentation promises: ⌈count / chunks⌉ items each, the last shorter, none empty.
    func expectedChunks(_ count: Int, threads: Int) -> [Range<Int>] {
        let chunks = max(1, min(threads, count))
        let step = (count + chunks - 1) / chunks
        return stride(from: 0, to: max(count, 1), by: max(step, 1)).map { $0..<min(count, $0 + step) }
    }

    /// Runs parallelChunks and returns the sorted chunks, checking that each index was visited exactly once.
    func coverage(_ count: Int, threads: Int, file: StaticString = #filePath, line: UInt = #line) -> [Range<Int>] {
        let log = ChunkLog()
        var visits = [Int](repeating: 0, count: count)
        visits.withUnsafeMutableBufferPointer { visits in
            parallelChunks(count, threads: threads) { range in
                log.add(range)
                for i in range { visits[i] += 1 }
            }
        }
        XCTAssertEqual(visits.firstIndex { $0 != 1 }, nil, "count \(count) threads \(threads)", file: file, line: line)
        return log.sorted
    }

    func testChunksCoverEveryIndexOnceWithDocumentedBoundaries() {
        var random = SeededGenerator(seed: 11)
        for _ in 0..<400 {
            let count = Int.random(in: 0...5_000, using: &random)
            let threads = Int.random(in: 1...9, using: &random)
            XCTAssertEqual(coverage(count, threads: threads), expectedChunks(count, threads: threads),
                           "count \(count) threads \(threads)")
        }
        XCTAssertEqual(coverage(0, threads: 4), [0..<0])
        XCTAssertEqual(coverage(5, threads: 4), [0..<2, 2..<4, 4..<5])
    }

    func testNestedCallsRunEveryInnerChunk() {
        let outer = 7, inner = 1_000
        var visits = [Int](repeating: 0, count: outer * inner)
        visits.withUnsafeMutableBufferPointer { visits in
            parallelChunks(outer, threads: 4) { rows in
                for row in rows {
                    parallelChunks(inner, threads: 3) { columns in
                        for column in columns { visits[row * inner + column] += 1 }
                    }
                }
            }
        }
        XCTAssertEqual(visits, [Int](repeating: 1, count: outer * inner))
    }

    func testConcurrentCallersAllComplete() {
        let callers = 8, rounds = 300
        let totals = UnsafeMutableBufferPointer<Int>.allocate(capacity: callers)
        defer { totals.deallocate() }
        totals.initialize(repeating: 0)
        DispatchQueue.concurrentPerform(iterations: callers) { caller in
            var random = SeededGenerator(seed: UInt64(caller))
            for _ in 0..<rounds {
                let count = Int.random(in: 1...3_000, using: &random)
                var sums = [Int](repeating: 0, count: count)
                sums.withUnsafeMutableBufferPointer { sums in
                    parallelChunks(count, threads: Int.random(in: 2...4, using: &random)) { range in
                        for i in range { sums[i] = i }
                    }
                }
                totals[caller] += sums.reduce(0, +) == count * (count - 1) / 2 ? 1 : 0
            }
        }
        XCTAssertEqual(Array(totals), [Int](repeating: rounds, count: callers))
    }

    func testWorkersThatSleptWakeUp() {
        let previous = qk_pool_set_spin_microseconds(0)
        defer { _ = qk_pool_set_spin_microseconds(previous) }
        for round in 0..<50 {
            if round % 10 == 0 { usleep(2_000) }  // long enough for every worker to be asleep
            XCTAssertEqual(coverage(10_000, threads: 2), expectedChunks(10_000, threads: 2))
        }
    }

    func testFloatResultsEqualOneThread() {
        var random = SeededGenerator(seed: 5)
        let (m, n, k) = (67, 301, 129)
        let a = random.floats(m * k), b = random.floats(k * n)
        func product(threads: Int) -> [Float] {
            var c = [Float](repeating: 0, count: m * n)
            gemm(transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: b, ldb: n, beta: 0,
                 c: &c, ldc: n, threads: threads)
            return c
        }
        let single = product(threads: 1)
        for threads in 2...5 {
            XCTAssertEqual(product(threads: threads).map(\.bitPattern), single.map(\.bitPattern), "threads \(threads)")
        }
    }

    func testPoolHasOneWorkerPerOtherCPU() {
        XCTAssertEqual(parallelWorkerCount, max(0, ProcessInfo.processInfo.activeProcessorCount - 1))
    }
}
