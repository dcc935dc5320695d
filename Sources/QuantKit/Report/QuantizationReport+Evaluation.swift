extension QuantizationReport.TensorMetrics {
    /// The report form of one tensor of a ``ModelComparison``.
    public init(_ comparison: LayerComparison) {
        self.init(tensor: comparison.tensor, node: comparison.node, opType: comparison.opType,
                  sqnrDb: comparison.metrics.sqnrDB, cosine: comparison.metrics.cosine,
                  maxAbsError: comparison.metrics.maxAbsError, meanAbsError: comparison.metrics.meanAbsError)
    }
}

extension QuantizationReport.Latency {
    /// The report form of ``LatencyStats`` measured on `batchSize` rows.
    public init(_ stats: LatencyStats, batchSize: Int) {
        self.init(medianMs: stats.medianMs, p90Ms: stats.p90Ms, runs: stats.runs, batchSize: batchSize)
    }
}

extension QuantizationReport.Variant {
    /// Fills the whole-model numbers from `qkit eval`'s measurement: size, accuracy, latency, peak memory.
    public mutating func apply(_ evaluation: EvaluationResult) {
        sizeBytes = evaluation.sizeBytes
        accuracy = evaluation.accuracy
        latency = QuantizationReport.Latency(evaluation.latency, batchSize: evaluation.latencyBatch)
        peakRSSBytes = evaluation.peakResidentBytes
    }

    /// Fills the error against the reference from `qkit compare`'s measurement: outputs, layers (worst first),
    /// top-1 agreement.
    public mutating func apply(_ comparison: ComparisonResult) {
        outputMetrics = comparison.outputs.map(QuantizationReport.TensorMetrics.init)
        layers = comparison.layers.map(QuantizationReport.TensorMetrics.init)
        top1Agreement = comparison.top1Agreement
    }
}
