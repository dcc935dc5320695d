/// A model or request the static quantizer refuses; each case names the node, tensor or setting involved.
public enum StaticQuantizationError: Error, CustomStringConvertible, Equatable {
    case alreadyQuantized(node: String, opType: String)
    case nonFiniteWeight(initializer: String, index: Int, value: String)
    case unsupportedType(String)
    case noCalibrationData
    /// Ranges calibrated with other settings than the config asks for (both described).
    case calibrationMismatch(calibrated: String, requested: String)

    public var description: String {
        switch self {
        case .alreadyQuantized(let node, let opType):
            "the model is already quantized (node '\(node)' is \(opType)); quantize the float model instead"
        case .nonFiniteWeight(let name, let index, let value):
            "initializer '\(name)' holds \(value) at flat index \(index); weights must be finite to be quantized"
        case .unsupportedType(let reason):
            "static quantization: \(reason)"
        case .noCalibrationData:
            "static quantization needs calibration data (--calibration FILE.npz)"
        case .calibrationMismatch(let calibrated, let requested):
            "the ranges were calibrated for \(calibrated) but the config asks for \(requested); calibrate again"
        }
    }
}
