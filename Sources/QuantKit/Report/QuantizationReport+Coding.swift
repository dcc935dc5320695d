import Foundation

extension QuantizationReport {
    /// The JSON form written to `report.json`: pretty-printed, keys sorted, slashes unescaped, non-finite
    /// floats as the strings "inf", "-inf", "nan" (as `qkit eval --json`). Same report → same bytes.
    public func encodedJSON() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        var data = try encoder.encode(self)
        data.append(0x0A)
        return data
    }

    /// Reads a report written by ``encodedJSON()``.
    public static func decode(json data: Data) throws -> QuantizationReport {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(QuantizationReport.self, from: data)
    }
}
