import FeatureMemory
import Foundation

/// Deterministic test vectors and the exact answers a search must give for them.
enum Vectors {
    /// `count` vectors of `dimension` values, each uniform in −1..<1, from `seed`.
    static func random(_ count: Int, dimension: Int, seed: UInt64) -> [[Float]] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in (0..<dimension).map { _ in Float.random(in: -1..<1, using: &generator) } }
    }

    /// The distance the server's metric `name` gives, computed in Double: l2 is squared
    /// Euclidean, cosine 1 − cos, ip 1 − a·b.
    static func distance(_ a: [Float], _ b: [Float], metric: String) -> Double {
        let dot = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        switch metric {
        case "l2": return zip(a, b).reduce(0.0) { $0 + (Double($1.0) - Double($1.1)) * (Double($1.0) - Double($1.1)) }
        case "cosine":
            let norms = (a.reduce(0.0) { $0 + Double($1) * Double($1) } * b.reduce(0.0) { $0 + Double($1) * Double($1) }).squareRoot()
            return 1 - dot / norms
        default: return 1 - dot
        }
    }

    /// The `k` nearest of `points` to `query` by brute force, nearest first.
    static func nearest(
        to query: [Float], in points: [(id: UInt64, vector: [Float])], k: Int, metric: String
    ) -> [(id: UInt64, distance: Double)] {
        points.map { (id: $0.id, distance: distance(query, $0.vector, metric: metric)) }
            .sorted { $0.distance < $1.distance }
            .prefix(k).map { $0 }
    }
}
