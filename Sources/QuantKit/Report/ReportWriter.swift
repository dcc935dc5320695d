import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A report directory that cannot be used, or a report file that cannot be written.
public enum ReportError: Error, CustomStringConvertible, Equatable {
    /// The directory exists and holds files that are not the report's own.
    case directoryHasOtherFiles(directory: String, files: [String])
    /// The path exists and is not a directory.
    case notADirectory(path: String)
    /// Creating the directory or writing a file failed.
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .directoryHasOtherFiles(let directory, let files):
            let shown = files.prefix(3).joined(separator: ", ") + (files.count > 3 ? ", …" : "")
            return "\(directory): report directory already holds other files (\(shown)); "
                + "choose an empty or new directory"
        case .notADirectory(let path):
            return "\(path): exists and is not a directory; the report needs a directory"
        case .writeFailed(let path, let reason):
            return "\(path): cannot write the report: \(reason)"
        }
    }
}

/// Writes a ``QuantizationReport`` into a directory as `report.json`, `report.md` and `report.html`.
///
/// The directory is created when missing. When it exists it may only hold the report's own files (those three,
/// plus any `extraFiles` the caller writes there, such as the variant models): anything else makes
/// ``prepare(directory:extraFiles:)`` throw before a byte is written, so re-running a command replaces its own
/// report and never clobbers unrelated files. Every file is written to a temporary file in the directory and
/// renamed over its target, so readers never see half a file.
public enum ReportWriter {
    /// The files a report consists of.
    public static let reportFiles = ["report.json", "report.md", "report.html"]

    /// Checks that `directory` can take a report plus `extraFiles` without touching anything else: it is missing
    /// (and its parent exists) or it is a directory holding only those files. Has no side effects; throws
    /// ``ReportError``. Commands call it before any work so that a bad directory fails fast.
    public static func validate(directory: String, extraFiles: [String] = []) throws {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw ReportError.notADirectory(path: directory) }
            let own = Set(reportFiles + extraFiles)
            let entries = (try? manager.contentsOfDirectory(atPath: directory)) ?? []
            let others = entries.filter { !own.contains($0) && !isLeftoverTemporary($0, own: own) }.sorted()
            guard others.isEmpty else { throw ReportError.directoryHasOtherFiles(directory: directory, files: others) }
        } else {
            let parent = (directory as NSString).deletingLastPathComponent
            let folder = parent.isEmpty ? "." : parent
            guard manager.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ReportError.writeFailed(path: directory, reason: "its parent directory '\(folder)' does not exist")
            }
        }
    }

    /// ``validate(directory:extraFiles:)``, then creates `directory` when missing.
    public static func prepare(directory: String, extraFiles: [String] = []) throws {
        try validate(directory: directory, extraFiles: extraFiles)
        guard !FileManager.default.fileExists(atPath: directory) else { return }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        } catch {
            throw ReportError.writeFailed(path: directory, reason: "cannot create the directory")
        }
    }

    /// Writes `report` into `directory` (after ``prepare(directory:extraFiles:)``) and returns the paths written,
    /// in the order of ``reportFiles``.
    @discardableResult
    public static func write(_ report: QuantizationReport, to directory: String,
                             extraFiles: [String] = []) throws -> [String] {
        try prepare(directory: directory, extraFiles: extraFiles)
        let contents: [Data] = [try report.encodedJSON(), Data(ReportMarkdown.render(report).utf8),
                                Data(ReportHTML.render(report).utf8)]
        var written: [String] = []
        for (name, data) in zip(reportFiles, contents) {
            let path = (directory as NSString).appendingPathComponent(name)
            try writeAtomically(data, to: path)
            written.append(path)
        }
        return written
    }

    /// Writes `data` to a temporary file beside `path`, then renames it over `path`.
    public static func writeAtomically(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try data.write(to: temporary)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw ReportError.writeFailed(path: path, reason: error.localizedDescription)
        }
        guard rename(temporary.path, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw ReportError.writeFailed(path: path, reason: reason)
        }
    }

    /// A temporary file of an interrupted earlier write of one of `own` (".<name>.<uuid>.tmp").
    private static func isLeftoverTemporary(_ entry: String, own: Set<String>) -> Bool {
        guard entry.hasPrefix("."), entry.hasSuffix(".tmp") else { return false }
        return own.contains { entry.hasPrefix(".\($0).") }
    }
}
