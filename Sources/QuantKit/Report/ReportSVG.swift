import Foundation

/// Inline SVG charts of the HTML report. Colours are the Okabe–Ito palette (distinguishable with the common
/// colour-vision deficiencies) and every mark carries a `<title>` tooltip with its exact numbers.
enum ReportSVG {
    /// Okabe–Ito colours by role.
    static let blue = "#0072B2", orange = "#E69F00", sky = "#56B4E9", green = "#009E73", vermillion = "#D55E00",
               purple = "#CC79A7", grey = "#8A8F98"
    /// Colour of each calibration method's clip range.
    static let methodColours = ["minmax": vermillion, "percentile": blue, "entropy": green, "mse": purple,
                                "moving-average": orange]

    /// Fill for a layer's SQNR: below 20 dB vermillion (poor), below 30 dB orange (fair), else blue (good).
    static func sqnrColour(_ db: Double) -> String { db < 20 ? vermillion : (db < 30 ? orange : blue) }

    /// Horizontal bars of per-layer SQNR, one row per tensor in the given order (worst first).
    static func sqnrBars(_ layers: [QuantizationReport.TensorMetrics], variant: String) -> String {
        let labelWidth = 230.0, barWidth = 440.0, row = 20.0, top = 24.0
        let finite = layers.map(\.sqnrDb).filter(\.isFinite)
        let ceiling = max(10, ((finite.max() ?? 40) / 10).rounded(.up) * 10)
        let height = top + row * Double(layers.count) + 8
        var svg = open(width: labelWidth + barWidth + 70, height: height,
                       label: "SQNR per layer of \(variant), worst first")
        var tick = 0.0
        while tick <= ceiling {
            let x = labelWidth + barWidth * tick / ceiling
            svg += line(x, top - 4, x, height - 8, colour: "#d9dce1", dash: tick == 0 ? nil : "2 3")
            svg += text(x, top - 8, "\(Int(tick))", anchor: "middle", cssClass: "axis")
            tick += ceiling <= 60 ? 10 : 20
        }
        svg += text(labelWidth + barWidth + 8, top - 8, "dB", anchor: "start", cssClass: "axis")
        for (index, layer) in layers.enumerated() {
            let y = top + row * Double(index)
            let value = layer.sqnrDb.isFinite ? max(0, layer.sqnrDb) : ceiling
            let width = barWidth * min(value, ceiling) / ceiling
            let tip = "\(layer.tensor) (\(layer.opType), node \(layer.node)): SQNR \(ReportFormat.decibels(layer.sqnrDb)), "
                + "cosine \(String(format: "%.5f", layer.cosine)), max abs err \(ReportFormat.number(layer.maxAbsError)), "
                + "mean abs err \(ReportFormat.number(layer.meanAbsError))"
            svg += "<g><title>\(HTMLText.escape(tip))</title>"
            svg += text(labelWidth - 8, y + 14, truncated(layer.tensor, 34), anchor: "end", cssClass: "label")
            svg += rect(labelWidth, y + 3, max(width, 1), row - 6, fill: sqnrColour(layer.sqnrDb))
            svg += text(labelWidth + max(width, 1) + 6, y + 14, ReportFormat.decibels(layer.sqnrDb), anchor: "start",
                        cssClass: "value")
            svg += "</g>"
        }
        return svg + "</svg>"
    }

    /// A histogram (log-scaled counts) with one labelled rail per calibration method below it showing the clip
    /// range that method chose, plus dashed lines at the range ends over the bars.
    static func histogram(_ h: QuantizationReport.TensorHistogram) -> String {
        let width = 420.0, left = 12.0, plotWidth = 330.0, plotTop = 8.0, plotHeight = 120.0, railRow = 16.0
        let lows = [h.binEdges.first ?? 0] + h.clipRanges.map(\.min)
        let highs = [h.binEdges.last ?? 0] + h.clipRanges.map(\.max)
        let low = Double(lows.min() ?? 0), high = Double(highs.max() ?? 1)
        let span = high > low ? high - low : 1
        func x(_ v: Float) -> Double { left + plotWidth * (Double(v) - low) / span }
        let railsTop = plotTop + plotHeight + 22
        let height = railsTop + railRow * Double(h.clipRanges.count) + 6
        var svg = open(width: width, height: height, label: "Histogram of \(h.tensor) with clip ranges")
        let peak = log10(1 + (h.counts.max() ?? 0))
        for (index, count) in h.counts.enumerated() where count > 0 && index + 1 < h.binEdges.count {
            let x0 = x(h.binEdges[index]), x1 = x(h.binEdges[index + 1])
            let barHeight = peak > 0 ? plotHeight * log10(1 + count) / peak : 0
            let tip = "[\(ReportFormat.number(Double(h.binEdges[index]))), \(ReportFormat.number(Double(h.binEdges[index + 1])))): "
                + "\(ReportFormat.number(count)) values"
            svg += "<g><title>\(HTMLText.escape(tip))</title>"
                + rect(x0, plotTop + plotHeight - barHeight, max(x1 - x0 - 0.3, 0.6), barHeight, fill: sky) + "</g>"
        }
        svg += line(left, plotTop + plotHeight, left + plotWidth, plotTop + plotHeight, colour: "#6b7280", dash: nil)
        svg += text(left, plotTop + plotHeight + 14, ReportFormat.number(low), anchor: "start", cssClass: "axis")
        svg += text(left + plotWidth, plotTop + plotHeight + 14, ReportFormat.number(high), anchor: "end", cssClass: "axis")
        if low < 0 && high > 0 {
            svg += text(x(0), plotTop + plotHeight + 14, "0", anchor: "middle", cssClass: "axis")
        }
        for (index, range) in h.clipRanges.enumerated() {
            let colour = methodColours[range.method] ?? grey
            let dash = ["6 3", "2 2", "8 2 2 2", "1 3"][index % 4]
            let tip = "\(range.method): clip [\(ReportFormat.number(Double(range.min))), \(ReportFormat.number(Double(range.max)))]"
            svg += "<g><title>\(HTMLText.escape(tip))</title>"
            svg += line(x(range.min), plotTop, x(range.min), plotTop + plotHeight, colour: colour, dash: dash)
            svg += line(x(range.max), plotTop, x(range.max), plotTop + plotHeight, colour: colour, dash: dash)
            let y = railsTop + railRow * Double(index) + 8
            svg += line(x(range.min), y, x(range.max), y, colour: colour, dash: nil, width: 3)
            svg += line(x(range.min), y - 4, x(range.min), y + 4, colour: colour, dash: nil, width: 2)
            svg += line(x(range.max), y - 4, x(range.max), y + 4, colour: colour, dash: nil, width: 2)
            svg += text(left + plotWidth + 8, y + 4, range.method, anchor: "start", cssClass: "label")
            svg += "</g>"
        }
        return svg + "</svg>"
    }

    /// Horizontal bars comparing one whole-model number across variants (size, latency).
    static func comparisonBars(_ items: [(name: String, value: Double, label: String)], title: String) -> String {
        let labelWidth = 110.0, barWidth = 200.0, row = 22.0
        let peak = max(items.map(\.value).max() ?? 1, .leastNonzeroMagnitude)
        var svg = open(width: labelWidth + barWidth + 90, height: row * Double(items.count) + 4, label: title)
        for (index, item) in items.enumerated() {
            let y = row * Double(index)
            let width = barWidth * item.value / peak
            svg += "<g><title>\(HTMLText.escape("\(item.name): \(item.label)"))</title>"
            svg += text(labelWidth - 8, y + 15, truncated(item.name, 16), anchor: "end", cssClass: "label")
            svg += rect(labelWidth, y + 4, max(width, 1), row - 8, fill: index == 0 ? grey : blue)
            svg += text(labelWidth + max(width, 1) + 6, y + 15, item.label, anchor: "start", cssClass: "value")
            svg += "</g>"
        }
        return svg + "</svg>"
    }

    // MARK: primitives

    static func open(width: Double, height: Double, label: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" role=\"img\" viewBox=\"0 0 \(f(width)) \(f(height))\" "
            + "width=\"\(f(width))\" height=\"\(f(height))\" aria-label=\"\(HTMLText.escape(label))\">"
    }

    static func rect(_ x: Double, _ y: Double, _ width: Double, _ height: Double, fill: String) -> String {
        "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(width))\" height=\"\(f(height))\" fill=\"\(fill)\" rx=\"1.5\"/>"
    }

    static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, colour: String, dash: String?,
                     width: Double = 1.5) -> String {
        "<line x1=\"\(f(x1))\" y1=\"\(f(y1))\" x2=\"\(f(x2))\" y2=\"\(f(y2))\" stroke=\"\(colour)\" "
            + "stroke-width=\"\(f(width))\"" + (dash.map { " stroke-dasharray=\"\($0)\"" } ?? "") + "/>"
    }

    static func text(_ x: Double, _ y: Double, _ content: String, anchor: String, cssClass: String) -> String {
        "<text x=\"\(f(x))\" y=\"\(f(y))\" text-anchor=\"\(anchor)\" class=\"\(cssClass)\">\(HTMLText.escape(content))</text>"
    }

    /// `text` cut to `limit` characters with an ellipsis (the full name stays in the tooltip).
    static func truncated(_ text: String, _ limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
    }

    /// Coordinates with at most two decimals, so output is short and stable.
    static func f(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(format: "%.2f", rounded)
    }
}

/// Escaping for HTML text and attribute values.
public enum HTMLText {
    static let references: [Character: String] = ["&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"]

    /// `&`, `<`, `>`, `"` and `'` as character references.
    public static func escape(_ text: String) -> String { replacing(text, references) }

    /// `text` with every character that `table` names replaced by its entry.
    static func replacing(_ text: String, _ table: [Character: String]) -> String {
        var result = ""
        result.reserveCapacity(text.count)
        for character in text {
            if let replacement = table[character] { result += replacement } else { result.append(character) }
        }
        return result
    }
}
