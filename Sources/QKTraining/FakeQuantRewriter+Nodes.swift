import QKGraph
import QKQuantization
import QKTensor

extension FakeQuantRewriter {
    /// FakeQuantize replacing the pair `q → d` on an activation (per tensor).
    static func activationNode(_ q: Node, _ d: Node, _ initializers: inout [String: Tensor],
                               options: FakeQuantOptions) throws -> Node {
        let parameters = try parametersOf(q, dataShape: [], initializers)
        guard parameters.axis == nil else {
            throw TrainingError.unsupportedQuantization("'\(q.displayName)' quantizes an activation per axis; "
                + "activation fake quantization is per tensor")
        }
        let x = q.inputs[0]
        let scaleName = q.inputs[1]
        let zeroName = q.inputs.count > 2 && !q.inputs[2].isEmpty ? q.inputs[2] : freshName(x + "_zero_point", initializers)
        let (s, z) = (parameters.scales[0], parameters.zeroPoints[0])
        initializers[scaleName] = Tensor(shape: [], values: [s])
        initializers[zeroName] = Tensor(shape: [], values: [Float(z)])
        var inputs = [x, scaleName, zeroName]
        if options.activationMode == .ema {
            let low = freshName(x + "_range_min", initializers), high = freshName(x + "_range_max", initializers)
            initializers[low] = Tensor(shape: [], values: [Float(parameters.type.qmin - z) * s])
            initializers[high] = Tensor(shape: [], values: [Float(parameters.type.qmax - z) * s])
            inputs += [low, high]
        }
        let symmetric = parameters.type.isSigned && z == 0
        var attributes = FakeQuantize.attributes(type: parameters.type, axis: nil, mode: options.activationMode,
                                                 symmetric: symmetric, momentum: options.momentum)
        if z == parameters.type.qmin { attributes["keep_min"] = .int(1) }
        return Node(name: q.name.isEmpty ? x + "_fake_quant" : q.name, opType: FakeQuantize.opType,
                    domain: FakeQuantize.domain, inputs: inputs, outputs: [d.outputs[0]], attributes: attributes)
    }

    /// FakeQuantize on a float weight replacing `stored → d` (the weight starts from `floatWeights` when given).
    static func weightNode(_ d: Node, _ stored: Tensor, _ initializers: inout [String: Tensor],
                           options: FakeQuantOptions, floatWeights: [String: Tensor]) throws -> Node {
        var parameters = try parametersOf(d, dataShape: stored.shape, initializers)
        let baseName = base(of: d.outputs[0], source: d.inputs[0])
        let name = freshName(baseName, initializers)
        let start: Tensor
        if let given = floatWeights[baseName], given.shape == stored.shape, given.dtype.isFloatingPoint {
            start = given.converted(to: .float32)
        } else {
            start = try dequantized(stored, d, initializers)
        }
        if let type = options.weightType, type != parameters.type {
            parameters = try QuantParameters.fitting(start, type: type, symmetric: options.weightSymmetric,
                                                     axis: parameters.axis, blockSize: parameters.blockSize)
        }
        initializers[name] = start
        let scaleName = d.inputs[1]
        let zeroName = d.inputs.count > 2 && !d.inputs[2].isEmpty ? d.inputs[2] : freshName(name + "_zero_point", initializers)
        var shape = parameters.axis == nil ? [] : [parameters.scales.count]
        if let axis = parameters.axis, let size = parameters.blockSize {
            shape = ChannelLayout.blockedShape(stored.shape, axis: axis, blockSize: size)
        }
        initializers[scaleName] = Tensor(shape: shape, values: parameters.scales)
        initializers[zeroName] = Tensor(shape: shape, values: parameters.zeroPoints.map(Float.init))
        return Node(name: d.name.isEmpty ? name + "_fake_quant" : d.name, opType: FakeQuantize.opType,
                    domain: FakeQuantize.domain, inputs: [name, scaleName, zeroName], outputs: [d.outputs[0]],
                    attributes: FakeQuantize.attributes(type: parameters.type, axis: parameters.axis,
                                                        mode: options.weightMode, symmetric: options.weightSymmetric,
                                                        blockSize: parameters.blockSize))
    }
}
