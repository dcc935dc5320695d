/// The dictionary at the start of a `.npy` file, e.g. `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
///
/// `descr` is a numpy type string: a byte-order character (`<` little, `>` big, `|` not applicable,
/// `=` native) followed by a kind and a byte size. QuantKit maps these kinds to dtypes:
///
/// | descr | dtype   | descr | dtype   |
/// |-------|---------|-------|---------|
/// | f2    | float16 | i2    | int16   |
/// | f4    | float32 | u2    | uint16  |
/// | f8    | float64 | i4    | int32   |
/// | i1    | int8    | i8    | int64   |
/// | u1    | uint8   | b1    | bool    |
struct NpyHeader: Equatable {
    var dtype: DType
    var bigEndian: Bool
    var fortranOrder: Bool
    var shape: [Int]

    static let dtypeByKind: [String: DType] = [
        "f2": .float16, "f4": .float32, "f8": .float64,
        "i1": .int8, "u1": .uint8, "i2": .int16, "u2": .uint16, "i4": .int32, "i8": .int64, "b1": .bool,
    ]

    /// The little-endian descr QuantKit writes for `dtype` (nil for bfloat16, which numpy lacks).
    static func descr(for dtype: DType) -> String? {
        switch dtype {
        case .bfloat16: nil
        case .int8, .uint8, .bool: "|" + kind(of: dtype)
        default: "<" + kind(of: dtype)
        }
    }

    private static func kind(of dtype: DType) -> String {
        dtypeByKind.first { $0.value == dtype }?.key ?? ""
    }

    /// The header text numpy writes (without padding), e.g. `{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }`.
    var text: String {
        let dims = shape.map(String.init)
        let tuple = dims.count == 1 ? "(\(dims[0]),)" : "(" + dims.joined(separator: ", ") + ")"
        let descr = NpyHeader.descr(for: dtype) ?? ""
        return "{'descr': '\(descr)', 'fortran_order': \(fortranOrder ? "True" : "False"), 'shape': \(tuple), }"
    }

    /// Parses the header dictionary; `file` names the source in errors.
    static func parse(_ text: String, file: String) throws -> NpyHeader {
        var parser = LiteralParser(text: Array(text.unicodeScalars), file: file)
        let entries = try parser.dictionary()
        guard case .string(let descr)? = entries["descr"] else {
            if let raw = entries["descr"] { throw NpyError.unsupportedDType(file: file, descr: raw.description) }
            throw NpyError.badHeader(file: file, detail: "no 'descr' key")
        }
        guard case .bool(let fortran)? = entries["fortran_order"] else {
            throw NpyError.badHeader(file: file, detail: "no boolean 'fortran_order' key")
        }
        guard case .tuple(let shape)? = entries["shape"] else {
            throw NpyError.badHeader(file: file, detail: "no tuple 'shape' key")
        }
        var order = "="
        var kind = Substring(descr)
        if let first = kind.first, "<>|=".contains(first) {
            order = String(first)
            kind = kind.dropFirst()
        }
        guard let dtype = dtypeByKind[String(kind)] else { throw NpyError.unsupportedDType(file: file, descr: descr) }
        return NpyHeader(dtype: dtype, bigEndian: order == ">" && dtype.byteSize > 1, fortranOrder: fortran, shape: shape)
    }
}

/// A parser for the Python literal subset numpy headers use: a dict of quoted keys to quoted strings,
/// True/False, tuples of integers, or (for structured dtypes) lists, which are kept as raw text.
private struct LiteralParser {
    enum Value: CustomStringConvertible {
        case string(String), bool(Bool), tuple([Int]), raw(String)

        var description: String {
            switch self {
            case .string(let s): s
            case .bool(let b): b ? "True" : "False"
            case .tuple(let t): "\(t)"
            case .raw(let r): r
            }
        }
    }

    let text: [Unicode.Scalar]
    let file: String
    var position = 0

    init(text: [Unicode.Scalar], file: String) {
        self.text = text
        self.file = file
    }

    mutating func dictionary() throws -> [String: Value] {
        try expect("{")
        var entries: [String: Value] = [:]
        while true {
            skipSpace()
            if peek() == "}" { position += 1; return entries }
            let key = try quoted()
            try expect(":")
            entries[key] = try value()
            skipSpace()
            if peek() == "," { position += 1 } else { try expect("}"); return entries }
        }
    }

    private mutating func value() throws -> Value {
        skipSpace()
        switch peek() {
        case "'", "\"": return .string(try quoted())
        case "(": return .tuple(try tuple())
        case "[": return .raw(try bracketed())
        default:
            let word = identifier()
            if word == "True" { return .bool(true) }
            if word == "False" { return .bool(false) }
            throw failure("unexpected value '\(word)'")
        }
    }

    private mutating func tuple() throws -> [Int] {
        try expect("(")
        var dims: [Int] = []
        while true {
            skipSpace()
            if peek() == ")" { position += 1; return dims }
            let digits = identifier()
            guard let dim = Int(digits.hasSuffix("L") ? String(digits.dropLast()) : digits), dim >= 0 else {
                throw failure("bad dimension '\(digits)' in shape")
            }
            dims.append(dim)
            skipSpace()
            if peek() == "," { position += 1 } else { try expect(")"); return dims }
        }
    }

    private mutating func bracketed() throws -> String {
        let start = position
        var depth = 0
        while position < text.count {
            let c = text[position]
            position += 1
            if c == "[" || c == "(" { depth += 1 }
            if c == "]" || c == ")" { depth -= 1 }
            if depth == 0 { return String(String.UnicodeScalarView(text[start..<position])) }
        }
        throw failure("unterminated list")
    }

    private mutating func quoted() throws -> String {
        skipSpace()
        guard let quote = peek(), quote == "'" || quote == "\"" else { throw failure("expected a quoted string") }
        position += 1
        let start = position
        while position < text.count, text[position] != quote { position += 1 }
        guard position < text.count else { throw failure("unterminated string") }
        defer { position += 1 }
        return String(String.UnicodeScalarView(text[start..<position]))
    }

    private mutating func identifier() -> String {
        skipSpace()
        let start = position
        while position < text.count, text[position].properties.isAlphabetic || ("0"..."9").contains(text[position])
                || text[position] == "-" {
            position += 1
        }
        return String(String.UnicodeScalarView(text[start..<position]))
    }

    private mutating func expect(_ c: Unicode.Scalar) throws {
        skipSpace()
        guard peek() == c else { throw failure("expected '\(c)'") }
        position += 1
    }

    private func peek() -> Unicode.Scalar? { position < text.count ? text[position] : nil }

    private mutating func skipSpace() {
        while position < text.count, text[position].properties.isWhitespace { position += 1 }
    }

    private func failure(_ detail: String) -> NpyError {
        .badHeader(file: file, detail: "\(detail) at character \(position)")
    }
}
