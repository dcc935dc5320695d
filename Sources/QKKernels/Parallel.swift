import CQKKernels
import Foundation

/// Splits `0..<count` into at most `threads · chunksPerThread` contiguous chunks of `⌈count / chunks⌉` items
/// (the last one shorter) and runs `body(range)` on each, in parallel when `threads > 1`. Chunks are disjoint, so
/// `body` may write to disjoint parts of one buffer. The chunk boundaries depend only on `count` and `threads`,
/// never on which thread runs a chunk or when; `body` must give the same result for an item whatever range it
/// comes in, because when no worker can help (one thread, a call from inside a chunk, or another thread holding
/// the pool) `body(0..<count)` runs once on the calling thread.
///
/// The chunks run on the calling thread and the persistent workers of ``qk_pool_run`` (one per other usable CPU),
/// which claim the next chunk from a shared counter: a worker that starts late (asleep, or descheduled on a busy
/// machine) still takes the chunks that are left, and the caller waits at most for the chunks a worker already
/// took. Idle workers spin a while after each job (through a whole model run, see ``beginParallelRun(threads:)``),
/// so handing a chunk over costs well under a microsecond.
public func parallelChunks(_ count: Int, threads: Int, _ body: (Range<Int>) -> Void) {
    guard threads > 1, count > 1 else {
        body(0..<count)
        return
    }
    let step = parallelChunkSize(count, threads: threads)
    let nonEmpty = (count + step - 1) / step
    let ran = withoutActuallyEscaping(body) { body in
        var job = ChunkJob(count: count, step: step, body: body)
        return withUnsafeMutablePointer(to: &job) { pointer in
            qk_pool_run_if_free(nonEmpty, threads, { context, chunk in
                let job = context!.assumingMemoryBound(to: ChunkJob.self)
                let start = chunk * job.pointee.step
                job.pointee.body(start..<min(job.pointee.count, start + job.pointee.step))
            }, pointer)
        }
    }
    if ran == 0 { body(0..<count) }
}

/// Items per chunk of ``parallelChunks(_:threads:_:)`` for `count` items on `threads` threads:
/// ⌈count / chunks⌉ with chunks = min(count, threads · chunksPerThread), or `count` (one chunk) for one thread.
public func parallelChunkSize(_ count: Int, threads: Int) -> Int {
    guard threads > 1, count > 1 else { return max(count, 1) }
    let chunks = min(count, threads * chunksPerThread)
    return (count + chunks - 1) / chunks
}

/// Chunks per thread that ``parallelChunks(_:threads:_:)`` makes: more than one, so that the work of a worker
/// that starts late is taken over chunk by chunk, and few, so that per-chunk set-up (packing, scratch buffers)
/// stays small. The environment variable QK_CHUNKS_PER_THREAD overrides it (for measurements).
public let chunksPerThread = ProcessInfo.processInfo.environment["QK_CHUNKS_PER_THREAD"].flatMap { Int($0) } ?? 4

/// Turns the pool's back-off on or off (``qk_pool_set_backoff``): after a worker stalls on a busy machine, jobs
/// run on the calling thread alone for a while. Off, every job uses the workers (tests of the parallel path, or a
/// machine known to be idle). Returns the previous setting.
@discardableResult
public func setParallelBackoff(_ enabled: Bool) -> Bool {
    qk_pool_set_backoff(enabled ? 1 : 0) != 0
}

/// Marks the start of one model run with `threads` threads (``Interpreter`` calls it; pair it with
/// ``endParallelRun(threads:)``): while the run is in progress, pool workers that got a job in it keep spinning
/// between its parallel nodes instead of going to sleep, and a run that follows one that used the pool wakes
/// them as it starts. No effect for one thread.
public func beginParallelRun(threads: Int) {
    qk_pool_run_begin(threads)
}

/// Marks the end of a run begun with ``beginParallelRun(threads:)`` (same `threads`).
public func endParallelRun(threads: Int) {
    qk_pool_run_end(threads)
}

/// What the pool's C callback needs to turn a chunk number into a range and run it.
private struct ChunkJob {
    let count: Int
    let step: Int
    let body: (Range<Int>) -> Void
}

/// Worker threads in the pool behind ``parallelChunks(_:threads:_:)`` (usable CPUs − 1).
public var parallelWorkerCount: Int { qk_pool_worker_count() }

/// Scalar operations (multiply-adds, compares, copies) below which splitting work over threads costs more than
/// it saves. Handing a chunk to a spinning pool worker takes about 0.2 µs, waking a sleeping one several µs,
/// and each thread then warms its own caches, so the bound stays conservative.
public let minimumParallelWork = 65_536

/// ``parallelChunks(_:threads:_:)`` with at most one chunk per ``minimumParallelWork`` operations, where each
/// item costs `workPerItem`: small ops run on the calling thread only, so more threads are never slower.
public func parallelChunks(_ count: Int, threads: Int, workPerItem: Int, _ body: (Range<Int>) -> Void) {
    let total = count.multipliedReportingOverflow(by: max(1, workPerItem))
    let affordable = total.overflow ? threads : max(1, total.partialValue / minimumParallelWork)
    parallelChunks(count, threads: min(threads, affordable), body)
}

/// Makes the C allocator keep freed memory for reuse instead of mapping fresh pages for every large buffer
/// (glibc; a no-op elsewhere). Measured on the encoder fixture at batch 32: 3.95 → 3.0 ms per run.
public func keepFreedMemoryForReuse() {
    qk_keep_freed_memory_mapped()
}
