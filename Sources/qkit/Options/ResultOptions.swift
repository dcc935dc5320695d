import ArgumentParser
import Foundation
import QuantKit

/// `--json` and `--report DIR`: how `qkit eval`, `compare` and `sensitivity` hand back their results.
struct ResultOptions: ParsableArguments {
    @Flag(help: "Print JSON.")
    var json = false

    @Option(help: "Also write report.json, report.md and report.html into this directory (new, or holding only an earlier report).")
    var report: String?

    /// Refuses, before any work, a `--report` directory that exists and holds files other than a report's, or
    /// whose parent does not exist; a missing directory is created only when the report is written.
    func checkReportDirectory() throws {
        guard let report else { return }
        if FileManager.default.fileExists(atPath: report) {
            try ReportWriter.prepare(directory: report)
            return
        }
        let parent = (report as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: parent.isEmpty ? "." : parent, isDirectory: &isDirectory),
              isDirectory.boolValue else {
            throw ReportError.writeFailed(path: report, reason: "its parent directory '\(parent)' does not exist")
        }
    }

    /// Writes the report `make` builds when `--report` was given; returns the paths written.
    func writeReport(_ make: () throws -> QuantizationReport) throws -> [String]? {
        guard let report else { return nil }
        return try ReportWriter.write(make(), to: report)
    }
}

/// Sorted-key JSON of `value`; non-finite numbers (an exact match's +∞ dB SQNR) are written as the strings
/// "Infinity", "-Infinity" and "NaN" (as in report.json).
func jsonText(_ value: some Encodable) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity",
                                                                  nan: "NaN")
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}
