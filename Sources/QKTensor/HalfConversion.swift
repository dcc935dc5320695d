import CQKKernels

/// Whole-array conversions between binary16 / bfloat16 and binary32, the hot path of every fp16 or bf16 model
/// (each op computes in fp32 and rounds its output back).
///
/// float16 → float32 and bfloat16 → float32 are exact; float32 → float16 rounds to nearest, ties to even
/// (|x| ≥ 65520 → ±∞, NaN stays NaN); float32 → bfloat16 as ``BFloat16/init(_:)``. The float16 loops run on F16C
/// when the CPU has it (`vcvtph2ps` / `vcvtps2ph`), else on portable C loops with the same bits.
public enum HalfConversion {
    /// Each half widened to `Float` (exact).
    public static func floats(_ halves: [Float16]) -> [Float] {
        [Float](unsafeUninitializedCapacity: halves.count) { out, count in
            halves.withUnsafeBufferPointer { source in
                source.withMemoryRebound(to: UInt16.self) { bits in
                    if let base = bits.baseAddress { qk_half_to_float(base, out.baseAddress!, bits.count) }
                }
            }
            count = halves.count
        }
    }

    /// Each float rounded to the nearest half (ties to even).
    public static func halves(_ floats: [Float]) -> [Float16] {
        [Float16](unsafeUninitializedCapacity: floats.count) { out, count in
            out.withMemoryRebound(to: UInt16.self) { bits in
                floats.withUnsafeBufferPointer { source in
                    if let base = source.baseAddress { qk_float_to_half(base, bits.baseAddress!, source.count) }
                }
            }
            count = floats.count
        }
    }
}

extension Tensor {
    /// `converted(to:)` for the float16/bfloat16 ↔ float32 pairs, without the detour through Double; nil for
    /// other pairs.
    func directFloatConversion(to target: DType) -> Tensor? {
        let converted: TensorStorage
        switch (storage, target) {
        case (.float16(let v), .float32): converted = .float32(HalfConversion.floats(v))
        case (.float32(let v), .float16): converted = .float16(HalfConversion.halves(v))
        case (.bfloat16(let v), .float32): converted = .float32(v.map(\.floatValue))
        case (.float32(let v), .bfloat16): converted = .bfloat16(v.map(BFloat16.init))
        default: return nil
        }
        return try! Tensor(shape: shape, storage: converted)
    }
}
