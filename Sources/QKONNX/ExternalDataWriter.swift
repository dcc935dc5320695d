import Foundation

/// Collects large tensors into one side file, `<model file name>.data` beside the model, each starting at
/// a multiple of 4096 bytes (zero padding between). The data goes to a temporary file that ``commit()``
/// renames into place; the side file is only created when at least one tensor goes there.
final class ExternalDataWriter {
    static let alignment = 4096

    /// The side file's name, as written into each tensor's `location` entry.
    let location: String
    private let path: String
    private let threshold: Int
    private var handle: FileHandle?
    private var temporary: String?
    private var size = 0

    /// A writer for the model at `modelPath`; tensors of at least `threshold` bytes (and at least 1 byte) go
    /// to the side file.
    init(modelPath: String, threshold: Int) {
        let url = URL(fileURLWithPath: modelPath)
        location = url.lastPathComponent + ".data"
        path = url.deletingLastPathComponent().appendingPathComponent(location).path
        self.threshold = threshold
    }

    func accepts(byteCount: Int) -> Bool { byteCount > 0 && byteCount >= threshold }

    /// Appends `bytes` at the next aligned offset; returns where they went.
    func append(_ bytes: [UInt8]) throws -> (offset: Int, length: Int) {
        let handle = try openHandle()
        let padding = (Self.alignment - size % Self.alignment) % Self.alignment
        do {
            if padding > 0 { try handle.write(contentsOf: Data(count: padding)) }
            try handle.write(contentsOf: bytes)
        } catch {
            throw ONNXError.writeFailed(file: path, reason: error.localizedDescription)
        }
        let offset = size + padding
        size = offset + bytes.count
        return (offset, bytes.count)
    }

    /// Closes the temporary file and renames it to the side file's path (nothing when no tensor was added).
    func commit() throws {
        guard let handle, let temporary else { return }
        do {
            try handle.close()
        } catch {
            discard()
            throw ONNXError.writeFailed(file: path, reason: error.localizedDescription)
        }
        self.handle = nil
        self.temporary = nil
        try AtomicFile.move(temporary, to: path)
    }

    /// Closes and removes the temporary file, leaving any existing side file as it was.
    func discard() {
        try? handle?.close()
        if let temporary { try? FileManager.default.removeItem(atPath: temporary) }
        handle = nil
        temporary = nil
    }

    private func openHandle() throws -> FileHandle {
        if let handle { return handle }
        let temporary = AtomicFile.temporaryPath(beside: path)
        guard FileManager.default.createFile(atPath: temporary, contents: nil),
              let handle = FileHandle(forWritingAtPath: temporary) else {
            throw ONNXError.writeFailed(file: path, reason: "cannot create the temporary file '\(temporary)'")
        }
        self.handle = handle
        self.temporary = temporary
        return handle
    }
}
