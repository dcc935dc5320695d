import Foundation

/// Path of a file in Tests/QKONNXTests/Resources.
func resource(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Resources/\(name)").path
}

/// Path of a file under the repository's Fixtures folder.
func fixture(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)").path
}

/// A fresh empty directory under the system temporary directory.
func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "qkonnx-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
