import Foundation
import Testing
@testable import QuantKit

@Suite struct ReportSchemaTests {
    @Test func jsonRoundTripsExactly() throws {
        let report = ReportSample.report()
        let data = try report.encodedJSON()
        #expect(try QuantizationReport.decode(json: data) == report)
    }

    @Test func jsonIsDeterministicSortedAndWritesInfinityAsString() throws {
        let first = try ReportSample.report().encodedJSON()
        let second = try ReportSample.report().encodedJSON()
        #expect(first == second)
        let text = String(decoding: first, as: UTF8.self)
        #expect(text.contains("\"sqnrDb\" : \"inf\""))
        let keys = ["calibrationChoice", "data", "histograms", "model", "notes", "producedBy", "schemaVersion",
                    "toolVersion", "variants"]
        let positions = keys.map { text.range(of: "\n  \"\($0)\"")?.lowerBound }
        #expect(positions.allSatisfy { $0 != nil })
        #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted())
        let object = try #require(try JSONSerialization.jsonObject(with: first) as? [String: Any])
        #expect(object["schemaVersion"] as? Int == 1)
        let variants = try #require(object["variants"] as? [[String: Any]])
        #expect(variants.map { $0["name"] as? String } == ["fp32", "static int8"])
    }

    @Test func missingMeasurementsStayAbsentNotZero() throws {
        let bare = QuantizationReport.Variant(name: "fp16", mode: "fp16")
        let report = QuantizationReport(producedBy: "t", model: ReportSample.report().model, variants: [bare])
        let text = String(decoding: try report.encodedJSON(), as: UTF8.self)
        #expect(!text.contains("\"accuracy\""))
        #expect(!text.contains("\"latency\""))
        #expect(try QuantizationReport.decode(json: report.encodedJSON()).variants[0].accuracy == nil)
    }
}
