import ArgumentParser
import QuantKit

@main
struct QKit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qkit",
        abstract: "QuantKit: quantize, run, evaluate and export neural networks for edge deployment.",
        subcommands: [QuickstartCommand.self, InspectCommand.self, RunCommand.self, ConvertCommand.self, QuantizeCommand.self,
                      BenchCommand.self, ConformanceCommand.self, EvalCommand.self, CompareCommand.self,
                      SensitivityCommand.self, TrainCommand.self, QATCommand.self, FinetuneCommand.self])
}
