import Foundation

/// Renders a ``QuantizationReport`` as one self-contained HTML page (`report.html`): inline CSS and inline
/// SVG only, no scripts, fonts or other resources, so it works offline and from a file:// URL.
///
/// Sections: summary table (plus size and latency bars), calibration choice, per variant the output error and
/// per-layer SQNR bars (worst first), histograms of the worst layers' weights and activations with each
/// calibration method's clip range, and the quantizer's decisions. All text from the model is escaped.
public enum ReportHTML {
    /// Layers drawn per variant in the SQNR chart (the JSON holds them all).
    public static let layerBarLimit = 40

    public static func render(_ report: QuantizationReport) -> String {
        let e = HTMLText.escape
        var body = "<header><h1>Quantization report</h1><p class=\"sub\"><strong>\(e(report.model.path))</strong> · "
            + "\(report.model.nodes) nodes · \(report.model.parameters) parameters · inputs "
            + report.model.inputs.map { "<code>\(e($0))</code>" }.joined(separator: ", ") + "</p>"
            + dataParagraph(report.data) + "</header>"
        body += summarySection(report)
        if let choice = report.calibrationChoice { body += calibrationSection(choice) }
        for variant in report.variants where !variant.layers.isEmpty || !variant.outputMetrics.isEmpty {
            body += errorSection(variant)
        }
        if !report.histograms.isEmpty { body += histogramSection(report.histograms) }
        body += decisionSection(report.variants)
        if !report.notes.isEmpty {
            body += "<section><h2>Notes</h2><ul>" + report.notes.map { "<li>\(e($0))</li>" }.joined() + "</ul></section>"
        }
        body += "<footer>Written by \(e(report.producedBy)) (\(e(report.toolVersion))). "
            + "This page is self-contained: it loads nothing from the network.</footer>"
        return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            + "<title>QuantKit report: \(e(report.model.path))</title><style>\(ReportStyle.css)</style></head>\n"
            + "<body><main>\(body)</main></body></html>\n"
    }

    static func dataParagraph(_ data: QuantizationReport.DataInfo) -> String {
        var parts: [String] = []
        if let path = data.calibrationPath {
            parts.append("calibration <code>\(HTMLText.escape(path))</code>" + (data.calibrationSamples.map { " (\($0) samples)" } ?? ""))
        }
        if let path = data.evaluationPath {
            parts.append("evaluation <code>\(HTMLText.escape(path))</code>" + (data.evaluationSamples.map { " (\($0) samples)" } ?? ""))
        }
        return parts.isEmpty ? "" : "<p class=\"sub\">Data: " + parts.joined(separator: " · ") + "</p>"
    }

    static func summarySection(_ report: QuantizationReport) -> String {
        let summary = ReportSummaryTable(report)
        let columns = summary.measuredColumns
        var html = "<section><h2>Summary</h2><div class=\"scroll\"><table class=\"summary\"><thead><tr>"
            + columns.map { "<th>\(HTMLText.escape(summary.header[$0]))</th>" }.joined() + "</tr></thead><tbody>"
        for (variant, row) in zip(report.variants, summary.rows) {
            html += "<tr\(variant.isReference ? " class=\"reference\"" : "")>" + columns.map { column in
                column == 0 ? "<th scope=\"row\">\(HTMLText.escape(row[column]))</th>" : "<td>\(HTMLText.escape(row[column]))</td>"
            }.joined() + "</tr>"
        }
        html += "</tbody></table></div>"
        html += "<ul class=\"configs\">" + report.variants.filter { !$0.configSummary.isEmpty }.map {
            "<li><strong>\(HTMLText.escape($0.name))</strong>: \(HTMLText.escape($0.configSummary))</li>"
        }.joined() + "</ul>"
        let sizes = report.variants.compactMap { v in v.sizeBytes.map { (v.name, Double($0), formatBytes($0)) } }
        let latencies = report.variants.compactMap { v in
            v.latency.map { (v.name, $0.medianMs, ReportFormat.milliseconds($0.medianMs)) }
        }
        var charts = ""
        if sizes.count > 1 { charts += figure(ReportSVG.comparisonBars(sizes, title: "Model size"), "Size on disk") }
        if latencies.count > 1 {
            charts += figure(ReportSVG.comparisonBars(latencies, title: "Latency"), "Latency, median of single-sample runs")
        }
        if !charts.isEmpty { html += "<div class=\"row\">\(charts)</div>" }
        return html + "</section>"
    }

    static func calibrationSection(_ choice: QuantizationReport.CalibrationChoice) -> String {
        let e = HTMLText.escape
        let best = choice.candidates.map(\.score).max()
        return "<section><h2>Calibration method</h2><p>Chose <strong>\(e(choice.method))</strong>: \(e(choice.criterion)).</p>"
            + "<table class=\"compact\"><thead><tr><th>method</th><th>score (\(e(choice.scoreUnit)))</th></tr></thead><tbody>"
            + choice.candidates.map { c in
                "<tr\(c.score == best ? " class=\"best\"" : "")><th scope=\"row\">\(e(c.method))</th>"
                    + "<td>\(e(ReportFormat.number(c.score)))</td></tr>"
            }.joined() + "</tbody></table></section>"
    }

    static func errorSection(_ variant: QuantizationReport.Variant) -> String {
        let e = HTMLText.escape
        var html = "<section><h2>Error of \(e(variant.name)) vs the reference</h2>"
        if !variant.outputMetrics.isEmpty {
            html += "<table class=\"compact\"><thead><tr><th>output</th><th>SQNR</th><th>cosine</th>"
                + "<th>max abs err</th><th>mean abs err</th></tr></thead><tbody>"
                + variant.outputMetrics.map { m in
                    "<tr><th scope=\"row\">\(e(m.tensor))</th><td>\(e(ReportFormat.decibels(m.sqnrDb)))</td>"
                        + "<td>\(String(format: "%.5f", m.cosine))</td><td>\(e(ReportFormat.number(m.maxAbsError)))</td>"
                        + "<td>\(e(ReportFormat.number(m.meanAbsError)))</td></tr>"
                }.joined() + "</tbody></table>"
            if let agreement = variant.top1Agreement {
                html += "<p>Top-1 predictions agree with the reference on \(ReportFormat.percent(agreement)) of samples.</p>"
            }
        }
        if !variant.layers.isEmpty {
            let shown = Array(variant.layers.prefix(layerBarLimit))
            html += "<h3>SQNR per layer, worst first (\(shown.count) of \(variant.layers.count))</h3>"
                + "<p class=\"legend\"><span class=\"swatch poor\"></span>&lt; 20 dB <span class=\"swatch fair\"></span>"
                + "20–30 dB <span class=\"swatch good\"></span>≥ 30 dB · hover a bar for cosine and errors</p>"
                + ReportSVG.sqnrBars(shown, variant: variant.name)
        }
        return html + "</section>"
    }

    static func histogramSection(_ histograms: [QuantizationReport.TensorHistogram]) -> String {
        let e = HTMLText.escape
        var html = "<section><h2>Weight and activation distributions</h2><p>Histograms (log-scaled counts) of "
            + "the weights and output activations of the layers named in the notes. The lines and rails mark the clip "
            + "range each calibration method chose: values outside are clipped, a wider range means coarser steps."
            + "</p><div class=\"grid\">"
        for h in histograms {
            html += "<figure class=\"card\"><figcaption><strong>\(e(h.tensor))</strong> <span class=\"tag \(h.kind.rawValue)\">"
                + "\(h.kind.rawValue)</span><br><span class=\"muted\">\(e(h.opType)) \(e(h.node)) · observed ["
                + "\(e(ReportFormat.number(Double(h.observedMin)))), \(e(ReportFormat.number(Double(h.observedMax))))]"
                + "</span></figcaption>\(ReportSVG.histogram(h))</figure>"
        }
        return html + "</div></section>"
    }

    static func decisionSection(_ variants: [QuantizationReport.Variant]) -> String {
        let e = HTMLText.escape
        var html = ""
        for variant in variants where !variant.decisions.isEmpty {
            let counts = Dictionary(grouping: variant.decisions, by: \.action).mapValues(\.count)
            let summary = counts.keys.sorted().map { "\(counts[$0] ?? 0) \($0)" }.joined(separator: ", ")
            html += "<details><summary>Decisions of <strong>\(e(variant.name))</strong>: \(e(summary))</summary>"
                + "<table class=\"compact\"><thead><tr><th>node</th><th>op</th><th>action</th><th>reason</th></tr></thead><tbody>"
                + variant.decisions.map { d in
                    "<tr><td>\(e(d.node))</td><td>\(e(d.opType))</td><td>\(e(d.action))</td><td>\(e(d.reason))</td></tr>"
                }.joined() + "</tbody></table></details>"
        }
        return html.isEmpty ? "" : "<section><h2>Quantization decisions</h2>\(html)</section>"
    }

    static func figure(_ svg: String, _ caption: String) -> String {
        "<figure class=\"card\"><figcaption>\(HTMLText.escape(caption))</figcaption>\(svg)</figure>"
    }
}
