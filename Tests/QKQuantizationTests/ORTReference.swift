import QKTensor
import Foundation

/// Reference values computed by ONNX Runtime's quantization tool and, for ``Entropy``, by a direct NumPy
/// implementation of the definition (Resources/make_reference.py).
struct ORTReference: Decodable {
    struct Params: Decodable {
        let min: UInt32, max: UInt32, type: String, symmetric: Bool, reduceRange: Bool, scale: UInt32, zeroPoint: Int32
    }
    struct Quantize: Decodable {
        let type: String, symmetric: Bool, input: String, scale: UInt32, zeroPoint: Int32, quantized: [Int32]
        let packed: [UInt8]?
    }
    struct Grouped: Decodable {
        let shape: [Int], axis: Int, blockSize: Int?, type: String, symmetric: Bool, input: String
        let scales: [UInt32], zeroPoints: [Int32], quantized: [Int32]
    }
    struct Histogram: Decodable { let min: UInt32, max: UInt32, ortBins: Int }
    struct HistogramRanges: Decodable { let percentileSymmetric: Histogram, percentile: Histogram, entropy: Histogram }
    struct Observers: Decodable {
        let name: String, batches: [String], minmax: [UInt32], movingAverage: [UInt32]
        let percentileSymmetric: Histogram, percentile: Histogram, entropy: Histogram
        /// ORT's collector fed all batches as one array (final range, no appended bins).
        let oneShot: HistogramRanges
    }

    /// KL thresholds from the definition (make_reference.py `kl_threshold_by_definition`), not from ORT.
    struct Entropy: Decodable {
        struct Threshold: Decodable { let bins: Int, levels: Int, threshold: UInt32 }
        let name: String, batches: [String], thresholds: [Threshold]
    }

    let params: [Params]
    let quantize: [Quantize]
    let perChannel: [Grouped]
    let perBlock: [Grouped]
    let observers: [Observers]
    let entropy: [Entropy]

    static let shared: ORTReference = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Resources/reference.json")
        do {
            return try JSONDecoder().decode(ORTReference.self, from: Data(contentsOf: url))
        } catch {
            fatalError("cannot read \(url.path): \(error); regenerate with Resources/make_reference.py")
        }
    }()
}

/// Float32 values from base64 little-endian bytes.
func floats(base64 text: String) -> [Float] {
    guard let data = Data(base64Encoded: text) else { return [] }
    return stride(from: 0, to: data.count, by: 4).map { offset in
        let bits = data[data.startIndex + offset..<data.startIndex + offset + 4].reversed()
            .reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return Float(bitPattern: bits)
    }
}

/// Distance in units in the last place between two finite floats of the same sign.
func ulps(_ a: Float, _ b: Float) -> UInt32 {
    let x = a.bitPattern, y = b.bitPattern
    return x > y ? x - y : y - x
}

