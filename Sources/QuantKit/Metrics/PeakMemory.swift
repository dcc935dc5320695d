import Foundation

/// The process's peak resident memory (high-water mark of its resident set).
public enum PeakMemory {
    /// Peak resident set size in bytes: `VmHWM` from `/proc/self/status` (Linux), else `getrusage`'s
    /// `ru_maxrss` (kilobytes on Linux, bytes on macOS). Nil when neither is available.
    public static func residentBytes() -> Int? {
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let kilobytes = vmHWMKilobytes(status: status) {
            return kilobytes * 1024
        }
        var usage = rusage()
        #if os(Linux)
        guard getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage) == 0, usage.ru_maxrss > 0 else { return nil }
        return Int(usage.ru_maxrss) * 1024
        #else
        guard getrusage(RUSAGE_SELF, &usage) == 0, usage.ru_maxrss > 0 else { return nil }
        return Int(usage.ru_maxrss)
        #endif
    }

    /// The `VmHWM:` value (kilobytes) of a `/proc/<pid>/status` text, e.g. "VmHWM:\t  12345 kB" → 12345.
    public static func vmHWMKilobytes(status: String) -> Int? {
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let fields = line.dropFirst("VmHWM:".count).split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let number = fields.first, let value = Int(number), fields.dropFirst().first == "kB" else { return nil }
            return value
        }
        return nil
    }
}
