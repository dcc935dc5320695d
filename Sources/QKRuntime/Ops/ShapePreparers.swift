import QKGraph
import QKTensor

extension OpTable {
    /// Preparers of the shape ops (see ``standardPreparers``): attributes, and the Reshape target or the
    /// Squeeze/Unsqueeze axes when they are constant, are read once; a run only relabels the input's shape.
    static let shapePreparers: [String: KernelPreparer] = [
        "Shape": { prep in
            guard let start = attempt({ try prep.node.int("start") }),
                  let end = attempt({ try prep.node.int("end") }) else {
                return { try ShapeKernels.shape($0) }
            }
            return { ctx in ShapeKernels.shape(try ctx.input(0), start: start, end: end) }
        },
        "Flatten": { prep in
            guard let axis = try? prep.node.int("axis", default: 1) else { return { try ShapeKernels.flatten($0) } }
            return { ctx in try ShapeKernels.flatten(ctx.input(0), axis: axis, ctx) }
        },
        "Reshape": { prep in
            guard let allowZero = try? prep.node.int("allowzero", default: 0) == 1,
                  let target = try? constantReshapeTarget(prep) else {
                return { try ShapeKernels.reshape($0) }
            }
            return { ctx in try ShapeKernels.reshape(ctx.input(0), to: target, allowZero: allowZero, ctx) }
        },
        "Squeeze": { prep in
            guard let axes = constantAxes(prep) else { return { try ShapeKernels.squeeze($0) } }
            return { ctx in try ShapeKernels.squeeze(ctx.input(0), axes: axes, ctx) }
        },
        "Unsqueeze": { prep in
            guard let axes = constantAxes(prep) else { return { try ShapeKernels.unsqueeze($0) } }
            return { ctx in try ShapeKernels.unsqueeze(ctx.input(0), axes: axes, ctx) }
        },
    ]

    /// Reshape's target dims when known at load (the attribute before opset 5, a constant int64 input after),
    /// nil when they arrive at run time or cannot be read.
    private static func constantReshapeTarget(_ prep: KernelContext) throws -> [Int]? {
        if prep.opset < 5 { return try prep.node.ints("shape") }
        return prep.optionalInput(1)?.values(as: Int64.self)?.map { Int($0) }
    }

    /// Squeeze/Unsqueeze axes when known at load: `.some(nil)` when none are given, nil when they arrive at run
    /// time or cannot be read.
    private static func constantAxes(_ prep: KernelContext) -> [Int]?? {
        let given = prep.node.inputs.count > 1 && !prep.node.inputs[1].isEmpty
        if prep.opset >= 13, given, prep.optionalInput(1) == nil { return nil }
        return attempt { try ShapeKernels.axes(prep) }
    }

    /// `read()`, or nil when it throws: the preparer then returns the table kernel, which throws when it runs.
    private static func attempt<T>(_ read: () throws -> T) -> T? {
        do { return try read() } catch { return nil }
    }
}
