import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes files so that readers see either the old contents or the complete new contents: the bytes go to
/// a temporary file in the target's directory, which is then renamed over the target (rename(2) is atomic
/// within a file system).
enum AtomicFile {
    /// A fresh temporary path in the directory of `path`, such as `dir/.model.onnx.<uuid>.tmp`.
    static func temporaryPath(beside path: String) -> String {
        let url = URL(fileURLWithPath: path)
        return url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp").path
    }

    /// Writes `bytes` to a new temporary file beside `path` and returns the temporary file's path.
    static func writeTemporary(_ bytes: [UInt8], beside path: String) throws -> String {
        let temporary = temporaryPath(beside: path)
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: temporary))
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw ONNXError.writeFailed(file: path, reason: error.localizedDescription)
        }
        return temporary
    }

    /// Renames `temporary` over `path`; on failure removes `temporary`.
    static func move(_ temporary: String, to path: String) throws {
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw ONNXError.writeFailed(file: path, reason: reason)
        }
    }
}
