import QKTensor

/// Element arrays of intermediate tensors that a run no longer needs, kept so that later nodes (and later runs,
/// whose shapes repeat) take them for their outputs instead of allocating.
///
/// The ``Interpreter`` offers a value's storage to the pool after the value's last reader ran; a kernel asks
/// through ``KernelContext/outputBuffer(_:count:)`` for an array of a dtype and element count. The pool keeps a
/// storage only while kernels ask for its dtype and count (at most as many as one run asked for, or the current
/// run has asked for so far); everything else goes back to the allocator at once, so kernels that allocate on
/// their own still get recently freed, cache-warm memory. An array is handed out only when nothing else refers
/// to it (the caller's graph outputs, a value an `observe` hook kept, a Reshape that shares its input's elements
/// all keep their arrays out of reach), so reuse never changes a value someone can still see; arrays another
/// owner still holds are dropped instead. Not thread-safe: one run uses a pool at a time.
final class BufferPool: @unchecked Sendable {
    private struct Key: Hashable {
        let dtype: DType
        let count: Int

        /// The count alone: hashing the dtype would hash its raw-value string on every lookup.
        func hash(into hasher: inout Hasher) { hasher.combine(count) }
    }

    /// The storages of one dtype and count, and how many kernels asked for them (a class, so that updating it
    /// never copies the dictionary that holds it).
    private final class Entry {
        /// Kept storages, the most recently freed last.
        @exclusivity(unchecked) var free: [TensorStorage] = []
        /// Requests in the current run.
        @exclusivity(unchecked) var requests = 0
        /// The most requests one finished run made.
        @exclusivity(unchecked) var wanted = 0

        func keep(_ storage: TensorStorage) {
            if free.count < max(wanted, requests) { free.append(storage) }
        }

        func take<T: TensorScalar>(_ type: T.Type) -> [T]? {
            requests += 1
            while var storage = free.popLast() {
                if var array = T.values(in: storage) {
                    storage = .bool([])  // drop the pool's reference: `array` is the only one left if unique
                    if isSoleReference(&array) { return array }
                }
            }
            return nil
        }
    }

    @exclusivity(unchecked) private var entries: [Key: Entry] = [:]
    /// Distinct (dtype, count) pairs tracked at most; a new pair beyond them empties the pool (shapes changed).
    let kinds: Int
    /// Arrays of fewer bytes are not pooled: the C allocator serves them from recently freed memory as fast.
    let minimumBytes: Int
    /// The default ``minimumBytes``: measured on the digits and encoder fixtures at batch 1 (outputs of a few
    /// KiB), pooling them was slower than glibc's malloc (encoder int8 0.160 vs 0.152 ms min), so only large
    /// arrays, where a fresh allocation may fault in pages, are pooled.
    static let defaultMinimumBytes = 64 << 10

    init(kinds: Int = 64, minimumBytes: Int = defaultMinimumBytes) {
        self.kinds = kinds
        self.minimumBytes = minimumBytes
    }

    /// The shape-derived outputs of the plan this pool's runs ran last (kept with the pool: one run at a time).
    private var shapeValues: ShapeValueCache?

    /// The cache of `plan`'s shape-derived outputs (a new one when the last run used another plan), ready for a run.
    func shapeCache(for plan: ExecutionPlan) -> ShapeValueCache? {
        guard !plan.shapeDerivation.isEmpty else { return nil }
        if shapeValues?.plan != ObjectIdentifier(plan) { shapeValues = ShapeValueCache(plan: plan) }
        shapeValues!.beginRun()
        return shapeValues
    }

    /// Arrays handed out again so far.
    @exclusivity(unchecked) private(set) var reuses = 0

    /// Number of storages kept now.
    var count: Int { entries.values.reduce(0) { $0 + $1.free.count } }

    /// Keeps `storage` for a later ``take(_:count:)`` when kernels ask for its dtype and count.
    func recycle(_ storage: TensorStorage) {
        let dtype = storage.dtype, count = storage.count
        guard count * dtype.byteSize >= minimumBytes else { return }
        entries[Key(dtype: dtype, count: count)]?.keep(storage)
    }

    /// An array of `count` elements of `T` that only the caller refers to, with stale elements from an earlier
    /// value, or nil when the pool has none of that dtype and count (the request is counted either way).
    func take<T: TensorScalar>(_ type: T.Type, count: Int) -> [T]? {
        guard count * T.dtype.byteSize >= minimumBytes else { return nil }
        let key = Key(dtype: T.dtype, count: count)
        if entries.count >= kinds && entries[key] == nil { entries.removeAll(keepingCapacity: true) }
        let entry: Entry
        if let known = entries[key] {
            entry = known
        } else {
            entry = Entry()
            entries[key] = entry
        }
        let array = entry.take(T.self)
        if array != nil { reuses += 1 }
        return array
    }

    /// Ends a run: each dtype and count keeps room for as many storages as the busiest run asked for.
    func endRun() {
        for entry in entries.values {
            entry.wanted = max(entry.wanted, entry.requests)
            entry.requests = 0
        }
    }
}

/// True when `array` is the only reference to its element buffer, so writing through it does not copy.
/// Where an array is not a single native object reference (Objective-C bridging), answers false.
private func isSoleReference<T>(_ array: inout [T]) -> Bool {
    #if canImport(ObjectiveC)
    return false
    #else
    guard MemoryLayout<[T]>.size == MemoryLayout<AnyObject>.size else { return false }
    return withUnsafeMutablePointer(to: &array) { pointer in
        pointer.withMemoryRebound(to: AnyObject.self, capacity: 1) { isKnownUniquelyReferenced(&$0.pointee) }
    }
    #endif
}

extension KernelContext {
    /// An array of `count` elements for one of the node's outputs: the elements of an earlier intermediate value
    /// of the same dtype and count when the run has one free, else a new array. The elements are unspecified
    /// (stale or uninitialised): the kernel must write every one of them.
    public func outputBuffer<T: TensorScalar & Numeric>(_ type: T.Type, count: Int) -> [T] {
        if let reused = outputBuffers?.take(T.self, count: count) { return reused }
        return [T](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }
}
