/// im2col for small output planes as strided row copies from a zero-bordered plane, through a precomputed table.
///
/// Each input channel plane is copied into the interior of a zero-bordered plane (the padding). For tap
/// t = (td, th, tw) and output row r = (zd, zh), the column-matrix entries (t, r, zw) are
/// `padded[starts[t·R + r] + zw·s_w]` for zw < OW, with
///
///     starts[t·R + r] = ((zd·s_d + td·d_d) · H' + zh·s_h + th·d_h) · W' + tw·d_w
///
/// and H', W' the padded extents. No per-row bounds logic remains in the inner loop, which is what dominates the
/// direct im2col when rows are only a few outputs long (4×4 and 8×8 planes). Same values as ``ConvJob/im2col``.
struct Im2colTable {
    /// Extents of the zero-bordered plane (depth, height, width) and where the input starts inside it.
    let padded: (d: Int, h: Int, w: Int)
    let begin: (d: Int, h: Int, w: Int)
    let input: (d: Int, h: Int, w: Int)
    let taps: Int
    /// Output rows (OD·OH), their length OW and the input step between neighbouring outputs of a row.
    let rows: Int
    let rowLength: Int
    let step: Int
    let starts: [Int32]

    /// The table for the 3-D promoted geometry `g`.
    init(_ g: WindowGeometry) {
        func extent(_ axis: Int) -> Int {
            // The farthest position any window reads, relative to the padded start.
            let last = (g.output[axis] - 1) * g.strides[axis] + (g.kernel[axis] - 1) * g.dilations[axis]
            return Swift.max(last + 1, g.padsBegin[axis] + g.input[axis])
        }
        padded = (extent(0), extent(1), extent(2))
        begin = (g.padsBegin[0], g.padsBegin[1], g.padsBegin[2])
        input = (g.input[0], g.input[1], g.input[2])
        taps = g.kernelSize
        rows = g.output[0] * g.output[1]
        rowLength = g.output[2]
        step = g.strides[2]
        var starts: [Int32] = []
        starts.reserveCapacity(taps * rows)
        let (ph, pw) = (padded.h, padded.w)
        for td in 0..<g.kernel[0] {
            for th in 0..<g.kernel[1] {
                for tw in 0..<g.kernel[2] {
                    for zd in 0..<g.output[0] {
                        for zh in 0..<g.output[1] {
                            let d = zd * g.strides[0] + td * g.dilations[0]
                            let h = zh * g.strides[1] + th * g.dilations[1]
                            starts.append(Int32((d * ph + h) * pw + tw * g.dilations[2]))
                        }
                    }
                }
            }
        }
        self.starts = starts
    }

    /// Floats of the zero-bordered plane scratch buffer, with ``slack`` zeros past the plane for vector reads.
    var paddedCount: Int { padded.d * padded.h * padded.w + Im2colTable.slack }

    /// Floats a stride-2 row read may touch past the last value it keeps.
    static let slack = 16

    /// Whether the table path beats the direct im2col: short output rows and a table of modest size.
    static func pays(for g: WindowGeometry) -> Bool {
        g.output[2] < 32 && g.kernelSize * g.output[0] * g.output[1] <= 1 << 16
    }

    /// Writes the (channels·K) × P column matrix of `channels` planes of `inPlane` floats from `src`, rows
    /// `rowStride` floats apart. `scratch` holds ``paddedCount`` floats whose border is zero (only the interior is
    /// written here, so a zeroed buffer stays valid across calls).
    func gather(_ src: UnsafePointer<Float>, channels: Int, inPlane: Int, scratch: UnsafeMutablePointer<Float>,
                into col: UnsafeMutablePointer<Float>, rowStride: Int) {
        let (taps, rows, length, step) = (self.taps, self.rows, self.rowLength, self.step)
        let (ph, pw) = (padded.h, padded.w)
        let (bd, bh, bw) = begin
        let (id, ih, iw) = input
        starts.withUnsafeBufferPointer { table in
            let table = table.baseAddress!
            var matrixRow = col
            for c in 0..<channels {
                let plane = src + c * inPlane
                for d in 0..<id {
                    for h in 0..<ih {
                        (scratch + ((d + bd) * ph + h + bh) * pw + bw).update(from: plane + (d * ih + h) * iw, count: iw)
                    }
                }
                var start = table
                for _ in 0..<taps {
                    var dst = matrixRow
                    for _ in 0..<rows {
                        let line = UnsafePointer(scratch) + Int(start.pointee)
                        if step == 1 && length == 8 {
                            UnsafeMutableRawPointer(dst).storeBytes(
                                of: UnsafeRawPointer(line).loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
                        } else if step == 1 && length == 4 {
                            UnsafeMutableRawPointer(dst).storeBytes(
                                of: UnsafeRawPointer(line).loadUnaligned(as: SIMD4<Float>.self), as: SIMD4<Float>.self)
                        } else if step == 1 {
                            for zw in 0..<length { dst[zw] = line[zw] }
                        } else if step == 2 && length % 8 == 0 {
                            // Even elements of 16-float reads (the last read ends one float past the row).
                            for zw in stride(from: 0, to: length, by: 8) {
                                let pairs = UnsafeRawPointer(line + 2 &* zw).loadUnaligned(as: SIMD16<Float>.self)
                                UnsafeMutableRawPointer(dst + zw).storeBytes(of: pairs.evenHalf, as: SIMD8<Float>.self)
                            }
                        } else {
                            for zw in 0..<length { dst[zw] = line[zw * step] }
                        }
                        dst += length
                        start += 1
                    }
                    matrixRow += rowStride
                }
            }
        }
    }
}
