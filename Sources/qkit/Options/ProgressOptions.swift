import ArgumentParser
import Foundation
import QuantKit

/// `--quiet`, and the progress display on stderr: a bar redrawn in place on a terminal (at most 10 times a
/// second), plain lines elsewhere (every 10 % or 2 s), nothing with `--quiet`.
struct ProgressOptions: ParsableArguments {
    @Flag(help: "Show no progress on stderr.")
    var quiet = false

    /// A reporter for one loop ("calibrating", "evaluating", …) that counts `unit`s.
    func reporter(_ label: String, unit: String) -> ProgressReporter {
        if quiet { return .silent(label: label, unit: unit) }
        if isatty(STDERR_FILENO) != 0 {
            return ProgressReporter(label: label, unit: unit, interval: 0.1) { snapshot in
                // Carriage return + erase line redraws the bar in place; a newline ends it when finished.
                writeStandardError("\r\u{1B}[2K" + ProgressFormat.bar(snapshot) + (snapshot.isFinished ? "\n" : ""))
            }
        }
        return ProgressReporter(label: label, unit: unit, interval: 2, fractionStep: 0.1) { snapshot in
            writeStandardError(ProgressFormat.line(snapshot) + "\n")
        }
    }
}

func writeStandardError(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
}
