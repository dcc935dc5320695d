import QKTensor

/// What shape inference knows about one value while it walks the graph.
///
/// Besides dtype and shape it carries, for small integer tensors of rank 0 or 1, their elements as
/// ``Dimension``s (ONNX's "partial data"): `Shape` of a `[batch, 16]` tensor has data `[batch, 16]`, so a
/// `Reshape` whose shape input is built from it with `Gather`/`Concat` still gets an exact output shape.
struct InferredValue: Sendable {
    var dtype: DType?
    /// Shape; nil when the rank is unknown.
    var shape: [Dimension]?
    /// Elements of a rank-0 or rank-1 integer tensor, each known, symbolic or unknown; nil when not tracked.
    var data: [Dimension]?
    /// The whole tensor when the value is an initializer or the output of a `Constant` node.
    var constant: Tensor?

    init(dtype: DType?, shape: [Dimension]?, data: [Dimension]? = nil, constant: Tensor? = nil) {
        self.dtype = dtype
        self.shape = shape
        self.data = data
        self.constant = constant
    }

    /// Nothing is known.
    static let unknown = InferredValue(dtype: nil, shape: nil)

    /// Largest integer tensor whose elements are tracked as data.
    static let maxDataCount = 256

    /// A value holding a known tensor; small integer tensors of rank ≤ 1 also get their elements as data.
    init(tensor: Tensor) {
        var data: [Dimension]?
        if tensor.dtype.isInteger, tensor.rank <= 1, tensor.count <= InferredValue.maxDataCount {
            data = tensor.int64Values.map { .known(Int($0)) }
        }
        self.init(dtype: tensor.dtype, shape: tensor.shape.map { .known($0) }, data: data, constant: tensor)
    }

    /// A rank-0 (`scalar`) or rank-1 integer value of `dtype` whose elements are `data`.
    init(dtype: DType, data: [Dimension], scalar: Bool) {
        let shape: [Dimension] = scalar ? [] : [.known(data.count)]
        self.init(dtype: dtype, shape: shape, data: data.count <= InferredValue.maxDataCount ? data : nil)
    }

    /// The rank, when known.
    var rank: Int? { shape?.count }

    /// True when the value is a rank-0 tensor.
    var isScalar: Bool { shape?.isEmpty == true }

    /// The data when every element is a known integer.
    var knownInts: [Int]? {
        guard let data else { return nil }
        let values = data.compactMap(\.value)
        return values.count == data.count ? values : nil
    }

    /// The value as a graph ``ValueInfo``.
    func valueInfo(named name: String, docString: String = "") -> ValueInfo {
        ValueInfo(name: name, dtype: dtype, shape: shape, docString: docString)
    }
}
