/// Errors reading or writing `.npy` files and `.npz` archives; each names the file (and the archive member).
public enum NpyError: Error, CustomStringConvertible, Equatable {
    /// The first six bytes are not `\x93NUMPY`.
    case badMagic(file: String)
    /// The file ends before the header or the payload does.
    case truncated(file: String, detail: String)
    /// A format version other than 1.0, 2.0 or 3.0.
    case unsupportedVersion(file: String, major: UInt8, minor: UInt8)
    /// The header dictionary cannot be parsed or lacks a key.
    case badHeader(file: String, detail: String)
    /// A dtype QuantKit has no tensor type for (strings, objects, complex, unsigned 32/64-bit, …).
    case unsupportedDType(file: String, descr: String)
    /// The payload size does not match the header's shape and dtype.
    case payloadSizeMismatch(file: String, shape: [Int], expectedBytes: Int, actualBytes: Int)
    /// The file could not be read or written.
    case io(file: String, message: String)
    /// An `.npz` that is not a zip archive.
    case notAnArchive(file: String)
    /// An `.npz` member whose name does not end in `.npy`.
    case nonNpyMember(file: String, member: String)
    /// An `.npz` member that cannot be extracted or decoded.
    case badMember(file: String, member: String, detail: String)

    public var description: String {
        switch self {
        case .badMagic(let file):
            "\(file): not a .npy file (the magic string \\x93NUMPY is missing)"
        case .truncated(let file, let detail):
            "\(file): truncated .npy file (\(detail))"
        case .unsupportedVersion(let file, let major, let minor):
            "\(file): unsupported .npy format version \(major).\(minor) (supported: 1.0, 2.0, 3.0)"
        case .badHeader(let file, let detail):
            "\(file): malformed .npy header (\(detail))"
        case .unsupportedDType(let file, let descr):
            "\(file): unsupported .npy dtype '\(descr)' (supported: f2 f4 f8 i1 u1 i2 u2 i4 i8 b1, any byte order)"
        case .payloadSizeMismatch(let file, let shape, let expected, let actual):
            "\(file): header shape \(shape) needs \(expected) payload bytes but the file holds \(actual)"
        case .io(let file, let message):
            "\(file): \(message)"
        case .notAnArchive(let file):
            "\(file): not a zip archive (.npz files are zip archives of .npy members)"
        case .nonNpyMember(let file, let member):
            "\(file): archive member '\(member)' is not a .npy file"
        case .badMember(let file, let member, let detail):
            "\(file): archive member '\(member)': \(detail)"
        }
    }
}
