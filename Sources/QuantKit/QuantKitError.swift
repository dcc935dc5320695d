/// Errors of the QuantKit front end (files, data, command arguments); each names the file or value involved.
public enum QuantKitError: Error, CustomStringConvertible, Equatable {
    case unreadableFile(path: String, reason: String)
    case invalidFile(path: String, reason: String)
    case invalidData(path: String, reason: String)
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .unreadableFile(let path, let reason): "\(path): \(reason)"
        case .invalidFile(let path, let reason): "\(path): \(reason)"
        case .invalidData(let path, let reason): "\(path): \(reason)"
        case .invalidArgument(let message): message
        }
    }
}
