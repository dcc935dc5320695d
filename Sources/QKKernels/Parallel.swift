import CQKKernels

/// Splits `0..<count` into at most `threads` contiguous chunks of `⌈count / chunks⌉` items (the last one
/// shorter) and runs `body(range)` on each, in parallel when `threads > 1`. Chunks are disjoint, so `body` may
/// write to disjoint parts of one buffer. The chunk boundaries depend only on `count` and `threads`, never on
/// which thread runs a chunk or when.
///
/// The chunks run on the calling thread and the persistent workers of ``qk_pool_run`` (one per other usable CPU),
/// which spin a while after each job, so handing a chunk over costs well under a microsecond when the pool
/// was used recently. A call from inside a chunk, or while another thread holds the pool, runs its chunks
/// one after the other on the calling thread.
public func parallelChunks(_ count: Int, threads: Int, _ body: (Range<Int>) -> Void) {
    let chunks = max(1, min(threads, count))
    if chunks == 1 {
        body(0..<count)
        return
    }
    let step = (count + chunks - 1) / chunks
    let nonEmpty = (count + step - 1) / step
    withoutActuallyEscaping(body) { body in
        var job = ChunkJob(count: count, step: step, body: body)
        withUnsafeMutablePointer(to: &job) { pointer in
            qk_pool_run(nonEmpty, threads, { context, chunk in
                let job = context!.assumingMemoryBound(to: ChunkJob.self)
                let start = chunk * job.pointee.step
                job.pointee.body(start..<min(job.pointee.count, start + job.pointee.step))
            }, pointer)
        }
    }
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
