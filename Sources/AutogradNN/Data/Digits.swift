import AutogradCore
import AutogradEngine
import Foundation

/// The UCI handwritten digits (Alpaydin & Kaynak, 1998; CC BY 4.0), shipped with the
/// package as a resource: 1,797 grey 8×8 images of the digits 0–9. See ``attribution``.
/// ```swift
/// let (train, test) = try Digits.trainTestSplit()      // 1,438 and 359 examples
/// let loader = DataLoader(train, batchSize: 32, shuffle: true)
/// ```
public enum Digits {
    /// The data set's citation and license, as they must accompany it.
    public static let attribution = """
        Optical Recognition of Handwritten Digits, UCI Machine Learning Repository \
        (E. Alpaydin and C. Kaynak, 1998), https://doi.org/10.24432/C50P49, CC BY 4.0
        """

    /// The number of pixel rows and columns of each image.
    public static let imageSize = 8

    /// All 1,797 examples: inputs `[1797, 1, 8, 8]` scaled from 0…16 to 0…1, int64
    /// targets `[1797]` holding the digit.
    ///
    /// - Throws: ``DataError`` if the resource is missing or damaged.
    public static func load() throws(DataError) -> TensorDataset {
        guard let url = Bundle.module.url(forResource: "digits.csv", withExtension: "gz") else {
            throw .fileNotFound(path: "digits.csv.gz (the AutogradNN resource bundle)")
        }
        let compressed: Data
        do {
            compressed = try Data(contentsOf: url)
        } catch {
            throw .unreadable(path: url.path, reason: error.localizedDescription)
        }
        let csv = try Gzip.decompress([UInt8](compressed), source: url.path)
        return try parse(csv: csv, source: url.path)
    }

    /// The fixed split used to report accuracy: a random 80% for training and the other 20%
    /// held out, drawn from a generator seeded with `seed` (0 unless told otherwise),
    /// independent of the seed used for training.
    public static func trainTestSplit(testFraction: Double = 0.2, seed: UInt64 = 0) throws(DataError)
        -> (train: Subset<TensorDataset>, test: Subset<TensorDataset>)
    {
        let parts = randomSplit(try load(), fractions: [1 - testFraction, testFraction], generator: RandomGenerator(seed: seed))
        return (parts[0], parts[1])
    }

    /// Parses the CSV rows (64 pixels and a label each).
    static func parse(csv: [UInt8], source: String) throws(DataError) -> TensorDataset {
        let pixels = imageSize * imageSize
        var inputs: [Float] = [], targets: [Float] = []
        for (number, line) in csv.split(separator: UInt8(ascii: "\n")).enumerated() {
            let fields = line.split(separator: UInt8(ascii: ",")).map { Float(String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) }
            guard fields.count == pixels + 1, let values = fields as? [Float],
                  values[..<pixels].allSatisfy({ (0...16).contains($0) }), (0...9).contains(values[pixels]) else {
                throw .corrupted(path: source, reason: "line \(number + 1) is not 64 pixels in 0...16 and a label in 0...9")
            }
            inputs += values[..<pixels].map { $0 / 16 }
            targets.append(values[pixels])
        }
        return TensorDataset(
            inputs: Tensor(shape: [targets.count, 1, imageSize, imageSize], scalars: inputs),
            targets: Tensor(NDArray(shape: [targets.count], integers: targets.map { Int64($0) }, dtype: .int64)))
    }
}
