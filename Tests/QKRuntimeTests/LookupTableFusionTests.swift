import QKGraph
import QKKernels
import QKTensor
import Testing
@testable import QKRuntime

/// ``LookupTableFusion``: a model run with its elementwise 8-bit chains replaced by IntegerLookup gives the same
/// bytes as the same integer graph with the chains run node by node.
@Suite struct LookupTableFusionTests {
    /// x (float, batch × 5 × n) → Q → DQ → Add(bias[n]) → GELU as a BERT export writes it around Q/DQ pairs
    /// (Div √2 → Erf → Q/DQ → Add 1 → Q/DQ; Q/DQ → Mul ½ → Q/DQ; Mul → Q/DQ); `residual` also reads the biased
    /// float sum outside the chain. Returns the model and a seeded input.
    func geluModel(columns n: Int, signed: Bool, residual: Bool, seed: UInt64) -> (Model, Tensor) {
        var b = QDQModelBuilder()
        b.rng = SplitMix64(seed: seed)
        func qdq(_ value: String, _ scale: Float) -> (q: String, dq: String) {
            signed ? b.quantizeDequantize(value, scale: scale, zero: Int8(-7)) : b.quantizeDequantize(value, scale: scale, zero: UInt8(121))
        }
        let x = qdq("x", 0.031)
        let biasValues = (0..<n).map { _ in Float.random(in: -1...1, using: &b.rng) }
        let bias = b.constant(n == 1 ? Tensor(scalar: biasValues[0]) : Tensor(shape: [n], values: biasValues), "bias")
        let sum = b.add("Add", [x.dq, bias], name: "bias_add")
        let root2 = b.constant(Tensor(scalar: Float(2).squareRoot()), "sqrt2")
        let erf = qdq(b.add("Erf", [b.add("Div", [sum, root2], name: "div")], name: "erf"), 2 / 255)
        let one = qdq(b.constant(Tensor(scalar: Float(1)), "one"), 1 / 255)
        let plusOne = qdq(b.add("Add", [erf.dq, one.dq], name: "plus_one"), 2 / 255)
        let half = qdq(b.constant(Tensor(scalar: Float(0.5)), "half"), 0.5 / 255)
        let halfX = qdq(b.add("Mul", [qdq(sum, 0.04).dq, half.dq], name: "half_x"), 0.02)
        let gelu = qdq(b.add("Mul", [halfX.dq, plusOne.dq], name: "gelu"), 0.03)
        var outputs = [gelu.dq]
        if residual { outputs.append(b.add("Relu", [sum], name: "outside_reader")) }
        let input = b.input([3, 5, n]).floatValues.map { $0 * 4 }
        return (b.model(input: [3, 5, n], outputs: outputs), Tensor(shape: [3, 5, n], values: input))
    }

    /// The integer graph without lookup tables, post-ops and DequantizedAdd, run as written.
    func withoutTables(_ model: Model) throws -> Interpreter {
        try Interpreter(model: IntegerFusion.apply(to: model, elementwiseFolds: false).model, threads: 1, integerExecution: false)
    }

    @Test(arguments: [(1, false), (7, false), (16, true), (33, true)])
    func geluChainIsOneLookupWithTheSameBytes(columns: Int, signed: Bool) throws {
        for seed in 1...3 as ClosedRange<UInt64> {
            let (model, x) = geluModel(columns: columns, signed: signed, residual: false, seed: seed)
            let fused = try Interpreter(model: model, threads: 2)
            let lookups = fused.executedGraph.nodes.filter { $0.opType == LookupTableFusion.opType }
            #expect(lookups.count == 1)
            #expect(!fused.executedGraph.nodes.contains { $0.opType == "Erf" || $0.opType == "QLinearMul" })
            let name = model.graph.outputs[0].name
            let got = try fused.run(["x": x])[name]!, want = try withoutTables(model).run(["x": x])[name]!
            #expect(got == want)
        }
    }

    /// A chain is cut back before every float value read outside it (here the graph output DQ, always); when the
    /// biased sum every later node depends on is also read outside, nothing is left and the graph stays as it is.
    @Test func chainReadInFloatOutsideIsCut() throws {
        let (model, x) = geluModel(columns: 6, signed: false, residual: true, seed: 9)
        let fused = try Interpreter(model: model, threads: 1)
        let executed = fused.executedGraph.nodes
        #expect(executed.contains { $0.name == "bias_add" } && executed.contains { $0.opType == "Erf" })
        #expect(!executed.contains { $0.opType == LookupTableFusion.opType })
        let got = try fused.run(["x": x]), want = try withoutTables(model).run(["x": x])
        for output in model.graph.outputs { #expect(got[output.name] == want[output.name]) }
    }

    /// One QLinearAdd alone is not worth a table: the graph keeps it.
    @Test func singleNodeChainIsLeftAlone() throws {
        var b = QDQModelBuilder()
        let x = b.quantizeDequantize("x", scale: 0.02, zero: UInt8(128))
        let c = b.quantizeDequantize(b.constant(Tensor(shape: [4], values: [Float](repeating: 0.3, count: 4))), scale: 0.01, zero: UInt8(0))
        let y = b.quantizeDequantize(b.add("Add", [x.dq, c.dq], name: "add"), scale: 0.03, zero: UInt8(50))
        let fused = try Interpreter(model: b.model(input: [2, 4], outputs: [y.dq]), threads: 1)
        #expect(!fused.executedGraph.nodes.contains { $0.opType == LookupTableFusion.opType })
    }

    /// x → Q/DQ → MatMul(DQ(w)) → Q/DQ → Add/Mul(DQ(constant row or scalar)) → Q/DQ: the QLinear op folds into the
    /// IntegerGemm as its post-op, with the same bytes.
    @Test(arguments: [("Add", false, 9), ("Mul", true, 9), ("Add", true, 1)])
    func quantizedBiasFoldsIntoTheGemm(op: String, signed: Bool, rowLength: Int) throws {
        var b = QDQModelBuilder()
        func qdq(_ value: String, _ scale: Float) -> (q: String, dq: String) {
            signed ? b.quantizeDequantize(value, scale: scale, zero: Int8(5)) : b.quantizeDequantize(value, scale: scale, zero: UInt8(130))
        }
        let x = qdq("x", 0.01)
        let w = b.weights([6, 9], channels: 9, axis: 1)
        let product = qdq(b.add("MatMul", [x.dq, w.dq], name: "matmul"), 0.05)
        let bytes = (0..<rowLength).map { _ in UInt8.random(in: 0...255, using: &b.rng) }
        let shape = rowLength == 1 ? [] : [rowLength]
        let row = b.constant(signed ? Tensor(shape: shape, values: bytes.map { Int8(bitPattern: $0) }) : Tensor(shape: shape, values: bytes))
        let rowScale = b.constant(Tensor(scalar: Float(0.02))), rowZero = b.constant(signed ? Tensor(scalar: Int8(-3)) : Tensor(scalar: UInt8(140)))
        let rowDQ = b.add("DequantizeLinear", [row, rowScale, rowZero], name: "row_dq")
        let y = qdq(b.add(op, [product.dq, rowDQ], name: "bias"), 0.07)
        let model = b.model(input: [4, 3, 6], outputs: [y.dq])
        let x0 = Tensor(shape: [4, 3, 6], values: b.input([4, 3, 6]).floatValues.map { $0 * 2 })
        for threads in [1, 2] {
            let fused = try Interpreter(model: model, threads: threads)
            #expect(fused.executedGraph.nodes.map(\.opType).filter { $0.hasPrefix("Integer") || $0.hasPrefix("QLinear") } == ["IntegerGemm"])
            #expect(try fused.run(["x": x0]) == withoutTables(model).run(["x": x0]))
        }
    }

    /// DQ(a), DQ(b) → Add with a float output (a residual before LayerNorm) is one DequantizedAdd node with the
    /// same fp32 bytes, for same shapes (the fused path) and broadcast shapes (dequantize, then the Add kernel).
    @Test(arguments: [(false, false), (true, false), (false, true)])
    func dequantizedAddKeepsTheFloatBytes(signed: Bool, broadcast: Bool) throws {
        var b = QDQModelBuilder()
        func qdq(_ value: String, _ scale: Float) -> (q: String, dq: String) {
            signed ? b.quantizeDequantize(value, scale: scale, zero: Int8(-9)) : b.quantizeDequantize(value, scale: scale, zero: UInt8(117))
        }
        let first = qdq("x", 0.013)
        let other = broadcast ? b.constant(Tensor(shape: [7], values: (0..<7).map { Float($0) / 3 - 1 }))
            : b.add("Mul", ["x", b.constant(Tensor(scalar: Float(-1.7)))], name: "scaled")
        let second = qdq(other, 0.021)
        let sum = b.add("Add", [first.dq, second.dq], name: "residual")
        let model = b.model(input: [2, 3, 7], outputs: [sum])
        let x = Tensor(shape: [2, 3, 7], values: b.input([2, 3, 7]).floatValues.map { $0 * 3 })
        let fused = try Interpreter(model: model, threads: 2)
        #expect(fused.executedGraph.nodes.map(\.opType).contains("DequantizedAdd"))
        #expect(!fused.executedGraph.nodes.contains { $0.opType == "DequantizeLinear" })
        let got = try fused.run(["x": x])[sum]!, want = try withoutTables(model).run(["x": x])[sum]!
        #expect(got.shape == want.shape && got.floatValues.map(\.bitPattern) == want.floatValues.map(\.bitPattern))
    }

    @Test func lookupKernelMapsEachColumnThroughItsTable() {
        var rng = SplitMix64(seed: 3)
        let columns = 5, rows = 7
        let table = (0..<columns * 256).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let x = (0..<rows * columns).map { _ in UInt8.random(in: 0...255, using: &rng) }
        for flip in [UInt8(0), 0x80] {
            var y = [UInt8](repeating: 0, count: x.count)
            int8ColumnLookup(x, count: x.count, columns: columns, table: table, flip: flip, into: &y)
            #expect(y == x.indices.map { table[($0 % columns) * 256 + Int(x[$0] ^ flip)] })
        }
    }

    @Test func lookupRejectsAnInputThatDoesNotEndInTheTableColumns() throws {
        let node = Node(name: "lut", opType: LookupTableFusion.opType, domain: IntegerFusion.domain, inputs: ["x", "t"],
                        outputs: ["y"], attributes: ["signed_input": .int(0)])
        let table = Tensor(shape: [3, 256], values: [UInt8](repeating: 1, count: 768))
        let context = KernelContext(node: node, inputs: [Tensor(shape: [2, 4], values: [UInt8](repeating: 0, count: 8)), table],
                                    opset: 1, threads: 1)
        #expect(throws: RuntimeError.self) { try OpTable.integerLookupKernel(context) }
        let signed = KernelContext(node: node, inputs: [Tensor(shape: [2, 3], values: [Int8](repeating: 0, count: 6)), table],
                                   opset: 1, threads: 1)
        #expect(throws: RuntimeError.self) { try OpTable.integerLookupKernel(signed) }
    }
}
