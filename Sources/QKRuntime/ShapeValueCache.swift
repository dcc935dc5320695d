import QKGraph
import QKTensor

/// Which steps of a plan compute values that depend only on tensor shapes and constants (the shape subgraph that
/// exporters write: Shape → Gather → Unsqueeze → Concat → Reshape's target, Range over a sequence length, …),
/// worked out once when the plan is built.
///
/// A step is shape-derived when it is deterministic (standard domain, no subgraph, not random: generators, Dropout) and
/// each input is a constant, omitted, or shape-derived — except that a Shape or Size step is shape-derived
/// whatever its data input is, since it reads only the input's shape. Such a Shape/Size step is a *root*; every
/// shape-derived value is a function of the shapes its roots read (and of constants).
struct ShapeDerivation {
    /// Per step: nil when the step is not shape-derived, else the roots its outputs depend on (root numbers).
    let roots: [[Int]?]
    /// Per step: the root number when the step is a Shape/Size root.
    let rootOfStep: [Int?]
    let rootCount: Int

    private static let nondeterministic: Set<String> = [
        "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Bernoulli", "Multinomial",
        "Dropout",  // random in training mode
    ]

    init(steps: [ExecutionPlan.Step]) {
        var slotRoots: [Int: [Int]] = [:]
        var roots = [[Int]?](repeating: nil, count: steps.count)
        var rootOfStep = [Int?](repeating: nil, count: steps.count)
        var rootCount = 0
        for (index, step) in steps.enumerated() {
            let node = step.node
            guard node.normalizedDomain == "", !Self.nondeterministic.contains(node.opType),
                  !node.attributes.values.contains(where: \.holdsGraph) else { continue }
            var dependsOn: [Int]
            if (node.opType == "Shape" || node.opType == "Size") && !step.inputs.isEmpty {
                dependsOn = [rootCount]
                rootOfStep[index] = rootCount
                rootCount += 1
            } else {
                var all: Set<Int> = []
                let derived = step.inputs.allSatisfy { source in
                    switch source {
                    case .omitted, .constant: return true
                    case .slot(let slot):
                        guard let inputRoots = slotRoots[slot] else { return false }
                        all.formUnion(inputRoots)
                        return true
                    }
                }
                guard derived else { continue }
                dependsOn = all.sorted()
            }
            roots[index] = dependsOn
            for case let slot? in step.outputSlots { slotRoots[slot] = dependsOn }
        }
        self.roots = roots
        self.rootOfStep = rootOfStep
        self.rootCount = rootCount
    }

    /// True when no step is shape-derived.
    var isEmpty: Bool { roots.allSatisfy { $0 == nil } }
}

/// The outputs of a plan's shape-derived steps (``ShapeDerivation``) from earlier runs, each stored with the
/// shapes its roots read then. A later run reuses a step's outputs when its roots read the same shapes in this
/// run (each root's shape is taken when the run reaches that Shape/Size step, from the tensor it reads), and runs
/// the step otherwise, so results are identical to running every step. Not thread-safe: one run at a time, like
/// the ``BufferPool`` that holds it.
final class ShapeValueCache {
    private struct Entry {
        let key: [[Int]]
        let outputs: [Tensor]
    }

    let plan: ObjectIdentifier
    private let derivation: ShapeDerivation
    /// The shapes the roots read in the current run (nil: not reached yet, or its input had no value).
    private var rootShapes: [[Int]?]
    private var entries: [Entry?]

    init(plan: ExecutionPlan) {
        self.plan = ObjectIdentifier(plan)
        derivation = plan.shapeDerivation
        rootShapes = Array(repeating: nil, count: derivation.rootCount)
        entries = Array(repeating: nil, count: derivation.roots.count)
    }

    /// Starts a run: no root has been reached.
    func beginRun() {
        for index in rootShapes.indices { rootShapes[index] = nil }
    }

    /// The outputs step `index` produced in an earlier run whose roots read this run's shapes, or nil (run it).
    /// Reaching a root step records the shape of its data input (`input`).
    func outputs(step index: Int, input: @autoclosure () -> Tensor?) -> [Tensor]? {
        guard derivation.roots[index] != nil else { return nil }
        if let root = derivation.rootOfStep[index] { rootShapes[root] = input()?.shape }
        guard let entry = entries[index], let key = key(step: index) else { return nil }
        return entry.key == key ? entry.outputs : nil
    }

    /// Keeps the outputs step `index` just produced, when it is shape-derived.
    func record(step index: Int, outputs: [Tensor]) {
        guard derivation.roots[index] != nil, let key = key(step: index) else { return }
        entries[index] = Entry(key: key, outputs: outputs)
    }

    /// The shapes step `index`'s roots read in this run; nil when the step is not shape-derived or a root was not
    /// reached.
    private func key(step index: Int) -> [[Int]]? {
        guard let roots = derivation.roots[index] else { return nil }
        var key: [[Int]] = []
        key.reserveCapacity(roots.count)
        for root in roots {
            guard let shape = rootShapes[root] else { return nil }
            key.append(shape)
        }
        return key
    }
}
