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
