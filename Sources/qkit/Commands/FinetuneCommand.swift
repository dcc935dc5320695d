import ArgumentParser
import Foundation
import QuantKit

struct FinetuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finetune",
        abstract: "Fine-tune an already quantized QDQ model: its Q/DQ pairs become fake quantization; writes QDQ.",
        discussion: """
            The model's own scales and zero points are the starting point (kept fixed by default).

            Example:
              qkit finetune digits-int8.onnx --train Fixtures/digits/train.npz \\
                  --epochs 3 --lr 0.0002 -o digits-int8-tuned.onnx
            """)

    @Argument(help: "The quantized QDQ .onnx model (never modified).")
    var model: String

    @OptionGroup var options: TrainingOptions

    @Option(help: "Weight ranges while training: fixed | minmax | lsq.")
    var weightRanges = "fixed"

    @Option(help: "Activation ranges while training: fixed | ema | lsq.")
    var activationRanges = "fixed"

    func run() throws {
        let fakeQuant = FakeQuantOptions(
            weightMode: try options.choice(weightRanges, "--weight-ranges", FakeQuantize.Mode.init(rawValue:)),
            activationMode: try options.choice(activationRanges, "--activation-ranges", FakeQuantize.Mode.init(rawValue:)))
        try options.run(model: model) { _ in .fineTune(options: fakeQuant) }
    }
}
