import Testing
@testable import FeatureExtraction

struct SimilarityTests {
    // 11 values: exercises both the SIMD8 loop and the scalar tail.
    let a: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
    let b: [Float] = [1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1]

    @Test func dotAndDistanceMatchTheirDefinitions() throws {
        #expect(try Similarity.dot(a, b) == 36)
        let squared = zip(a, b).map { ($0 - $1) * ($0 - $1) }.reduce(0, +)
        #expect(try Similarity.euclideanDistance(a, b) == squared.squareRoot())
        #expect(try Similarity.euclideanDistance(a, a) == 0)
    }

    @Test func cosineIsScaleInvariantAndBounded() throws {
        #expect(abs(try Similarity.cosine(a, a.map { $0 * 7 }) - 1) < 1e-6)
        #expect(abs(try Similarity.cosine(a, a.map { -$0 }) + 1) < 1e-6)
        #expect(try Similarity.cosine([1, 0], [0, 1]) == 0)
        #expect(try Similarity.cosine([0, 0], [0, 1]) == 0)
        let expected = 36 / ((a.map { $0 * $0 }.reduce(0, +)).squareRoot() * Float(6).squareRoot())
        #expect(abs(try Similarity.cosine(a, b) - expected) < 1e-6)
    }

    @Test func mismatchedDimensionsThrow() {
        #expect(throws: AudioError.dimensionMismatch(expected: 2, actual: 3)) { try Similarity.cosine([1, 2], [1, 2, 3]) }
        #expect(throws: AudioError.dimensionMismatch(expected: 2, actual: 1)) { try Similarity.dot([1, 2], [1]) }
        #expect(throws: AudioError.dimensionMismatch(expected: 1, actual: 2)) { try Similarity.euclideanDistance([1], [1, 2]) }
    }
}
