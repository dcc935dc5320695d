import Foundation
import Testing
@testable import QuantKit

/// The progress reporter's cadence (with a fake clock) and the text of the terminal bar and the plain lines.
@Suite struct ProgressTests {
    /// A clock the test moves by hand.
    final class FakeClock: @unchecked Sendable {
        var now = 100.0
        func read() -> Double { now }
    }

    @Test func barText() {
        // 230 of 512 after 0.15 s: 44.9 % → 10 of 24 cells, 1533.3 samples/s, 282 left → 0.18 s → "0:01".
        let snapshot = ProgressSnapshot(label: "calibrating", unit: "samples", done: 230, total: 512, elapsed: 0.15)
        #expect(ProgressFormat.bar(snapshot)
            == "calibrating [##########--------------] 230/512  44%  1533 samples/s  ETA 0:01")
        let done = ProgressSnapshot(label: "evaluating", unit: "samples", done: 360, total: 360, elapsed: 75)
        #expect(ProgressFormat.bar(done, width: 4) == "evaluating [####] 360/360 100%  4.80 samples/s  done in 1:15")
    }

    @Test func lineText() {
        let snapshot = ProgressSnapshot(label: "bench", unit: "runs", done: 5, total: 50, elapsed: 2)
        #expect(ProgressFormat.line(snapshot) == "bench: 5/50  10%  2.50 runs/s  ETA 0:18")
        let start = ProgressSnapshot(label: "bench", unit: "runs", done: 0, total: 50, elapsed: 0)
        #expect(ProgressFormat.line(start) == "bench: 0/50   0%  -- runs/s  ETA --:--")
    }

    @Test func clockAndRateText() {
        #expect(ProgressFormat.clock(3725) == "1:02:05")
        #expect(ProgressFormat.clock(59.2) == "1:00")
        #expect(ProgressFormat.clock(nil) == "--:--" && ProgressFormat.clock(.infinity) == "--:--")
        #expect(ProgressFormat.rate(1533.4) == "1533" && ProgressFormat.rate(42.46) == "42.5")
        #expect(ProgressFormat.rate(0.3124) == "0.312" && ProgressFormat.rate(nil) == "--")
    }

    @Test func plainLinesEveryTenthOfTheWork() {
        let clock = FakeClock()
        var emitted: [Int] = []
        let reporter = ProgressReporter(label: "x", unit: "items", interval: 2, fractionStep: 0.1,
                                        clock: clock.read) { emitted.append($0.done) }
        for done in 1...100 {
            clock.now += 0.01
            reporter.update(done, 100)
        }
        #expect(emitted == [1, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100])
    }

    @Test func plainLinesEveryIntervalWhenSlow() {
        let clock = FakeClock()
        var emitted: [Int] = []
        let reporter = ProgressReporter(label: "x", unit: "items", interval: 2, fractionStep: 0.1,
                                        clock: clock.read) { emitted.append($0.done) }
        for done in 1...1000 where done <= 12 {
            clock.now += 0.75
            reporter.update(done, 1000)
        }
        // Emitted at 0.75 s (first), then whenever ≥ 2 s passed: 3.0 s (done 4), 5.25 s (7), 7.5 s (10).
        #expect(emitted == [1, 4, 7, 10])
    }

    @Test func updateZeroRestartsTheClock() {
        let clock = FakeClock()
        var snapshots: [ProgressSnapshot] = []
        let reporter = ProgressReporter(label: "timing", unit: "runs", interval: 10, clock: clock.read) {
            snapshots.append($0)
        }
        clock.now += 30  // work before the loop starts (loading, an earlier phase)
        reporter.update(0, 4)
        clock.now += 2
        reporter.update(4, 4)
        #expect(snapshots.map(\.done) == [4] && snapshots[0].elapsed == 2 && snapshots[0].rate == 2)
    }

    @Test func finishesOnceAndSilentEmitsNothing() {
        let clock = FakeClock()
        var snapshots: [ProgressSnapshot] = []
        let reporter = ProgressReporter(label: "x", unit: "items", interval: 10, clock: clock.read) {
            snapshots.append($0)
        }
        reporter.update(1, 3)
        clock.now += 1
        reporter.update(2, 3)
        clock.now += 1
        reporter.update(3, 3)
        reporter.update(3, 3)
        #expect(snapshots.map(\.done) == [1, 3])
        #expect(snapshots.last?.isFinished == true && snapshots.last?.elapsed == 2)
        #expect(abs((snapshots.last?.rate ?? 0) - 1.5) < 1e-12)
        let silent = ProgressReporter.silent()
        silent.update(1, 1)
    }
}
