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

    /// Allocates storage, zeroed unless `zeroed` is false (for a packer that writes every quad of rows 0 ..< m:
    /// the rows past m then hold garbage, which reaches only results nobody stores); call ``deallocate()`` when done.
    init(m: Int, k: Int, mr: Int, zeroed: Bool = true) {
        self.m = m
        self.mr = mr
        self.quads = (k + 3) / 4
        let panels = (m + mr - 1) / mr
        values = .allocate(capacity: Swift.max(1, panels * quads * mr * 4))
        rowSums = .allocate(capacity: Swift.max(1, panels * mr))
        if zeroed {
            values.initialize(repeating: 0, count: Swift.max(1, panels * quads * mr * 4))
            rowSums.initialize(repeating: 0, count: Swift.max(1, panels * mr))
        }
    }

    /// A view of existing storage.
    init(m: Int, mr: Int, quads: Int, values: UnsafeMutablePointer<UInt8>, rowSums: UnsafeMutablePointer<Int32>) {
        self.m = m
        self.mr = mr
        self.quads = quads
        self.values = values
        self.rowSums = rowSums
    }

    func deallocate() {
        values.deallocate()
        rowSums.deallocate()
    }

    /// The kernels' view of these panels.
    var operand: Int8RowOperand {
        Int8RowOperand(m: m, mr: mr, values: values, rowStep: 4, quadStep: mr * 4, panelStride: panelBytes,
                       rowSums: rowSums, inPlace: false)
    }
}

/// The A operand as the micro-kernels read it: row i's quad q (four bytes, u8) starts at
/// values + (i / mr) · panelStride + (i % mr) · rowStep + q · quadStep. Packed panels (``PackedInt8Rows``) have
/// rowStep 4, quadStep 4·mr; a u8 matrix read in place has rowStep = its row stride, quadStep 4, and no rows past m
/// (`inPlace`). `rowSums[i]` = Σ_k A[i, k] of the stored bytes, nil when the weights are symmetric (not needed).
struct Int8RowOperand {
    let m: Int
    let mr: Int
    let values: UnsafePointer<UInt8>
    let rowStep: Int
    let quadStep: Int
    let panelStride: Int
    let rowSums: UnsafePointer<Int32>?
    let inPlace: Bool

    var panels: Int { (m + mr - 1) / mr }
}
