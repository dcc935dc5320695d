import CQKKernels

/// Maps every byte of a rows × n matrix through its column's 256-entry table:
///
///     y[r, j] = table[j · 256 + (x[r, j] XOR flip)]
///
/// `flip` is 0x80 for int8 data (so that −128 … 127 index entries 0 … 255) and 0 for uint8. `count` must be a
/// multiple of `columns` (the tensor's last axis); `x` and `y` may be the same memory.
///
/// Example: columns = 1, table[v] = 255 − v, x = [0, 3] → y = [255, 252].
public func int8ColumnLookup(_ x: UnsafePointer<UInt8>, count: Int, columns: Int, table: UnsafePointer<UInt8>,
                             flip: UInt8, into y: UnsafeMutablePointer<UInt8>) {
    precondition(columns > 0 && count % columns == 0, "\(count) bytes are not rows of \(columns) columns")
    qk_i8_column_lookup(count / columns, columns, x, table, flip, y)
}
