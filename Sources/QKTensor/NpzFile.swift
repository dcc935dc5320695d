import Foundation
import ZIPFoundation

/// Reading and writing numpy `.npz` archives: zip files whose members are `.npy` files, one per named array.
///
/// Both `np.savez` (stored members) and `np.savez_compressed` (deflate) archives read; names are the member
/// paths without the `.npy` suffix, in archive order. Writing goes through ``NpyFile/encode(_:)`` (so bfloat16
/// is stored as float32) and is atomic.
public enum NpzFile {
    /// The arrays in the archive at `path`, in archive order.
    public static func read(atPath path: String) throws -> [(name: String, tensor: Tensor)] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw NpyError.io(file: path, message: "cannot read: \(error.localizedDescription)")
        }
        let archive: Archive
        do {
            archive = try Archive(data: data, accessMode: .read)
        } catch {
            throw NpyError.notAnArchive(file: path)
        }
        var arrays: [(name: String, tensor: Tensor)] = []
        for entry in archive where entry.type == .file {
            guard entry.path.hasSuffix(".npy") else { throw NpyError.nonNpyMember(file: path, member: entry.path) }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(Int(clamping: entry.uncompressedSize))
            do {
                _ = try archive.extract(entry) { chunk in bytes += chunk }
            } catch {
                throw NpyError.badMember(file: path, member: entry.path, detail: "cannot extract (\(error))")
            }
            do {
                let tensor = try NpyFile.decode(bytes, source: entry.path)
                arrays.append((String(entry.path.dropLast(4)), tensor))
            } catch let error as NpyError {
                throw NpyError.badMember(file: path, member: entry.path, detail: memberDetail(error, member: entry.path))
            }
        }
        return arrays
    }

    /// Writes `arrays` as `name.npy` members (deflated when `compressed`) to `path`, atomically.
    public static func write(_ arrays: [(name: String, tensor: Tensor)], toPath path: String, compressed: Bool) throws {
        let archive: Archive
        do {
            archive = try Archive(accessMode: .create)
            for (name, tensor) in arrays {
                let bytes = Data(NpyFile.encode(tensor))
                try archive.addEntry(with: name + ".npy", type: .file, uncompressedSize: Int64(bytes.count),
                                     compressionMethod: compressed ? .deflate : .none) { position, size in
                    bytes.subdata(in: Int(position)..<Int(position) + size)
                }
            }
        } catch {
            throw NpyError.io(file: path, message: "cannot build the archive: \(error)")
        }
        guard let data = archive.data else { throw NpyError.io(file: path, message: "the archive produced no data") }
        try NpyFile.writeAtomically([UInt8](data), toPath: path)
    }

    /// The error's description without the leading "member: " that ``NpyFile/decode(_:source:)`` puts there.
    private static func memberDetail(_ error: NpyError, member: String) -> String {
        let text = error.description
        let prefix = member + ": "
        return text.hasPrefix(prefix) ? String(text.dropFirst(prefix.count)) : text
    }
}
