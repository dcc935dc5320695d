extension TrainingConfig {
    /// The training recipe of quantization-aware training with 4-bit per-channel weights (`qkit qat --weight-type
    /// int4 --per-channel`), chosen by 5-fold cross-validation on the digits training data
    /// (scripts/bench_qat_cv.py, README): 30 epochs, Adam at lr 3e-4 with cosine decay, distillation weight 0.5
    /// at T = 4, and the quantization frozen for the last 3 epochs.
    public static var lowBitQuantizationAware: TrainingConfig {
        var config = TrainingConfig()
        (config.epochs, config.learningRate, config.distillation, config.temperature) = (30, 3e-4, 0.5, 4)
        config.freezeQuantizationLastEpochs = 3
        return config
    }
}
