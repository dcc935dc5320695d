import CQKKernels
import Dispatch
import Foundation
import QKKernels
import QKTensor
import XCTest

/// The persistent pool behind parallelChunks: exact chunk coverage, the documented chunk boundaries, nested
/// and concurrent calls, and results equal to one thread.
final class ParallelChunksTests: XCTestCase {
    private var backoff: Int32 = 1

    // The back-off after stalls would run jobs serially on a busy test machine; these tests check the workers.
    override func setUp() { backoff = qk_pool_set_backoff(0) }
    override func tearDown() { _ = qk_pool_set_backoff(backoff) }

    /// Every chunk `body` saw, in any order (a lock keeps the list consistent across threads).
    final class ChunkLog: @unchecked Sendable {
        private let lock = NSLock()
        private var ranges: [Range<Int>] = []

        func add(_ range: Range<Int>) { lock.withLock { ranges.append(range) } }
        var sorted: [Range<Int>] { lock.withLock { ranges.sorted { $0.lowerBound < $1.lowerBound } } }
    }

    /// The chunks the documentation promises: ⌈count / chunks⌉ items each for chunks = min(count, threads ·
    /// chunksPerThread), the last shorter, none empty; one chunk for one thread.
    func expectedChunks(_ count: Int, threads: Int) -> [Range<Int>] {
        let chunks = threads <= 1 ? 1 : max(1, min(threads * chunksPerThread, count))
        let step = (count + chunks - 1) / chunks
        XCTAssertEqual(parallelChunkSize(count, threads: threads), max(step, 1))
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
        XCTAssertEqual(coverage(7, threads: 1), [0..<7])
        XCTAssertGreaterThan(chunksPerThread, 1)
        let tenChunks = (10 + 2 * chunksPerThread - 1) / (2 * chunksPerThread)  // items per chunk of 10 on 2 threads
        XCTAssertEqual(coverage(10, threads: 2).map(\.count).max(), tenChunks)
        XCTAssertEqual(coverage(3, threads: 2), [0..<1, 1..<2, 2..<3])
    }

    /// Chunks that each wait (up to a second) until two different threads have run a chunk: the pool's worker
    /// takes chunks even when the caller could have run them all.
    func testSecondThreadTakesChunks() throws {
        try XCTSkipIf(parallelWorkerCount == 0, "one usable CPU")
        final class Threads: @unchecked Sendable {
            let lock = NSLock()
            var seen = Set<UInt64>()
            func add() -> Int { lock.withLock { seen.insert(UInt64(pthread_self())); return seen.count } }
        }
        for _ in 0..<5 {
            let threads = Threads()
            parallelChunks(16, threads: 2) { _ in
                let deadline = Date().addingTimeInterval(1)
                while threads.add() < 2 && Date() < deadline { usleep(100) }
            }
            XCTAssertEqual(threads.seen.count, 2)
        }
    }

    /// qk_pool_run_if_free runs nothing for one thread, one chunk, or from inside a chunk (the pool is busy),
    /// and runs every chunk otherwise.
    func testRunIfFreeDeclinesWhenNoWorkerCanHelp() {
        final class Counter: @unchecked Sendable {
            let lock = NSLock()
            var ran = 0, nestedResults: [Int32] = []
        }
        let counter = Counter()
        let context = Unmanaged.passUnretained(counter).toOpaque()
        let task: qk_pool_task = { context, _ in
            let counter = Unmanaged<Counter>.fromOpaque(context!).takeUnretainedValue()
            counter.lock.withLock { counter.ran += 1 }
        }
        XCTAssertEqual(qk_pool_run_if_free(4, 1, task, context), 0)
        XCTAssertEqual(qk_pool_run_if_free(1, 2, task, context), 0)
        XCTAssertEqual(counter.ran, 0)
        parallelChunks(2, threads: 2) { _ in
            let result = qk_pool_run_if_free(4, 2, task, context)
            counter.lock.withLock { counter.nestedResults.append(result) }
        }
        XCTAssertEqual(counter.nestedResults, [0, 0])
        XCTAssertEqual(counter.ran, 0)
        if parallelWorkerCount > 0 {
            XCTAssertEqual(qk_pool_run_if_free(4, 2, task, context), 1)
            XCTAssertEqual(counter.ran, 4)
        }
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

    /// Model runs bracketed by begin/endParallelRun, overlapping on several threads, with pauses longer than the
    /// spin window between and inside them: every chunk runs once (workers kept awake by a run, put to sleep
    /// after it, and woken by the next one's begin).
    func testRunBracketsOnSeveralThreads() {
        let previous = qk_pool_set_spin_microseconds(0)
        defer { _ = qk_pool_set_spin_microseconds(previous) }
        let callers = 3
        let good = UnsafeMutableBufferPointer<Int>.allocate(capacity: callers)
        defer { good.deallocate() }
        good.initialize(repeating: 0)
        DispatchQueue.concurrentPerform(iterations: callers) { caller in
            for round in 0..<20 {
                beginParallelRun(threads: 2)
                for node in 0..<3 {
                    if (round + node + caller) % 4 == 0 { usleep(1_000) }
                    var visits = [Int](repeating: 0, count: 5_000)
                    visits.withUnsafeMutableBufferPointer { visits in
                        parallelChunks(visits.count, threads: 2) { range in for i in range { visits[i] += 1 } }
                    }
                    good[caller] += visits.allSatisfy { $0 == 1 } ? 1 : 0
                }
                endParallelRun(threads: 2)
                if round % 5 == 0 { usleep(2_000) }
            }
        }
        XCTAssertEqual(Array(good), [Int](repeating: 60, count: callers))
    }

    /// With the back-off on, a job runs either in the documented chunks or (backing off) as one range, and every
    /// index once.
    func testBackoffKeepsCoverage() {
        _ = qk_pool_set_backoff(1)
        var random = SeededGenerator(seed: 3)
        for _ in 0..<200 {
            let count = Int.random(in: 2...5_000, using: &random)
            let chunks = coverage(count, threads: 2)
            XCTAssertTrue(chunks == expectedChunks(count, threads: 2) || chunks == [0..<count], "count \(count)")
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
