import QKTensor

/// Element arrays of intermediate tensors that a run no longer needs, kept so that later nodes (and later runs,
/// whose shapes repeat) take them for their outputs instead of allocating.
///
/// The ``Interpreter`` gives a value's storage to the pool after the value's last reader ran; a kernel asks
/// through ``KernelContext/outputBuffer(_:count:)`` for an array of the same dtype and element count. An array
/// is handed out only when nothing else refers to it (the caller's graph outputs, a value an `observe` hook
/// kept, a Reshape that shares its input's elements all keep their arrays out of reach), so reuse never changes
/// a value someone can still see; arrays another owner still holds are dropped instead. Not thread-safe: one
/// run uses a pool at a time.
final class BufferPool: @unchecked Sendable {
    private struct Key: Hashable {
        let dtype: DType
        let count: Int
    }

    /// Freed storages by dtype and element count, the most recently freed last.
    @exclusivity(unchecked) private var free: [Key: [TensorStorage]] = [:]
    /// Storages of one dtype and count kept at most; more are dropped.
    let depth: Int
    /// Distinct (dtype, count) pairs kept at most; a new pair beyond them empties the pool (shapes changed).
    let kinds: Int
    /// Arrays of fewer bytes are not kept: the allocator's per-thread cache serves them as fast as the pool.
    static let minimumBytes = 1024

    init(depth: Int = 4, kinds: Int = 64) {
        self.depth = depth
        self.kinds = kinds
    }

    /// Arrays handed out again so far.
    @exclusivity(unchecked) private(set) var reuses = 0

    /// Number of storages kept now.
    var count: Int { free.values.reduce(0) { $0 + $1.count } }

    /// Keeps `storage` for a later ``take(_:count:)`` when it is large enough and its stack is not full.
    func recycle(_ storage: TensorStorage) {
        let dtype = storage.dtype, count = storage.count
        guard count * dtype.byteSize >= Self.minimumBytes else { return }
        let key = Key(dtype: dtype, count: count)
        if free[key] == nil && free.count >= kinds { free.removeAll(keepingCapacity: true) }
        free[key, default: []].append(storage)
        if free[key]!.count > depth { free[key]!.removeFirst() }
    }

    /// An array of `count` elements of `T` that only the caller refers to, with stale elements from an earlier
    /// value, or nil when the pool has none of that dtype and count.
    func take<T: TensorScalar>(_ type: T.Type, count: Int) -> [T]? {
        guard count * T.dtype.byteSize >= Self.minimumBytes else { return nil }
        let key = Key(dtype: T.dtype, count: count)
        while var storage = free[key]?.popLast() {
            if var array = T.values(in: storage) {
                storage = .bool([])  // drop the pool's reference: `array` is the only one left if unique
                if isSoleReference(&array) {
                    reuses += 1
                    return array
                }
            }
        }
        return nil
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
