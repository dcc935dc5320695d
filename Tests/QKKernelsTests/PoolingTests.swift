import Testing
@testable import QKKernels

@Suite struct PoolingTests {
    let grid = (1...25).map(Float.init)  // 5×5, values 1…25

    @Test func averageCountIncludePad() throws {
        let g = try WindowGeometry(input: [5, 5], kernel: [3, 3], strides: [2, 2], dilations: nil, pads: [1, 1, 1, 1],
                                   autoPad: .notSet)
        // Corner window covers 1, 2, 6, 7: 16/9 with the padding counted, 16/4 without.
        let included = Pooling.average(grid, planes: 1, geometry: g, countIncludePad: true)
        let expectedIncluded: [Float] = [16.0 / 9, 33.0 / 9, 28.0 / 9, 69.0 / 9, 13, 87.0 / 9, 76.0 / 9, 123.0 / 9, 88.0 / 9]
        #expect(maxRelativeError(included, expectedIncluded) < 1e-6)
        let excluded = Pooling.average(grid, planes: 1, geometry: g, countIncludePad: false)
        #expect(excluded == [4, 5.5, 7, 11.5, 13, 14.5, 19, 20.5, 22])
    }

    @Test func averageCeilModeShortensTheLastWindow() throws {
        let g = try WindowGeometry(input: [8], kernel: [3], strides: [2], dilations: nil, pads: nil, autoPad: .notSet,
                                   ceilMode: true)
        #expect(g.output == [4])
        let y = Pooling.average([3, 1, 4, 1, 5, 9, 2, 6], planes: 1, geometry: g, countIncludePad: false)
        #expect(maxRelativeError(y, [8.0 / 3, 10.0 / 3, 16.0 / 3, 4]) < 1e-6)
    }

    @Test func maxWithDilationPadsAndIndices() throws {
        let g = try WindowGeometry(input: [5, 5], kernel: [2, 2], strides: nil, dilations: [2, 2], pads: [1, 0, 0, 1],
                                   autoPad: .notSet)
        #expect(g.output == [4, 4])
        let (y, indices) = Pooling.max(grid, planes: 1, geometry: g, indices: true)
        #expect(y == [8, 9, 10, 9, 13, 14, 15, 14, 18, 19, 20, 19, 23, 24, 25, 24])
        #expect(indices == [7, 8, 9, 8, 12, 13, 14, 13, 17, 18, 19, 18, 22, 23, 24, 23])
    }

    /// ONNX test maxpool_with_argmax_2d_precomputed_strides: storage_order 1 numbers h + w·H.
    @Test func maxIndicesColumnMajorAndPlaneOffset() throws {
        let g = try WindowGeometry(input: [5, 5], kernel: [2, 2], strides: [2, 2], dilations: nil, pads: nil,
                                   autoPad: .notSet)
        let (y, indices) = Pooling.max(grid + grid, planes: 2, geometry: g, indices: true, columnMajor: true, threads: 2)
        #expect(y == [7, 9, 17, 19, 7, 9, 17, 19])
        #expect(indices == [6, 16, 8, 18, 31, 41, 33, 43])
    }

    @Test func maxOnIntegers() throws {
        let g = try WindowGeometry(input: [4], kernel: [2], strides: [2], dilations: nil, pads: nil, autoPad: .notSet)
        #expect(Pooling.max([Int8(-3), -7, 5, -1], planes: 1, geometry: g).values == [-3, 5])
    }

    @Test func lpPool() throws {
        let g = try WindowGeometry(input: [8], kernel: [2], strides: [3], dilations: nil, pads: nil, autoPad: .notSet)
        let y = Pooling.lp([3, 1, 4, 1, 5, 9, 2, 6], planes: 1, geometry: g, p: 2)
        #expect(maxRelativeError(y, [Float(10).squareRoot(), Float(26).squareRoot(), Float(40).squareRoot()]) < 1e-6)
    }
}

@Suite struct WindowGeometryTests {
    @Test func sameLowerPutsTheExtraPaddingFirst() throws {
        let lower = try WindowGeometry(input: [5], kernel: [2], strides: [1], dilations: nil, pads: nil, autoPad: .sameLower)
        #expect(lower.output == [5] && lower.padsBegin == [1] && lower.padsEnd == [0])
        let upper = try WindowGeometry(input: [5], kernel: [2], strides: [1], dilations: nil, pads: nil, autoPad: .sameUpper)
        #expect(upper.output == [5] && upper.padsBegin == [0] && upper.padsEnd == [1])
        let strided = try WindowGeometry(input: [5], kernel: [3], strides: [2], dilations: nil, pads: nil, autoPad: .sameLower)
        #expect(strided.output == [3] && strided.padsBegin == [1] && strided.padsEnd == [1])
    }

    @Test func explicitValidAndCeil() throws {
        let explicit = try WindowGeometry(input: [7, 5], kernel: [3, 3], strides: [2, 2], dilations: nil,
                                          pads: [1, 0, 1, 0], autoPad: .notSet)
        #expect(explicit.output == [4, 2])
        let valid = try WindowGeometry(input: [32], kernel: [5], strides: [3], dilations: nil, pads: [9, 9], autoPad: .valid)
        #expect(valid.output == [10] && valid.padsBegin == [0])
        // ceil_mode: (2 − 1)/2 rounds up to 1 → 2 windows, but the second would start past the input: 1.
        let ceil = try WindowGeometry(input: [2], kernel: [1], strides: [2], dilations: nil, pads: nil, autoPad: .notSet,
                                      ceilMode: true)
        #expect(ceil.output == [1])
    }

    @Test func rejectsBadAttributes() {
        #expect(throws: WindowGeometryError.rankMismatch(what: "pads", expected: 4, actual: 2)) {
            try WindowGeometry(input: [5, 5], kernel: [3, 3], strides: nil, dilations: nil, pads: [1, 1], autoPad: .notSet)
        }
        #expect(throws: WindowGeometryError.emptyOutput(input: [2], kernel: [5])) {
            try WindowGeometry(input: [2], kernel: [5], strides: nil, dilations: nil, pads: nil, autoPad: .notSet)
        }
        #expect(throws: WindowGeometryError.nonPositive(what: "strides", values: [0])) {
            try WindowGeometry(input: [2], kernel: [1], strides: [0], dilations: nil, pads: nil, autoPad: .notSet)
        }
    }
}
