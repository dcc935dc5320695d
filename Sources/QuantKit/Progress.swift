import Foundation

/// Where a long loop stands: `done` of `total` items after `elapsed` seconds.
public struct ProgressSnapshot: Sendable, Equatable {
    /// What is being done, e.g. "calibrating".
    public var label: String
    /// What is counted, e.g. "samples".
    public var unit: String
    public var done: Int
    public var total: Int
    /// Seconds since the reporter was created.
    public var elapsed: Double

    public init(label: String, unit: String, done: Int, total: Int, elapsed: Double) {
        self.label = label
        self.unit = unit
        self.done = done
        self.total = total
        self.elapsed = elapsed
    }

    /// done / total, clamped to [0, 1] (1 when total is 0).
    public var fraction: Double { total > 0 ? Swift.min(1, Swift.max(0, Double(done) / Double(total))) : 1 }
    /// Items per second, done / elapsed; nil before any time has passed.
    public var rate: Double? { elapsed > 0 ? Double(done) / elapsed : nil }
    /// Seconds left at the current rate, (total − done) / rate; nil until a rate is known.
    public var eta: Double? {
        guard let rate, rate > 0 else { return nil }
        return Double(Swift.max(0, total - done)) / rate
    }
    public var isFinished: Bool { done >= total }
}

/// Tracks a loop's progress and decides when to show it; rendering is left to `emit` (the CLI draws a bar on a
/// terminal and prints plain lines otherwise).
///
/// `update(done, total)` matches the `(Int, Int) -> Void` progress callbacks of ``BatchRunner``,
/// ``Quantizer`` and the calibrator. The clock starts when the reporter is made, or again at an `update(0, total)`
/// that comes before any other (a loop announcing its start; not shown). A snapshot is emitted on the first
/// update with done > 0, on the last (done ≥ total),
/// and in between when `interval` seconds have passed since the last one or the fraction done has crossed
/// the next multiple of `fractionStep` (when given).
public final class ProgressReporter: @unchecked Sendable {
    public let label: String
    public let unit: String
    private let interval: Double
    private let fractionStep: Double?
    private let clock: () -> Double
    private let emit: (ProgressSnapshot) -> Void
    private var start: Double
    private var lastEmitted: Double?
    private var lastStep = -1
    private var finished = false
    private let lock = NSLock()

    /// - Parameters:
    ///   - interval: the most seconds between two snapshots while the loop runs.
    ///   - fractionStep: also emit each time the fraction done passes a multiple of this (e.g. 0.1).
    ///   - clock: seconds on a monotonic clock (injectable for tests).
    public init(label: String, unit: String, interval: Double, fractionStep: Double? = nil,
                clock: @escaping () -> Double = ProgressReporter.monotonicSeconds,
                emit: @escaping (ProgressSnapshot) -> Void) {
        self.label = label
        self.unit = unit
        self.interval = interval
        self.fractionStep = fractionStep
        self.clock = clock
        self.emit = emit
        self.start = clock()
    }

    /// A reporter that never emits (for `--quiet` and library callers that want none).
    public static func silent(label: String = "", unit: String = "") -> ProgressReporter {
        ProgressReporter(label: label, unit: unit, interval: .infinity, emit: { _ in })
    }

    /// Seconds since boot on the monotonic clock.
    public static func monotonicSeconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// Records that `done` of `total` items are finished; emits a snapshot when one is due.
    public func update(_ done: Int, _ total: Int) {
        lock.lock()
        defer { lock.unlock() }
        guard !finished else { return }
        let now = clock()
        if done == 0, lastEmitted == nil {
            start = now
            return
        }
        let snapshot = ProgressSnapshot(label: label, unit: unit, done: done, total: total, elapsed: now - start)
        // Index of the last multiple of fractionStep reached (the epsilon absorbs 0.3 / 0.1 = 2.9999…).
        let step = fractionStep.map { $0 > 0 ? Int((snapshot.fraction / $0 + 1e-9).rounded(.down)) : -1 } ?? -1
        let due = lastEmitted == nil || snapshot.isFinished || now - (lastEmitted ?? now) >= interval || step > lastStep
        guard due else { return }
        lastStep = Swift.max(lastStep, step)
        lastEmitted = now
        finished = snapshot.isFinished
        emit(snapshot)
    }
}

/// Text forms of a ``ProgressSnapshot``: a bar for terminals and a plain line for logs.
public enum ProgressFormat {
    /// `calibrating [#########-----------] 230/512  45%  1534 samples/s  ETA 0:01`, `width` bar cells.
    public static func bar(_ snapshot: ProgressSnapshot, width: Int = 24) -> String {
        let cells = Swift.max(1, width)
        let filled = Int((snapshot.fraction * Double(cells)).rounded(.down))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: cells - filled)
        return "\(snapshot.label) [\(bar)] \(counts(snapshot))  \(timing(snapshot))"
    }

    /// `calibrating: 230/512  45%  1534 samples/s  ETA 0:01`.
    public static func line(_ snapshot: ProgressSnapshot) -> String {
        "\(snapshot.label): \(counts(snapshot))  \(timing(snapshot))"
    }

    /// Seconds as m:ss (h:mm:ss from one hour); "--:--" when unknown or not finite.
    public static func clock(_ seconds: Double?) -> String {
        guard let seconds, seconds.isFinite, seconds >= 0 else { return "--:--" }
        let whole = Int(seconds.rounded(.up))
        let (h, m, s) = (whole / 3600, whole / 60 % 60, whole % 60)
        return h > 0 ? String(format: "%d:%02d:%02d", h, m, s) : String(format: "%d:%02d", m, s)
    }

    /// Items per second with 3 significant digits where it matters: 1534, 42.5, 0.312.
    public static func rate(_ rate: Double?) -> String {
        guard let rate, rate.isFinite else { return "--" }
        if rate >= 100 { return String(format: "%.0f", rate) }
        if rate >= 10 { return String(format: "%.1f", rate) }
        if rate >= 1 { return String(format: "%.2f", rate) }
        return String(format: "%.3f", rate)
    }

    private static func counts(_ snapshot: ProgressSnapshot) -> String {
        String(format: "%d/%d %3d%%", snapshot.done, snapshot.total, Int((snapshot.fraction * 100).rounded(.down)))
    }

    private static func timing(_ snapshot: ProgressSnapshot) -> String {
        let speed = "\(rate(snapshot.rate)) \(snapshot.unit)/s"
        return snapshot.isFinished ? "\(speed)  done in \(clock(snapshot.elapsed))" : "\(speed)  ETA \(clock(snapshot.eta))"
    }
}
