import QKKernels
import QKTensor

extension OpTable {
    /// IntegerLookup (ai.quantkit, written by ``LookupTableFusion``): x (uint8, or int8 with `signed_input` 1)
    /// and a constant table (n × 256, uint8 or int8) give y[…, j] = table[j, x[…, j] − lowest] of the table's type
    /// (lowest = 0 for uint8, −128 for int8); x's last axis must be n (any shape when n = 1).
    static let integerLookupKernel: OpKernel = { ctx in
        let x = try ctx.input(0), table = try ctx.input(1)
        let signed = try ctx.node.int("signed_input", default: 0) != 0
        guard x.dtype == (signed ? .int8 : .uint8) else {
            throw ctx.invalid("x is \(x.dtype) but the model quantizes it as \(signed ? DType.int8 : .uint8)")
        }
        guard table.rank == 2, table.shape[1] == 256, table.dtype == .uint8 || table.dtype == .int8 else {
            throw ctx.invalid("table must be n × 256 uint8/int8, got \(table.dtype) \(table.shape)")
        }
        let columns = table.shape[0]
        guard columns == 1 || x.shape.last == columns else {
            throw ctx.invalid("x \(x.shape) does not end in the table's \(columns) columns")
        }
        let count = x.count
        func lookup<T: TensorScalar>(_: T.Type) -> Tensor {
            var values = ctx.outputBuffers?.take(T.self, count: count) ?? [T](unsafeUninitializedCapacity: count) { $1 = count }
            values.withUnsafeMutableBytes { out in
                x.storage.withElementBytes { source in
                    table.storage.withElementBytes { entries in
                        guard let from = source.baseAddress, let to = out.baseAddress, let base = entries.baseAddress else { return }
                        int8ColumnLookup(from.assumingMemoryBound(to: UInt8.self), count: count, columns: columns,
                                         table: base.assumingMemoryBound(to: UInt8.self), flip: signed ? 0x80 : 0,
                                         into: to.assumingMemoryBound(to: UInt8.self))
                    }
                }
            }
            return Tensor(shape: x.shape, values: values)
        }
        return [table.dtype == .int8 ? lookup(Int8.self) : lookup(UInt8.self)]
    }
}
