import Foundation
import Testing
@testable import QKTensor

/// Fixtures made by Resources/make_npy.py (numpy); the expected values below are the arrays in that script.
enum NpyFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Resources/npy").path

    static func path(_ name: String) -> String { directory + "/" + name }

    /// A fresh temporary directory for written files.
    static func temporaryDirectory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qk-npy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.path
    }
}

@Suite struct NpyReadTests {
    @Test func readsEveryDType() throws {
        let f4 = try NpyFile.read(atPath: NpyFixtures.path("f4.npy"))
        #expect(f4.shape == [2, 3])
        #expect(f4.values(as: Float.self) == [1.5, -2.25, 3.0, 0.0, 1e-3, -7.5])
        #expect(try NpyFile.read(atPath: NpyFixtures.path("f2.npy")).values(as: Float16.self)
                == [0.5, -1.0, 65504.0, 0.0999755859375])
        #expect(try NpyFile.read(atPath: NpyFixtures.path("f8.npy")).values(as: Double.self)
                == [Double.pi, -M_E, 1e300])
        #expect(try NpyFile.read(atPath: NpyFixtures.path("i1.npy")).values(as: Int8.self) == [-128, -1, 0, 127])
        let u1 = try NpyFile.read(atPath: NpyFixtures.path("u1.npy"))
        #expect(u1.shape == [2, 2] && u1.values(as: UInt8.self) == [0, 1, 254, 255])
        #expect(try NpyFile.read(atPath: NpyFixtures.path("i2.npy")).values(as: Int16.self) == [-32768, 12345, 32767])
        #expect(try NpyFile.read(atPath: NpyFixtures.path("u2.npy")).values(as: UInt16.self) == [0, 40000, 65535])
        #expect(try NpyFile.read(atPath: NpyFixtures.path("i4.npy")).values(as: Int32.self)
                == [Int32.min, 7, Int32.max])
        #expect(try NpyFile.read(atPath: NpyFixtures.path("i8.npy")).values(as: Int64.self)
                == [Int64.min, 42, Int64.max])
        #expect(try NpyFile.read(atPath: NpyFixtures.path("b1.npy")).values(as: Bool.self) == [true, false, true])
    }

    @Test func readsScalarAndEmpty() throws {
        let scalar = try NpyFile.read(atPath: NpyFixtures.path("scalar_f4.npy"))
        #expect(scalar.shape == [] && scalar.values(as: Float.self) == [3.25])
        let empty = try NpyFile.read(atPath: NpyFixtures.path("empty_f4.npy"))
        #expect(empty.shape == [0, 3] && empty.count == 0)
    }

    @Test func convertsBigEndian() throws {
        #expect(try NpyFile.read(atPath: NpyFixtures.path("big_endian_f4.npy")).values(as: Float.self)
                == [1.0, -2.5, 1024.0])
        #expect(try NpyFile.read(atPath: NpyFixtures.path("big_endian_i8.npy")).values(as: Int64.self)
                == [1, -2, 1 << 40])
    }

    @Test func transposesFortranOrder() throws {
        let t = try NpyFile.read(atPath: NpyFixtures.path("fortran_i4.npy"))
        #expect(t.shape == [2, 3] && t.values(as: Int32.self) == [0, 1, 2, 3, 4, 5])
        // np.asfortranarray(np.arange(24).reshape(2, 3, 4)) reads back as arange(24) in C order.
        let t3 = try NpyFile.read(atPath: NpyFixtures.path("fortran_3d_f4.npy"))
        #expect(t3.shape == [2, 3, 4] && t3.values(as: Float.self) == (0..<24).map(Float.init))
    }

    @Test func readsVersions2And3() throws {
        #expect(try NpyFile.read(atPath: NpyFixtures.path("v2_f4.npy")).values(as: Float.self) == [1, 2])
        #expect(try NpyFile.read(atPath: NpyFixtures.path("v3_f4.npy")).values(as: Float.self) == [4, 5, 6])
    }
}

@Suite struct NpyBadInputTests {
    private func error(reading name: String) -> NpyError? {
        do {
            _ = try NpyFile.read(atPath: NpyFixtures.path(name))
            return nil
        } catch {
            return error as? NpyError
        }
    }

    @Test func unsupportedDTypesAreRefused() {
        let unicode = error(reading: "unicode.npy")
        #expect(unicode == .unsupportedDType(file: NpyFixtures.path("unicode.npy"), descr: "<U10"))
        #expect(unicode?.description.contains("unicode.npy") == true)
        #expect(error(reading: "complex.npy") == .unsupportedDType(file: NpyFixtures.path("complex.npy"), descr: "<c8"))
    }

    @Test func truncatedAndMismatchedPayloads() {
        // f4.npy holds 6 float32 (24 payload bytes); 5 bytes were cut.
        #expect(error(reading: "truncated.npy") == .payloadSizeMismatch(
            file: NpyFixtures.path("truncated.npy"), shape: [2, 3], expectedBytes: 24, actualBytes: 19))
        #expect(error(reading: "shape_mismatch.npy") == .payloadSizeMismatch(
            file: NpyFixtures.path("shape_mismatch.npy"), shape: [2, 4], expectedBytes: 32, actualBytes: 24))
        guard case .truncated(let file, _)? = error(reading: "truncated_header.npy") else {
            Issue.record("a 20-byte file must be reported as truncated")
            return
        }
        #expect(file.hasSuffix("truncated_header.npy"))
    }

    @Test func badMagicAndMissingFile() {
        #expect(error(reading: "bad_magic.npy") == .badMagic(file: NpyFixtures.path("bad_magic.npy")))
        guard case .io(let file, _)? = error(reading: "does_not_exist.npy") else {
            Issue.record("a missing file must be an io error")
            return
        }
        #expect(file.hasSuffix("does_not_exist.npy"))
    }

    @Test func malformedHeadersAndVersions() {
        func decodeError(_ bytes: [UInt8]) -> NpyError? {
            do { _ = try NpyFile.decode(bytes, source: "mem.npy"); return nil } catch { return error as? NpyError }
        }
        var version4 = NpyFile.encode(Tensor(shape: [1], values: [Float(1)]))
        version4[6] = 4
        #expect(decodeError(version4) == .unsupportedVersion(file: "mem.npy", major: 4, minor: 0))
        let header = Array("{'descr': '<f4', 'shape': (1,), }\n".utf8)
        let noFortran = NpyFile.magic + [1, 0, UInt8(header.count), 0] + header + [0, 0, 0x80, 0x3F]
        guard case .badHeader(let file, let detail)? = decodeError(noFortran) else {
            Issue.record("a header without fortran_order must be refused")
            return
        }
        #expect(file == "mem.npy" && detail.contains("fortran_order"))
        #expect(decodeError([0x93, 0x4E]) == .truncated(file: "mem.npy", detail: "2 bytes, shorter than the preamble"))
    }
}

@Suite struct NpyWriteTests {
    static let samples: [Tensor] = [
        Tensor(shape: [2, 2], values: [Float(1.5), -0.0, .infinity, 3e-38]),
        Tensor(shape: [3], values: [Float16(0.5), -2, 1024]),
        Tensor(shape: [2], values: [Double.pi, -1e-300]),
        Tensor(shape: [2], values: [Int8.min, Int8.max]),
        Tensor(shape: [2], values: [UInt8(0), 255]),
        Tensor(shape: [2], values: [Int16.min, Int16.max]),
        Tensor(shape: [2], values: [UInt16(1), 65535]),
        Tensor(shape: [1, 2], values: [Int32.min, Int32.max]),
        Tensor(shape: [2, 1, 1], values: [Int64.min, Int64.max]),
        Tensor(shape: [3], values: [true, false, true]),
        Tensor(scalar: Float(7)),
        Tensor(zeros: .float32, shape: [0, 4]),
    ]

    @Test(arguments: samples) func roundTripsEveryDType(_ tensor: Tensor) throws {
        let bytes = NpyFile.encode(tensor)
        #expect(try NpyFile.decode(bytes, source: "mem") == tensor)
        // numpy aligns the payload to 64 bytes and ends the header with a newline.
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        #expect((10 + headerLength) % 64 == 0 && bytes[9 + headerLength] == 0x0A)
    }

    @Test func headerMatchesNumpy() {
        // np.save of np.zeros((2, 3), '<f4') writes exactly this header text.
        let bytes = NpyFile.encode(Tensor(zeros: .float32, shape: [2, 3]))
        let header = String(decoding: bytes[10..<128], as: UTF8.self)
        #expect(header.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }   "))
        #expect(bytes[0..<10] == [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, 118, 0])
        let one = NpyFile.encode(Tensor(shape: [3], values: [true, false, true]))
        #expect(String(decoding: one[10..<70], as: UTF8.self).hasPrefix("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }"))
    }

    @Test func bfloat16IsWrittenAsFloat32() throws {
        let t = Tensor(shape: [2], values: [BFloat16(Float(1.5)), BFloat16(Float(-3))])
        let back = try NpyFile.decode(NpyFile.encode(t), source: "mem")
        #expect(back.dtype == .float32 && back.values(as: Float.self) == [1.5, -3])
    }

    @Test func writeReplacesAtomicallyAndReadsBack() throws {
        let dir = try NpyFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/a.npy"
        try NpyFile.write(Tensor(shape: [1], values: [Int32(1)]), toPath: path)
        try NpyFile.write(Tensor(shape: [2], values: [Int32(5), 6]), toPath: path)
        #expect(try NpyFile.read(atPath: path) == Tensor(shape: [2], values: [Int32(5), 6]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["a.npy"])
        #expect(throws: NpyError.self) { try NpyFile.write(Tensor(scalar: Float(1)), toPath: dir + "/missing/b.npy") }
    }

    @Test func writtenFileMatchesNumpyBytes() throws {
        // f4.npy was written by numpy's write_array (version 1.0): our encoding is byte-identical.
        let numpyBytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: NpyFixtures.path("f4.npy"))))
        let t = try NpyFile.decode(numpyBytes, source: "f4.npy")
        #expect(NpyFile.encode(t) == numpyBytes)
    }
}
