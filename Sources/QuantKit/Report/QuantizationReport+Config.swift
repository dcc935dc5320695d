extension QuantizationReport {
    /// A short variant name for a config: "fp16", "bf16", "dynamic int8", "static int8", …
    public static func variantName(for config: QuantizationConfig) -> String {
        if config.mode == .fp16 || config.mode == .bf16 { return config.mode.rawValue }
        return "\(config.mode.rawValue) \(config.weightType.rawValue)"
    }

    /// One line describing a config for the report, e.g.
    /// "static QDQ, int8 weights per-channel, uint8 activations asymmetric, entropy calibration".
    public static func describe(_ config: QuantizationConfig) -> String {
        let granularity = config.perChannel ? "per-channel" : "per-tensor"
        if config.mode == .fp16 { return "weights and activations in float16" }
        if config.mode == .bf16 { return "weights and activations in bfloat16" }
        if config.mode == .dynamic {
            return "\(config.weightType.rawValue) weights \(granularity), activation ranges computed per batch at run time"
        }
        let method = ReportHistograms.methods.first { $0.method == config.calibration }?.name ?? "\(config.calibration)"
        var text = "\(config.mode.rawValue) \(config.format.rawValue.uppercased()), \(config.weightType.rawValue) weights "
            + "\(granularity), \(config.activationType.rawValue) activations "
            + "\(config.activationSymmetric ? "symmetric" : "asymmetric"), \(method) calibration"
        if !config.excludeNodes.isEmpty { text += ", \(config.excludeNodes.count) node(s) excluded" }
        if !config.excludeOpTypes.isEmpty { text += ", op types excluded: \(config.excludeOpTypes.joined(separator: " "))" }
        return text
    }
}
