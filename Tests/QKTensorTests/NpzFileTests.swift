import Foundation
import Testing
@testable import QKTensor

@Suite struct NpzFileTests {
    @Test func readsSavez() throws {
        let arrays = try NpzFile.read(atPath: NpyFixtures.path("stored.npz"))
        #expect(arrays.map(\.name) == ["weight", "bias", "mask"])
        #expect(arrays[0].tensor == Tensor(shape: [2, 2], values: [Float(1), 2, 3, 4]))
        #expect(arrays[1].tensor == Tensor(shape: [2], values: [Int64(-1), 1]))
        #expect(arrays[2].tensor == Tensor(shape: [2], values: [true, false]))
    }

    @Test func readsSavezCompressed() throws {
        let arrays = try NpzFile.read(atPath: NpyFixtures.path("compressed.npz"))
        #expect(arrays.map(\.name) == ["zeta", "alpha"])
        // np.arange(100, dtype='<f4') * 0.5
        #expect(arrays[0].tensor == Tensor(shape: [100], values: (0..<100).map { Float($0) * 0.5 }))
        #expect(arrays[1].tensor == Tensor(shape: [1], values: [UInt8(7)]))
    }

    @Test(arguments: [false, true]) func roundTrips(compressed: Bool) throws {
        let dir = try NpyFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/out.npz"
        let arrays: [(name: String, tensor: Tensor)] = [
            ("z/last", Tensor(shape: [2, 3], values: (0..<6).map { Float($0) - 2.5 })),
            ("ids", Tensor(shape: [3], values: [Int64(3), -4, 5])),
            ("flags", Tensor(shape: [], values: [true])),
            ("half", Tensor(shape: [2], values: [Float16(0.25), -8])),
            ("big", Tensor(shape: [4096], values: (0..<4096).map { Int32($0 % 17) })),
        ]
        try NpzFile.write(arrays, toPath: path, compressed: compressed)
        let back = try NpzFile.read(atPath: path)
        #expect(back.map(\.name) == arrays.map(\.name))
        #expect(back.map(\.tensor) == arrays.map(\.tensor))
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
        // 4096 small int32 values take 16 KiB stored; deflate shrinks them well below that.
        #expect(compressed ? size < 8192 : size > 16384)
    }

    @Test func badArchives() {
        func error(_ name: String) -> NpyError? {
            do { _ = try NpzFile.read(atPath: NpyFixtures.path(name)); return nil } catch { return error as? NpyError }
        }
        #expect(error("not_a_zip.npz") == .notAnArchive(file: NpyFixtures.path("not_a_zip.npz")))
        #expect(error("non_npy_member.npz") == .nonNpyMember(file: NpyFixtures.path("non_npy_member.npz"),
                                                            member: "readme.txt"))
        guard case .badMember(let file, let member, let detail)? = error("corrupt_member.npz") else {
            Issue.record("a truncated member must be reported")
            return
        }
        #expect(file.hasSuffix("corrupt_member.npz") && member == "broken.npy")
        #expect(detail.contains("payload") || detail.contains("truncated"))
        #expect(NpyError.badMember(file: file, member: member, detail: detail).description
                    .contains("corrupt_member.npz: archive member 'broken.npy'"))
    }
}
