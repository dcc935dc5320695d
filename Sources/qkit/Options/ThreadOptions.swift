import ArgumentParser
import Foundation

/// `--threads N`: how many threads kernels may use (default: all cores).
struct ThreadOptions: ParsableArguments {
    @Option(help: "Threads the kernels may use (default: all cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }
}
