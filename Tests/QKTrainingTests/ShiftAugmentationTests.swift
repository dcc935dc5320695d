import XCTest
@testable import QKTraining

/// Translation augmentation of image training data (``TrainingData/shifted(maxShift:)``).
final class ShiftAugmentationTests: XCTestCase {
    /// Two 1-channel 3×3 images: 1…9 and 10…90 (labels 4 and 7).
    func images() throws -> TrainingData {
        let first: [Float] = (1...9).map { Float($0) }
        let values = first + first.map { $0 * 10 }
        return try TrainingData(inputs: ["x": TrainTensor(shape: [2, 1, 3, 3], values: values)], labels: [4, 7])
    }

    func testShiftsByOnePixelGiveNineCopiesInTheDocumentedOrder() throws {
        let augmented = try images().shifted(maxShift: 1)
        XCTAssertEqual(augmented.count, 18)
        XCTAssertEqual(augmented.inputs["x"]?.shape, [18, 1, 3, 3])
        XCTAssertEqual(augmented.labels, Array(repeating: [4, 7], count: 9).flatMap { $0 })
        let values = augmented.inputs["x"]!.values
        func image(_ index: Int) -> [Float] { Array(values[index * 9..<(index + 1) * 9]) }
        // Copy 0 is the data itself; then (dy, dx) = (−1, −1), (−1, 0), (−1, 1), (0, −1), (0, 1), (1, −1), … .
        XCTAssertEqual(image(0), (1...9).map { Float($0) })
        XCTAssertEqual(image(1), (1...9).map { Float($0 * 10) })
        // (−1, −1): content moves up and left, zeros enter at the bottom and right.
        XCTAssertEqual(image(2), [5, 6, 0, 8, 9, 0, 0, 0, 0])
        // (0, 1) is copy 5: content moves right by one column.
        XCTAssertEqual(image(10), [0, 1, 2, 0, 4, 5, 0, 7, 8])
        // (1, 1) is the last copy (8): down and right; its second image is scaled by 10.
        XCTAssertEqual(image(16), [0, 0, 0, 0, 1, 2, 0, 4, 5])
        XCTAssertEqual(image(17), [0, 0, 0, 0, 10, 20, 0, 40, 50])
    }

    func testZeroShiftKeepsTheDataAndBadSettingsAreRefused() throws {
        let data = try images()
        XCTAssertEqual(try data.shifted(maxShift: 0).inputs, data.inputs)
        XCTAssertThrowsError(try data.shifted(maxShift: -1))
        XCTAssertThrowsError(try data.shifted(maxShift: 3)) { error in
            XCTAssertTrue("\(error)".contains("'x'"), "\(error)")
        }
        XCTAssertThrowsError(try clusterData().shifted(maxShift: 1)) { error in
            XCTAssertTrue("\(error)".contains("input 'x' has shape [60, 4]"), "\(error)")
        }
        var config = TrainingConfig()
        config.shiftAugmentation = -1
        XCTAssertThrowsError(try config.validate())
    }
}
