/// A GEMM input matrix as stored: op(X)[i, j] is `base[i·ld + j]`, or `base[j·ld + i]` when transposed.
struct GemmOperand: @unchecked Sendable {
    let base: UnsafePointer<Float>
    let ld: Int
    let transposed: Bool

    /// Packs op(X)[rows, k] as the A operand: consecutive MR-row micro-panels, each stored column by column
    /// (`dst[panel·MR·kc + p·MR + i]`), rows past the end zero-filled.
    func packRows(into dst: UnsafeMutablePointer<Float>, rows: Range<Int>, k: Range<Int>, mr: Int) {
        let kc = k.count
        var out = dst
        for panel in stride(from: rows.lowerBound, to: rows.upperBound, by: mr) {
            let valid = min(mr, rows.upperBound - panel)
            if transposed {
                // op(X)[i, p] = base[p·ld + i]: rows of the panel are contiguous in memory.
                for p in 0..<kc {
                    let src = base + (k.lowerBound + p) * ld + panel
                    let col = out + p * mr
                    col.update(from: src, count: valid)
                    if valid < mr { (col + valid).update(repeating: 0, count: mr - valid) }
                }
            } else {
                // Column by column: each packed column of MR floats is written contiguously from MR row streams.
                let first = base + panel * ld + k.lowerBound
                for p in 0..<kc {
                    let col = out + p * mr, src = first + p
                    for i in 0..<valid { col[i] = src[i * ld] }
                    for i in valid..<mr { col[i] = 0 }
                }
            }
            out += mr * kc
        }
    }

    /// Packs op(X)[k, columns] as the B operand: consecutive NR-column micro-panels, each stored row by row
    /// (`dst[panel·NR·kc + p·NR + j]`), columns past the end zero-filled.
    func packColumns(into dst: UnsafeMutablePointer<Float>, k: Range<Int>, columns: Range<Int>, nr: Int) {
        let kc = k.count
        var out = dst
        for panel in stride(from: columns.lowerBound, to: columns.upperBound, by: nr) {
            let valid = min(nr, columns.upperBound - panel)
            if transposed {
                for j in 0..<valid {
                    let src = base + (panel + j) * ld + k.lowerBound
                    for p in 0..<kc { out[p * nr + j] = src[p] }
                }
                for j in valid..<nr {
                    for p in 0..<kc { out[p * nr + j] = 0 }
                }
            } else {
                for p in 0..<kc {
                    let src = base + (k.lowerBound + p) * ld + panel
                    let row = out + p * nr
                    // Plain loops: a memcpy call per row of 16 or 32 floats costs more than the copy.
                    for j in 0..<valid { row[j] = src[j] }
                    for j in valid..<nr { row[j] = 0 }
                }
            }
            out += nr * kc
        }
    }
}

/// Where the GEMM reads op(B): an operand packed panel by panel during the product, or panels packed ahead of
/// time (``PackedGemmB``; block of depth rows pc… starts at `pc · paddedColumns`, its panel of columns j… at
/// `j · kc` within the block).
enum GemmBSource: @unchecked Sendable {
    case operand(GemmOperand)
    case packed(UnsafePointer<Float>, paddedColumns: Int)
}

/// op(B) (k×n) packed once into the micro-kernel's kc×NR panels, for a weight matrix reused by every call:
/// the depth is cut into blocks of the kernel's kc rows, and each block holds all ⌈n/NR⌉ panels of
/// kc×NR values (columns past n zero).
public struct PackedGemmB: Sendable {
    public let k: Int
    public let n: Int
    /// The micro-kernel the panels are shaped for.
    public let kernel: GemmMicroKernel
    /// n rounded up to a multiple of NR.
    let paddedColumns: Int
    let values: [Float]

    /// Packs op(B) where B is stored with row stride `ldb` (n×k when `transposed`, else k×n).
    /// `kernel` defaults to ``GemmMicroKernel/best(columns:)`` for n.
    public init(transposed: Bool, k: Int, n: Int, b: UnsafePointer<Float>, ldb: Int, kernel: GemmMicroKernel? = nil) {
        let kernel = kernel ?? .best(columns: n)
        let padded = (n + kernel.nr - 1) / kernel.nr * kernel.nr
        let operand = GemmOperand(base: b, ld: ldb, transposed: transposed)
        self.k = k
        self.n = n
        self.kernel = kernel
        paddedColumns = padded
        values = [Float](unsafeUninitializedCapacity: padded * k) { buffer, initialized in
            guard let base = buffer.baseAddress else { initialized = 0; return }
            for pc in stride(from: 0, to: k, by: kernel.kc) {
                let kc = min(kernel.kc, k - pc)
                operand.packColumns(into: base + pc * padded, k: pc..<pc + kc, columns: 0..<n, nr: kernel.nr)
            }
            initialized = padded * k
        }
    }
}
