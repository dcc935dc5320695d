import ArgumentParser
import QuantKit

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Read a model and write it back, optionally optimized or with weights in an external data file.",
        discussion: """
            --optimize folds constants, removes dead nodes, folds BatchNormalization into Conv and fuses \
            Conv/Gemm + activation into com.microsoft FusedConv/FusedGemm (which ONNX Runtime also runs).

            Example:
              qkit convert Fixtures/digits/model.onnx -o digits-opt.onnx --optimize \\
                  --infer-shapes
            """)

    @Argument(help: "The .onnx model to read (never modified).")
    var model: String

    @Option(name: .shortAndLong, help: "Path of the .onnx file to write.")
    var output: String

    @Flag(help: "Apply the graph optimizations.")
    var optimize = false

    @Flag(help: "Write the inferred dtype and shape of every intermediate value into value_info.")
    var inferShapes = false

    @Option(help: "Store initializers of at least this many bytes in '<output>.data' beside the model.")
    var externalDataThreshold: Int?

    func run() throws {
        try ModelFile.requireDistinct(input: model, output: output)
        var loaded = try ModelFile.load(model)
        if optimize {
            let result = try GraphOptimizer.optimize(loaded)
            loaded = result.model
            print(result.summary)
        }
        if inferShapes {
            loaded = try loaded.withInferredShapes()
            print("inferred types of \(loaded.graph.valueInfo.count) intermediate values")
        }
        try ModelFile.save(loaded, to: output, externalDataThreshold: externalDataThreshold)
        print("wrote \(output)")
    }
}
