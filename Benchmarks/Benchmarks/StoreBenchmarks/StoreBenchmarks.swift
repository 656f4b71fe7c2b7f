import Benchmark
import FeatureMemory

/// The store's basic operations at 384 dimensions: durable writes, batched writes, point reads
/// and exact search. Run with `swift package benchmark` in the `Benchmarks` directory.
let benchmarks: @Sendable () -> Void = {
    let metrics: [BenchmarkMetric] = [.wallClock, .mallocCountTotal, .throughput]

    // One commit, so one fsync, per put: the cost of `.full` durability for a caller that does not batch.
    let durablePut = FixtureSlot()
    Benchmark(
        "durable single put",
        configuration: .init(metrics: metrics, maxDuration: .seconds(5), maxIterations: 2_000)
    ) { benchmark in
        let fixture = durablePut.current
        let vector = fixture.nextPooledVector()
        let id = fixture.takeFreshID()
        benchmark.startMeasurement()
        try fixture.store.put(vector, for: id)
        benchmark.stopMeasurement()
    } setup: {
        try durablePut.setUp(seed: 1, poolSize: 256)
    } teardown: {
        durablePut.tearDown()
    }

    // 1,000 puts in one transaction and one fsync. The store grows by 1,000 vectors per iteration,
    // so the iteration count is kept low: later iterations also pay for a larger B-tree and map growth.
    let batchPut = FixtureSlot()
    Benchmark(
        "batch put 1000",
        configuration: .init(metrics: metrics, maxDuration: .seconds(5), maxIterations: 50)
    ) { benchmark in
        let fixture = batchPut.current
        let items = fixture.makeItems(count: 1_000)
        benchmark.startMeasurement()
        try fixture.store.put(items)
        benchmark.stopMeasurement()
    } setup: {
        try batchPut.setUp(seed: 2, poolSize: 2_000)
    } teardown: {
        batchPut.tearDown()
    }

    // A point read of a random stored id: read transaction, key lookup, record decode, metadata.
    let get = FixtureSlot()
    let getIDs = IDCycle()
    Benchmark(
        "get",
        configuration: .init(metrics: metrics, maxDuration: .seconds(3), maxIterations: 100_000)
    ) { benchmark in
        let fixture = get.current
        let id = getIDs.next()
        benchmark.startMeasurement()
        blackHole(try fixture.store.get(id))
        benchmark.stopMeasurement()
    } setup: {
        try get.setUp(seed: 3, poolSize: 1, filled: 10_000)
        getIDs.ids = get.current.randomStoredIDs(count: 8_192)
    } teardown: {
        get.tearDown()
    }

    // Exhaustive k-nearest search over every stored vector: the ground-truth path, which the
    // HNSW index is meant to beat.
    let search = FixtureSlot()
    Benchmark(
        "exact search k=10",
        configuration: .init(metrics: metrics, maxDuration: .seconds(5), maxIterations: 500)
    ) { benchmark in
        let fixture = search.current
        let query = fixture.nextPooledVector()
        benchmark.startMeasurement()
        blackHole(try fixture.store.exactNearest(to: query, count: 10))
        benchmark.stopMeasurement()
    } setup: {
        // The pool holds the queries; they are not stored, as real queries usually are not.
        try search.setUp(seed: 4, poolSize: 64, filled: 10_000)
    } teardown: {
        search.tearDown()
    }

    // Approximate search through the HNSW graph read from LMDB: one read transaction, a greedy
    // descent and a beam search with ef = 64, ids mapped back from nodes.
    let graphSearch = FixtureSlot()
    Benchmark(
        "hnsw search k=10 ef=64",
        configuration: .init(metrics: metrics, maxDuration: .seconds(5), maxIterations: 20_000)
    ) { benchmark in
        let fixture = graphSearch.current
        let query = fixture.nextPooledVector()
        benchmark.startMeasurement()
        blackHole(try fixture.store.nearest(to: query, count: 10, ef: 64))
        benchmark.stopMeasurement()
    } setup: {
        try graphSearch.setUp(seed: 5, poolSize: 256, filled: 10_000)
    } teardown: {
        graphSearch.tearDown()
    }

    // One graph insert in its own durable transaction, into a store of 10,000 vectors: the
    // neighbour search with efConstruction = 200, the links both ways, and the fsync.
    let graphInsert = FixtureSlot()
    Benchmark(
        "hnsw insert into 10k",
        configuration: .init(metrics: metrics, maxDuration: .seconds(5), maxIterations: 1_000)
    ) { benchmark in
        let fixture = graphInsert.current
        let vector = fixture.nextPooledVector()
        let id = fixture.takeFreshID()
        benchmark.startMeasurement()
        try fixture.store.put(vector, for: id)
        benchmark.stopMeasurement()
    } setup: {
        try graphInsert.setUp(seed: 6, poolSize: 256, filled: 10_000)
    } teardown: {
        graphInsert.tearDown()
    }
}
