import Foundation

/// Reading and writing numpy `.npy` files (format versions 1.0, 2.0 and 3.0).
///
/// Layout: `\x93NUMPY`, major and minor version bytes, the header length (UInt16 LE for 1.0, UInt32 LE for
/// 2.0/3.0), the header dictionary (see ``NpyHeader``) padded with spaces and a newline so the payload starts at a
/// multiple of 64 bytes, then the elements.
///
/// Reading accepts every byte order (big-endian payloads are byte-swapped) and Fortran order (transposed to
/// C order). Writing always produces little-endian C order, version 1.0 (2.0 when the header would not fit).
/// **bfloat16** has no numpy type: it is written as `'<f4'` (every bfloat16 is exactly a float32), so it reads
/// back as float32.
public enum NpyFile {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"

    /// Reads the tensor stored in the `.npy` file at `path`.
    public static func read(atPath path: String) throws -> Tensor {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw NpyError.io(file: path, message: "cannot read: \(error.localizedDescription)")
        }
        return try decode([UInt8](data), source: path)
    }

    /// Decodes the bytes of a `.npy` file; `source` names it in errors.
    public static func decode(_ bytes: [UInt8], source: String) throws -> Tensor {
        guard bytes.count >= 10 else {
            if !bytes.elementsEqual(magic.prefix(bytes.count)) { throw NpyError.badMagic(file: source) }
            throw NpyError.truncated(file: source, detail: "\(bytes.count) bytes, shorter than the preamble")
        }
        guard bytes.starts(with: magic) else { throw NpyError.badMagic(file: source) }
        let (major, minor) = (bytes[6], bytes[7])
        let lengthBytes: Int
        switch (major, minor) {
        case (1, 0): lengthBytes = 2
        case (2, 0), (3, 0): lengthBytes = 4
        default: throw NpyError.unsupportedVersion(file: source, major: major, minor: minor)
        }
        guard bytes.count >= 8 + lengthBytes else {
            throw NpyError.truncated(file: source, detail: "the header length field is cut off")
        }
        let headerLength = (0..<lengthBytes).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
        let headerStart = 8 + lengthBytes
        guard bytes.count >= headerStart + headerLength else {
            throw NpyError.truncated(file: source,
                                     detail: "header of \(headerLength) bytes, file has \(bytes.count - headerStart)")
        }
        let headerBytes = bytes[headerStart..<headerStart + headerLength]
        // 1.0 and 2.0 headers are latin-1, 3.0 headers UTF-8.
        let text = major == 3 ? String(decoding: headerBytes, as: UTF8.self)
            : String(String.UnicodeScalarView(headerBytes.map { Unicode.Scalar($0) }))
        let header = try NpyHeader.parse(text, file: source)

        let payload = bytes[(headerStart + headerLength)...]
        let (count, overflow) = header.shape.reduce((1, false)) { acc, dim in
            let product = acc.0.multipliedReportingOverflow(by: dim)
            return (product.partialValue, acc.1 || product.overflow)
        }
        let expected = count.multipliedReportingOverflow(by: header.dtype.byteSize)
        guard !overflow, !expected.overflow, payload.count == expected.partialValue else {
            throw NpyError.payloadSizeMismatch(file: source, shape: header.shape,
                                               expectedBytes: overflow ? Int.max : expected.partialValue,
                                               actualBytes: payload.count)
        }
        var little = Array(payload)
        if header.bigEndian { swapBytes(&little, width: header.dtype.byteSize) }
        if header.fortranOrder {
            little = fortranToC(little, shape: header.shape, width: header.dtype.byteSize)
        }
        return try Tensor(dtype: header.dtype, shape: header.shape, littleEndianBytes: little)
    }

    /// The bytes of a `.npy` file holding `tensor` (little-endian, C order). numpy has no bfloat16 nor 4-bit
    /// types: bfloat16 is written as float32, int4 as int8 and uint4 as uint8 (same values, one byte each).
    public static func encode(_ tensor: Tensor) -> [UInt8] {
        let stored: Tensor
        switch tensor.dtype {
        case .bfloat16: stored = tensor.converted(to: .float32)
        case .int4: stored = tensor.converted(to: .int8)
        case .uint4: stored = tensor.converted(to: .uint8)
        default: stored = tensor
        }
        let text = NpyHeader(dtype: stored.dtype, bigEndian: false, fortranOrder: false, shape: stored.shape).text
        let version: UInt8 = text.utf8.count + 1 + 10 <= Int(UInt16.max) ? 1 : 2
        let preamble = version == 1 ? 10 : 12
        let padded = (preamble + text.utf8.count + 1 + 63) / 64 * 64
        let headerLength = padded - preamble
        var out = magic + [version, 0]
        out.reserveCapacity(padded + stored.count * stored.dtype.byteSize)
        for i in 0..<(preamble - 8) { out.append(UInt8(truncatingIfNeeded: headerLength >> (8 * i))) }
        out += Array(text.utf8)
        out += [UInt8](repeating: 0x20, count: headerLength - text.utf8.count - 1)
        out.append(0x0A)
        out += stored.littleEndianBytes
        return out
    }

    /// Writes `tensor` to `path` atomically (a temporary file in the same directory, then a rename).
    public static func write(_ tensor: Tensor, toPath path: String) throws {
        try writeAtomically(encode(tensor), toPath: path)
    }

    static func writeAtomically(_ bytes: [UInt8], toPath path: String) throws {
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw NpyError.io(file: path, message: "cannot write: \(error.localizedDescription)")
        }
    }

    /// Reverses the bytes of each `width`-byte element in place.
    private static func swapBytes(_ bytes: inout [UInt8], width: Int) {
        guard width > 1 else { return }
        var start = 0
        while start < bytes.count {
            bytes[start..<start + width].reverse()
            start += width
        }
    }

    /// Reorders elements stored column-major (first index fastest) into row-major order.
    private static func fortranToC(_ bytes: [UInt8], shape: [Int], width: Int) -> [UInt8] {
        let count = shape.reduce(1, *)
        guard shape.count > 1, count > 0 else { return bytes }
        var fortranStrides = [Int](repeating: 1, count: shape.count)
        for axis in 1..<shape.count { fortranStrides[axis] = fortranStrides[axis - 1] * shape[axis - 1] }
        var out = [UInt8](repeating: 0, count: bytes.count)
        var index = [Int](repeating: 0, count: shape.count)
        var source = 0
        for target in 0..<count {
            for b in 0..<width { out[target * width + b] = bytes[source * width + b] }
            // Advance the row-major index (last axis fastest), tracking the column-major offset.
            var axis = shape.count - 1
            while axis >= 0 {
                index[axis] += 1
                source += fortranStrides[axis]
                if index[axis] < shape[axis] { break }
                source -= fortranStrides[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        return out
    }
}
