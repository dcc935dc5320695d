import Foundation
import Testing
@testable import QuantKit

@Suite struct ReportWriterTests {
    func scratchDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "qk-report-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        return path
    }

    func files(in directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    }

    @Test func writesTheThreeFilesIntoANewDirectory() throws {
        let root = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let directory = root + "/out"
        let written = try ReportWriter.write(ReportSample.report(), to: directory)
        #expect(written == ReportWriter.reportFiles.map { directory + "/" + $0 })
        #expect(try files(in: directory) == ["report.html", "report.json", "report.md"])
        let json = try Data(contentsOf: URL(fileURLWithPath: directory + "/report.json"))
        #expect(try QuantizationReport.decode(json: json) == ReportSample.report())
    }

    @Test func rewritesItsOwnReportButRefusesOtherFiles() throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try ReportWriter.write(ReportSample.report(), to: directory, extraFiles: ["model.onnx"])
        try Data("m".utf8).write(to: URL(fileURLWithPath: directory + "/model.onnx"))
        var changed = ReportSample.report()
        changed.notes = ["second run"]
        try ReportWriter.write(changed, to: directory, extraFiles: ["model.onnx"])
        #expect(try String(contentsOfFile: directory + "/report.md", encoding: .utf8).contains("second run"))

        try Data("keep me".utf8).write(to: URL(fileURLWithPath: directory + "/notes.txt"))
        let before = try String(contentsOfFile: directory + "/report.md", encoding: .utf8)
        #expect(throws: ReportError.directoryHasOtherFiles(directory: directory, files: ["notes.txt"])) {
            try ReportWriter.write(ReportSample.report(), to: directory, extraFiles: ["model.onnx"])
        }
        #expect(try String(contentsOfFile: directory + "/notes.txt", encoding: .utf8) == "keep me")
        #expect(try String(contentsOfFile: directory + "/report.md", encoding: .utf8) == before)
        #expect(throws: ReportError.directoryHasOtherFiles(directory: directory, files: ["model.onnx", "notes.txt"])) {
            try ReportWriter.write(ReportSample.report(), to: directory)
        }
        let message = "\(ReportError.directoryHasOtherFiles(directory: directory, files: ["notes.txt"]))"
        #expect(message.hasPrefix(directory) && message.contains("notes.txt") && !message.contains("\n"))
    }

    @Test func refusesAFileAndAMissingParent() throws {
        let root = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let file = root + "/plain"
        try Data().write(to: URL(fileURLWithPath: file))
        #expect(throws: ReportError.notADirectory(path: file)) { try ReportWriter.write(ReportSample.report(), to: file) }
        #expect(throws: ReportError.self) { try ReportWriter.write(ReportSample.report(), to: root + "/a/b") }
        #expect(try files(in: root) == ["plain"])
    }
}
