import Testing
import QKGraph
import QKTensor
@testable import QKRuntime

/// Resize expectations below come from onnx.reference (opset 19) on the same inputs; the linear and nearest
/// ones are also easy to verify by hand, e.g. half_pixel ×2: output 1 samples x = 1.5/2 − 0.5 = 0.25.
@Suite struct ResizeOpsTests {
    private let square = Tensor(shape: [1, 1, 2, 2], values: [Float(1), 2, 3, 4])
    private let row = Tensor(shape: [1, 1, 1, 4], values: [Float(1), 2, 4, 8])

    private func resize(_ x: Tensor, scales: [Float]? = nil, sizes: [Int64]? = nil,
                        _ attributes: [String: Attribute]) throws -> Tensor {
        let s = scales.map { Tensor(shape: [$0.count], values: $0) }
        let z = sizes.map { Tensor(shape: [$0.count], values: $0) }
        return try runMovementOp("Resize", [x, nil, s, z], attributes: attributes)[0]
    }

    private func close(_ a: Tensor, _ b: [Float], shape: [Int]) -> Bool {
        a.shape == shape && zip(a.floatValues, b).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) }
    }

    @Test func nearestHalfPixelUpsample() throws {
        let y = try resize(square, scales: [1, 1, 2, 3], ["mode": .string("nearest")])
        #expect(y.shape == [1, 1, 4, 6])
        #expect(y.floatValues == [1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4])
    }

    @Test func nearestAsymmetricCeilDownsample() throws {
        let y = try resize(row, sizes: [1, 1, 1, 3], ["mode": .string("nearest"), "nearest_mode": .string("ceil"),
                                                      "coordinate_transformation_mode": .string("asymmetric")])
        #expect(y.floatValues == [1, 4, 8])
    }

    @Test func linearHalfPixelAndAlignCorners() throws {
        let y = try resize(square, scales: [1, 1, 2, 2], ["mode": .string("linear")])
        #expect(close(y, [1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4], shape: [1, 1, 4, 4]))
        let a = try resize(square, sizes: [1, 1, 3, 3], ["mode": .string("linear"), "coordinate_transformation_mode": .string("align_corners")])
        #expect(close(a, [1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4], shape: [1, 1, 3, 3]))
    }

    @Test func cubicAndAntialias() throws {
        let c = try resize(row, scales: [1, 1, 1, 2], ["mode": .string("cubic")])
        #expect(close(c, [0.89453125, 1.15625, 1.5625, 2.41796875, 3.16015625, 5.1171875, 7.1640625, 8.421875], shape: [1, 1, 1, 8]))
        let aa = try resize(row, scales: [1, 1, 1, 0.5], ["mode": .string("linear"), "antialias": .int(1)])
        #expect(close(aa, [1.75, 5.75], shape: [1, 1, 1, 2]))
    }

    /// Bilinear interpolation reproduces affine functions exactly: with align_corners, input `i + 2j`
    /// sampled at output (p, q) is `p·(h−1)/(H−1) + 2q·(w−1)/(W−1)`. Large enough to run on two threads.
    @Test func linearAlignCornersReproducesAffineRamp() throws {
        let (h, w, H, W) = (32, 40, 64, 80)
        let plane = (0..<h * w).map { Float($0 / w + 2 * ($0 % w)) }
        let x = Tensor(shape: [2, 4, h, w], values: Array((0..<8).map { _ in plane }.joined()))
        let sizes = Tensor(shape: [4], values: [Int64(2), 4, Int64(H), Int64(W)])
        let y = try runMovementOp("Resize", [x, nil, nil, sizes], attributes: [
            "mode": .string("linear"), "coordinate_transformation_mode": .string("align_corners")], threads: 2)[0]
        let expectedPlane = (0..<H * W).map { i -> Float in
            Float(i / W) * Float(h - 1) / Float(H - 1) + 2 * Float(i % W) * Float(w - 1) / Float(W - 1)
        }
        #expect(close(y, Array((0..<8).map { _ in expectedPlane }.joined()), shape: [2, 4, H, W]))
    }

    /// uint8 linear: [0, 255] → 4 samples at x = −0.25, 0.25, 0.75, 1.25 (edges clamp): 0, 63.75, 191.25, 255,
    /// rounded half to even → 0, 64, 191, 255.
    @Test func integerLinearRoundsHalfToEven() throws {
        let x = Tensor(shape: [1, 2], values: [UInt8(0), 255])
        let y = try runMovementOp("Resize", [x, nil, Tensor(shape: [2], values: [Float(1), 2])], attributes: ["mode": .string("linear")])[0]
        #expect(y == Tensor(shape: [1, 4], values: [UInt8(0), 64, 191, 255]))
    }

    @Test func upsampleOpset9UsesFloor() throws {
        let y = try runMovementOp("Upsample", [square, Tensor(shape: [4], values: [Float(1), 1, 2, 2])],
                                  attributes: ["mode": .string("nearest")], opset: 9)[0]
        #expect(y.floatValues == [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4])
    }

    @Test func rejectsMissingOrDoubleTargets() {
        #expect(throws: RuntimeError.self) { try resize(square, ["mode": .string("linear")]) }
        #expect(throws: RuntimeError.self) { try resize(square, scales: [1, 1, 2, 2], sizes: [1, 1, 4, 4], [:]) }
        #expect(throws: RuntimeError.self) { try resize(square, scales: [1, 1, 2, 2], ["mode": .string("area")]) }
    }
}

@Suite struct ResizeOpset10Tests {
    /// Opset 10 nearest is asymmetric + floor: downsampling [1, 2, 4, 8] by 0.75 samples x = 0, 4/3, 8/3 → 0, 1, 2.
    @Test func opset10NearestFloors() throws {
        let x = Tensor(shape: [1, 4], values: [Float(1), 2, 4, 8])
        let y = try runMovementOp("Resize", [x, Tensor(shape: [2], values: [Float(1), 0.75])], opset: 10)[0]
        #expect(y == Tensor(shape: [1, 3], values: [Float(1), 2, 4]))
    }
}
