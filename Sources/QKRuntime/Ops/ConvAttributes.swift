import QKKernels
import QKTensor

/// Attribute and operand helpers shared by the Conv, pooling and linear kernels.
extension KernelContext {
    /// Input `index` as Float values; it must have a floating-point dtype (float16/bfloat16/double are
    /// converted, so they compute in fp32).
    func floatInput(_ index: Int) throws -> (tensor: Tensor, values: [Float]) {
        let tensor = try input(index)
        guard tensor.dtype.isFloatingPoint else {
            throw invalid("input #\(index) must be a floating-point tensor, got \(tensor.dtype)")
        }
        return (tensor, tensor.floatValues)
    }

    /// Optional input `index` as Float values (nil when omitted); it must have dtype `dtype`.
    func optionalFloatInput(_ index: Int, matching dtype: DType) throws -> (tensor: Tensor, values: [Float])? {
        guard let tensor = optionalInput(index) else { return nil }
        guard tensor.dtype == dtype else { throw invalid("input #\(index) must be \(dtype), got \(tensor.dtype)") }
        return (tensor, tensor.floatValues)
    }

    /// The `auto_pad` attribute (default NOTSET).
    func autoPad() throws -> AutoPad {
        let text = try node.string("auto_pad", default: "NOTSET")
        guard let value = AutoPad(rawValue: text) else { throw unsupported("auto_pad", text) }
        return value
    }

    /// The sliding window over an N·C·spatial input from kernel_shape (or `kernel`), strides, dilations,
    /// pads and auto_pad, read from the node unless `prepared` holds them (then its ceil mode applies).
    func windowGeometry(spatial: [Int], kernel: [Int], ceilMode: Bool = false,
                        prepared: WindowAttributes? = nil) throws -> WindowGeometry {
        guard (1...3).contains(spatial.count) else {
            throw invalid("expected 1 to 3 spatial axes, got \(spatial.count)")
        }
        do {
            return try (prepared ?? WindowAttributes(self, ceilMode: ceilMode)).geometry(spatial: spatial, kernel: kernel)
        } catch let error as WindowGeometryError {
            throw invalid(error.description)
        }
    }

    /// A tensor of `dtype` holding fp32 results (converted when `dtype` is not float32).
    func floatOutput(_ values: [Float], shape: [Int], as dtype: DType) -> Tensor {
        Tensor(shape: shape, values: values).converted(to: dtype)
    }
}
