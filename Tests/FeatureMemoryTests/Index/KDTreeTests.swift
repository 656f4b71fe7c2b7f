import Foundation
import Testing
@testable import FeatureMemory

/// The k-d tree against brute force: a double-precision reference (same ids, distances within
/// 1e-4 relative) and a float scan with the same kernel (bit-identical results).
struct KDTreeTests {
    /// A node with its distance to a query, computed in double precision.
    typealias Scored = (node: UInt32, distance: Double)

    /// `count` Gaussian rows with sparse node ids in shuffled order, so that ties broken by id
    /// are not also broken by row position.
    static func randomData(count: Int, dimension: Int, seed: UInt64) -> (nodes: [UInt32], vectors: [Float]) {
        var random = SeededGenerator(seed: seed)
        var nodes = (0..<count).map { UInt32($0 * 7 + 3) }
        nodes.shuffle(using: &random)
        let vectors = (0..<count * dimension).map { _ in random.gaussian() }
        return (nodes, vectors)
    }

    /// Row `index` of the flat `vectors`.
    static func row(_ index: Int, of vectors: [Float], dimension: Int) -> [Float] {
        Array(vectors[index * dimension..<(index + 1) * dimension])
    }

    /// Every point with its distance to `query` in double precision, as the store defines the
    /// metric, nearest first, ties by node id.
    static func reference(
        to query: [Float], nodes: [UInt32], vectors: [Float], dimension: Int, metric: Metric
    ) -> [Scored] {
        var scored: [Scored] = nodes.indices.map { i in
            (node: nodes[i], distance: Reference.distance(query, row(i, of: vectors, dimension: dimension), metric: metric))
        }
        scored.sort { $0.distance < $1.distance || ($0.distance == $1.distance && $0.node < $1.node) }
        return scored
    }

    /// The `k` nearest by a float scan over every row with `Distance.l2Squared`, as the tree
    /// computes its distances: under cosine over unit copies made the way the tree makes them,
    /// with the squared distance halved.
    static func floatScan(
        to query: [Float], nodes: [UInt32], vectors: [Float], dimension: Int, metric: Metric, count k: Int
    ) -> [Candidate] {
        var rows = vectors, target = query
        if metric == .cosine {
            rows.withUnsafeMutableBufferPointer { rows in
                for i in nodes.indices {
                    let start = rows.baseAddress! + i * dimension
                    _ = KDTree.normalize(UnsafePointer(start), into: start, count: dimension)
                }
            }
            target.withUnsafeMutableBufferPointer { _ = KDTree.normalize(UnsafePointer($0.baseAddress!), into: $0.baseAddress!, count: dimension) }
        }
        let scale: Float = metric == .cosine ? 0.5 : 1
        var all: [Candidate] = []
        rows.withUnsafeBytes { rows in
            target.withUnsafeBytes { target in
                for i in nodes.indices {
                    let distance = Distance.l2Squared(target.baseAddress!, rows.baseAddress! + i * dimension * 4, count: dimension)
                    all.append(Candidate(distance: distance * scale, node: nodes[i]))
                }
            }
        }
        return Array(all.sorted().prefix(k))
    }

    /// How far apart two double distances near `d` may be and still be the same float distance:
    /// relative rounding of the float kernel, and under cosine the error of the unit copies,
    /// about 1e-7 on each coordinate, which is not relative when the vectors nearly coincide.
    static func resolution(_ d: Double, metric: Metric) -> Double {
        let d = max(d, 0)   // 1 − cos of a vector with itself can come out as −2e-16
        return metric == .cosine ? 1e-5 * d + 1e-6 * d.squareRoot() + 1e-12 : 1e-5 * d + 1e-30
    }

    /// Checks `results` against the sorted reference: the nearest `k` (all when fewer), unique,
    /// each at its rank's distance within 1e-4 relative, and the same ids in the same order
    /// except where the reference has distances closer together than floats can tell apart.
    /// Returns how many ranks hold a different id than the reference (all of them near-ties).
    @discardableResult
    static func expectMatches(
        _ results: [Candidate], _ reference: [Scored], k: Int, metric: Metric, _ context: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> Int {
        #expect(results.count == min(k, reference.count), "\(context): count", sourceLocation: sourceLocation)
        #expect(Set(results.map(\.node)).count == results.count, "\(context): ids repeat", sourceLocation: sourceLocation)
        #expect(zip(results, results.dropFirst()).allSatisfy { $0 < $1 },
                "\(context): not nearest first with ties by id", sourceLocation: sourceLocation)
        let exact = Dictionary(uniqueKeysWithValues: reference.map { ($0.node, $0.distance) })
        var swapped = 0
        for (rank, result) in results.enumerated() where rank < reference.count {
            let expected = reference[rank]
            let tolerance = 1e-4 * abs(expected.distance) + resolution(expected.distance, metric: metric)
            #expect(abs(Double(result.distance) - expected.distance) <= tolerance,
                    "\(context) rank \(rank): \(result.distance) vs \(expected.distance)", sourceLocation: sourceLocation)
            guard result.node != expected.node else { continue }
            swapped += 1
            let own = exact[result.node] ?? .infinity
            #expect(abs(own - expected.distance) <= resolution(expected.distance, metric: metric),
                    "\(context) rank \(rank): node \(result.node) at \(own), reference has \(expected.node) at \(expected.distance)",
                    sourceLocation: sourceLocation)
        }
        return swapped
    }

    static let sizes = [1, 2, 9, 31, 32, 33, 100, 257, 1_000, 3_000]

    @Test(arguments: [2, 3, 8, 16], [Metric.l2, .cosine])
    func randomQueriesMatchBruteForce(dimension: Int, metric: Metric) throws {
        var swapped = 0, compared = 0
        for (index, n) in Self.sizes.enumerated() {
            let seed = UInt64(dimension * 1_000 + index) + (metric == .cosine ? 500 : 0)
            let (nodes, vectors) = Self.randomData(count: n, dimension: dimension, seed: seed)
            let tree = try #require(KDTree(nodes: nodes, vectors: vectors, dimension: dimension, metric: metric))
            #expect(tree.count == n)
            var random = SeededGenerator(seed: seed ^ 0xABCD)
            // fresh points, stored points (their own nearest), and points far outside the data
            var queries = (0..<8).map { _ in random.gaussianVector(dimension) }
            queries += (0..<min(n, 3)).map { Self.row($0 * (n / 3), of: vectors, dimension: dimension) }
            queries.append(random.gaussianVector(dimension).map { $0 * 100 })
            for query in queries {
                let reference = Self.reference(to: query, nodes: nodes, vectors: vectors, dimension: dimension, metric: metric)
                for k in [1, 10, n, n + 5] {
                    let results = tree.nearest(to: query, count: k)
                    let context = "dim \(dimension) n \(n) k \(k)"
                    swapped += Self.expectMatches(results, reference, k: k, metric: metric, context)
                    compared += results.count
                    // bit-identical to the float scan with the same kernel
                    let scan = Self.floatScan(to: query, nodes: nodes, vectors: vectors, dimension: dimension, metric: metric, count: k)
                    #expect(results.map(\.node) == scan.map(\.node), "\(context): ids differ from the float scan")
                    #expect(results.map(\.distance.bitPattern) == scan.map(\.distance.bitPattern),
                            "\(context): distances differ from the float scan")
                }
            }
        }
        // near-ties in random float data are rare: nearly every id is the reference's
        #expect(swapped * 1_000 <= compared, "\(swapped) of \(compared) ranks differ from the reference")
    }

    @Test(arguments: [Metric.l2, .cosine])
    func duplicatesComeInNodeIDOrder(metric: Metric) throws {
        // 40 distinct points, each stored 25 times under scattered ids
        let dimension = 3
        var random = SeededGenerator(seed: 77)
        let distinct = (0..<40).map { _ in random.gaussianVector(dimension) }
        var nodes = (0..<1_000).map { UInt32($0 * 13 + 1) }
        nodes.shuffle(using: &random)
        let vectors = (0..<1_000).flatMap { distinct[$0 % 40] }
        let tree = try #require(KDTree(nodes: nodes, vectors: vectors, dimension: dimension, metric: metric, leafSize: 16))
        for (which, point) in distinct.enumerated().prefix(10) {
            let copies = nodes.indices.filter { $0 % 40 == which }.map { nodes[$0] }.sorted()
            let results = tree.nearest(to: point, count: 30)
            #expect(results.prefix(25).map(\.node) == copies)
            #expect(results.prefix(25).allSatisfy { $0.distance == 0 })
            // the next five are copies of the second-nearest distinct point, also by id
            let reference = Self.reference(to: point, nodes: nodes, vectors: vectors, dimension: dimension, metric: metric)
            Self.expectMatches(results, reference, k: 30, metric: metric, "copies of point \(which)")
        }
    }

    @Test func latticeTiesAreBrokenByNodeIDAcrossCells() throws {
        // Integer points: squared distances are small integers, exact in float and double, so
        // many points tie exactly and sit on both sides of splitting planes. A cell whose bound
        // equals the worst kept distance must still be visited, for a smaller id there wins.
        let side = 40
        var random = SeededGenerator(seed: 5)
        var nodes = (0..<side * side).map { UInt32($0) }
        nodes.shuffle(using: &random)
        let vectors = (0..<side * side).flatMap { [Float($0 % side), Float($0 / side)] }
        for leafSize in [1, 4, 32] {
            let tree = try #require(KDTree(nodes: nodes, vectors: vectors, dimension: 2, metric: .l2, leafSize: leafSize))
            for _ in 0..<40 {
                // lattice points, midpoints and centres of squares: every kind of tie
                let query = [Float(Int.random(in: -2...(2 * side + 2), using: &random)) / 2,
                             Float(Int.random(in: -2...(2 * side + 2), using: &random)) / 2]
                let reference = Self.reference(to: query, nodes: nodes, vectors: vectors, dimension: 2, metric: .l2)
                for k in [1, 4, 5, 13, 50] {
                    let results = tree.nearest(to: query, count: k)
                    #expect(results.map(\.node) == reference.prefix(k).map(\.node), "leaf \(leafSize) query \(query) k \(k)")
                    #expect(results.map { Double($0.distance) } == reference.prefix(k).map(\.distance))
                }
            }
        }
    }

    @Test(arguments: [Metric.l2, .cosine])
    func identicalPointsAllTie(metric: Metric) throws {
        // every coordinate the same: no split separates anything, the build must still halve
        let nodes = (0..<500).map { UInt32(1_000 - $0) }
        let vectors = [Float](repeating: 0.5, count: 500 * 4)
        let tree = try #require(KDTree(nodes: nodes, vectors: vectors, dimension: 4, metric: metric, leafSize: 8))
        let results = tree.nearest(to: [0.5, 0.5, 0.5, 0.5], count: 10)
        #expect(results.map(\.node) == Array(nodes.sorted().prefix(10)))
        #expect(results.allSatisfy { $0.distance == 0 })
        let elsewhere = tree.nearest(to: [1, -1, 3, 0.25], count: 600)
        #expect(elsewhere.map(\.node) == nodes.sorted())
    }

    @Test func cosineIgnoresLength() throws {
        // the same directions at lengths 0.001…1000: one cosine distance, ties by id
        let dimension = 8
        var random = SeededGenerator(seed: 11)
        let directions = (0..<50).map { _ in random.gaussianVector(dimension) }
        let lengths: [Float] = [0.001, 1, 3, 1_000]
        var nodes: [UInt32] = [], vectors: [Float] = []
        for (d, direction) in directions.enumerated() {
            for (l, length) in lengths.enumerated() {
                nodes.append(UInt32(d * 4 + l))
                vectors += direction.map { $0 * length }
            }
        }
        let tree = try #require(KDTree(nodes: nodes, vectors: vectors, dimension: dimension, metric: .cosine, leafSize: 4))
        for (d, direction) in directions.enumerated().prefix(10) {
            let query = direction.map { $0 * 7 }
            let results = tree.nearest(to: query, count: 12)
            // the four copies of the query's direction first, in any order floats allow
            #expect(Set(results.prefix(4).map(\.node)) == Set((0..<4).map { UInt32(d * 4 + $0) }))
            #expect(results.prefix(4).allSatisfy { $0.distance < 1e-6 })
            let reference = Self.reference(to: query, nodes: nodes, vectors: vectors, dimension: dimension, metric: .cosine)
            Self.expectMatches(results, reference, k: 12, metric: .cosine, "direction \(d)")
        }
    }

    @Test(arguments: [1, 2, 3, 5])
    func smallLeavesGiveDeepTreesWithTheSameResults(leafSize: Int) throws {
        let dimension = 3
        for n in [1, 2, 3, 7, 64, 65, 300] {
            let (nodes, vectors) = Self.randomData(count: n, dimension: dimension, seed: UInt64(n + 100 * leafSize))
            let tree = try #require(KDTree(nodes: nodes, vectors: vectors, dimension: dimension, metric: .l2, leafSize: leafSize))
            var random = SeededGenerator(seed: UInt64(n))
            for _ in 0..<10 {
                let query = random.gaussianVector(dimension)
                for k in [1, 10, n + 1] {
                    let results = tree.nearest(to: query, count: k)
                    let scan = Self.floatScan(to: query, nodes: nodes, vectors: vectors, dimension: dimension, metric: .l2, count: k)
                    #expect(results.map(\.node) == scan.map(\.node), "leaf \(leafSize) n \(n) k \(k)")
                    #expect(results.map(\.distance) == scan.map(\.distance))
                }
            }
        }
    }

    @Test func pointerAndArrayQueriesAgree() throws {
        let (nodes, vectors) = Self.randomData(count: 500, dimension: 5, seed: 3)
        let tree = try #require(KDTree(nodes: nodes, vectors: vectors, dimension: 5, metric: .l2))
        let query: [Float] = [0.1, -0.2, 0.3, 0.0, 1.5]
        let viaPointer = query.withUnsafeBufferPointer { tree.nearest(to: $0.baseAddress!, count: 7) }
        #expect(viaPointer == tree.nearest(to: query, count: 7))
    }

    @Test(arguments: [Metric.l2, .cosine])
    func emptyTreesAndZeroCountsFindNothing(metric: Metric) throws {
        let empty = try #require(KDTree(nodes: [], vectors: [], dimension: 4, metric: metric))
        #expect(empty.count == 0)
        #expect(empty.nearest(to: [1, 2, 3, 4], count: 10).isEmpty)
        let one = try #require(KDTree(nodes: [9], vectors: [1, 0, 0, 0], dimension: 4, metric: metric))
        #expect(one.nearest(to: [1, 2, 3, 4], count: 0).isEmpty)
        #expect(one.nearest(to: [1, 2, 3, 4], count: -1).isEmpty)
        #expect(one.nearest(to: [1, 2, 3, 4], count: 3).map(\.node) == [9])
    }

    @Test func innerProductHasNoTree() {
        let (nodes, vectors) = Self.randomData(count: 100, dimension: 4, seed: 1)
        #expect(KDTree(nodes: nodes, vectors: vectors, dimension: 4, metric: .innerProduct) == nil)
        #expect(KDTree(nodes: [], vectors: [], dimension: 4, metric: .innerProduct) == nil)
    }
}

/// Query time of the k-d tree against a scan of the same contiguous rows with
/// `Distance.l2Squared`, k = 10, to choose the largest dimension the store builds a tree for.
/// Off unless FM_TIMING=1; meant for a release build:
/// `FM_TIMING=1 swift test -c release --filter KDTreeTiming`.
struct KDTreeTiming {
    /// A scan as `ExactSearch` does it, over a flat array: one distance per row, a farthest-first heap of k.
    static func scan(_ query: UnsafeRawPointer, rows: UnsafeRawPointer, nodes: [UInt32], dimension: Int,
                     count k: Int, heap: inout CandidateHeap) -> [Candidate] {
        heap.removeAll()
        for i in nodes.indices {
            let candidate = Candidate(distance: Distance.l2Squared(query, rows + i * dimension * 4, count: dimension), node: nodes[i])
            if heap.count < k {
                heap.push(candidate)
            } else if let worst = heap.top, candidate < worst {
                _ = heap.pop()
                heap.push(candidate)
            }
        }
        return heap.elements.sorted()
    }

    /// Seconds taken by `body`.
    static func seconds(_ body: () -> Void) -> Double {
        let elapsed = ContinuousClock().measure(body)
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }

    /// Seconds per call of each of `bodies` (called with a query index): calibrated to about
    /// 30 ms a run, then `runs` rounds in which every body runs once, interleaved so that load
    /// from other processes falls on all of them alike; the fastest run of each, as the least
    /// disturbed (the machine is shared).
    static func secondsPerCall(runs: Int = 7, _ bodies: [(Int) -> Void]) -> [Double] {
        let calls = bodies.map { body in
            let once = seconds { for i in 0..<4 { body(i) } } / 4
            return max(4, min(20_000, Int(0.03 / max(once, 1e-9))))
        }
        var best = [Double](repeating: .infinity, count: bodies.count)
        for _ in 0..<runs {
            for (b, body) in bodies.enumerated() {
                best[b] = min(best[b], seconds { for i in 0..<calls[b] { body(i) } } / Double(calls[b]))
            }
        }
        return best
    }

    /// Rows for the timing: i.i.d. Gaussian (the hard case for a tree), or Gaussian on a random
    /// 4-dimensional subspace plus 1% noise (correlated features, as pooled audio features are).
    static func data(count: Int, dimension: Int, intrinsic: Int?, random: inout SeededGenerator) -> [Float] {
        guard let intrinsic, intrinsic < dimension else {
            return (0..<count * dimension).map { _ in random.gaussian() }
        }
        let basis = (0..<intrinsic).map { _ in random.gaussianVector(dimension) }
        var rows = [Float](repeating: 0, count: count * dimension)
        for i in 0..<count {
            let z = random.gaussianVector(intrinsic)
            for c in 0..<dimension {
                var x = 0.01 * random.gaussian()
                for j in 0..<intrinsic { x += z[j] * basis[j][c] }
                rows[i * dimension + c] = x
            }
        }
        return rows
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["FM_TIMING"] == "1"))
    func queryTimeAgainstAScan() throws {
        let k = 10, queryCount = 256
        var lines = ["AVX2: \(Distance.usesAVX2); k = \(k); µs per query, fastest of 7 interleaved runs",
                     "data        n       dim  build ms  leaf32 µs  leaf16 µs   scan µs  scan/leaf32"]
        for intrinsic in [nil, 4] as [Int?] {
            for n in [10_000, 100_000] {
                for dimension in [2, 4, 8, 12, 16, 24, 32] {
                    var random = SeededGenerator(seed: UInt64(n + dimension))
                    let vectors = Self.data(count: n, dimension: dimension, intrinsic: intrinsic, random: &random)
                    let nodes = (0..<n).map { UInt32($0) }
                    // queries from the same distribution, not stored
                    let queries = Self.data(count: queryCount, dimension: dimension, intrinsic: intrinsic, random: &random)
                    var built: KDTree?
                    let build = Self.seconds { built = KDTree(nodes: nodes, vectors: vectors, dimension: dimension, metric: .l2) }
                    let tree = try #require(built)
                    let smallLeaves = try #require(KDTree(nodes: nodes, vectors: vectors, dimension: dimension, metric: .l2, leafSize: 16))
                    var heap = CandidateHeap(nearestFirst: false)
                    var sink = 0
                    let times = queries.withUnsafeBufferPointer { q in
                        vectors.withUnsafeBytes { rows in
                            let query = { (i: Int) in q.baseAddress! + (i % queryCount) * dimension }
                            return Self.secondsPerCall([
                                { sink &+= Int(tree.nearest(to: query($0), count: k)[0].node) },
                                { sink &+= Int(smallLeaves.nearest(to: query($0), count: k)[0].node) },
                                { sink &+= Int(Self.scan(query($0), rows: rows.baseAddress!, nodes: nodes, dimension: dimension,
                                                         count: k, heap: &heap)[0].node) },
                            ])
                        }
                    }
                    // the timed paths must agree, or the comparison means nothing
                    for i in 0..<16 {
                        let query = Array(queries[i * dimension..<(i + 1) * dimension])
                        let expected = query.withUnsafeBytes { q in
                            vectors.withUnsafeBytes { Self.scan(q.baseAddress!, rows: $0.baseAddress!, nodes: nodes,
                                                               dimension: dimension, count: k, heap: &heap) }
                        }
                        #expect(tree.nearest(to: query, count: k) == expected)
                        #expect(smallLeaves.nearest(to: query, count: k) == expected)
                    }
                    let label = intrinsic.map { "rank \($0)+noise" } ?? "gaussian"
                    lines.append(label.padding(toLength: 12, withPad: " ", startingAt: 0)
                        + String(format: "%6d  %3d  %8.1f  %9.2f  %9.2f  %8.2f  %11.2f", n, dimension, build * 1e3,
                                 times[0] * 1e6, times[1] * 1e6, times[2] * 1e6, times[2] / times[0]))
                    print(lines.last!)
                    _ = sink
                }
            }
        }
        print(lines.joined(separator: "\n"))
    }
}
