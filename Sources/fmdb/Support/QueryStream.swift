import FeatureMemory
import Foundation

/// The order in which `fmdb bench` issues queries.
enum QueryStream {
    /// Uniform: the file's queries in order, `repeats` times over. Zipf: `length` draws where the query of
    /// popularity rank r comes with weight 1/r^exponent; ranks are a seeded shuffle of the file,
    /// so popularity does not follow file order.
    static func make(_ workload: Workload, queries: Int, length: Int, exponent: Double, seed: UInt64, repeats: Int = 1) -> [Int] {
        guard workload == .zipf else { return (0..<repeats).flatMap { _ in 0..<queries } }
        var random = SeededGenerator(seed: seed)
        var ranked = Array(0..<queries)
        ranked.shuffle(using: &random)
        var cumulative: [Double] = []
        cumulative.reserveCapacity(queries)
        var total = 0.0
        for rank in 1...queries {
            total += 1 / pow(Double(rank), exponent)
            cumulative.append(total)
        }
        return (0..<length).map { _ in
            let u = Double.random(in: 0..<total, using: &random)
            var low = 0, high = queries - 1
            while low < high {
                let middle = (low + high) / 2
                if cumulative[middle] <= u { low = middle + 1 } else { high = middle }
            }
            return ranked[low]
        }
    }
}
