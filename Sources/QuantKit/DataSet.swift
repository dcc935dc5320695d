import Foundation
import QKGraph
import QKTensor

/// Named arrays loaded from a `.npz` file, a `.npy` file, or a directory of them; the first axis of each array
/// indexes samples. Arrays named like model inputs feed those inputs; `labels` (or another key) holds labels.
public struct DataSet: Sendable {
    public var path: String
    public var arrays: [(name: String, tensor: Tensor)]

    public init(path: String, arrays: [(name: String, tensor: Tensor)]) {
        self.path = path
        self.arrays = arrays
    }

    /// Loads `path`: an `.npz`, an `.npy` (named after the file), or a directory of `.npy`/`.npz` files. In a
    /// directory, arrays of the same name in several files are shards of one array, joined along the first axis
    /// in file-name order (e.g. `batch000.npz`, `batch001.npz`, … each holding `input`).
    public static func load(path: String) throws -> DataSet {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw QuantKitError.unreadableFile(path: path, reason: "no such file or directory")
        }
        if isDirectory.boolValue {
            let files = try FileManager.default.contentsOfDirectory(atPath: path)
                .filter { $0.hasSuffix(".npy") || $0.hasSuffix(".npz") }.sorted()
            guard !files.isEmpty else { throw QuantKitError.invalidData(path: path, reason: "directory has no .npy or .npz files") }
            let parts = try files.map { try load(path: (path as NSString).appendingPathComponent($0)) }
            return DataSet(path: path, arrays: try joinShards(parts, directory: path))
        }
        if path.hasSuffix(".npy") {
            let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
            return DataSet(path: path, arrays: [(name, try NpyFile.read(atPath: path))])
        }
        return DataSet(path: path, arrays: try NpzFile.read(atPath: path))
    }

    /// Arrays of `parts` by name (first appearance order), same-named arrays joined along the first axis.
    private static func joinShards(_ parts: [DataSet], directory: String) throws -> [(name: String, tensor: Tensor)] {
        var order: [String] = []
        var shards: [String: [(file: String, tensor: Tensor)]] = [:]
        for part in parts {
            for (name, tensor) in part.arrays {
                if shards[name] == nil { order.append(name) }
                shards[name, default: []].append((part.path, tensor))
            }
        }
        return try order.map { name in
            let pieces = shards[name] ?? []
            guard pieces.count > 1 else { return (name, pieces[0].tensor) }
            let first = pieces[0]
            for piece in pieces where piece.tensor.dtype != first.tensor.dtype || piece.tensor.rank == 0
                || piece.tensor.shape.dropFirst() != first.tensor.shape.dropFirst() {
                throw QuantKitError.invalidData(path: piece.file, reason: "array '\(name)' is "
                    + "\(piece.tensor.dtype)\(piece.tensor.shape) but \(first.file) has \(first.tensor.dtype)"
                    + "\(first.tensor.shape); shards must agree in dtype and all but the first dimension")
            }
            return (name, try Tensor.concatenatingRows(pieces.map(\.tensor)))
        }
    }

    public func array(named name: String) -> Tensor? { arrays.first { $0.name == name }?.tensor }

    /// The arrays that feed `graph`'s runtime inputs, checked: every input present, dtype equal, same number of
    /// samples, and known non-batch dimensions equal to the declared ones.
    public func inputs(for graph: Graph) throws -> [String: Tensor] {
        var feeds: [String: Tensor] = [:]
        let available = arrays.map(\.name).joined(separator: ", ")
        for input in graph.runtimeInputs {
            guard let tensor = array(named: input.name) else {
                throw QuantKitError.invalidData(path: path, reason: "no array named '\(input.name)' for model input \(input.typeDescription) (arrays: \(available))")
            }
            if let dtype = input.dtype, tensor.dtype != dtype {
                throw QuantKitError.invalidData(path: path, reason: "array '\(input.name)' is \(tensor.dtype)\(tensor.shape), model input expects \(input.typeDescription)")
            }
            if let shape = input.shape {
                let fits = shape.count == tensor.rank
                    && zip(shape, tensor.shape).dropFirst().allSatisfy { declared, size in declared.value.map { $0 == size } ?? true }
                if !fits {
                    throw QuantKitError.invalidData(path: path, reason: "array '\(input.name)' has shape \(tensor.shape), model input expects \(input.typeDescription)")
                }
            }
            feeds[input.name] = tensor
        }
        let counts = Set(feeds.values.map { $0.shape.first ?? 1 })
        guard counts.count <= 1 else {
            let each = graph.runtimeInputs.compactMap { input in
                feeds[input.name].map { "'\(input.name)': \($0.shape.first ?? 1)" }
            }
            throw QuantKitError.invalidData(path: path, reason: "input arrays have different sample counts ("
                + each.joined(separator: ", ") + "); the first axis indexes samples and must agree")
        }
        guard counts.first.map({ $0 > 0 }) ?? true else {
            throw QuantKitError.invalidData(path: path, reason: "the data set has no samples")
        }
        return feeds
    }

    /// Integer class labels stored under `key`, checked to have `count` entries.
    public func labels(key: String, count: Int) throws -> [Int] {
        guard let tensor = array(named: key) else {
            throw QuantKitError.invalidData(path: path, reason: "no labels array '\(key)' (arrays: \(arrays.map(\.name).joined(separator: ", ")))")
        }
        guard tensor.dtype.isInteger, tensor.count == count else {
            throw QuantKitError.invalidData(path: path, reason: "labels '\(key)' must be \(count) integers, got \(tensor.dtype)\(tensor.shape)")
        }
        return tensor.int64Values.map { Int($0) }
    }
}
