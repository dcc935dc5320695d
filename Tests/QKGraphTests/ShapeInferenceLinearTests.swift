import Testing
import QKTensor
@testable import QKGraph

/// MatMul (numpy rules, 1-D operands) and Gemm (transposes); expected shapes by hand.
@Suite struct ShapeInferenceLinearTests {
    typealias F = ShapeFixture

    func matMul(_ a: [Dimension], _ b: [Dimension], op: String = "MatMul") throws -> [Dimension]? {
        try F.shape(of: "y", F.node(op, ["a", "b"], ["y"]),
                    inputs: [ValueInfo(name: "a", dtype: .float32, shape: a), ValueInfo(name: "b", dtype: .float32, shape: b)])
    }

    @Test func matMulShapes() throws {
        #expect(try matMul(F.dims(2, 3, 4), F.dims(4, 5)) == F.dims(2, 3, 5))
        #expect(try matMul(F.dims(4), F.dims(4, 5)) == F.dims(5))
        #expect(try matMul(F.dims(2, 3, 4), F.dims(4)) == F.dims(2, 3))
        #expect(try matMul(F.dims(4), F.dims(4)) == [])
        #expect(try matMul(F.dims(4), F.dims(7, 4, 5)) == F.dims(7, 5))
        #expect(try matMul(F.dims("batch", 1, 3, 4), F.dims(5, 4, 6)) == F.dims("batch", 5, 3, 6))
        #expect(try matMul(F.dims("batch", "seq", "k"), F.dims("k", 8)) == F.dims("batch", "seq", 8))
    }

    @Test func matMulInnerMismatchThrows() {
        let failure = F.failure { try matMul(F.dims("b", 2, 3), F.dims(4, 5)) }
        #expect(failure?.node == "MatMul_y")
        #expect(failure?.message.contains("[b, 2, 3]") == true && failure?.message.contains("[4, 5]") == true)
    }

    @Test func integerMatMulDtypes() throws {
        let infos = try F.infer(
            [F.node("MatMulInteger", ["a", "b"], ["acc"]),
             F.node("QLinearMatMul", ["a", "as", "az", "b", "bs", "bz", "ys", "yz"], ["q"])],
            inputs: [F.input("a", .uint8, "n", 3), F.input("b", .int8, 3, 6), F.input("as", .float32),
                     F.input("az", .uint8), F.input("bs", .float32), F.input("bz", .int8), F.input("ys", .float32),
                     F.input("yz", .uint8)])
        #expect(infos["acc"]?.dtype == .int32 && infos["acc"]?.shape == F.dims("n", 6))
        #expect(infos["q"]?.dtype == .uint8 && infos["q"]?.shape == F.dims("n", 6))
    }

    @Test func gemmTransposes() throws {
        func gemm(_ a: [Dimension], _ b: [Dimension], _ attributes: [String: Attribute], domain: String = "",
                  op: String = "Gemm") throws -> [Dimension]? {
            try F.shape(of: "y", F.node(op, ["a", "b", "c"], ["y"], attributes, domain: domain),
                        inputs: [ValueInfo(name: "a", dtype: .float32, shape: a),
                                 ValueInfo(name: "b", dtype: .float32, shape: b), F.input("c", .float32, 5)])
        }
        #expect(try gemm(F.dims(3, 4), F.dims(4, 5), [:]) == F.dims(3, 5))
        #expect(try gemm(F.dims(4, 3), F.dims(5, 4), ["transA": .int(1), "transB": .int(1)]) == F.dims(3, 5))
        #expect(try gemm(F.dims("n", 4), F.dims(5, 4), ["transB": .int(1)], domain: "com.microsoft", op: "FusedGemm")
                == F.dims("n", 5))
        #expect(F.failure { try gemm(F.dims(3, 4), F.dims(5, 4), [:]) } != nil)
        #expect(F.failure { try gemm(F.dims(3, 4, 1), F.dims(4, 5), [:]) } != nil)
    }
}
