import Foundation

/// The value made for the most recent key, returned again while calls keep asking for that key (thread-safe): a
/// prepared kernel keeps what it derives from its input shape (window geometry, tap tables) across runs with the
/// same shape instead of rebuilding it every call.
public final class LastValueCache<Key: Equatable, Value>: @unchecked Sendable {
    // Inlinable (and so usable from inline code) so that callers in other modules get a specialized copy instead
    // of the generic one, which looks up tuple metadata on every call.
    @usableFromInline let lock = NSLock()
    @usableFromInline var last: (key: Key, value: Value)?

    public init() {}

    /// The cached value when `key` equals the last key, else `make()` (which then becomes the cached value).
    @inlinable
    public func value(for key: Key, _ make: () throws -> Value) rethrows -> Value {
        lock.lock()
        let hit = last.flatMap { $0.key == key ? $0.value : nil }
        lock.unlock()
        if let hit { return hit }
        let value = try make()
        lock.lock()
        last = (key, value)
        lock.unlock()
        return value
    }
}
