import QKGraph
import QKKernels

/// The 2-D window of a Conv or pooling node over an N·C·H·W input (1-D inputs are seen as H = 1), resolved
/// from the ONNX attributes through QKKernels' ``WindowGeometry``.
struct Window2D {
    let inH: Int, inW: Int, kH: Int, kW: Int, outH: Int, outW: Int
    let strideH: Int, strideW: Int, dilationH: Int, dilationW: Int, padTop: Int, padLeft: Int
    /// Padded extent (for AveragePool's count_include_pad): input plus both pads.
    let paddedH: Int, paddedW: Int

    var inPlane: Int { inH * inW }
    var outPlane: Int { outH * outW }

    init(node: Node, spatial: [Int], kernel: [Int], ctx: OpContext) throws {
        guard spatial.count == 1 || spatial.count == 2 else {
            throw ctx.invalid("training supports 1-D and 2-D windows, got spatial shape \(spatial)")
        }
        let autoPad = AutoPad(rawValue: try node.string("auto_pad", default: "NOTSET")) ?? .notSet
        let geometry: WindowGeometry
        do {
            geometry = try WindowGeometry(input: spatial, kernel: kernel, strides: try node.ints("strides"),
                                          dilations: try node.ints("dilations"), pads: try node.ints("pads"),
                                          autoPad: autoPad, ceilMode: try node.int("ceil_mode", default: 0) != 0)
        } catch let error as WindowGeometryError {
            throw ctx.invalid(error.description)
        }
        let two = spatial.count == 2
        func pick(_ values: [Int], _ axis: Int, _ unit: Int) -> Int { two ? values[axis] : (axis == 0 ? unit : values[0]) }
        inH = pick(geometry.input, 0, 1)
        inW = pick(geometry.input, 1, 1)
        kH = pick(geometry.kernel, 0, 1)
        kW = pick(geometry.kernel, 1, 1)
        outH = pick(geometry.output, 0, 1)
        outW = pick(geometry.output, 1, 1)
        strideH = pick(geometry.strides, 0, 1)
        strideW = pick(geometry.strides, 1, 1)
        dilationH = pick(geometry.dilations, 0, 1)
        dilationW = pick(geometry.dilations, 1, 1)
        padTop = pick(geometry.padsBegin, 0, 0)
        padLeft = pick(geometry.padsBegin, 1, 0)
        paddedH = inH + padTop + pick(geometry.padsEnd, 0, 0)
        paddedW = inW + padLeft + pick(geometry.padsEnd, 1, 0)
    }

    /// Calls `body(outputIndex, inputIndex)` for each tap of each output position inside the input
    /// (flat indices within one plane).
    @inline(__always)
    func forEachTap(_ body: (Int, Int) -> Void) {
        for oy in 0..<outH {
            for ki in 0..<kH {
                let iy = oy * strideH - padTop + ki * dilationH
                guard iy >= 0, iy < inH else { continue }
                for ox in 0..<outW {
                    for kj in 0..<kW {
                        let ix = ox * strideW - padLeft + kj * dilationW
                        guard ix >= 0, ix < inW else { continue }
                        body(oy * outW + ox, iy * inW + ix)
                    }
                }
            }
        }
    }

    /// Writes the (channels·kH·kW) × outPlane patch matrix of `channels` planes at `src` into `col` (row r at
    /// `col + r · rowStride`): row (c, ki, kj), column (oy, ox) holds x[c, oy·s − p + ki·d, ox·s − p + kj·d] or 0.
    func im2col(_ src: UnsafePointer<Float>, channels: Int, into col: UnsafeMutablePointer<Float>, rowStride: Int) {
        var row = col
        for c in 0..<channels {
            let plane = src + c * inPlane
            for ki in 0..<kH {
                for kj in 0..<kW {
                    for oy in 0..<outH {
                        let iy = oy * strideH - padTop + ki * dilationH
                        let dst = row + oy * outW
                        guard iy >= 0, iy < inH else {
                            dst.update(repeating: 0, count: outW)
                            continue
                        }
                        for ox in 0..<outW {
                            let ix = ox * strideW - padLeft + kj * dilationW
                            dst[ox] = ix >= 0 && ix < inW ? plane[iy * inW + ix] : 0
                        }
                    }
                    row += rowStride
                }
            }
        }
    }

    /// The adjoint of ``im2col(_:channels:into:rowStride:)``: adds each patch-matrix entry to the input position
    /// it was read from.
    func col2im(_ col: UnsafePointer<Float>, channels: Int, into dst: UnsafeMutablePointer<Float>, rowStride: Int) {
        var row = col
        for c in 0..<channels {
            let plane = dst + c * inPlane
            for ki in 0..<kH {
                for kj in 0..<kW {
                    for oy in 0..<outH {
                        let iy = oy * strideH - padTop + ki * dilationH
                        guard iy >= 0, iy < inH else { continue }
                        let src = row + oy * outW
                        for ox in 0..<outW {
                            let ix = ox * strideW - padLeft + kj * dilationW
                            if ix >= 0 && ix < inW { plane[iy * inW + ix] += src[ox] }
                        }
                    }
                    row += rowStride
                }
            }
        }
    }
}
