import Foundation

/// The value made for the most recent key, returned again while calls keep asking for that key (thread-safe): a
/// prepared kernel keeps what it derives from its input shape (window geometry, tap tables) across runs with the
/// same shape instead of rebuilding it every call.
public final class LastValueCache<Key: Equatable, Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var last: (key: Key, value: Value)?

    public init() {}

    /// The cached value when `key` equals the last key, else `make()` (which then becomes the cached value).
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
