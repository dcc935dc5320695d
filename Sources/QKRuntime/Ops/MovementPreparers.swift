import QKGraph
import QKTensor

extension OpTable {
    /// Preparers of Transpose and Gather (see ``standardPreparers``): `perm` and `axis` are read once, at load; an
    /// attribute that cannot be read leaves the table kernel, which reports the error when the node runs.
    static let movementPreparers: [String: KernelPreparer] = [
        "Transpose": { prep in
            guard let perm = readAttribute({ try prep.node.ints("perm") }) else { return { try MovementKernels.transpose($0) } }
            return { ctx in [try MovementKernels.transpose(ctx.input(0), perm: perm, ctx)] }
        },
        "Gather": { prep in
            guard let axis = readAttribute({ try prep.node.int("axis", default: 0) }) else { return { try GatherKernels.gather($0) } }
            return { ctx in [try GatherKernels.gather(ctx, axis: axis)] }
        },
    ]

    /// `read()`, or nil when it throws (a value that is itself optional comes back as `.some(nil)`).
    static func readAttribute<T>(_ read: () throws -> T) -> T? {
        do { return try read() } catch { return nil }
    }
}
