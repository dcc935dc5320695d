/// Dimension algebra used by shape inference.
///
/// | operation            | known a, b          | symbolic s            | otherwise |
/// |----------------------|---------------------|-----------------------|-----------|
/// | broadcast            | equal, or the non-1 | s with 1 or s → s     | known n>1 wins, else ? |
/// | merge (must be equal)| equal (else error)  | known wins over s     | ?         |
/// | a + b, a · b, …      | arithmetic          | s + 0, s · 1, s / 1 → s | ?       |
extension Dimension {
    /// True for a known dimension equal to `n`.
    func isKnown(_ n: Int) -> Bool { value == n }

    /// ONNX multidirectional broadcasting of one position.
    ///
    /// Known sizes other than 1 must agree and win; when every known size is 1, a single symbol shared by all
    /// remaining operands is kept, several different symbols (or unknowns) give unknown, and no symbols give 1.
    /// Returns nil when two known sizes other than 1 differ.
    static func broadcast(_ dims: [Dimension]) -> Dimension? {
        var known = 1
        var symbols = Set<String>()
        var sawUnknown = false
        for dim in dims {
            switch dim {
            case .known(let n):
                if n == 1 { continue }
                if known != 1, known != n { return nil }
                known = n
            case .symbolic(let name): symbols.insert(name)
            case .unknown: sawUnknown = true
            }
        }
        if known != 1 || (symbols.isEmpty && !sawUnknown) { return .known(known) }
        if symbols.count == 1, !sawUnknown, let name = symbols.first { return .symbolic(name) }
        return .unknown
    }

    /// Two dimensions that must be equal: the more precise one, or nil when two known sizes differ.
    static func merge(_ a: Dimension, _ b: Dimension) -> Dimension? {
        switch (a, b) {
        case (.known(let x), .known(let y)): x == y ? a : nil
        case (.known, _): a
        case (_, .known): b
        case (.symbolic, _): a
        default: b
        }
    }

    /// A known result, or unknown when the arithmetic overflowed.
    private static func known(_ result: (partialValue: Int, overflow: Bool)) -> Dimension {
        result.overflow ? .unknown : .known(result.partialValue)
    }

    /// max(a, b) or min(a, b) through `pick` for known sizes; a when both are the same symbol.
    static func extreme(_ a: Dimension, _ b: Dimension, by pick: (Int, Int) -> Int) -> Dimension {
        if let x = a.value, let y = b.value { return .known(pick(x, y)) }
        if case .symbolic(let s) = a, case .symbolic(let t) = b, s == t { return a }
        return .unknown
    }

    /// a + b with the identity a + 0 = a.
    static func + (a: Dimension, b: Dimension) -> Dimension {
        if let x = a.value, let y = b.value { return known(x.addingReportingOverflow(y)) }
        if b.isKnown(0) { return a }
        if a.isKnown(0) { return b }
        return .unknown
    }

    /// a − b with the identities a − 0 = a and s − s = 0.
    static func - (a: Dimension, b: Dimension) -> Dimension {
        if let x = a.value, let y = b.value { return known(x.subtractingReportingOverflow(y)) }
        if b.isKnown(0) { return a }
        if case .symbolic(let s) = a, case .symbolic(let t) = b, s == t { return .known(0) }
        return .unknown
    }

    /// a · b with the identity a · 1 = a.
    static func * (a: Dimension, b: Dimension) -> Dimension {
        if let x = a.value, let y = b.value { return known(x.multipliedReportingOverflow(by: y)) }
        if b.isKnown(1) { return a }
        if a.isKnown(1) { return b }
        if a.isKnown(0) || b.isKnown(0) { return .known(0) }
        return .unknown
    }

    /// a / b (integer division, rounding toward zero as ONNX integer `Div`) with a / 1 = a and s / s = 1.
    static func / (a: Dimension, b: Dimension) -> Dimension {
        if let x = a.value, let y = b.value { return y == 0 ? .unknown : known(x.dividedReportingOverflow(by: y)) }
        if b.isKnown(1) { return a }
        if case .symbolic(let s) = a, case .symbolic(let t) = b, s == t { return .known(1) }
        return .unknown
    }
}

/// The product of several dimensions kept as a known factor times a multiset of symbols.
///
/// Reshape uses it to cancel symbols: `[batch, 4, 16]` reshaped to `[batch, -1]` gives `-1 = 64`.
struct DimensionProduct: Equatable {
    var known = 1
    var symbols: [String: Int] = [:]
    var unknowns = 0

    init(_ dims: [Dimension] = []) {
        for dim in dims { multiply(by: dim) }
    }

    mutating func multiply(by dim: Dimension) {
        switch dim {
        case .known(let n):
            let (product, overflow) = known.multipliedReportingOverflow(by: n)
            if overflow { unknowns += 1 } else { known = product }
        case .symbolic(let name): symbols[name, default: 0] += 1
        case .unknown: unknowns += 1
        }
    }

    /// The product as one dimension: known, a single symbol times 1, or unknown.
    var dimension: Dimension {
        if unknowns > 0 { return known == 0 ? .known(0) : .unknown }
        if symbols.isEmpty { return .known(known) }
        if known == 1, symbols.count == 1, let (name, power) = symbols.first, power == 1 { return .symbolic(name) }
        return known == 0 ? .known(0) : .unknown
    }

    /// self / other when it is a single dimension; `.unknown` when it cannot be decided; nil when both are fully
    /// known or their symbols cancel and the known factors do not divide.
    func quotient(dividingBy other: DimensionProduct) -> Dimension? {
        guard unknowns == 0, other.unknowns == 0, other.known != 0 else { return .unknown }
        var remaining = symbols
        for (name, power) in other.symbols {
            guard let have = remaining[name], have >= power else { return .unknown }
            remaining[name] = have == power ? nil : have - power
        }
        guard known % other.known == 0 else { return remaining.isEmpty ? nil : .unknown }
        var result = DimensionProduct()
        result.known = known / other.known
        result.symbols = remaining
        return result.dimension
    }
}
