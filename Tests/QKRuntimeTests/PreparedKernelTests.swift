import Testing
import QKGraph
import QKTensor
@testable import QKRuntime

/// Kernels built by preparers at load give the same outputs, and the same errors, as the table kernels that
/// read attributes and inputs on every run.
@Suite struct PreparedKernelTests {
    /// Outputs or the error message of one kernel call.
    enum Outcome: Equatable {
        case outputs([Tensor])
        case failure(String)
    }

    func outcome(_ run: () throws -> [Tensor]) -> Outcome {
        do { return .outputs(try run()) } catch { return .failure("\(error)") }
    }

    /// Runs `op` through its table kernel and through its prepared kernel, where the inputs at `constant`
    /// positions are known at load, and returns both outcomes.
    func bothWays(_ op: String, domain: String = "", _ inputs: [Tensor?], constant: Set<Int>,
                  attributes: [String: Attribute] = [:], opset: Int = 19) throws -> (table: Outcome, prepared: Outcome) {
        let names = inputs.indices.map { inputs[$0] == nil ? "" : "in\($0)" }
        let node = Node(name: "n", opType: op, domain: domain, inputs: names, outputs: ["y"], attributes: attributes)
        let context = KernelContext(node: node, inputs: inputs, opset: opset, threads: 1)
        let table = try #require(OpTable.kernel(opType: op, domain: domain))
        let prepared = try #require(try OpTable.preparedKernel(for: node, opset: opset) { name in
            names.firstIndex(of: name).flatMap { constant.contains($0) ? inputs[$0] : nil }
        })
        return (outcome { try table(context) }, outcome { try prepared(context) })
    }

    func expectSame(_ op: String, domain: String = "", _ inputs: [Tensor?], constant: Set<Int> = [1],
                    attributes: [String: Attribute] = [:], opset: Int = 19,
                    sourceLocation: SourceLocation = #_sourceLocation) throws {
        let (table, prepared) = try bothWays(op, domain: domain, inputs, constant: constant, attributes: attributes,
                                             opset: opset)
        #expect(table == prepared, "\(op) \(attributes) opset \(opset)", sourceLocation: sourceLocation)
    }

    @Test func shapeOpsHavePreparers() {
        for op in ["Shape", "Flatten", "Reshape", "Squeeze", "Unsqueeze"] {
            #expect(OpTable.preparer(opType: op, domain: "") != nil, "\(op)")
        }
    }

    @Test func flattenAndShapeMatchTableKernels() throws {
        let x = iota([2, 3, 4])
        for axis: Int64 in [-4, -1, 0, 1, 3, 4] {
            try expectSame("Flatten", [x], attributes: ["axis": .int(axis)])
        }
        try expectSame("Flatten", [x])
        try expectSame("Flatten", [x], attributes: ["axis": .string("one")])
        for (start, end): (Int64, Int64) in [(0, 3), (1, -1), (-10, 10), (2, 1)] {
            try expectSame("Shape", [x], attributes: ["start": .int(start), "end": .int(end)])
        }
        try expectSame("Shape", [x], attributes: ["start": .float(1)])
        #expect(try bothWays("Flatten", [x], constant: [], attributes: ["axis": .int(5)]).prepared
            == .failure("node 'n' (Flatten): axis 5 is out of range for rank 3"))
    }

    @Test func reshapeMatchesTableKernelWithConstantAndRunTimeTargets() throws {
        let x = iota([2, 3, 4])
        let empty = Tensor(zeros: .float32, shape: [0, 3, 4])
        for target: [Int64] in [[0, -1], [4, 0, 2, -1], [24], [5, -1], [-1, -1], [2, 3, 5], [-2, 12]] {
            for constant: Set<Int> in [[1], []] {
                try expectSame("Reshape", [x, int64s(target)], constant: constant)
                try expectSame("Reshape", [x, int64s(target)], constant: constant, attributes: ["allowzero": .int(1)])
            }
        }
        try expectSame("Reshape", [empty, int64s([3, 4, 0])], attributes: ["allowzero": .int(1)])
        try expectSame("Reshape", [empty, int64s([0, -1])], attributes: ["allowzero": .int(1)])
        try expectSame("Reshape", [x, Tensor(shape: [2], values: [Int32(6), 4])])
        try expectSame("Reshape", [x], constant: [], attributes: ["shape": .ints([4, -1])], opset: 4)
        try expectSame("Reshape", [x], constant: [], attributes: ["shape": .ints([4, 4])], opset: 4)
        try expectSame("Reshape", [x], constant: [], opset: 4)
    }

    @Test func squeezeAndUnsqueezeMatchTableKernels() throws {
        let x = iota([1, 3, 1, 2])
        for axes: [Int64] in [[0], [0, 2], [-2], [1], [0, 0], [7], []] {
            for constant: Set<Int> in [[1], []] {
                try expectSame("Squeeze", [x, int64s(axes)], constant: constant)
                try expectSame("Unsqueeze", [x, int64s(axes)], constant: constant)
            }
            try expectSame("Squeeze", [x], constant: [], attributes: ["axes": .ints(axes)], opset: 11)
            try expectSame("Unsqueeze", [x], constant: [], attributes: ["axes": .ints(axes)], opset: 11)
        }
        try expectSame("Squeeze", [x], constant: [])
        try expectSame("Unsqueeze", [x], constant: [])
        try expectSame("Squeeze", [x, nil, nil], constant: [])
        try expectSame("Unsqueeze", [x, Tensor(shape: [1], values: [Int32(0)])])
        try expectSame("Squeeze", [x], constant: [], attributes: ["axes": .string("all")], opset: 11)
    }
}
