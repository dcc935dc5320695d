import QKGraph
import QKTensor

/// What a kernel sees when it runs one node: the node (for attributes), its input tensors
/// (nil for an omitted optional input), the opset version of the node's domain, and the thread budget.
///
/// The node lives in a ``BoundNode`` shared by every run, so building a context costs a few retains rather than
/// a copy of the node's fields; `outputBuffers` hands out arrays of earlier runs for the node's outputs.
public struct KernelContext: Sendable {
    private let bound: BoundNode
    public let inputs: [Tensor?]
    public let opset: Int
    public let threads: Int
    /// Arrays freed by earlier nodes and runs, for ``outputBuffer(_:count:)`` (nil: always allocate).
    let outputBuffers: BufferPool?

    public var node: Node {
        _read { yield bound.node }
    }

    public init(node: Node, inputs: [Tensor?], opset: Int, threads: Int) {
        self.init(bound: BoundNode(node), inputs: inputs, opset: opset, threads: threads, outputBuffers: nil)
    }

    init(bound: BoundNode, inputs: [Tensor?], opset: Int, threads: Int, outputBuffers: BufferPool?) {
        self.bound = bound
        self.inputs = inputs
        self.opset = opset
        self.threads = threads
        self.outputBuffers = outputBuffers
    }

    /// Required input `index`; throws ``RuntimeError/missingInput(node:opType:index:)`` when omitted.
    public func input(_ index: Int) throws -> Tensor {
        guard index < inputs.count, let tensor = inputs[index] else {
            throw RuntimeError.missingInput(node: node.displayName, opType: node.opType, index: index)
        }
        return tensor
    }

    /// Optional input `index`, nil when omitted.
    public func optionalInput(_ index: Int) -> Tensor? {
        index < inputs.count ? inputs[index] : nil
    }

    /// An error about this node's inputs.
    public func invalid(_ message: String) -> RuntimeError {
        .invalidInput(node: node.displayName, opType: node.opType, message: message)
    }

    /// An error about an attribute value this runtime does not implement.
    public func unsupported(_ attribute: String, _ value: String) -> RuntimeError {
        .unsupportedAttribute(node: node.displayName, opType: node.opType, attribute: attribute, value: value)
    }

    /// Required input `index` as `T`; throws when its dtype is different.
    public func input<T: TensorScalar>(_ index: Int, as type: T.Type) throws -> [T] {
        let tensor = try input(index)
        guard let values = tensor.values(as: T.self) else {
            throw invalid("input #\(index) must be \(T.dtype), got \(tensor.dtype)")
        }
        return values
    }
}

/// A node held in one shared object, so that contexts and plan steps refer to it without copying its fields.
final class BoundNode: Sendable {
    let node: Node
    init(_ node: Node) { self.node = node }
}

/// Runs one node: takes the context, returns one tensor per node output (in order; trailing optional
/// outputs the node does not produce may be left out).
public typealias OpKernel = @Sendable (KernelContext) throws -> [Tensor]
