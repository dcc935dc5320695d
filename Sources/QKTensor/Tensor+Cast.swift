/// Element-type conversion with ONNX `Cast` semantics.
///
/// | from → to        | rule                                                            |
/// |------------------|-----------------------------------------------------------------|
/// | float → float    | round to nearest, ties to even                                  |
/// | float → integer  | truncate toward zero, then saturate to the target range; NaN → 0 |
/// | integer → integer| keep the low bits (two's-complement wrap, as C and numpy)        |
/// | float → int4/uint4 | truncate toward zero, then keep the low 4 bits (wraps: 8.0 → −8 in int4, −1.0 → 15 in uint4, 2.7 → 2), as the ONNX reference implementation and its node tests; the spec leaves out-of-range values undefined, and onnxruntime 1.31 rounds to nearest before wrapping (2.7 → 3) |
/// | integer → float  | round to nearest                                                |
/// | any → bool       | nonzero → true                                                  |
/// | bool → any       | true → 1, false → 0                                             |
extension Tensor {
    /// The tensor converted to `target` following the table above.
    public func converted(to target: DType) -> Tensor {
        if target == dtype { return self }
        if let direct = directFloatConversion(to: target) { return direct }
        let converted: TensorStorage
        switch Tensor.wideValues(storage) {
        case .floating(let values): converted = Tensor.storage(fromFloating: values, as: target)
        case .integral(let values): converted = Tensor.storage(fromIntegral: values, as: target)
        }
        // Counts are preserved by construction.
        return try! Tensor(shape: shape, storage: converted)
    }

    /// All elements as `Float` (any dtype; bool gives 0 or 1).
    public var floatValues: [Float] {
        if case .float32(let v) = storage { return v }
        return converted(to: .float32).values(as: Float.self)!
    }

    /// All elements as `Int64` (floats truncated toward zero; bool gives 0 or 1).
    public var int64Values: [Int64] {
        if case .int64(let v) = storage { return v }
        return converted(to: .int64).values(as: Int64.self)!
    }

    private enum WideValues {
        case floating([Double])
        case integral([Int64])
    }

    private static func wideValues(_ storage: TensorStorage) -> WideValues {
        switch storage {
        case .float32(let v): .floating(v.map(Double.init))
        case .float16(let v): .floating(v.map(Double.init))
        case .bfloat16(let v): .floating(v.map { Double($0.floatValue) })
        case .float64(let v): .floating(v)
        case .int8(let v): .integral(v.map(Int64.init))
        case .uint8(let v): .integral(v.map(Int64.init))
        case .int16(let v): .integral(v.map(Int64.init))
        case .uint16(let v): .integral(v.map(Int64.init))
        case .int32(let v): .integral(v.map(Int64.init))
        case .int64(let v): .integral(v)
        case .bool(let v): .integral(v.map { $0 ? 1 : 0 })
        case .int4(let v): .integral(v.map(Int64.init))
        case .uint4(let v): .integral(v.map(Int64.init))
        }
    }

    /// Truncates toward zero and saturates to `I`'s range; NaN gives 0.
    private static func saturatingInteger<I: FixedWidthInteger>(_ value: Double, as: I.Type) -> I {
        if value.isNaN { return 0 }
        let truncated = value.rounded(.towardZero)
        if truncated <= Double(I.min) { return I.min }
        if truncated >= Double(I.max) { return I.max }
        return I(truncated)
    }

    private static func storage(fromFloating values: [Double], as target: DType) -> TensorStorage {
        switch target {
        case .float32: .float32(values.map { Float($0) })
        case .float16: .float16(values.map { Float16($0) })
        case .bfloat16: .bfloat16(values.map { BFloat16(Float($0)) })
        case .float64: .float64(values)
        case .int8: .int8(values.map { saturatingInteger($0, as: Int8.self) })
        case .uint8: .uint8(values.map { saturatingInteger($0, as: UInt8.self) })
        case .int16: .int16(values.map { saturatingInteger($0, as: Int16.self) })
        case .uint16: .uint16(values.map { saturatingInteger($0, as: UInt16.self) })
        case .int32: .int32(values.map { saturatingInteger($0, as: Int32.self) })
        case .int64: .int64(values.map { saturatingInteger($0, as: Int64.self) })
        case .bool: .bool(values.map { $0 != 0 })
        case .int4, .uint4: storage(fromIntegral: values.map { saturatingInteger($0, as: Int64.self) }, as: target)
        }
    }

    private static func storage(fromIntegral values: [Int64], as target: DType) -> TensorStorage {
        switch target {
        case .float32: .float32(values.map { Float($0) })
        case .float16: .float16(values.map { Float16(Float($0)) })
        case .bfloat16: .bfloat16(values.map { BFloat16(Float($0)) })
        case .float64: .float64(values.map { Double($0) })
        case .int8: .int8(values.map { Int8(truncatingIfNeeded: $0) })
        case .uint8: .uint8(values.map { UInt8(truncatingIfNeeded: $0) })
        case .int16: .int16(values.map { Int16(truncatingIfNeeded: $0) })
        case .uint16: .uint16(values.map { UInt16(truncatingIfNeeded: $0) })
        case .int32: .int32(values.map { Int32(truncatingIfNeeded: $0) })
        case .int64: .int64(values)
        case .bool: .bool(values.map { $0 != 0 })
        case .int4: .int4(values.map { Int8(truncatingIfNeeded: ($0 << 60) >> 60) })
        case .uint4: .uint4(values.map { UInt8(truncatingIfNeeded: $0 & 0x0F) })
        }
    }
}
