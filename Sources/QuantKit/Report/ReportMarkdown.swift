import Foundation

/// Renders a ``QuantizationReport`` as GitHub-flavoured Markdown (`report.md`): summary table, calibration
/// choice, output and per-layer error per variant (worst first), clip ranges per calibration method, and the
/// nodes kept in float with their reasons. Names are escaped so `<`, `>`, `&`, `|` and backticks print as text.
public enum ReportMarkdown {
    /// Per-layer rows shown per variant (the JSON holds them all).
    public static let layerRowLimit = 25

    public static func render(_ report: QuantizationReport) -> String {
        var out: [String] = []
        out.append("# QuantKit report: \(escape(report.model.path))")
        out.append("")
        out.append("Produced by `\(report.producedBy.replacingOccurrences(of: "`", with: "'"))` "
            + "(\(escape(report.toolVersion))). " + modelLine(report.model))
        out += dataLines(report.data)
        out.append("")
        out.append("## Summary")
        out.append("")
        let summary = ReportSummaryTable(report)
        let columns = summary.measuredColumns
        out += table(header: columns.map { summary.header[$0] }, rows: summary.rows.map { row in columns.map { escape(row[$0]) } },
                     rightAligned: Set(1..<columns.count))
        out.append("")
        for variant in report.variants where !variant.configSummary.isEmpty {
            out.append("- **\(escape(variant.name))**: \(escape(variant.configSummary))")
        }
        if let choice = report.calibrationChoice { out += calibrationLines(choice) }
        for variant in report.variants where !variant.outputMetrics.isEmpty || !variant.layers.isEmpty {
            out += errorLines(variant)
        }
        if !report.histograms.isEmpty { out += clipRangeLines(report.histograms) }
        out += decisionLines(report.variants)
        if !report.notes.isEmpty {
            out += ["", "## Notes", ""] + report.notes.map { "- " + escape($0) }
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// Text safe inside Markdown (and its table cells): HTML specials as entities, `|` and backticks escaped.
    public static func escape(_ text: String) -> String { HTMLText.replacing(text, markdownReplacements) }

    static let markdownReplacements: [Character: String] = [
        "&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "\\|", "`": "\\`", "*": "\\*", "_": "\\_", "[": "\\[",
        "]": "\\]", "\\": "\\\\", "\n": " ",
    ]

    static func modelLine(_ model: QuantizationReport.ModelInfo) -> String {
        "The model has \(model.nodes) nodes and \(model.parameters) parameters; inputs "
            + model.inputs.map { "`\($0.replacingOccurrences(of: "`", with: "'"))`" }.joined(separator: ", ") + "."
    }

    static func dataLines(_ data: QuantizationReport.DataInfo) -> [String] {
        var lines: [String] = []
        if let path = data.calibrationPath {
            lines.append("Calibration data: \(escape(path))" + (data.calibrationSamples.map { " (\($0) samples)" } ?? "") + ".")
        }
        if let path = data.evaluationPath {
            lines.append("Evaluation data: \(escape(path))" + (data.evaluationSamples.map { " (\($0) samples)" } ?? "")
                + (data.labelsKey.map { ", labels `\($0.replacingOccurrences(of: "`", with: "'"))`" } ?? "") + ".")
        }
        return lines.isEmpty ? [] : [""] + lines
    }

    static func calibrationLines(_ choice: QuantizationReport.CalibrationChoice) -> [String] {
        var lines = ["", "## Calibration method", "",
                     "Chose **\(escape(choice.method))**: \(escape(choice.criterion)).", ""]
        lines += table(header: ["method", "score (\(escape(choice.scoreUnit)))"],
                       rows: choice.candidates.map { [escape($0.method), ReportFormat.number($0.score)] },
                       rightAligned: [1])
        return lines
    }

    static func errorLines(_ variant: QuantizationReport.Variant) -> [String] {
        var lines = ["", "## Error of \(escape(variant.name)) vs the reference", ""]
        let header = ["tensor", "node", "op", "SQNR", "cosine", "max abs err", "mean abs err"]
        func row(_ m: QuantizationReport.TensorMetrics) -> [String] {
            [escape(m.tensor), escape(m.node), escape(m.opType), ReportFormat.decibels(m.sqnrDb),
             String(format: "%.5f", m.cosine), ReportFormat.number(m.maxAbsError), ReportFormat.number(m.meanAbsError)]
        }
        if !variant.outputMetrics.isEmpty {
            lines.append("Model outputs" + (variant.top1Agreement.map { ", top-1 agreement \(ReportFormat.percent($0))" } ?? "")
                + ":")
            lines.append("")
            lines += table(header: header, rows: variant.outputMetrics.map(row), rightAligned: Set(3..<7))
        }
        if !variant.layers.isEmpty {
            let shown = variant.layers.prefix(layerRowLimit)
            lines += ["", "Layers, worst SQNR first (\(shown.count) of \(variant.layers.count)):", ""]
            lines += table(header: header, rows: shown.map(row), rightAligned: Set(3..<7))
        }
        return lines
    }

    static func clipRangeLines(_ histograms: [QuantizationReport.TensorHistogram]) -> [String] {
        let methods = histograms.first?.clipRanges.map(\.method) ?? []
        var lines = ["", "## Clip ranges by calibration method", "",
                     "Observed range and the [min, max] each method would quantize the tensor with.", ""]
        let rows = histograms.map { h in
            [escape(h.tensor), h.kind.rawValue, escape(h.node),
             "[\(ReportFormat.number(Double(h.observedMin))), \(ReportFormat.number(Double(h.observedMax)))]"]
                + methods.map { method in
                    h.clipRanges.first { $0.method == method }.map {
                        "[\(ReportFormat.number(Double($0.min))), \(ReportFormat.number(Double($0.max)))]"
                    } ?? "–"
                }
        }
        lines += table(header: ["tensor", "kind", "node", "observed"] + methods.map(escape), rows: rows, rightAligned: [])
        return lines
    }

    static func decisionLines(_ variants: [QuantizationReport.Variant]) -> [String] {
        var lines: [String] = []
        for variant in variants where !variant.decisions.isEmpty {
            let counts = Dictionary(grouping: variant.decisions, by: \.action).mapValues(\.count)
            let summary = counts.keys.sorted().map { "\(counts[$0] ?? 0) \($0)" }.joined(separator: ", ")
            lines += ["", "## Decisions of \(escape(variant.name))", "", "Nodes: \(summary).", ""]
            let kept = variant.decisions.filter { $0.action == QuantizationDecision.Action.keptFloat.rawValue }
            if !kept.isEmpty {
                lines += table(header: ["node kept in float", "op", "reason"],
                               rows: kept.map { [escape($0.node), escape($0.opType), escape($0.reason)] }, rightAligned: [])
            }
        }
        return lines
    }

    /// A pipe table; cells must already be escaped.
    static func table(header: [String], rows: [[String]], rightAligned: Set<Int>) -> [String] {
        let rule = header.indices.map { rightAligned.contains($0) ? "---:" : "---" }
        return (["| " + header.joined(separator: " | ") + " |", "| " + rule.joined(separator: " | ") + " |"]
            + rows.map { "| " + $0.joined(separator: " | ") + " |" })
    }
}
