import Foundation
import Testing
@testable import QuantKit

@Suite struct ReportRenderTests {
    @Test func markdownHasTheNumbersAndEscapesNames() {
        let markdown = ReportMarkdown.render(ReportSample.report())
        for expected in ["| fp32 | 98.75 % |", "| static int8 | 98.25 % | −0.50 pp | 99.50 % | 29.8 dB |", "0.28×",
                         "0.750 ms", "0.500 ms", "31.2 dB", "∞ dB", "0.0421", "Chose **entropy**",
                         "[-1.25, 1.25]", "no quantized form for Softmax"] {
            #expect(markdown.contains(expected), "missing \(expected)")
        }
        #expect(markdown.contains("conv&lt;1&gt;&amp;\"x\"\\|y"))
        #expect(markdown.contains("soft&lt;max&gt;"))
        #expect(!markdown.contains("conv<1>"))
        #expect(!markdown.contains("<b>markup</b>"))
    }

    @Test func markdownListsLayersWorstFirstAsGiven() throws {
        let markdown = ReportMarkdown.render(ReportSample.report())
        let c1 = try #require(markdown.range(of: "| c1 |")), g1 = try #require(markdown.range(of: "| g1 |"))
        #expect(c1.lowerBound < g1.lowerBound)
    }

    @Test func htmlIsSelfContainedWithChartsAndEscapedNames() {
        let html = ReportHTML.render(ReportSample.report())
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        for forbidden in ["<script", "<link", "@import", "url(", "src=\"http", "href=\"http"] {
            #expect(!html.contains(forbidden), "has \(forbidden)")
        }
        #expect(html.components(separatedBy: "<svg").count - 1 == 4)   // size, latency, SQNR bars, one histogram
        #expect(html.contains("<title>c1 (Conv, node conv&lt;1&gt;&amp;&quot;x&quot;|y): SQNR 31.2 dB"))
        #expect(html.contains("entropy: clip [-1.25, 1.25]"))
        #expect(!html.contains("conv<1>"))
        #expect(!html.contains("<b>markup</b>"))
        for number in ["98.75 %", "−0.50 pp", "99.50 %", "29.8 dB", "97.7 KiB", "0.750 ms", "0.620 ms", "58.0 MiB"] {
            #expect(html.contains(number), "missing \(number)")
        }
    }

    @Test func summaryTableLeavesOutUnmeasuredColumns() {
        let report = QuantizationReport(producedBy: "t", model: ReportSample.report().model, variants: [
            .init(name: "fp32", isReference: true, mode: "fp32", sizeBytes: 4000),
            .init(name: "fp16", mode: "fp16", sizeBytes: 2000),
        ])
        let table = ReportSummaryTable(report)
        #expect(table.measuredColumns.map { table.header[$0] } == ["variant", "size", "size vs fp32"])
        #expect(table.text == """
            variant     size  size vs fp32
            fp32     3.9 KiB         1.00×
            fp16     2.0 KiB         0.50×
            """)
    }
}
