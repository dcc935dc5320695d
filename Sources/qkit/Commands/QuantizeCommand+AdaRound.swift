import Foundation
import QuantKit

/// `qkit quantize --adaround`: static QDQ PTQ, then ``AdaRound`` re-rounds the weights on the calibration data.
extension QuantizeCommand {
    /// Refuses --adaround for settings it cannot serve, before any calibration work.
    func checkAdaRound(_ settings: QuantizationConfig) throws {
        guard adaround else { return }
        guard settings.mode == .static, settings.format == .qdq else {
            throw QuantKitError.invalidArgument("--adaround needs --mode static with the qdq format")
        }
        guard calibration != nil else { throw QuantKitError.invalidArgument("--adaround needs --calibration data") }
    }

    /// Re-rounds the weights of `result.model` (made from `float`) and prints one line per layer.
    func applyAdaRound(to result: inout QuantizationResult, float: Model, calibration data: DataSet?) throws {
        guard adaround, let data else { return }
        let folded = ConvBatchNormFolding.apply(to: float).model
        let rounded = try AdaRound.apply(to: result.model, float: folded, calibration: try data.inputs(for: float.graph),
                                         threads: ProcessInfo.processInfo.activeProcessorCount)
        result.model = rounded.model
        for layer in rounded.layers {
            let ratio = layer.nearestError > 0 ? layer.learnedError / layer.nearestError : 1
            print("adaround \(layer.weight): \(layer.flipped) of \(layer.count) weights flipped, output error "
                + String(format: "%.3g → %.3g (×%.3f)", layer.nearestError, layer.learnedError, ratio))
        }
    }
}
