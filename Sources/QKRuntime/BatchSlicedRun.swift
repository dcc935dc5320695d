import Foundation
import QKKernels
import QKTensor

/// Batch-sliced execution: for a graph that ``BatchSlicing`` proved per-sample, a run of B rows on T threads
/// splits every input into T contiguous slices of ⌊B·(i+1)/T⌋ − ⌊B·i/T⌋ rows, runs the whole plan on each slice
/// with one-thread kernels (one slice per pool thread, no synchronisation between nodes, activations stay in one
/// core's caches) and joins the outputs along axis 0. When no pool worker is free (another run holds the pool, or
/// it backs off on a busy machine) the calling thread runs one slice of all rows instead. Kernels give a sample the
/// same bytes whatever its position in the batch and whatever the batch size, so the result equals the unsliced
/// run's bytes.
extension Interpreter {
    /// Rows per thread below which a run is never sliced.
    static let minimumSliceRows = 2
    /// QK_SLICE_MIN_ROWS: slice every run of at least that many rows per thread, whatever its work (measurements).
    static let forcedSliceRows = ProcessInfo.processInfo.environment["QK_SLICE_MIN_ROWS"].flatMap { Int($0) }
    /// Multiply-adds a slice must do for slicing to pay (``BatchRowWork``). Measured on the digits CNN (92 k
    /// multiply-adds per row) with 2 threads: fp32 batch 8 (4 rows per slice, 0.37 M) 0.021 ms sliced against 0.019
    /// unsliced, batch 16 (0.73 M) 0.030 against 0.034; int8 batch 8 0.019 against 0.017, batch 16 even (0.022 /
    /// 0.023), batch 32 0.027 against 0.030; the encoder (several M per row) gains from batch 4 on.
    static let defaultMinimumSliceMultiplyAdds = 512_000

    /// The number of slices a run of `feeds` is split into (1: not sliced): `threads` when the graph is
    /// sliceable, the feeds are exactly its batched inputs with one batch size of at least ``minimumSliceRows``
    /// rows per thread, and each slice does at least ``minimumSliceMultiplyAdds`` multiply-adds.
    public func sliceCount(for feeds: [String: Tensor]) -> Int {
        guard threads > 1, batchSlicing.isSliceable, feeds.count == batchSlicing.batchedInputs.count else { return 1 }
        var batch: Int?
        for name in batchSlicing.batchedInputs {
            guard let tensor = feeds[name], let rows = tensor.shape.first, batch == nil || batch == rows else { return 1 }
            batch = rows
        }
        guard let batch, batch >= (Self.forcedSliceRows ?? Self.minimumSliceRows) * threads else { return 1 }
        if Self.forcedSliceRows == nil, rowMultiplyAdds(feeds) * (batch / threads) < minimumSliceMultiplyAdds {
            return 1
        }
        return threads
    }

    /// ``BatchRowWork`` for the feeds' shapes, kept while they repeat.
    func rowMultiplyAdds(_ feeds: [String: Tensor]) -> Int {
        let rowShapes = batchSlicing.batchedInputs.map { [1] + (feeds[$0]?.shape.dropFirst() ?? []) }
        return rowWork.value(for: rowShapes) {
            BatchRowWork.multiplyAdds(model: model, rowShapes: Dictionary(
                uniqueKeysWithValues: zip(batchSlicing.batchedInputs, rowShapes)))
        }
    }

    /// One line saying whether a run of `feeds` is batch-sliced, and why not (for `qkit bench --profile`; the
    /// per-node profile itself is taken unsliced).
    public func batchSlicingSummary(for feeds: [String: Tensor]) -> String {
        let slices = sliceCount(for: feeds)
        let work = threads > 1 && batchSlicing.isSliceable ? ", \(rowMultiplyAdds(feeds)) multiply-adds per row" : ""
        if slices > 1 { return "batch-sliced over \(slices) threads (each slice runs the whole graph with 1-thread kernels\(work))" }
        if threads == 1 { return "not batch-sliced: 1 thread" }
        if let refusal = batchSlicing.refusal { return "not batch-sliced: \(refusal)" }
        return "not batch-sliced: below \(Self.minimumSliceRows) rows or \(minimumSliceMultiplyAdds) multiply-adds per thread\(work)"
    }

    /// The graph outputs of `feeds` computed slice by slice, or nil when the run is not sliced.
    func runBatchSliced(_ feeds: [String: Tensor], plan: ExecutionPlan) throws -> [String: Tensor]? {
        let count = sliceCount(for: feeds)
        guard count > 1, let batch = feeds.first?.value.shape.first else { return nil }
        var results = [Result<[String: Tensor], Error>?](repeating: nil, count: count)
        beginParallelRun(threads: threads)
        results.withUnsafeMutableBufferPointer { slots in
            parallelChunks(count, threads: threads) { range in
                // Every chunk in one call: no pool worker is free (another run holds the pool, or it backs off on
                // a busy machine). One slice of all rows then does the same work with less per-node overhead.
                let whole = range.count == count
                for index in whole ? 0..<1 : range {
                    let rows = whole ? 0..<batch : (batch * index / count)..<(batch * (index + 1) / count)
                    slots[index] = Result { try runSlice(feeds, rows: rows, slice: index, plan: plan) }
                }
            }
        }
        endParallelRun(threads: threads)
        // The first slice's error, as the unsliced run meets it first.
        let parts = try results.compactMap { try $0?.get() }
        if parts.count == 1 { return parts[0] }
        var joined: [String: Tensor] = [:]
        for name in plan.outputNames { joined[name] = try Tensor.concatenatingRows(parts.map { $0[name]! }) }
        return joined
    }

    /// The graph outputs of rows `rows` of every feed, computed on the calling thread with one-thread kernels and
    /// the buffer pool of slice position `slice`.
    private func runSlice(_ feeds: [String: Tensor], rows: Range<Int>, slice: Int,
                          plan: ExecutionPlan) throws -> [String: Tensor] {
        let pool = slicePools.take(slice)
        defer { slicePools.put(pool, slice: slice) }
        var values = plan.initialValues
        for (name, tensor) in feeds { values[plan.slots[name]!] = rows.count == tensor.shape[0] ? tensor : tensor.rows(rows) }
        try runSteps(of: plan, values: &values, keep: plan.outputKeep, pool: pool, threads: 1)
        var outputs: [String: Tensor] = [:]
        for name in plan.outputNames {
            guard let value = plan.slots[name].flatMap({ values[$0] }) else {
                throw RuntimeError.invalidInput(node: "graph", opType: "output", message: "no value named '\(name)' was computed")
            }
            outputs[name] = value
        }
        return outputs
    }
}

/// Buffer pools for batch slices, one per slice position: slice i takes pool i (a new one while another run holds
/// it), runs, and puts it back, so that slices running at the same time never share a pool (``BufferPool`` is not
/// thread-safe), steady-state runs reuse their arrays, and a slice's arrays stay with the thread that usually
/// runs that slice (in its core's caches).
final class BufferPoolShelf: @unchecked Sendable {
    private var pools: [BufferPool?] = []
    private var all: [BufferPool] = []
    private let lock = NSLock()
    /// ``BufferPool/minimumBytes`` of the pools made from now on (tests lower it).
    var minimumBytes = BufferPool.defaultMinimumBytes

    /// Arrays handed out again by all pools so far.
    var reuses: Int {
        lock.lock()
        defer { lock.unlock() }
        return all.reduce(0) { $0 + $1.reuses }
    }

    func take(_ slice: Int) -> BufferPool {
        lock.lock()
        defer { lock.unlock() }
        if slice < pools.count, let pool = pools[slice] {
            pools[slice] = nil
            return pool
        }
        let pool = BufferPool(minimumBytes: minimumBytes)
        all.append(pool)
        return pool
    }

    func put(_ pool: BufferPool, slice: Int) {
        pool.endRun()
        lock.lock()
        defer { lock.unlock() }
        while pools.count <= slice { pools.append(nil) }
        if pools[slice] == nil { pools[slice] = pool } else { all.removeAll { $0 === pool } }
    }
}
