import Foundation

/// Reads tensor data stored outside the model file (`data_location = EXTERNAL`).
///
/// A tensor's `external_data` entries name the file (`location`, relative to the model's directory) and
/// the byte range (`offset`, default 0; `length`, default the tensor's size). A location that is absolute,
/// contains a `..` component, or resolves (through symbolic links) outside the model's directory is
/// rejected. Each side file is memory-mapped once and shared by the tensors that point into it.
final class ExternalDataReader {
    private let file: String
    private let baseDirectory: String?
    private var mapped: [String: Data] = [:]

    init(file: String, baseDirectory: String?) {
        self.file = file
        self.baseDirectory = baseDirectory
    }

    /// The `expectedBytes` bytes of `proto`'s external data.
    func bytes(of proto: Onnx_TensorProto, label: String, expectedBytes: Int) throws -> Data {
        func fail(_ reason: String) -> ONNXError { .externalData(file: file, tensor: label, reason: reason) }
        let entries = Dictionary(proto.externalData.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
        guard let location = entries["location"], !location.isEmpty else {
            throw fail("the external_data entries have no 'location'")
        }
        guard let offset = Int(entries["offset"] ?? "0"), offset >= 0 else {
            throw fail("offset '\(entries["offset"] ?? "")' is not a non-negative integer")
        }
        if let lengthText = entries["length"] {
            guard let length = Int(lengthText), length >= 0 else {
                throw fail("length '\(lengthText)' is not a non-negative integer")
            }
            guard length == expectedBytes else {
                throw ONNXError.tensorDataSize(file: file, tensor: label, source: "its external_data length",
                                               expectedBytes: expectedBytes, actualBytes: length)
            }
        }
        let data = try sideFile(location, fail: fail)
        let (end, overflow) = offset.addingReportingOverflow(expectedBytes)
        guard !overflow, end <= data.count else {
            throw fail("needs bytes \(offset)..<\(overflow ? Int.max : end) of '\(location)', "
                       + "which has only \(data.count) bytes")
        }
        return data.subdata(in: data.startIndex + offset..<data.startIndex + end)
    }

    /// The mapped contents of the side file at `location`, after checking it stays inside the model's directory.
    private func sideFile(_ location: String, fail: (String) -> ONNXError) throws -> Data {
        if let data = mapped[location] { return data }
        guard let baseDirectory else {
            throw fail("the model was not read from a file, so its external file '\(location)' cannot be located")
        }
        let components = location.split(whereSeparator: { $0 == "/" || $0 == "\\" })
        guard !location.hasPrefix("/"), !location.hasPrefix("\\"),
              !components.contains("..") else {
            throw fail("location '\(location)' points outside the model's directory "
                       + "(it must be a relative path without '..')")
        }
        let base = URL(fileURLWithPath: baseDirectory, isDirectory: true).standardizedFileURL.resolvingSymlinksInPath()
        let url = base.appendingPathComponent(location).standardizedFileURL.resolvingSymlinksInPath()
        guard url.path.hasPrefix(base.path.hasSuffix("/") ? base.path : base.path + "/") else {
            throw fail("location '\(location)' resolves to '\(url.path)', outside the model's directory '\(base.path)'")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw fail("side file '\(location)' not found (looked for '\(url.path)')")
        }
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw fail("cannot read '\(url.path)': \(error.localizedDescription)")
        }
        mapped[location] = data
        return data
    }
}
