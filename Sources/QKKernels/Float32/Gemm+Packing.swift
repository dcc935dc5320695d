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
                    row.update(from: src, count: valid)
                    if valid < nr { (row + valid).update(repeating: 0, count: nr - valid) }
                }
            }
            out += nr * kc
        }
    }
}
