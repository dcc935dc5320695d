import CQKKernels
import Dispatch

/// Splits `0..<count` into at most `threads` contiguous chunks and runs `body(range)` on each, in parallel
/// when `threads > 1`. Chunks are disjoint, so `body` may write to disjoint parts of one buffer.
public func parallelChunks(_ count: Int, threads: Int, _ body: (Range<Int>) -> Void) {
    let chunks = max(1, min(threads, count))
    if chunks == 1 {
        body(0..<count)
        return
    }
    let step = (count + chunks - 1) / chunks
    DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
        let start = chunk * step
        let end = min(count, start + step)
        if start < end { body(start..<end) }
    }
}

/// Scalar operations (multiply-adds, compares, copies) below which splitting work over threads costs more than
/// it saves: waking a second thread and joining it takes several microseconds.
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
