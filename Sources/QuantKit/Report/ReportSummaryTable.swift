import Foundation

/// Number formats shared by every report rendering (Markdown, HTML, console).
public enum ReportFormat {
    /// A fraction as a percentage with two decimals: 0.98765 → "98.77 %".
    public static func percent(_ fraction: Double) -> String { String(format: "%.2f %%", fraction * 100) }

    /// A difference of fractions in percentage points with a sign: −0.005 → "−0.50 pp".
    public static func points(_ difference: Double) -> String {
        let value = String(format: "%.2f", abs(difference * 100))
        return (difference < -0.000_05 ? "−" : "+") + value + " pp"
    }

    /// Decibels with one decimal, "∞ dB" for identical tensors.
    public static func decibels(_ value: Double) -> String {
        if value.isNaN { return "n/a" }
        if value.isInfinite { return value > 0 ? "∞ dB" : "−∞ dB" }
        return String(format: "%.1f dB", value)
    }

    /// Milliseconds with three decimals: "0.750 ms".
    public static func milliseconds(_ value: Double) -> String { String(format: "%.3f ms", value) }

    /// A ratio as "0.27×".
    public static func ratio(_ value: Double) -> String { String(format: "%.2f×", value) }

    /// A general number with 4 significant digits ("0.0421", "1.25e-05").
    public static func number(_ value: Double) -> String {
        if value.isNaN { return "n/a" }
        if value.isInfinite { return value > 0 ? "∞" : "−∞" }
        return String(format: "%.4g", value)
    }
}

/// The summary table of a report: one row per variant, the reference first, with every whole-model number
/// formatted for display ("–" where not measured). Markdown, HTML and the console all print this table.
public struct ReportSummaryTable: Sendable, Equatable {
    public var header: [String]
    public var rows: [[String]]

    public static let columns = ["variant", "accuracy", "Δ accuracy", "top-1 agreement", "output SQNR", "size",
                                 "size vs fp32", "latency median", "latency p90", "peak memory"]

    /// The table of `report`. Δ accuracy and "size vs fp32" are relative to the reference variant.
    public init(_ report: QuantizationReport) {
        header = Self.columns
        let reference = report.variants.first { $0.isReference }
        rows = report.variants.map { variant in
            let missing = "–"
            let accuracy = variant.accuracy.map(ReportFormat.percent) ?? missing
            var delta = missing
            if !variant.isReference, let a = variant.accuracy, let b = reference?.accuracy {
                delta = ReportFormat.points(a - b)
            }
            let agreement = variant.top1Agreement.map(ReportFormat.percent) ?? missing
            let sqnr = variant.outputMetrics.map(\.sqnrDb).min().map(ReportFormat.decibels) ?? missing
            let size = variant.sizeBytes.map(formatBytes) ?? missing
            var sizeRatio = missing
            if let a = variant.sizeBytes, let b = reference?.sizeBytes, b > 0 {
                sizeRatio = ReportFormat.ratio(Double(a) / Double(b))
            }
            let median = variant.latency.map { ReportFormat.milliseconds($0.medianMs) } ?? missing
            let p90 = variant.latency.map { ReportFormat.milliseconds($0.p90Ms) } ?? missing
            let memory = variant.peakRSSBytes.map(formatBytes) ?? missing
            return [variant.name, accuracy, delta, agreement, sqnr, size, sizeRatio, median, p90, memory]
        }
    }

    /// The columns that hold at least one measured value (the variant name always).
    public var measuredColumns: [Int] {
        header.indices.filter { column in column == 0 || rows.contains { $0[column] != "–" } }
    }

    /// Plain-text table with aligned columns, only the measured ones (for terminals).
    public var text: String {
        let columns = measuredColumns
        let widths = columns.map { column in ([header[column]] + rows.map { $0[column] }).map(\.count).max() ?? 0 }
        func line(_ cells: [String]) -> String {
            zip(columns, widths).map { column, width in
                let cell = cells[column]
                let pad = String(repeating: " ", count: max(0, width - cell.count))
                return column == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }
}
