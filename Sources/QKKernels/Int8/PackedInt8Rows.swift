/// The activation operand A (M×K) of the int8 GEMM packed for one call: M is cut into panels of `mr` rows; panel r
/// holds, for each quad q of K, the mr rows' four consecutive values A[i, 4q…4q+3] as u8 (zero padded past M and
/// K). s8 activations are stored as a + 128 (their zero point moves by +128 too). `rowSums[i]` = Σ_k A[i, k] of the
/// stored values, for the zero-point correction.
struct PackedInt8Rows {
    let m: Int
    let mr: Int
    let quads: Int
    let values: UnsafeMutablePointer<UInt8>
    let rowSums: UnsafeMutablePointer<Int32>

    var panels: Int { (m + mr - 1) / mr }
    var panelBytes: Int { quads * mr * 4 }

    /// Allocates zeroed storage; call ``deallocate()`` when done.
    init(m: Int, k: Int, mr: Int) {
        self.m = m
        self.mr = mr
        self.quads = (k + 3) / 4
        let panels = (m + mr - 1) / mr
        values = .allocate(capacity: Swift.max(1, panels * quads * mr * 4))
        values.initialize(repeating: 0, count: Swift.max(1, panels * quads * mr * 4))
        rowSums = .allocate(capacity: Swift.max(1, panels * mr))
        rowSums.initialize(repeating: 0, count: Swift.max(1, panels * mr))
    }

    func deallocate() {
        values.deallocate()
        rowSums.deallocate()
    }

    /// The packed byte offset of element (i, p).
    @inline(__always) func offset(row i: Int, depth p: Int) -> Int {
        (i / mr) * panelBytes + (p >> 2) * mr * 4 + (i % mr) * 4 + (p & 3)
    }

    /// Packs rows `rows` of a row-major A (row stride `lda`, k columns; UInt8 or Int8, the latter shifted by +128).
    func pack<A: FixedWidthInteger>(rows: Range<Int>, of a: UnsafePointer<A>, lda: Int, k: Int) {
        let flip: UInt8 = A.isSigned ? 0x80 : 0
        for i in rows {
            let source = UnsafeRawPointer(a + i * lda).assumingMemoryBound(to: UInt8.self)
            let panel = values + (i / mr) * panelBytes + (i % mr) * 4
            var sum: Int32 = 0
            var p = 0
            while p + 4 <= k {
                let word = UnsafeRawPointer(source + p).loadUnaligned(as: UInt32.self) ^ (UInt32(flip) &* 0x0101_0101)
                UnsafeMutableRawPointer(panel + (p >> 2) * mr * 4).storeBytes(of: word, as: UInt32.self)
                p += 4
            }
            while p < k {
                panel[(p >> 2) * mr * 4 + (p & 3)] = source[p] ^ flip
                p += 1
            }
            for q in 0..<k { sum &+= Int32(source[q] ^ flip) }
            rowSums[i] = sum
        }
    }
}
